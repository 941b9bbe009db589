/**
 * The pure parts of bench/tuning-vs-tuned.mjs: the round-robin schedule (A B C A B C …, so slow drifts of a
 * shared, loaded machine fall on every configuration alike), the per-run figures taken from a run's CPUs, the
 * medians over rounds and the ratios between configurations, and the table the benchmark prints.
 */
import type { CpuResult } from "../types.js";

/** Every configuration once per round, in the given order, `rounds` times. */
export function interleave<T>(configs: readonly T[], rounds: number): Array<{ round: number; config: T }> {
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new RangeError(`rounds ${rounds}: expected a whole number ≥ 1`);
  if (configs.length === 0) throw new RangeError("no configurations to interleave");
  const out: Array<{ round: number; config: T }> = [];
  for (let round = 1; round <= rounds; round++) for (const config of configs) out.push({ round, config });
  return out;
}

/** The median of the numbers among xs (nulls — failed runs — are left out); null when there are none. */
export function median(xs: ReadonlyArray<number | null | undefined>): number | null {
  const v = xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** a / b; null when either is unknown or b is 0 (a ratio against nothing says nothing). */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || b === 0) return null;
  return a / b;
}

/**
 * One run's figures over its measured CPUs: the worst CPU's max and the worst CPU's p99.9. A p99.9 that fell in
 * the histogram's overflow is only a lower bound: it is kept as null rather than passed off as a value.
 */
export function runFigures(cpus: readonly CpuResult[]): { p999Us: number | null; maxUs: number | null } {
  if (cpus.length === 0) return { p999Us: null, maxUs: null };
  let p999: number | null = 0;
  for (const c of cpus) {
    const p = c.percentiles["p99.9"];
    if (!p || p.inOverflow || p999 === null) p999 = null;
    else p999 = Math.max(p999, p.valueUs);
  }
  return { p999Us: p999, maxUs: Math.max(...cpus.map((c) => c.maxUs)) };
}

export interface Sample {
  config: string;
  round: number;
  cyclictestP999Us: number | null;
  cyclictestMaxUs: number | null;
  oslatMaxUs: number | null;
  /** why a figure is missing (a failed run), printed with the table */
  error?: string;
}

export interface ConfigSummary {
  config: string;
  runs: number;
  p999Us: number | null;
  maxUs: number | null;
  oslatMaxUs: number | null;
}

export function summarize(samples: readonly Sample[], configs: readonly string[]): ConfigSummary[] {
  return configs.map((config) => {
    const mine = samples.filter((s) => s.config === config);
    return {
      config,
      runs: mine.length,
      p999Us: median(mine.map((s) => s.cyclictestP999Us)),
      maxUs: median(mine.map((s) => s.cyclictestMaxUs)),
      oslatMaxUs: median(mine.map((s) => s.oslatMaxUs)),
    };
  });
}

export interface Verdict {
  /** kvm4nfv ÷ tuned on each figure (≤ 1: kvm4nfv no worse) */
  p999: number | null;
  max: number | null;
  oslatMax: number | null;
  /** the target: kvm4nfv's profile no worse than tuned's on p99.9 and max (null: a figure is missing) */
  met: boolean | null;
}

export function verdict(rows: readonly ConfigSummary[], mine = "kvm4nfv", theirs = "tuned"): Verdict {
  const a = rows.find((r) => r.config === mine);
  const b = rows.find((r) => r.config === theirs);
  const p999 = ratio(a?.p999Us ?? null, b?.p999Us ?? null);
  const max = ratio(a?.maxUs ?? null, b?.maxUs ?? null);
  const oslatMax = ratio(a?.oslatMaxUs ?? null, b?.oslatMaxUs ?? null);
  // equal medians are "no worse" even when both are 0 (ratio null): compare the figures themselves
  const noWorse = (x: number | null | undefined, y: number | null | undefined) =>
    x === null || x === undefined || y === null || y === undefined ? null : x <= y;
  const p = noWorse(a?.p999Us, b?.p999Us);
  const m = noWorse(a?.maxUs, b?.maxUs);
  return { p999, max, oslatMax, met: p === null || m === null ? null : p && m };
}

const us = (v: number | null) => (v === null ? "—" : `${Number.isInteger(v) ? v : v.toFixed(1)} µs`);
const x = (v: number | null) => (v === null ? "—" : `${v.toFixed(2)}×`);

/** The printed table: medians per configuration, each as a ratio to the first (untuned) one. */
export function formatSummary(rows: readonly ConfigSummary[]): string {
  const base = rows[0];
  const lines = [
    "configuration      runs   cyclictest p99.9        cyclictest max          oslat max",
    ...rows.map((r) => {
      const cell = (v: number | null, b: number | null) =>
        `${us(v)}${r === base ? "" : ` (${x(ratio(v, b))})`}`.padEnd(24);
      return `${r.config.padEnd(18)} ${String(r.runs).padEnd(6)} ${cell(r.p999Us, base?.p999Us ?? null)}${cell(r.maxUs, base?.maxUs ?? null)}${cell(r.oslatMaxUs, base?.oslatMaxUs ?? null).trimEnd()}`;
    }),
  ];
  return lines.join("\n");
}

export function formatVerdict(v: Verdict, mine = "kvm4nfv", theirs = "tuned"): string {
  const met = v.met === null ? "unknown (a figure is missing)" : v.met ? "MET" : "NOT MET";
  return (
    `${mine} ÷ ${theirs}: p99.9 ${x(v.p999)}, max ${x(v.max)}, oslat max ${x(v.oslatMax)} — ` +
    `target "${mine} no worse than ${theirs} on p99.9 and max": ${met}`
  );
}
