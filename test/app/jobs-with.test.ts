/** `run verify|daily --with`: cnf-tests' order (hwlatdetect, then the timer matrix, then oslat), bad names refused. */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseWith, splitWith } from "../../src/app/jobs-with.js";

describe("run … --with", () => {
  it("puts hwlatdetect before the timer matrix and the others after, whatever order they were given in", () => {
    const tools = parseWith("timerlat,oslat,hwlat");
    expect(tools).toEqual(["hwlat", "oslat", "timerlat"]);
    expect(splitWith(tools)).toEqual({ before: ["hwlat"], after: ["oslat", "timerlat"] });
    expect(splitWith(["timerlat", "oslat", "hwlat"])).toEqual({
      before: ["hwlat"],
      after: ["oslat", "timerlat"],
    });
  });
  it("refuses an unknown instrument in one line, exit 2, before anything starts", () => {
    expect(() => parseWith("oslat,perf")).toThrow(/--with: "perf" is not an instrument/);
    const r = spawnSync(
      "node",
      ["bin/kvm4nfv.js", "run", "verify", "--with", "perf", "--store", "/nonexistent/x.db"],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain('--with: unknown step "perf"');
  });
});
