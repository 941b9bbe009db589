/**
 * `run verify --with hwlat,oslat,timerlat` end to end, as a user runs it: the host audit, the RT guest,
 * hwlatdetect before the seeds' timer matrix, oslat and timerlat after it (cnf-tests' order), every run stored
 * with the job's name and one report holding them all.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../../src/results/store.js";

describe("run verify --with the instruments", () => {
  it("runs hwlat, the timer matrix, then oslat and timerlat in the guest, stores and reports them", () => {
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-job-with-"));
    const store = join(dir, "r.db");
    const report = join(dir, "verify.html");
    const r = spawnSync(
      "node",
      [
        "bin/kvm4nfv.js",
        "run",
        "verify",
        "--duration",
        "2s",
        "--with",
        "timerlat,oslat,hwlat",
        "--store",
        store,
        "-o",
        report,
      ],
      { encoding: "utf8", timeout: 1_500_000 },
    );
    expect([0, 1], r.stderr).toContain(r.status);
    const s = openStore(store);
    const full = s
      .listRuns({})
      .map((x) => s.getRun(x.id))
      .sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    s.close();
    expect(full.map((x) => `${x.type}:${x.label}`)).toEqual([
      "hwlat:idle_idle",
      "timer:idle_idle",
      "timer:memorystress_idle",
      "oslat:idle_idle",
      "timerlat:idle_idle",
    ]);
    for (const run of full) {
      expect(run.params.job).toBe("verify");
      expect(run.params.where).toBe("guest");
      expect(run.environment.accelerator).toMatch(/^(kvm|tcg)$/);
    }
    // The progress lines say each step in that order.
    const steps = r.stderr.split("\n").filter((l) => /^verify: \S+ for 2s/.test(l));
    expect(steps.map((l) => l.split(" ")[1])).toEqual([
      "hwlat",
      "idle_idle",
      "memorystress_idle",
      "oslat",
      "timerlat",
    ]);
    expect(r.status).toBe(full.every((x) => x.verdict.status === "pass") ? 0 : 1);
    const html = readFileSync(report, "utf8");
    for (const t of ["hwlat", "oslat", "timerlat", "memorystress_idle"]) expect(html).toContain(t);
    // none of this job's QEMUs (named kvm4nfv-guest-<its pid>-N) is left
    const left = spawnSync("pgrep", ["-f", `kvm4nfv-guest-${r.pid}-`], { encoding: "utf8" });
    expect(left.stdout.trim()).toBe("");
  }, 1_600_000);
});
