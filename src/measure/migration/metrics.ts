/**
 * Turning one migration's QMP evidence (the final query-migrate answer and both sides' event logs) into the
 * run record's metrics, and judging them against the SLA. Pure: the tests feed recorded QMP output.
 */

import type { Verdict } from "../types.js";
import type { Sla } from "./args.js";

/** The subset of query-migrate's answer we read (QEMU 7.2 names). */
export interface QueryMigrate {
  status?: string;
  "total-time"?: number;
  downtime?: number;
  "expected-downtime"?: number;
  "setup-time"?: number;
  "error-desc"?: string;
  ram?: {
    transferred?: number;
    remaining?: number;
    total?: number;
    duplicate?: number;
    skipped?: number;
    normal?: number;
    "normal-bytes"?: number;
    "dirty-pages-rate"?: number;
    mbps?: number;
    "dirty-sync-count"?: number;
    "precopy-bytes"?: number;
    "downtime-bytes"?: number;
    "postcopy-bytes"?: number;
    "multifd-bytes"?: number;
    "postcopy-requests"?: number;
    "page-size"?: number;
  };
  xbzrle?: { "cache-miss-rate"?: number; "encoding-rate"?: number; overflow?: number; bytes?: number };
  "cpu-throttle-percentage"?: number;
}

/** An event as kept in the raw log: which side, name, QMP timestamp (ms since the epoch), data. */
export interface LoggedEvent {
  side: "source" | "destination";
  event: string;
  timeMs: number;
  data: Record<string, unknown>;
}

export type Metrics = Record<string, number | string | null>;

/**
 * Guest-visible downtime: from the source's STOP (the guest's vCPUs halt there) to the destination's RESUME
 * (they run again there). Both timestamps are this host's wall clock, so the difference is meaningful. With
 * postcopy the destination resumes before the source has sent everything, which this still measures right.
 */
export function guestDowntimeMs(events: readonly LoggedEvent[]): number | null {
  const stop = events.find((e) => e.side === "source" && e.event === "STOP");
  if (!stop) return null;
  const resume = events.find(
    (e) => e.side === "destination" && e.event === "RESUME" && e.timeMs >= stop.timeMs - 1,
  );
  return resume ? round3(resume.timeMs - stop.timeMs) : null;
}

export function migrationMetrics(q: QueryMigrate, events: readonly LoggedEvent[]): Metrics {
  const ram = q.ram ?? {};
  const passes = events.filter((e) => e.side === "source" && e.event === "MIGRATION_PASS").length;
  const firstSetup = events.find(
    (e) => e.side === "source" && e.event === "MIGRATION" && e.data.status === "setup",
  );
  const completed = events.find(
    (e) => e.side === "source" && e.event === "MIGRATION" && e.data.status === "completed",
  );
  return {
    status: q.status ?? null,
    total_time_ms: num(q["total-time"]),
    downtime_ms: num(q.downtime),
    guest_downtime_ms: guestDowntimeMs(events),
    expected_downtime_ms: num(q["expected-downtime"]),
    setup_time_ms: num(q["setup-time"]),
    // Event-clock total, an independent check on QEMU's own total-time.
    event_total_ms: firstSetup && completed ? round3(completed.timeMs - firstSetup.timeMs) : null,
    transferred_bytes: num(ram.transferred),
    total_bytes: num(ram.total),
    remaining_bytes: num(ram.remaining),
    zero_pages: num(ram.duplicate),
    normal_pages: num(ram.normal),
    normal_bytes: num(ram["normal-bytes"]),
    precopy_bytes: num(ram["precopy-bytes"]),
    downtime_bytes: num(ram["downtime-bytes"]),
    postcopy_bytes: num(ram["postcopy-bytes"]),
    postcopy_requests: num(ram["postcopy-requests"]),
    // the source's event clock: from the switch to postcopy to the end (the destination runs, pulling pages)
    postcopy_phase_ms: postcopyPhaseMs(events),
    multifd_bytes: num(ram["multifd-bytes"]),
    passes: passes > 0 ? passes : null,
    dirty_sync_count: num(ram["dirty-sync-count"]),
    dirty_pages_rate: num(ram["dirty-pages-rate"]),
    mbps: num(ram.mbps),
    cpu_throttle_pct: num(q["cpu-throttle-percentage"]),
    xbzrle_cache_miss_rate: num(q.xbzrle?.["cache-miss-rate"]),
  };
}

function postcopyPhaseMs(events: readonly LoggedEvent[]): number | null {
  const at = (status: string) =>
    events.find((e) => e.side === "source" && e.event === "MIGRATION" && e.data.status === status);
  const start = at("postcopy-active");
  const end = at("completed");
  return start && end ? round3(end.timeMs - start.timeMs) : null;
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

const CHECKS: Array<{ key: keyof Sla; metric: string; name: string }> = [
  { key: "totalMs", metric: "total_time_ms", name: "total" },
  { key: "downtimeMs", metric: "downtime_ms", name: "downtime" },
  { key: "setupMs", metric: "setup_time_ms", name: "setup" },
  { key: "guestDowntimeMs", metric: "guest_downtime_ms", name: "guest-downtime" },
];

/**
 * The run's verdict. Breaches are reported in the Verdict's µs fields (the shared contract's unit) with the
 * metric named; the summary says what broke in ms, e.g. "downtime 38 ms > 10 ms".
 */
export function migrationVerdict(metrics: Metrics, sla: Sla, failure?: string): Verdict {
  const limits = CHECKS.filter((c) => sla[c.key] !== undefined).map((c) => ({
    // The Verdict type names timer metrics; migration limits reuse "max" with the metric in the summary.
    metric: "max" as const,
    limitUs: (sla[c.key] as number) * 1000,
  }));
  if (failure) return { status: "error", limits, breaches: [], summary: `migration failed: ${failure}` };
  const broken: string[] = [];
  const breaches: Verdict["breaches"] = [];
  for (const c of CHECKS) {
    const limit = sla[c.key];
    if (limit === undefined) continue;
    const v = metrics[c.metric];
    if (typeof v !== "number") {
      // A limit we cannot check is not a pass: say so.
      broken.push(`${c.name} not measured`);
      continue;
    }
    if (v > limit) {
      broken.push(`${c.name} ${fmtMs(v)} ms > ${fmtMs(limit)} ms`);
      breaches.push({ metric: "max", limitUs: limit * 1000, observedUs: v * 1000, cpu: -1 });
    }
  }
  if (broken.length > 0) return { status: "fail", limits, breaches, summary: broken.join("; ") };
  const parts = CHECKS.filter((c) => sla[c.key] !== undefined).map(
    (c) => `${c.name} ${fmtMs(metrics[c.metric] as number)} ≤ ${fmtMs(sla[c.key] as number)} ms`,
  );
  return { status: "pass", limits, breaches: [], summary: `SLA met: ${parts.join(", ")}` };
}

export function fmtMs(v: number): string {
  return v >= 100 ? String(Math.round(v)) : String(+v.toFixed(2));
}
