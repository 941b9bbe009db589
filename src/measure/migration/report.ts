/**
 * Text output of `test migration`: one line per run, the side-by-side comparison of QEMU's defaults with
 * kvm4nfv's settings, and the sweep's recommendation with the reason each other configuration lost. Pure:
 * run records in, text out.
 */

import type { RunRecord } from "../types.js";
import { fmtMs } from "./metrics.js";

type Num = number | null;

export function metric(run: RunRecord, key: string): Num {
  const v = run.metrics[key];
  return typeof v === "number" ? v : null;
}

/** Median of the runs' values (null when no run has the metric). */
export function median(runs: readonly RunRecord[], key: string): Num {
  const vs = runs
    .map((r) => metric(r, key))
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  if (vs.length === 0) return null;
  const mid = Math.floor(vs.length / 2);
  return vs.length % 2 ? vs[mid]! : (vs[mid - 1]! + vs[mid]!) / 2;
}

const ms = (v: Num) => (v === null ? "—" : `${fmtMs(v)} ms`);
const mb = (v: Num) => (v === null ? "—" : `${(v / 1e6).toFixed(1)} MB`);

export function formatRun(run: RunRecord, index?: string): string {
  const m = (k: string) => metric(run, k);
  const head = `${run.label}${index ? ` [${index}]` : ""}`;
  const status = run.verdict.status.toUpperCase();
  if (run.verdict.status === "error") return `${head}: ${status} ${run.verdict.summary}`;
  const parts = [
    `total ${ms(m("total_time_ms"))}`,
    `downtime ${ms(m("downtime_ms"))}`,
    `guest-visible ${ms(m("guest_downtime_ms"))}`,
    `setup ${ms(m("setup_time_ms"))}`,
    `${mb(m("transferred_bytes"))} sent (${m("normal_pages") ?? "?"} normal, ${m("zero_pages") ?? "?"} zero pages)`,
    `${m("passes") ?? m("dirty_sync_count") ?? "?"} passes`,
    `${m("mbps") === null ? "?" : Math.round(m("mbps")!)} Mbit/s`,
  ];
  if (m("postcopy_phase_ms") !== null) {
    // postcopy's other downtime: the destination's vCPUs waiting for pages not there yet
    parts.push(
      `postcopy ${ms(m("postcopy_phase_ms"))} (${mb(m("postcopy_bytes"))}, ${m("postcopy_requests") ?? "?"} page requests, vCPU waited ${ms(m("postcopy_wait_ms"))})`,
    );
  }
  if (typeof run.metrics.workload_alive === "string") parts.push(`dirtier ${run.metrics.workload_alive}`);
  const alive =
    run.metrics.guest_alive === "yes"
      ? `guest alive on the destination (query-status running, serial ping ${ms(m("guest_ping_ms"))})`
      : "guest NOT confirmed alive";
  return `${head}: ${parts.join(", ")}; ${alive}; ${status}: ${run.verdict.summary}`;
}

const ROWS: Array<[string, string, (v: Num) => string]> = [
  ["total time", "total_time_ms", ms],
  ["downtime (QMP)", "downtime_ms", ms],
  ["guest-visible downtime", "guest_downtime_ms", ms],
  ["setup time", "setup_time_ms", ms],
  ["transferred", "transferred_bytes", mb],
  ["passes", "dirty_sync_count", (v) => (v === null ? "—" : String(v))],
  ["throughput", "mbps", (v) => (v === null ? "—" : `${Math.round(v)} Mbit/s`)],
  ["postcopy phase", "postcopy_phase_ms", ms],
  ["postcopy vCPU wait", "postcopy_wait_ms", ms],
];
/** Rows shown only when a run has the figure (postcopy's, absent from precopy runs). */
const OPTIONAL_ROWS = new Set(["postcopy_phase_ms", "postcopy_wait_ms"]);

/** The worst run's value: the longest time, the most bytes or passes, the lowest throughput. */
export function worst(runs: readonly RunRecord[], key: string): Num {
  const vs = runs.map((r) => metric(r, key)).filter((v): v is number => v !== null);
  if (vs.length === 0) return null;
  return key === "mbps" ? Math.min(...vs) : Math.max(...vs);
}

/**
 * Side by side, median and worst of the repeats for each side, with defaults/kvm4nfv ratios of both: an SLA is
 * promised by the worst run, not by the median. "5.1x" means 5.1 times shorter (throughput: higher).
 */
export function formatComparison(defaults: RunRecord[], chosen: RunRecord[]): string {
  const w = [24, 11, 11, 11, 11, 12];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(w[i] ?? 10))
      .join(" ")
      .trimEnd();
  const ratioOf = (key: string, a: Num, b: Num) =>
    a === null || b === null || a <= 0 || b <= 0
      ? "—"
      : key === "mbps"
        ? `${(b / a).toFixed(1)}x higher`
        : `${(a / b).toFixed(1)}x`;
  const out = [
    line(["", "QEMU defaults", "", "kvm4nfv", "", "ratio", ""]),
    line(["", "median", "worst", "median", "worst", "of medians", "of worsts"]),
  ];
  const all = [...defaults, ...chosen];
  const rows = ROWS.filter(([, key]) => !OPTIONAL_ROWS.has(key) || all.some((r) => metric(r, key) !== null));
  for (const [label, key, fmt] of rows) {
    const [am, aw, bm, bw] = [
      median(defaults, key),
      worst(defaults, key),
      median(chosen, key),
      worst(chosen, key),
    ];
    out.push(line([label, fmt(am), fmt(aw), fmt(bm), fmt(bw), ratioOf(key, am, bm), ratioOf(key, aw, bw)]));
  }
  out.push(line(["SLA", verdictCell(defaults), "", verdictCell(chosen)]));
  const n = Math.max(defaults.length, chosen.length);
  out.push(
    n > 1
      ? `(${n} runs each; worst = the longest time, lowest throughput; ratio = QEMU defaults ÷ kvm4nfv)`
      : "(one run each: median = worst; ratio = QEMU defaults ÷ kvm4nfv)",
  );
  return out.join("\n");
}

function verdictCell(runs: RunRecord[]): string {
  const broke = runs.filter((r) => r.verdict.status === "fail").length;
  // an error is a migration that did not end (did not converge, failed, dead guest): not a slow one
  const failed = runs.filter((r) => r.verdict.status === "error").length;
  if (broke + failed === 0) return "pass";
  return [broke ? `${broke}/${runs.length} broke` : "", failed ? `${failed}/${runs.length} failed` : ""]
    .filter(Boolean)
    .join(", ");
}

export interface SweepEntry {
  name: string;
  why: string;
  runs: RunRecord[];
}

export interface SweepOutcome {
  best: SweepEntry | null;
  /** Per configuration, why it is not the recommendation (empty for the best). */
  reasons: Map<string, string>;
}

/**
 * The recommendation: among configurations whose every run met the SLA, the shortest median total time
 * (median downtime breaks ties). Every other configuration gets the reason it lost.
 */
export function recommend(entries: readonly SweepEntry[]): SweepOutcome {
  const passing = entries.filter(
    (e) => e.runs.length > 0 && e.runs.every((r) => r.verdict.status === "pass"),
  );
  const score = (e: SweepEntry) => [
    median(e.runs, "total_time_ms") ?? Infinity,
    median(e.runs, "downtime_ms") ?? Infinity,
  ];
  const best =
    [...passing].sort((a, b) => {
      const [ta, da] = score(a);
      const [tb, db] = score(b);
      return ta! - tb! || da! - db!;
    })[0] ?? null;
  const reasons = new Map<string, string>();
  for (const e of entries) {
    if (e === best) continue;
    const failed = e.runs.find((r) => r.verdict.status === "error");
    const broke = e.runs.find((r) => r.verdict.status === "fail");
    if (failed) reasons.set(e.name, `failed: ${failed.verdict.summary.replace(/^migration failed: /, "")}`);
    else if (broke) reasons.set(e.name, `broke the SLA: ${broke.verdict.summary}`);
    else if (best) {
      const [t, d] = score(e);
      const [bt, bd] = score(best);
      reasons.set(
        e.name,
        t! > bt!
          ? `met the SLA but slower: total ${fmtMs(t!)} ms vs ${fmtMs(bt!)} ms`
          : `met the SLA, same total but downtime ${fmtMs(d!)} ms vs ${fmtMs(bd!)} ms`,
      );
    } else reasons.set(e.name, "not run");
  }
  return { best, reasons };
}

export function formatSweep(entries: readonly SweepEntry[]): string {
  const { best, reasons } = recommend(entries);
  const w = [20, 11, 11, 13, 10];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(w[i] ?? 10))
      .join(" ")
      .trimEnd();
  const out = [line(["configuration", "total", "downtime", "guest-visible", "SLA", "note"])];
  for (const e of entries) {
    out.push(
      line([
        e.name,
        ms(median(e.runs, "total_time_ms")),
        ms(median(e.runs, "downtime_ms")),
        ms(median(e.runs, "guest_downtime_ms")),
        verdictCell(e.runs),
        e.why,
      ]),
    );
  }
  out.push("");
  if (best) {
    out.push(
      `Recommended: ${best.name} (${best.why}) — meets the SLA with the shortest total time ` +
        `(${ms(median(best.runs, "total_time_ms"))}, downtime ${ms(median(best.runs, "downtime_ms"))}).`,
    );
  } else out.push("Recommended: none — no configuration met the SLA on every run.");
  for (const e of entries) {
    const r = reasons.get(e.name);
    if (r) out.push(`  ${e.name}: ${r}`);
  }
  return out.join("\n");
}
