/**
 * cyclictest --json=FILE (rt-tests 2.x). Two of its keys really end in a colon ("cmdline:",
 * "rt_test_version:") — a quirk of rt-tests' JSON writer that is kept here as-is.
 *
 *   { "file_version": 1, "cmdline:": "cyclictest … -h 200 …", "rt_test_version:": "2.40",
 *     "num_threads": 1, "thread": { "0": { "histogram": { "6": 2, … }, "cycles": 2999,
 *     "min": 6, "max": 1458, "avg": 27.54, "cpu": 1, "node": 0 } } }
 *
 * oslat --json has the same envelope and is read here too (format stays "cyclictest-json", tool "oslat").
 * The JSON carries no overflow count: it is cycles minus the samples in the histogram. The histogram width
 * comes from the -h/-H option in the recorded command line.
 */

import { computePercentiles } from "../stats.js";
import type { CpuResult, Histogram } from "../types.js";
import { badOutput, type ParsedToolOutput } from "./common.js";

const EXPECTED = "cyclictest --json output (keys 'rt_test_version:' and 'thread')";

interface JsonThread {
  histogram?: Record<string, number>;
  cycles?: number;
  min?: number;
  max?: number;
  avg?: number;
  cpu?: number;
}

/** -h 200, -h200, --histogram=200, --histogram 200, and the -H/--histofall spellings. */
export function histogramWidthFromCmdline(cmdline: string): number | null {
  const args = cmdline.trim().split(/\s+/);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^(?:-[hH]|--histogram|--histofall)(?:=?(\d+))?$/.exec(a);
    if (!m) continue;
    const value = m[1] ?? args[i + 1];
    if (value !== undefined && /^\d+$/.test(value)) return Number(value);
  }
  return null;
}

export function parseCyclictestJson(name: string, text: string): ParsedToolOutput {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw badOutput(name, "truncated or invalid JSON", EXPECTED);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw badOutput(name, "not a JSON object", EXPECTED);
  }
  const d = doc as Record<string, unknown>;
  const version = d["rt_test_version:"];
  const threads = d.thread;
  if (typeof version !== "string" || typeof threads !== "object" || threads === null) {
    throw badOutput(name, "not rt-tests JSON (no 'rt_test_version:' or 'thread')", EXPECTED);
  }
  const cmdline = typeof d["cmdline:"] === "string" ? (d["cmdline:"] as string) : null;
  // oslat --json shares the writer: no "cycles" (the histogram holds every sample) and no -h option.
  const tool = cmdline && /^(?:\S*\/)?oslat\b/.test(cmdline) ? "oslat" : "cyclictest";
  const width = cmdline && tool === "cyclictest" ? histogramWidthFromCmdline(cmdline) : null;

  const cpus: CpuResult[] = [];
  const entries = Object.entries(threads as Record<string, JsonThread>).sort(
    (a, b) => Number(a[0]) - Number(b[0]),
  );
  for (const [key, t] of entries) {
    const thread = Number(key);
    if (tool === "oslat" && t && typeof t === "object" && t.cycles === undefined) {
      t.cycles = Object.values(t.histogram ?? {}).reduce((a, n) => a + Number(n), 0);
    }
    const nums = [t?.cycles, t?.min, t?.max, t?.avg];
    if (!/^\d+$/.test(key) || nums.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
      throw badOutput(name, `thread "${key}" lacks cycles/min/max/avg`, EXPECTED);
    }
    let histogram: Histogram | null = null;
    if (t.histogram && typeof t.histogram === "object") {
      const buckets: Array<[number, number]> = Object.entries(t.histogram)
        .map(([us, n]): [number, number] => [Number(us), Number(n)])
        .sort((a, b) => a[0] - b[0]);
      let inHist = 0;
      for (const [us, n] of buckets) {
        if (!Number.isInteger(us) || !Number.isInteger(n) || us < 0 || n < 0) {
          throw badOutput(name, `thread ${thread} has a malformed histogram bucket`, EXPECTED);
        }
        inHist += n;
      }
      const overflows = Math.max(0, t.cycles! - inHist);
      const last = buckets.length ? buckets[buckets.length - 1]![0] + 1 : 0;
      histogram = { buckets: buckets.filter(([, n]) => n > 0), overflows, maxUs: width ?? last };
    }
    cpus.push({
      cpu: typeof t.cpu === "number" && t.cpu >= 0 ? t.cpu : thread,
      thread,
      minUs: t.min!,
      avgUs: t.avg!,
      maxUs: t.max!,
      samples: t.cycles!,
      overflows: histogram?.overflows ?? 0,
      histogram,
      percentiles: histogram ? computePercentiles(histogram) : {},
    });
  }
  if (cpus.length === 0) throw badOutput(name, "no thread results", EXPECTED);
  const extra: Record<string, number | string | null> = {};
  if (typeof d.return_code === "number") extra.returnCode = d.return_code;
  if (typeof d.start_time === "string") extra.startTime = d.start_time;
  if (typeof d.end_time === "string") extra.endTime = d.end_time;
  return { tool, format: "cyclictest-json", toolVersion: version, cmdline, cpus, extra };
}
