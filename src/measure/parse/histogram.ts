/**
 * cyclictest's histogram text (-h US, on stdout or --histfile), both generations:
 *  - rt-tests < 2.7 prints every bucket 0..US-1 and a "# Total:" line;
 *  - rt-tests >= 2.7 omits buckets that are empty in every thread and drops "# Total:".
 *
 *   # Histogram
 *   000006 000002\t000000        bucket µs, then one count per thread (tab-separated), -H adds a sum column
 *   # Total: 000002988 …          (< 2.7 only) in-histogram samples per thread
 *   # Min Latencies: 00006 …      one value per thread: this fixes the thread count
 *   # Avg Latencies: 00027 …      integer (cyclictest's own truncation)
 *   # Max Latencies: 01458 …      (-H adds the max over threads)
 *   # Histogram Overflows: 00011 …
 *   # Histogram Overflow at cycle number:
 *   # Thread 0: 00552 00557 …
 *
 * Anything before "# Histogram" (the "# /dev/cpu_dma_latency" note, WARN lines, live "T:" lines) is ignored,
 * except a command line ("$ cyclictest -a 1 -h 200 …") if the file carries one: the text itself names threads,
 * not CPUs, has no unit (-N prints ns) and, from 2.7, no width. Those come from the options (what kvm4nfv's
 * own timer test ran), else that command line, else they are unknown: threads are "thread N", the unit is
 * taken as cyclictest's default µs (said in the notes), percentiles past the last printed bucket are left out.
 * Old releases print negative minimums; they are kept.
 */

import { computePercentiles } from "../stats.js";
import type { CpuResult } from "../types.js";
import { cmdlineFacts, cmdlineInText, cpusOfThreads } from "./cmdline.js";
import {
  badOutput,
  baseOutput,
  cpuOfThread,
  type ParsedToolOutput,
  refuseEmptyThread,
  toUs,
} from "./common.js";

export interface HistogramTextOptions {
  /** cyclictest -h value. Needed for the 2.7 form, where the width cannot be read from the text. */
  histogramUs?: number;
  /** cyclictest -a CPUs, to map threads to CPUs (round robin); else from a command line in the text, else
   *  the CPUs are unknown (cpusKnown false, cpu = thread index). */
  cpus?: readonly number[];
  /** cyclictest -N: the text is in nanoseconds. */
  nsecs?: boolean;
  /** The command line the file came from, when the file itself does not carry one (`results import --cmdline`). */
  cmdline?: string;
}

const EXPECTED = "cyclictest -h histogram output ('# Histogram' rows then '# Min/Avg/Max Latencies:' lines)";

type SummaryKey = "total" | "min" | "avg" | "max" | "overflows";
const SUMMARY: Array<[string, SummaryKey]> = [
  ["# Total:", "total"],
  ["# Min Latencies:", "min"],
  ["# Avg Latencies:", "avg"],
  ["# Max Latencies:", "max"],
  ["# Histogram Overflows:", "overflows"],
];

/**
 * "000006 000002\t000000" → [6, 2, 0]; null when anything but digits and blanks, or fewer than 2 fields.
 * A hand-written scan: an hour-long 4-thread -h 1000 histogram is parsed in a few milliseconds.
 */
function parseRow(line: string): number[] | null {
  const row: number[] = [];
  let value = -1;
  for (let k = 0; k < line.length; k++) {
    const c = line.charCodeAt(k);
    if (c >= 48 && c <= 57) {
      value = (value < 0 ? 0 : value * 10) + (c - 48);
    } else if (c === 32 || c === 9 || c === 13) {
      if (value >= 0) row.push(value);
      value = -1;
    } else {
      return null;
    }
  }
  if (value >= 0) row.push(value);
  return row.length >= 2 ? row : null;
}

export function parseHistogramText(
  name: string,
  text: string,
  options: HistogramTextOptions = {},
): ParsedToolOutput {
  const lines = text.split("\n");
  let i = lines.findIndex((l) => l.trimEnd() === "# Histogram");
  if (i < 0) throw badOutput(name, "no '# Histogram' line", EXPECTED);
  const runs = lines.filter((l) => l.trimEnd() === "# Histogram").length;
  if (runs > 1)
    throw badOutput(name, `${runs} histograms in one file (runs concatenated)`, "one run per file");
  // cyclicdeadline --histogram prints the same table after its own "Using all CPUS"/"Using CPUS:" line.
  if (lines.slice(0, i).some((l) => /^Using (?:all CPUS|CPUS:)/.test(l))) {
    throw badOutput(
      name,
      "cyclicdeadline histogram (SCHED_DEADLINE wake-up latency), not a cyclictest timer run",
      "cyclictest or oslat output (kvm4nfv does not import other rt-tests programs)",
    );
  }
  const recorded = cmdlineInText(lines.slice(0, i).join("\n"), "cyclictest") ?? options.cmdline ?? null;
  const facts = recorded ? cmdlineFacts(recorded) : null;
  const unit = (options.nsecs ?? facts?.nsecs) ? "ns" : "us";

  // Rows first, kept as raw column arrays until the thread count is known from "# Min Latencies:".
  const rows: number[][] = [];
  const summary: Partial<Record<SummaryKey, number[]>> = {};
  const extra: Record<string, number | string | null> = {};
  for (i++; i < lines.length; i++) {
    const line = lines[i]!;
    const c = line.charCodeAt(0);
    if (c >= 48 && c <= 57) {
      if (summary.min) continue; // numbers after the summary are not histogram rows
      const row = parseRow(line);
      if (!row)
        throw badOutput(name, `malformed histogram row ${JSON.stringify(line.slice(0, 60))}`, EXPECTED);
      rows.push(row);
      continue;
    }
    if (c !== 35 /* # */) continue;
    for (const [prefix, key] of SUMMARY) {
      if (line.startsWith(prefix)) {
        const fields = line.slice(prefix.length).trim().split(/\s+/).filter(Boolean);
        if (fields.some((f) => !/^-?\d+$/.test(f))) {
          throw badOutput(name, `malformed '${prefix}' line`, EXPECTED);
        }
        summary[key] = fields.map(Number);
      }
    }
    const brk = /^# Break (thread|value):\s*(\d+)/.exec(line);
    if (brk) extra[brk[1] === "thread" ? "breakTid" : "breakValueUs"] = Number(brk[2]);
  }

  for (const [prefix, key] of SUMMARY) {
    if (key !== "total" && !summary[key]) {
      throw badOutput(name, `truncated: no '${prefix}' line`, EXPECTED);
    }
  }
  const threads = summary.min!.length;
  if (threads === 0) throw badOutput(name, "'# Min Latencies:' lists no thread", EXPECTED);
  for (const key of ["avg", "max", "overflows"] as const) {
    // -H (histofall) adds one column over all threads to max and overflows; never fewer than the threads.
    if (summary[key]!.length < threads) {
      throw badOutput(name, `truncated: '${key}' line has fewer values than threads`, EXPECTED);
    }
  }

  const counts: Array<Array<[number, number]>> = Array.from({ length: threads }, () => []);
  const inHist = new Array<number>(threads).fill(0);
  let previous = -1;
  for (const row of rows) {
    if (row.length < threads + 1) throw badOutput(name, `truncated histogram row at ${row[0]} µs`, EXPECTED);
    const latency = row[0]!;
    if (latency <= previous) throw badOutput(name, `histogram rows out of order at ${latency} µs`, EXPECTED);
    previous = latency;
    for (let t = 0; t < threads; t++) {
      const n = row[t + 1]!;
      if (n !== 0) {
        counts[t]!.push([latency, n]);
        inHist[t]! += n;
      }
    }
  }

  const hasTotal = summary.total !== undefined;
  if (hasTotal) {
    // The old format's own checksum: a file cut or edited mid-histogram no longer adds up.
    for (let t = 0; t < threads; t++) {
      if (summary.total![t] !== inHist[t]) {
        throw badOutput(
          name,
          `thread ${t} histogram rows add up to ${inHist[t]}, not '# Total:' ${summary.total![t]}`,
          EXPECTED,
        );
      }
    }
  }
  // < 2.7 prints every bucket, so the width is the row count; 2.7 leaves it to the -h value, else unknown
  // (the last printed bucket + 1 is only a lower bound: a -h 200 run may end its rows at 196).
  const given = options.histogramUs ?? facts?.histogram ?? null;
  const widthKnown = hasTotal || given !== null;
  const width = hasTotal ? rows.length : (given ?? (rows.length ? rows[rows.length - 1]![0]! + 1 : 0));
  const notes: string[] = [];
  if (!widthKnown) {
    notes.push(
      "histogram width unknown (rt-tests >= 2.7 omits empty buckets; no -h value): percentiles past the last bucket left out",
    );
  }
  const cpuList = options.cpus ?? cpusOfThreads(facts, threads);
  if (!cpuList) notes.push("the histogram names threads, not CPUs, and no -a was given: CPUs unknown");
  if (unit === "ns") notes.push("cyclictest -N: the file is in nanoseconds; stored as µs");
  else if (options.nsecs === undefined && !facts) {
    notes.push("unit taken as µs (cyclictest's default; the text does not say, -N would make it ns)");
  }

  const cpus: CpuResult[] = [];
  for (let t = 0; t < threads; t++) {
    refuseEmptyThread(name, t, inHist[t]! + summary.overflows![t]!, EXPECTED);
    const buckets = counts[t]!.map(([at, n]): [number, number] => [toUs(at, unit), n]);
    const histogram = { buckets, overflows: summary.overflows![t]!, maxUs: toUs(width, unit) };
    cpus.push({
      cpu: cpuList ? cpuOfThread(t, cpuList) : t,
      thread: t,
      minUs: toUs(summary.min![t]!, unit),
      avgUs: toUs(summary.avg![t]!, unit),
      maxUs: toUs(summary.max![t]!, unit),
      samples: inHist[t]! + histogram.overflows,
      overflows: histogram.overflows,
      histogram,
      percentiles: computePercentiles(histogram, widthKnown),
    });
  }
  return baseOutput({
    tool: "cyclictest",
    format: hasTotal ? "cyclictest-histogram" : "cyclictest-histogram-2.7",
    cmdline: recorded,
    cpus,
    extra,
    unit,
    cpusKnown: cpuList !== null,
    notes,
  });
}
