/**
 * Parsers for Debian 12's rtla 6.1 outputs (real captures in test/fixtures/rtla):
 *  - `timerlat hist` / `osnoise hist`: "# RTLA … histogram", an "Index" header naming one column per CPU
 *    and context (IRQ-001 Thr-001 for timerlat, CPU-001 for osnoise), one row per non-empty bucket, then
 *    over:/count:/min:/avg:/max: footers per column ("-" where a column saw nothing);
 *  - `osnoise top -q`: one row per CPU: Period (#N), Runtime, Noise, % CPU Aval, Max Noise, Max Single,
 *    then interference counts HW, NMI, IRQ, Softirq, Thread (terminal colour escapes around the header).
 * Times are µs (rtla's default unit; -n would switch to ns and is never passed).
 */

import { badOutput } from "../parse/common.js";
import { computePercentiles } from "../stats.js";
import type { CpuResult, Histogram } from "../types.js";

export interface RtlaColumn {
  /** "IRQ", "Thr" (timerlat) or "CPU" (osnoise). */
  context: string;
  cpu: number;
  buckets: Array<[number, number]>;
  over: number;
  count: number;
  minUs: number | null;
  avgUs: number | null;
  maxUs: number | null;
}

export interface RtlaHist {
  tool: "timerlat" | "osnoise";
  columns: RtlaColumn[];
  /** rtla said "hit stop tracing" (-a/--stop-at threshold crossed). */
  stopped: boolean;
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

export function parseRtlaHist(name: string, text: string): RtlaHist {
  const expected = "rtla timerlat/osnoise hist output (an 'Index' header, bucket rows, count:/max: footers)";
  const lines = stripAnsi(text).split("\n");
  const tool = /RTLA osnoise histogram/.test(text)
    ? "osnoise"
    : /RTLA timerlat histogram/.test(text)
      ? "timerlat"
      : null;
  if (!tool) throw badOutput(name, "no '# RTLA … histogram' title", expected);
  const headerAt = lines.findIndex((l) => /^Index\s/.test(l));
  if (headerAt < 0) throw badOutput(name, "no 'Index' header", expected);
  const columns: RtlaColumn[] = lines[headerAt]!.trim()
    .split(/\s+/)
    .slice(1)
    .map((h) => {
      const m = /^(IRQ|Thr|CPU)-(\d+)$/.exec(h);
      if (!m) throw badOutput(name, `unknown column "${h}"`, expected);
      return {
        context: m[1]!,
        cpu: Number(m[2]),
        buckets: [],
        over: 0,
        count: 0,
        minUs: null,
        avgUs: null,
        maxUs: null,
      };
    });
  const footers = new Set<string>();
  for (const line of lines.slice(headerAt + 1)) {
    const cells = line.trim().split(/\s+/).filter(Boolean);
    if (cells.length === 0) continue;
    const head = cells[0]!;
    if (/^\d+$/.test(head)) {
      if (cells.length - 1 !== columns.length)
        throw badOutput(name, `bucket row "${line.trim()}" is incomplete`, expected);
      cells.slice(1).forEach((c, i) => {
        const n = Number(c);
        if (!Number.isInteger(n) || n < 0) throw badOutput(name, `bad count "${c}"`, expected);
        if (n > 0) columns[i]!.buckets.push([Number(head), n]);
      });
      continue;
    }
    const f = /^(over|count|min|avg|max):$/.exec(head);
    if (!f) continue;
    footers.add(f[1]!);
    cells.slice(1).forEach((c, i) => {
      const col = columns[i];
      if (!col) return;
      const v = c === "-" ? null : Number(c);
      if (v !== null && !Number.isFinite(v)) throw badOutput(name, `bad ${f[1]} value "${c}"`, expected);
      if (f[1] === "over") col.over = v ?? 0;
      else if (f[1] === "count") col.count = v ?? 0;
      else if (f[1] === "min") col.minUs = v;
      else if (f[1] === "avg") col.avgUs = v;
      else col.maxUs = v;
    });
  }
  if (!footers.has("count") || !footers.has("max"))
    throw badOutput(name, "truncated: no count:/max: footer", expected);
  return { tool, columns, stopped: /hit stop tracing/.test(text) };
}

/** One rtla column as a CpuResult: rtla's own count/min/avg/max, the histogram of `entries` 1 µs buckets. */
export function columnToCpu(col: RtlaColumn, entries: number, thread = 0): CpuResult {
  const histogram: Histogram = { buckets: col.buckets, overflows: col.over, maxUs: entries };
  return {
    cpu: col.cpu,
    thread,
    minUs: col.minUs ?? 0,
    avgUs: col.avgUs ?? 0,
    maxUs: col.maxUs ?? 0,
    samples: col.count,
    overflows: col.over,
    histogram,
    percentiles: col.count > 0 ? computePercentiles(histogram) : {},
  };
}

export interface OsnoiseTopRow {
  cpu: number;
  periods: number;
  runtimeUs: number;
  noiseUs: number;
  cpuAvailablePct: number;
  maxNoiseUs: number;
  maxSingleUs: number;
  hw: number;
  nmi: number;
  irq: number;
  softirq: number;
  thread: number;
}

export function parseOsnoiseTop(name: string, text: string): OsnoiseTopRow[] {
  const expected = "rtla osnoise top output (a 'CPU Period … Thread' header and one row per CPU)";
  const lines = stripAnsi(text).split("\n");
  const at = lines.findIndex((l) => /^CPU Period\s+Runtime\s+Noise/.test(l.trim()));
  if (at < 0) throw badOutput(name, "no 'CPU Period Runtime Noise' header", expected);
  const rows: OsnoiseTopRow[] = [];
  for (const line of lines.slice(at + 1)) {
    const m =
      /^\s*(\d+)\s+#(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(
        line,
      );
    if (!m) continue;
    const n = m.slice(1).map(Number);
    rows.push({
      cpu: n[0]!,
      periods: n[1]!,
      runtimeUs: n[2]!,
      noiseUs: n[3]!,
      cpuAvailablePct: n[4]!,
      maxNoiseUs: n[5]!,
      maxSingleUs: n[6]!,
      hw: n[7]!,
      nmi: n[8]!,
      irq: n[9]!,
      softirq: n[10]!,
      thread: n[11]!,
    });
  }
  if (rows.length === 0) throw badOutput(name, "no CPU row under the header", expected);
  return rows;
}

/** rtla's way of saying the kernel lacks the tracer ("Tracer timerlat not found!"), or null. */
export function missingTracer(text: string): string | null {
  return /Tracer (\w+) not found/.exec(text)?.[1] ?? null;
}
