/**
 * The short human summary of an oslat / timerlat / osnoise / hwlat / irq run: where and how it was measured
 * (TCG said loudly), a per-CPU table, the instrument's own figures, the verdict.
 */
import { formatPercentile } from "../stats.js";
import type { RunRecord } from "../types.js";

const WHAT: Record<string, string> = {
  oslat: "oslat (polling-thread latency)",
  timerlat: "rtla timerlat (thread latency; IRQ latency below)",
  osnoise: "rtla osnoise (noise per sample)",
  hwlat: "hwlatdetect (latency the OS did not cause)",
  irq: "device interrupt (virtio-serial round trip, 1 per period)",
};

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "),
  );
}

export function formatLatencyRun(run: RunRecord, storePath?: string): string {
  const env = run.environment;
  const p = run.params;
  const kernel = `${env.kernelRelease ?? "unknown kernel"}${env.realtimeKernel ? ", PREEMPT_RT" : ""}`;
  const where =
    env.where === "guest"
      ? `in a ${(env.accelerator ?? "?").toUpperCase()} guest (kernel ${env.guestKernelRelease ?? "unknown"}) on host ${env.hostname ?? "?"}`
      : `on host ${env.hostname ?? "?"} (${kernel})`;
  const lines = [
    `${WHAT[run.type] ?? run.type} ${where}: CPU ${String(p.cpus ?? "?")}, load ${String(p.load ?? "idle")}`,
    `command: ${String(p.command ?? "?")}`,
  ];
  if (env.accelerator === "tcg")
    lines.push("NOTE: the guest ran under TCG: its latencies are emulated, not real");
  if (run.cpus.length) {
    lines.push("");
    const rows = [["CPU", "samples", "min", "avg", "max", "p99", "p99.99", "overflows"]];
    for (const c of run.cpus) {
      rows.push([
        run.type === "timerlat" ? `${c.cpu} ${c.thread === 0 ? "thread" : "IRQ"}` : String(c.cpu),
        String(c.samples),
        String(c.minUs),
        String(c.avgUs),
        String(c.maxUs),
        formatPercentile(c.percentiles.p99).replace(" µs", ""),
        formatPercentile(c.percentiles["p99.99"]).replace(" µs", ""),
        String(c.overflows),
      ]);
    }
    lines.push(...table(rows), "latencies in µs");
  }
  const figures = Object.entries(run.metrics).filter(([k]) => k !== "samples" && k !== "worstMaxUs");
  if (figures.length) {
    lines.push("");
    for (const [k, v] of figures) lines.push(`${k}: ${v ?? "–"}`);
  }
  if (typeof run.raw["why.json"] === "string") {
    const why = JSON.parse(run.raw["why.json"]) as { summary?: string };
    if (why.summary) lines.push("", `why: ${why.summary}`);
  }
  lines.push(`verdict: ${run.verdict.status.toUpperCase()} — ${run.verdict.summary}`);
  if (run.id !== null) lines.push(`stored as run ${run.id}${storePath ? ` in ${storePath}` : ""}`);
  return lines.join("\n");
}
