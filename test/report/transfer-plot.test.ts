import { describe, expect, it } from "vitest";
import { renderReport } from "../../src/report/html.js";
import { transferPlot, transferSamples } from "../../src/report/transfer-plot.js";
import { makeMigrationRun } from "../results/run-factory.js";

const PROGRESS = [
  '{"t":2,"status":"setup"}',
  '{"t":4,"status":"active","transferred":7356067,"dirty-sync-count":1}',
  '{"t":250,"status":"active","transferred":120000000,"dirty-sync-count":1}',
  '{"t":505,"status":"active","transferred":240000000,"dirty-sync-count":2}',
  "not json",
  '{"t":512,"status":"completed","transferred":245313514,"dirty-sync-count":3}',
].join("\n");

describe("migration transfer plot", () => {
  it("reads the query-migrate samples with bytes sent and the pass they belong to", () => {
    expect(transferSamples(PROGRESS)).toEqual([
      { t: 4, mb: 7.356067, pass: 1 },
      { t: 250, mb: 120, pass: 1 },
      { t: 505, mb: 240, pass: 2 },
      { t: 512, mb: 245.313514, pass: 3 },
    ]);
  });

  it("draws one legend entry per pass, inline SVG without namespaces", () => {
    const html = transferPlot(PROGRESS);
    expect(html).toContain("<svg");
    expect(html.match(/pass \d/g)).toEqual(["pass 1", "pass 2", "pass 3"]);
    expect(html).not.toContain("http://");
  });

  it("draws nothing without samples, and the report shows it for migration runs", () => {
    expect(transferPlot(undefined)).toBe("");
    const run = { ...makeMigrationRun(), id: 7, raw: { "progress.jsonl": PROGRESS } };
    const report = renderReport([run]);
    expect(report).toContain("Data sent over time, by pass");
    expect(report).not.toContain("<script");
  });
});
