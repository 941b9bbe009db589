/** Text tables of forwarding runs: throughput per frame size and the latency distribution, side by side. */
import { formatPercentile } from "../stats.js";
import type { RunRecord } from "../types.js";

const num = (v: unknown, digits = 0) =>
  typeof v === "number"
    ? v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "–";

export function forwardingRows(runs: readonly RunRecord[]): string[][] {
  return runs.map((r) => {
    const c = r.cpus[0];
    const m = r.metrics;
    return [
      String(r.id ?? "–"),
      r.label,
      String(r.params.switch ?? "?"),
      String(m.frameSize ?? "?"),
      `${num(m.throughputPps)}${m.limitedBy === "generator" ? "*" : ""}`,
      num(m.throughputMbps, 1),
      num(m.latencyRatePps),
      c ? num(c.minUs, 1) : "–",
      c ? num(c.avgUs, 1) : "–",
      c ? formatPercentile(c.percentiles.p50) : "–",
      c ? formatPercentile(c.percentiles.p99) : "–",
      c ? formatPercentile(c.percentiles["p99.99"]) : "–",
      c ? num(c.maxUs, 1) : "–",
      r.verdict.status.toUpperCase(),
    ];
  });
}

export const FORWARDING_HEADER = [
  "run",
  "test",
  "switch",
  "frame B",
  "tput fps",
  "Mbit/s",
  "lat @fps",
  "min µs",
  "avg µs",
  "p50",
  "p99",
  "p99.99",
  "max µs",
  "verdict",
];

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

export function formatForwardingRuns(runs: readonly RunRecord[]): string {
  const lines = [table(FORWARDING_HEADER, forwardingRows(runs))];
  if (runs.some((r) => r.metrics.limitedBy === "generator")) {
    lines.push(
      "* no frame lost even at the generator's own maximum: the figure is the generator's limit, not the switch's",
    );
  }
  const first = runs[0];
  if (first && typeof first.metrics.pingPongAvgUs === "number") {
    lines.push(
      `unloaded path (sockperf ping-pong, 1 s, one message in flight): p50 ${String(first.metrics.pingPongP50Us)} µs, avg ${String(first.metrics.pingPongAvgUs)} µs, p99 ${String(first.metrics.pingPongP99Us)} µs`,
    );
  }
  if (first) {
    lines.push(
      `ports: ${String(first.params.ports)}`,
      `latency: sockperf RTT/2 per sampled message, generator client on CPU ${String(first.params.generatorCpu)}, server on CPU ${String(first.params.generatorServerCpu ?? first.params.generatorCpu)}${first.params.generatorServerCpu === undefined || first.params.generatorServerCpu === first.params.generatorCpu ? " (shared: under load the client's spinning delays the server's replies)" : ""}; throughput: zero-loss rate (RFC 2544 binary search), offered = sockperf sends, received = end B interface rx counter`,
    );
  }
  return lines.join("\n");
}
