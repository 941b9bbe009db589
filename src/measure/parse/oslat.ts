/**
 * oslat's text report (rt-tests 2.x), one column per measured core:
 *           Core:   1 2
 *   Counter Freq:   2445 2445 (Mhz)
 *       001 (us):   98332431 9812…
 *       …
 *       032 (us):   531 498 (including overflows)
 *        Minimum:   1 1 (us)
 *        Average:   1.001 1.040 (us)
 *        Maximum:   1750 30 (us)
 *        Max-Min:   1749 29 (us)
 *       Duration:   3.000 3.000 (sec)
 * Bucket labels are latencies in µs; the last bucket also holds everything beyond it, so its count is kept
 * as the overflows and the histogram width is that last label.
 */

import { computePercentiles } from "../stats.js";
import type { CpuResult, Histogram } from "../types.js";
import { badOutput, type ParsedToolOutput } from "./common.js";

const EXPECTED = "oslat output (a 'Core:' line, '(us):' buckets, Minimum/Average/Maximum lines)";

function values(rest: string): string[] {
  return rest
    .replace(/\((?:us|sec|Mhz|including overflows)\)/g, "")
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

export function parseOslat(name: string, text: string): ParsedToolOutput {
  const fields = new Map<string, string[]>();
  const buckets: Array<{ us: number; counts: number[] }> = [];
  let version: string | null = null;
  for (const raw of text.split("\n")) {
    const v = /^oslat V (\S+)/.exec(raw);
    if (v) version = v[1]!;
    const b = /^\s*(\d+) \(us\):\s*(.*)$/.exec(raw);
    if (b) {
      const counts = values(b[2]!).map(Number);
      buckets.push({ us: Number(b[1]), counts });
      continue;
    }
    const f = /^\s*(Core|Counter Freq|Minimum|Average|Maximum|Max-Min|Duration):\s*(.*)$/.exec(raw);
    if (f) fields.set(f[1]!, values(f[2]!));
  }
  const cores = fields.get("Core");
  if (!cores) throw badOutput(name, "no 'Core:' line", EXPECTED);
  for (const key of ["Minimum", "Average", "Maximum"]) {
    if ((fields.get(key)?.length ?? 0) < cores.length) {
      throw badOutput(name, `truncated: no complete '${key}:' line`, EXPECTED);
    }
  }
  for (const b of buckets) {
    if (b.counts.length < cores.length || b.counts.some((n) => !Number.isInteger(n) || n < 0)) {
      throw badOutput(name, `malformed bucket ${b.us} (us)`, EXPECTED);
    }
  }
  const num = (key: string, i: number): number => {
    const n = Number(fields.get(key)![i]);
    if (!Number.isFinite(n)) throw badOutput(name, `malformed '${key}:' value`, EXPECTED);
    return n;
  };
  const cpus: CpuResult[] = cores.map((core, i) => {
    const cpu = Number(core);
    if (!Number.isInteger(cpu)) throw badOutput(name, `malformed core "${core}"`, EXPECTED);
    let histogram: Histogram | null = null;
    let samples = 0;
    if (buckets.length > 0) {
      const last = buckets[buckets.length - 1]!;
      const inside: Array<[number, number]> = [];
      for (const b of buckets.slice(0, -1)) {
        const n = b.counts[i]!;
        samples += n;
        if (n > 0) inside.push([b.us, n]);
      }
      const overflows = last.counts[i]!;
      samples += overflows;
      histogram = { buckets: inside, overflows, maxUs: last.us };
    }
    return {
      cpu,
      thread: i,
      minUs: num("Minimum", i),
      avgUs: num("Average", i),
      maxUs: num("Maximum", i),
      samples,
      overflows: histogram?.overflows ?? 0,
      histogram,
      percentiles: histogram ? computePercentiles(histogram) : {},
    };
  });
  const extra: Record<string, number | string | null> = {};
  const duration = fields.get("Duration")?.[0];
  if (duration !== undefined && Number.isFinite(Number(duration))) extra.durationSec = Number(duration);
  return { tool: "oslat", format: "oslat", toolVersion: version, cmdline: null, cpus, extra };
}
