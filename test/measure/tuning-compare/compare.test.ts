import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  formatSummary,
  interleave,
  median,
  ratio,
  runFigures,
  type Sample,
  summarize,
  verdict,
} from "../../../src/measure/tuning-compare/compare.js";
import {
  applyScript,
  type ResolvedProfile,
  restoreScript,
  tunedLiveSettings,
} from "../../../src/measure/tuning-compare/tuned-live.js";
import type { CpuResult } from "../../../src/measure/types.js";

const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-tunedcmp-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("interleave, median, ratio", () => {
  it("runs every configuration once per round, in order", () => {
    expect(interleave(["A", "B", "C"], 2).map((s) => `${s.round}${s.config}`)).toEqual([
      "1A",
      "1B",
      "1C",
      "2A",
      "2B",
      "2C",
    ]);
    expect(() => interleave(["A"], 0)).toThrow(RangeError);
  });
  it("takes medians over the runs that have a figure", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, null, 1, 3, 2])).toBe(2.5);
    expect(median([null, undefined])).toBeNull();
    expect(ratio(3, 0)).toBeNull();
    expect(ratio(3, 2)).toBe(1.5);
  });
});

const cpu = (maxUs: number, p999: number, inOverflow = false): CpuResult => ({
  cpu: 1,
  thread: 0,
  minUs: 1,
  avgUs: 2,
  maxUs,
  samples: 1000,
  overflows: 0,
  histogram: null,
  percentiles: { "p99.9": { valueUs: p999, inOverflow } },
});

describe("figures, summary and verdict", () => {
  it("takes the worst CPU, and no p99.9 from an overflow", () => {
    expect(runFigures([cpu(40, 12), cpu(90, 8)])).toEqual({ p999Us: 12, maxUs: 90 });
    expect(runFigures([cpu(40, 12), cpu(2000, 1000, true)])).toEqual({ p999Us: null, maxUs: 2000 });
  });
  it("medians per configuration and kvm4nfv ÷ tuned", () => {
    const s = (config: string, round: number, p: number | null, m: number, o: number): Sample => ({
      config,
      round,
      cyclictestP999Us: p,
      cyclictestMaxUs: m,
      oslatMaxUs: o,
    });
    const samples = [
      s("none", 1, 100, 900, 300),
      s("kvm4nfv", 1, 50, 400, 100),
      s("tuned", 1, 60, 500, 90),
      s("none", 2, 120, 1100, 310),
      s("kvm4nfv", 2, null, 600, 120),
      s("tuned", 2, 80, 300, 110),
    ];
    const rows = summarize(samples, ["none", "kvm4nfv", "tuned"]);
    expect(rows.map((r) => [r.config, r.runs, r.p999Us, r.maxUs, r.oslatMaxUs])).toEqual([
      ["none", 2, 110, 1000, 305],
      ["kvm4nfv", 2, 50, 500, 110],
      ["tuned", 2, 70, 400, 100],
    ]);
    const v = verdict(rows);
    expect(v.p999).toBeCloseTo(50 / 70);
    expect(v.max).toBeCloseTo(1.25);
    expect(v.met).toBe(false); // max worse than tuned's
    expect(verdict([rows[0]!, { ...rows[1]!, maxUs: 400 }, rows[2]!]).met).toBe(true);
    expect(formatSummary(rows)).toContain("(0.45×)"); // kvm4nfv p99.9 against no tuning
  });
});

describe("tuned's realtime-virtual-guest as live settings", () => {
  // resolved by tuned's own loader (Debian's tuned), as the benchmark does it, for a 2-vCPU guest isolating CPU 1
  const out = execFileSync(
    "/usr/bin/python3",
    [
      join(import.meta.dirname, "../../../bench/tuning-vs-tuned-resolve.py"),
      "realtime-virtual-guest",
      "0-1",
      "1",
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  const resolved = JSON.parse(out) as { units: ResolvedProfile; errors: string[] };
  const live = tunedLiveSettings(resolved.units);
  it("keeps the sysctls, sysfs files, THP and kernel-thread priorities of the whole include chain", () => {
    const writes = Object.fromEntries(live.writes.map((w) => [w.path, w.value]));
    expect(writes["/proc/sys/kernel/sched_rt_runtime_us"]).toBe("-1"); // from realtime
    expect(writes["/proc/sys/kernel/timer_migration"]).toBe("0");
    expect(writes["/proc/sys/vm/swappiness"]).toBe("10"); // from latency-performance
    expect(writes["/sys/kernel/mm/transparent_hugepage/enabled"]).toBe("never"); // network-latency's [vm]
    expect(writes["/sys/devices/virtual/workqueue/cpumask"]).toBe("00000001"); // CPU 0 only: the inverse of 1
    expect(live.kthreads).toContainEqual({ group: "rcuc", policy: "f", priority: 4, regex: "^\\[rcuc" });
    expect(live.skipped.join("\n")).toMatch(/\[bootloader\]/);
    expect(live.skipped.join("\n")).toMatch(/isolated_cores=1/);
  });

  it("apply saves and writes, restore puts every value back (a real sh, files under a directory)", () => {
    const root = join(tmp, "root");
    const files: Record<string, string> = {
      "/proc/sys/kernel/timer_migration": "1\n",
      "/sys/kernel/mm/transparent_hugepage/enabled": "always [madvise] never\n",
      "/sys/devices/virtual/workqueue/writeback/cpumask": "3\n",
      "/sys/devices/virtual/workqueue/blkcg_punt_bio/cpumask": "3\n",
    };
    for (const [p, v] of Object.entries(files)) {
      mkdirSync(join(root, p, ".."), { recursive: true });
      writeFileSync(join(root, p), v);
    }
    // the same file tuned reaches twice: [sysfs] names it through /sys/bus (a link, as in sysfs) and the
    // workqueue/*/cpumask glob matches it again
    mkdirSync(join(root, "/sys/bus/workqueue/devices"), { recursive: true });
    symlinkSync(
      "../../../devices/virtual/workqueue/writeback",
      join(root, "/sys/bus/workqueue/devices/writeback"),
    );
    const save = join(tmp, "save");
    const applied = execFileSync("sh", ["-c", applyScript({ ...live, kthreads: [] }, save, root)], {
      encoding: "utf8",
    });
    expect(applied).toContain("KVM4NFV-END");
    expect(applied).not.toContain("KVM4NFV-FAIL");
    expect(readFileSync(join(root, "/proc/sys/kernel/timer_migration"), "utf8")).toBe("0");
    expect(readFileSync(join(root, "/sys/kernel/mm/transparent_hugepage/enabled"), "utf8")).toBe("never");
    expect(readFileSync(join(root, "/sys/devices/virtual/workqueue/blkcg_punt_bio/cpumask"), "utf8")).toBe(
      "00000001",
    );
    const restored = execFileSync("sh", ["-c", restoreScript(save)], { encoding: "utf8" });
    expect(restored).not.toContain("KVM4NFV-FAIL");
    expect(readFileSync(join(root, "/proc/sys/kernel/timer_migration"), "utf8").trim()).toBe("1");
    // the chosen word, as the kernel takes it back
    expect(readFileSync(join(root, "/sys/kernel/mm/transparent_hugepage/enabled"), "utf8").trim()).toBe(
      "madvise",
    );
    expect(readFileSync(join(root, "/sys/devices/virtual/workqueue/writeback/cpumask"), "utf8").trim()).toBe(
      "3",
    );
  });
});
