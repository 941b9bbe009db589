/**
 * rtla 6.1 and hwlatdetect 2.4 parsers on real outputs captured in Debian's PREEMPT_RT guest (TCG), and the
 * host's missing-tracer path (this host's kernel has no timerlat/osnoise/hwlat tracer).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RootFs } from "../../../src/host/fs.js";
import { parseHwlatdetect } from "../../../src/measure/hwlat/parse.js";
import {
  columnToCpu,
  missingTracer,
  parseOsnoiseTop,
  parseRtlaHist,
  stripAnsi,
} from "../../../src/measure/rtla/parse.js";
import { assembleRtlaRecord, boundTrace, planRtla } from "../../../src/measure/rtla/rtla.js";
import { availableTracers, requireTracer } from "../../../src/measure/rtla/tracers.js";

const DIR = join(import.meta.dirname, "..", "..", "fixtures", "rtla");
const fx = (n: string) => readFileSync(join(DIR, n), "utf8");

/** Column sums straight from the text, without the parser. */
function columnSums(text: string): number[] {
  const rows = text.split("\n").filter((l) => /^\d+\s/.test(l));
  const n = rows[0]!.trim().split(/\s+/).length - 1;
  const sums = new Array<number>(n).fill(0);
  for (const r of rows)
    r.trim()
      .split(/\s+/)
      .slice(1)
      .forEach((c, i) => {
        sums[i]! += Number(c);
      });
  return sums;
}

describe("rtla timerlat hist (6.1, real)", () => {
  const text = fx("timerlat-hist-6.1-tcg.txt");
  it("reads IRQ and thread columns per CPU with rtla's own footers; buckets + over = count", () => {
    const h = parseRtlaHist("t", text);
    expect(h.tool).toBe("timerlat");
    expect(h.columns.map((c) => [c.context, c.cpu, c.count, c.over, c.minUs, c.avgUs, c.maxUs])).toEqual([
      ["IRQ", 1, 2507, 1475, 30, 1068, 15434],
      ["Thr", 1, 2507, 1548, 46, 1180, 15616],
    ]);
    const sums = columnSums(text);
    h.columns.forEach((c, i) => {
      expect(c.buckets.reduce((a, [, n]) => a + n, 0)).toBe(sums[i]);
      expect(sums[i]! + c.over).toBe(c.count);
    });
    const cpu = columnToCpu(h.columns[1]!, 256);
    expect(cpu).toMatchObject({ cpu: 1, samples: 2507, maxUs: 15616, overflows: 1548 });
    expect(cpu.percentiles.p99).toEqual({ valueUs: 256, inOverflow: true });
  });

  it("becomes a record: thread latency judged, IRQ latency kept beside it", () => {
    const plan = planRtla({ tool: "timerlat", durationMs: 5000 }, [1]);
    expect(plan.commands[0]!.args).toEqual(["timerlat", "hist", "-c", "1", "-d", "5", "-E", "1001"]);
    const run = assembleRtlaRecord({
      options: { tool: "timerlat" },
      plan: { ...plan, entries: 256 },
      load: "idle_idle",
      startedAt: "x",
      environment: {
        hostname: null,
        kernelRelease: null,
        kernelCmdline: null,
        cpuModel: null,
        realtimeKernel: null,
        toolVersions: {},
        where: "guest",
        accelerator: "tcg",
      },
      raw: {},
      outputs: { runs: { timerlat: { stdout: text, stderr: "", exitCode: 0 } }, version: "6.1" },
    });
    expect(run.type).toBe("timerlat");
    expect(run.cpus.map((c) => [c.cpu, c.thread, c.maxUs])).toEqual([
      [1, 0, 15616],
      [1, 1, 15434],
    ]);
    expect(run.metrics["irq.cpu1.maxUs"]).toBe(15434);
    expect(run.verdict.summary).toContain("max 15616 µs > 1000 µs on CPU 1");
    expect(run.environment.toolVersions["rtla (guest)"]).toBe("6.1");
  });

  it("refuses a truncated histogram", () => {
    const cut = text.split("\n").slice(0, 40).join("\n");
    expect(() => parseRtlaHist("cut.txt", cut)).toThrow(/cut\.txt: truncated/);
    expect(() => parseRtlaHist("x.txt", "hello")).toThrow(/x\.txt: no '# RTLA/);
  });
});

describe("rtla osnoise (6.1, real)", () => {
  it("hist: the noise histogram per CPU", () => {
    const h = parseRtlaHist("o", fx("osnoise-hist-6.1-tcg.txt"));
    expect(h.tool).toBe("osnoise");
    expect(h.columns[0]).toMatchObject({
      context: "CPU",
      cpu: 1,
      count: 1826,
      over: 613,
      minUs: 5,
      avgUs: 2194,
      maxUs: 55542,
    });
    expect(columnSums(fx("osnoise-hist-6.1-tcg.txt"))[0]! + 613).toBe(1826);
  });
  it("top: noise and the interference counts by kind, colour escapes stripped", () => {
    const text = fx("osnoise-top-6.1-tcg.txt");
    expect(text).toContain("\u001b[");
    expect(stripAnsi(text)).not.toContain("\u001b[");
    expect(parseOsnoiseTop("o", text)).toEqual([
      {
        cpu: 1,
        periods: 4,
        runtimeUs: 4039229,
        noiseUs: 2991286,
        cpuAvailablePct: 25.94413,
        maxNoiseUs: 809003,
        maxSingleUs: 62191,
        hw: 829,
        nmi: 0,
        irq: 6,
        softirq: 0,
        thread: 4,
      },
    ]);
  });
  it("timerlat top -a: the stop is seen", () => {
    expect(fx("timerlat-top-auto-6.1-tcg.txt")).toMatch(/hit stop tracing/);
  });
});

describe("hwlatdetect 2.4 (real)", () => {
  it("reads max, samples, count over threshold and each sample", () => {
    const r = parseHwlatdetect("h", fx("hwlatdetect-2.4-tcg.txt"));
    expect(r).toMatchObject({
      durationS: 5,
      thresholdUs: 10,
      windowUs: 1_000_000,
      widthUs: 500_000,
      maxUs: 53658,
      samplesRecorded: 5,
      samplesExceeding: 5,
      smis: null,
    });
    expect(r.samples[4]).toEqual({ ts: "1796160077.247155321", innerUs: 53658, outerUs: 36099 });
    expect(Math.max(...r.samples.map((s) => Math.max(s.innerUs, s.outerUs)))).toBe(r.maxUs);
  });
  it("reads 'Below threshold' as no max and refuses a cut report", () => {
    const below = fx("hwlatdetect-2.4-tcg.txt").replace(/Max Latency: \d+us/, "Max Latency: Below threshold");
    expect(parseHwlatdetect("h", below).maxUs).toBeNull();
    expect(() => parseHwlatdetect("cut", "hwlatdetect:  test duration 5 seconds\n")).toThrow(
      /cut: truncated/,
    );
  });
});

describe("missing tracers", () => {
  it("reads available_tracers from tracefs and names the missing tracer (exit 3)", () => {
    const fs = new RootFs(join(import.meta.dirname, "tracefs-host"));
    expect(availableTracers(fs)).toEqual(["blk", "function", "nop"]);
    let err: unknown;
    try {
      requireTracer(fs, "timerlat");
    } catch (e) {
      err = e;
    }
    expect((err as { exitCode: number }).exitCode).toBe(3);
    expect((err as Error).message).toBe(
      "the running kernel has no timerlat tracer (it has: blk function nop)",
    );
    const guest = new RootFs(join(import.meta.dirname, "tracefs-guest"));
    expect(() => requireTracer(guest, "timerlat")).not.toThrow();
  });
  it("recognises rtla's own message (rtla 6.1 exits 0 after it)", () => {
    expect(missingTracer("Tracer timerlat not found!\nFailed to enable the timerlat tracer")).toBe(
      "timerlat",
    );
    expect(missingTracer("ok")).toBeNull();
  });
  it("keeps a trace's tail when it is too big", () => {
    const big = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join("\n");
    const kept = boundTrace(big, 100);
    expect(kept.length).toBeLessThan(200);
    expect(kept).toContain("line 999");
    expect(kept).toMatch(/^# kvm4nfv: trace cut/);
  });
});
