/** Plain-text renderings of runs and comparisons for the terminal (`kvm4nfv results list|show|compare`). */
import { PERCENTILE_KEYS, type RunRecord } from "../measure/types.js";
import type { Comparison, MetricComparison } from "./compare.js";
import type { RunSummary } from "./store.js";

/** A plain table without box drawing; `right` lists the right-aligned (numeric) columns, default all but the first. */
export function table(header: string[], rows: string[][], right?: number[]): string {
  const isRight = (i: number) => (right ? right.includes(i) : i > 0);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (isRight(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function num(v: number | null | undefined, lowerBound = false): string {
  if (v === null || v === undefined) return "-";
  const s = Number.isInteger(v) ? String(v) : v.toFixed(2);
  return lowerBound ? `>${s}` : s;
}

export function formatRunList(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return "no runs stored yet";
  return table(
    ["ID", "TYPE", "LABEL", "STARTED", "HOST", "CPUS", "MAX µs", "VERDICT"],
    runs.map((r) => [
      String(r.id),
      r.type + (r.accelerator === "tcg" ? " (tcg)" : ""),
      r.label,
      r.startedAt.replace(/\.\d+Z$/, "Z"),
      r.hostname ?? "-",
      String(r.cpuCount),
      num(r.worstMaxUs),
      r.status,
    ]),
    [0, 5, 6],
  );
}

export function formatRun(run: RunRecord): string {
  const env = run.environment;
  const out: string[] = [
    `run ${run.id ?? "-"}: ${run.type} "${run.label}"  ${run.startedAt} .. ${run.endedAt}`,
    `verdict: ${run.verdict.status.toUpperCase()}  ${run.verdict.summary}`,
    `measured on ${env.where === "guest" ? `a ${env.accelerator ? `${env.accelerator.toUpperCase()} ` : ""}guest of ` : ""}host ${
      env.hostname ?? "(unknown)"
    }, kernel ${env.kernelRelease ?? "unknown"}${
      env.realtimeKernel === null ? "" : env.realtimeKernel ? " (PREEMPT_RT)" : " (not RT)"
    }`,
  ];
  if (env.accelerator === "tcg") {
    out.push(
      run.type === "migration"
        ? "NOTE: guest emulated under TCG, not KVM: timings are not those of a real KVM guest"
        : "NOTE: latencies emulated under TCG, not real",
    );
  }
  if (run.type === "forwarding") {
    const p = run.params;
    out.push(
      `forwarding: ${String(p.topology)} over ${String(p.switch)}${p.fwdMode ? ` (${String(p.fwdMode)})` : ""}, VNF ${String(p.vnf)}, PMD CPUs ${String(p.pmdCpus)}, generator on CPU ${String(p.generatorCpu)}, ${String(p.frameSize)}-byte frames`,
      `ports: ${String(p.ports)}`,
    );
  }
  if (typeof run.params.deployScenario === "string")
    out.push(`deploy scenario: ${run.params.deployScenario}`);
  if (env.cpuModel) out.push(`cpu: ${env.cpuModel}`);
  if (env.kernelCmdline) out.push(`cmdline: ${env.kernelCmdline}`);
  const tools = Object.entries(env.toolVersions);
  if (tools.length) out.push(`tools: ${tools.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  if (run.cpus.length) {
    // An imported file that names threads only (params.cpusKnown false) is shown by thread, never as CPUs.
    const byThread = run.params.cpusKnown === false;
    out.push("");
    out.push(
      table(
        [
          byThread ? "THREAD" : "CPU",
          "MIN",
          "AVG",
          "MAX",
          ...PERCENTILE_KEYS.map((k) => k.toUpperCase()),
          "SAMPLES",
          "OVERFL",
        ],
        run.cpus.map((c) => [
          String(byThread ? c.thread : c.cpu),
          num(c.minUs),
          num(c.avgUs),
          num(c.maxUs),
          ...PERCENTILE_KEYS.map((k) => num(c.percentiles[k]?.valueUs, c.percentiles[k]?.inOverflow)),
          String(c.samples),
          String(c.overflows),
        ]),
      ),
    );
    out.push("(latencies in µs)");
    const notes = Array.isArray(run.params.notes) ? (run.params.notes as string[]) : [];
    for (const n of notes) out.push(`note: ${n}`);
  }
  const metrics = Object.entries(run.metrics);
  if (metrics.length) {
    out.push("");
    out.push(
      table(
        ["METRIC", "VALUE"],
        metrics.map(([k, v]) => [k, typeof v === "number" ? num(v) : String(v ?? "-")]),
      ),
    );
  }
  const raw = Object.keys(run.raw);
  if (raw.length) out.push("", `raw outputs: ${raw.join(", ")}`);
  return out.join("\n");
}

function ratio(m: MetricComparison): string {
  return m.ratio === null ? "-" : `${m.ratio.toFixed(2)}x`;
}

function row(m: MetricComparison, first: string): string[] {
  return [
    first,
    m.metric,
    num(m.a, m.aLowerBound),
    num(m.b, m.bLowerBound),
    ratio(m),
    m.regression ? "REGRESSION" : "",
  ];
}

export function formatComparison(c: Comparison): string {
  const name = (r: Comparison["a"]) => `run ${r.id ?? "-"} (${r.type} "${r.label}", ${r.startedAt})`;
  const out = [
    `A = ${name(c.a)}`,
    `B = ${name(c.b)}`,
    `regression threshold: B worse than A by > ${c.thresholdPct}%`,
  ];
  if (c.matchedBy === "thread")
    out.push("matched by thread: a run names threads, not CPUs (the CPU each thread ran on is unknown)");
  const rows: string[][] = [];
  for (const cpu of c.cpus) {
    const where = cpu.inA && cpu.inB ? "" : cpu.inA ? " (only A)" : " (only B)";
    const at = cpu.cpu === null ? `thread ${cpu.thread}` : `cpu ${cpu.cpu}`;
    for (const m of cpu.metrics) rows.push(row(m, `${at}${where}`));
  }
  for (const m of c.metrics) rows.push(row(m, "run"));
  if (rows.length) out.push("", table(["WHERE", "METRIC", "A", "B", "B/A", ""], rows, [2, 3, 4]));
  out.push(
    "",
    c.regressions === 0 ? "no regressions" : `${c.regressions} regression${c.regressions === 1 ? "" : "s"}`,
  );
  return out.join("\n");
}
