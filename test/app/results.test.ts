import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compareAction, exportAction, listAction, parseRunId, showAction } from "../../src/app/results.js";
import { Kvm4nfvError } from "../../src/errors.js";
import { openStore } from "../../src/results/store.js";
import { makeMigrationRun, makeTimerRun } from "../results/run-factory.js";

let dir: string;
let store: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kvm4nfv-actions-"));
  store = join(dir, "r.db");
  const s = openStore(store);
  s.saveRun(makeTimerRun());
  s.saveRun(
    makeTimerRun({ label: "memorystress_idle", startedAt: "2026-11-22T00:00:00.000Z" }, { maxUs: 40 }),
  );
  s.saveRun(makeMigrationRun());
  s.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function exitOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof Kvm4nfvError) return err.exitCode;
    throw err;
  }
  return 0;
}

describe("results actions", () => {
  it("parses run ids strictly", () => {
    expect(parseRunId("7")).toBe(7);
    for (const bad of ["0", "-1", "1.5", "x", "", "99999999999999999999"])
      expect(exitOf(() => parseRunId(bad))).toBe(2);
  });

  it("lists with type and limit, refusing bad values with exit 2", () => {
    expect(listAction({ store, type: "migration" }).output).toMatch(
      /^ID\s+TYPE.*\n 3\s+migration\s+idle guest 8G/,
    );
    expect(
      JSON.parse(listAction({ store, limit: "1", json: true }).output).map((r: { id: number }) => r.id),
    ).toEqual([2]);
    expect(exitOf(() => listAction({ store, type: "latency" }))).toBe(2);
    expect(exitOf(() => listAction({ store, limit: "0" }))).toBe(2);
  });

  it("shows a run as text and JSON", () => {
    const text = showAction("1", { store }).output;
    expect(text.split("\n")[0]).toBe(
      'run 1: timer "idle_idle"  2026-11-21T22:00:00.000Z .. 2026-11-21T22:02:01.500Z',
    );
    expect(text).toContain(
      "measured on a KVM guest of host pod1-node2, kernel 6.1.0-27-rt-amd64 (PREEMPT_RT)",
    );
    expect(JSON.parse(showAction("1", { store, json: true }).output).id).toBe(1);
  });

  it("compares with exit 1 on regressions and 0 without", () => {
    expect(compareAction("1", "2", { store }).exitCode).toBe(1);
    expect(compareAction("1", "2", { store, threshold: "1000%" }).exitCode).toBe(0);
    expect(compareAction("2", "1", { store }).exitCode).toBe(0);
    expect(exitOf(() => compareAction("1", "9", { store }))).toBe(2);
    expect(exitOf(() => compareAction("1", "2", { store, threshold: "lots" }))).toBe(2);
  });

  it("exports one run as an object and several as an array", () => {
    expect(JSON.parse(exportAction(["3"], { store }).output).type).toBe("migration");
    expect(JSON.parse(exportAction(["1", "3"], { store, format: "json" }).output)).toHaveLength(2);
  });
});
