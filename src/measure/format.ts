/** The short human summary of a timer run: one line of context, a per-CPU table, the verdict. */
import { formatPercentile } from "./stats.js";
import type { RunRecord } from "./types.js";

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "),
  );
}

export function formatTimerRun(run: RunRecord, storePath?: string): string {
  const env = run.environment;
  const p = run.params;
  const kernel = `${env.kernelRelease ?? "unknown kernel"}${env.realtimeKernel ? ", PREEMPT_RT" : env.realtimeKernel === false ? ", not PREEMPT_RT" : ""}`;
  const length = p.loops != null ? `${p.loops} loops` : `${Number(p.durationMs) / 1000}s`;
  const lines =
    env.where === "guest"
      ? [
          `timer test in a ${(env.accelerator ?? "?").toUpperCase()} guest (kernel ${env.guestKernelRelease ?? "unknown"}) ` +
            `on host ${env.hostname ?? "?"} (${kernel}): vCPU ${p.cpus}, ${length}, interval ${p.intervalUs} µs, load ${p.load}`,
          `guest cmdline: ${env.guestCmdline ?? "unknown"}`,
        ]
      : [
          `timer test on ${env.where}${env.hostname ? ` ${env.hostname}` : ""} (${kernel}): CPU ${p.cpus}, ${length}, interval ${p.intervalUs} µs, load ${p.load}`,
        ];
  if (env.accelerator === "tcg")
    lines.push("NOTE: the guest ran under TCG: its latencies are emulated, not real");
  lines.push("");
  const rows = [["CPU", "samples", "min", "avg", "max", "p99", "p99.99", "overflows"]];
  for (const c of run.cpus) {
    rows.push([
      String(c.cpu),
      String(c.samples),
      String(c.minUs),
      String(c.avgUs),
      String(c.maxUs),
      formatPercentile(c.percentiles.p99).replace(" µs", ""),
      formatPercentile(c.percentiles["p99.99"]).replace(" µs", ""),
      String(c.overflows),
    ]);
  }
  lines.push(...table(rows), "", "latencies in µs");
  const brk = run.metrics.breakValueUs;
  if (typeof brk === "number") {
    lines.push(`stopped early by --breaktrace: a ${brk} µs latency exceeded ${p.breaktraceUs} µs`);
  }
  lines.push(`verdict: ${run.verdict.status.toUpperCase()} — ${run.verdict.summary}`);
  if (run.id !== null) lines.push(`stored as run ${run.id}${storePath ? ` in ${storePath}` : ""}`);
  return lines.join("\n");
}
