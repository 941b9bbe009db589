/**
 * oslat's text report (rt-tests 1.10+), one column per measured core:
 *           Core:   1 2
 *   Counter Freq:   2445 2445 (Mhz)
 *       001 (us):   98332431 9812…            bucket j is labelled (j+1)·W and holds [j·W, (j+1)·W)
 *       …
 *       032 (us):   531 498 (including overflows)
 *        Minimum:   1 1 (us)
 *        Average:   1.001 1.040 (us)
 *        Maximum:   1750 30 (us)
 *       Duration:   3.000 3.000 (sec)
 * The last bucket also holds everything beyond it: its count is the overflows, and the width is that bucket's
 * lower edge. With a bucket width that is not whole µs (-W 500, rt-tests 2.6+) the labels have decimals
 * ("0.500 (us)") and min/max three decimals — and the Average line is in nanoseconds although it says "(us)"
 * (rt-tests 2.6 and 2.10 print the raw ns value there; its --json agrees: its avg is ns too). It is stored as µs.
 */

import { computePercentiles } from "../stats.js";
import type { CpuResult, Histogram } from "../types.js";
import { badOutput, baseOutput, type ParsedToolOutput } from "./common.js";

const EXPECTED = "oslat output (a 'Core:' line, '(us):' buckets, Minimum/Average/Maximum lines)";

function values(rest: string): string[] {
  return rest
    .replace(/\((?:us|sec|Mhz|MHz|including overflows)\)/g, "")
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

export function parseOslat(name: string, text: string): ParsedToolOutput {
  const fields = new Map<string, string[]>();
  const buckets: Array<{ us: number; counts: number[]; overflow: boolean }> = [];
  let version: string | null = null;
  let reports = 0;
  for (const raw of text.split("\n")) {
    const v = /^oslat V (\S+)/.exec(raw);
    if (v) version = v[1]!;
    const b = /^\s*(\d+(?:\.\d+)?) \(us\):\s*(.*)$/.exec(raw);
    if (b) {
      const counts = values(b[2]!).map((f) => (/^\d+$/.test(f) ? Number(f) : Number.NaN));
      buckets.push({ us: Number(b[1]), counts, overflow: /including overflows/.test(b[2]!) });
      continue;
    }
    const f = /^\s*(Core|Counter Freq|Minimum|Average|Maximum|Max-Min|Duration):\s*(.*)$/.exec(raw);
    if (f) {
      if (f[1] === "Core") reports++;
      fields.set(f[1]!, values(f[2]!));
    }
  }
  const cores = fields.get("Core");
  if (!cores) throw badOutput(name, "no 'Core:' line", EXPECTED);
  // oslat 1.10 given a -c list it cannot use prints the report with no core at all.
  if (cores.length === 0) throw badOutput(name, "a report with no core (oslat measured nothing)", EXPECTED);
  if (reports > 1)
    throw badOutput(name, `${reports} oslat reports in one file (runs concatenated)`, "one run per file");
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
  const fine = buckets.some((b) => !Number.isInteger(b.us));
  const num = (key: string, i: number): number => {
    const n = Number(fields.get(key)![i]);
    if (!Number.isFinite(n)) throw badOutput(name, `malformed '${key}:' value`, EXPECTED);
    return key === "Average" && fine ? n / 1000 : n;
  };
  const last = buckets.find((b) => b.overflow);
  // The bucket width: the first label (bucket 0 is labelled W), or the step between labels under -B.
  const step = buckets.length > 1 ? buckets[1]!.us - buckets[0]!.us : (buckets[0]?.us ?? 0);
  const cpus: CpuResult[] = cores.map((core, i) => {
    const cpu = Number(core);
    if (!Number.isInteger(cpu)) throw badOutput(name, `malformed core "${core}"`, EXPECTED);
    let histogram: Histogram | null = null;
    let samples = 0;
    if (buckets.length > 0) {
      const inside: Array<[number, number]> = [];
      for (const b of buckets) {
        const n = b.counts[i]!;
        samples += n;
        if (b !== last && n > 0) inside.push([b.us, n]);
      }
      const overflows = last ? last.counts[i]! : 0;
      // With -z (zero-omit) an empty last bucket is not printed: no overflows, the last label bounds the rest.
      const widthUs = last ? Math.round((last.us - step) * 1000) / 1000 : buckets[buckets.length - 1]!.us;
      histogram = { buckets: inside, overflows, maxUs: widthUs };
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
  const notes = fine
    ? ["oslat sub-µs buckets: its Average line is in ns (though it says us); stored as µs"]
    : [];
  return baseOutput({ tool: "oslat", format: "oslat", toolVersion: version, cpus, extra, notes });
}
