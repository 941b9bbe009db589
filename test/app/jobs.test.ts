/** `kvm4nfv run verify`: the seeds' verify job for real (RT guest, load matrix, store, report), kept short. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { JOBS } from "../../src/app/jobs.js";
import { openStore } from "../../src/results/store.js";

describe("run verify|daily", () => {
  const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-jobs-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has the seeds' matrices and lengths", () => {
    expect(JOBS.verify).toEqual({ combos: ["idle_idle", "memorystress_idle"], durationMs: 120_000 });
    expect(JOBS.daily.combos).toEqual(["idle_idle", "cpustress_idle", "memorystress_idle", "iostress_idle"]);
    expect(JOBS.daily.durationMs).toBe(3_600_000);
  });

  it.each([
    [["run", "weekly"], "run weekly: no such job"],
    [["run", "verify", "--quick", "--duration", "5s"], "--quick and --duration are exclusive"],
    [["run", "verify", "--duration", "soon"], "--duration"],
    [["run", "verify", "-o", join(dir, "r.txt")], "the report is HTML"],
  ])("refuses %j before anything starts (exit 2)", (args, message) => {
    const r = spawnSync("node", ["bin/kvm4nfv.js", ...args, "--store", join(dir, "bad.db")], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("runs idle_idle and memorystress_idle in the guest, stores both and writes one report", () => {
    const store = join(dir, "r.db");
    const report = join(dir, "verify.html");
    const r = spawnSync(
      "node",
      ["bin/kvm4nfv.js", "run", "verify", "--duration", "3s", "--store", store, "-o", report],
      { encoding: "utf8", timeout: 400_000 },
    );
    expect([0, 1]).toContain(r.status);
    expect(r.stderr).toMatch(/host check: \d+ pass/);
    expect(r.stdout).toContain(`report: ${report}`);
    const s = openStore(store);
    const runs = s.listRuns({});
    const full = runs.map((x) => s.getRun(x.id));
    s.close();
    expect(full.map((x) => x.label).sort()).toEqual(["idle_idle", "memorystress_idle"]);
    for (const run of full) {
      expect(run.params.job).toBe("verify");
      expect(run.environment.accelerator).toMatch(/^(kvm|tcg)$/);
    }
    const exitWanted = full.every((x) => x.verdict.status === "pass") ? 0 : 1;
    expect(r.status).toBe(exitWanted);
    const html = readFileSync(report, "utf8");
    expect(html).toContain("idle_idle");
    expect(html).toContain("memorystress_idle");
    expect(existsSync(report)).toBe(true);
    const stress = spawnSync("pgrep", ["-x", "stress-ng"], { encoding: "utf8" });
    expect(stress.stdout.trim()).toBe("");
  }, 420_000);
});
