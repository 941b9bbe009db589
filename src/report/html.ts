/**
 * The HTML report: one self-contained file (inline CSS and SVG, no scripts, no fonts or URLs to fetch) that can
 * be mailed, attached to a ticket or archived and still read the same in ten years.
 *
 * Per run: verdict with broken limits, OSADL-style latency plot with the SLA limits, percentile table, host facts.
 * With several runs: a comparison (side-by-side table with ratios against the first run, overlaid plot).
 * Every piece of text from a run goes through esc(): labels, hostnames and cmdlines are user-controlled.
 */
import { PERCENTILE_KEYS, type RunRecord, type SlaLimit } from "../measure/types.js";
import { compareRuns, cpuName, cpusKnown, LATENCY_METRICS, type LatencyMetric } from "../results/compare.js";
import { forwardingSection } from "./forwarding.js";
import { instrumentSections } from "./instruments.js";
import { latencyPlot, type PlotSeries } from "./plot.js";
import { STYLE } from "./style.js";
import { transferPlot } from "./transfer-plot.js";

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(v: number | null | undefined, lowerBound = false): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const s = Number.isInteger(v) ? String(v) : v.toFixed(2);
  return lowerBound ? `&gt;${s}` : s;
}

function cpuValue(c: RunRecord["cpus"][number], m: LatencyMetric): { v: number | null; lb: boolean } {
  if (m === "min") return { v: c.minUs, lb: false };
  if (m === "avg") return { v: c.avgUs, lb: false };
  if (m === "max") return { v: c.maxUs, lb: false };
  const p = c.percentiles[m];
  return p ? { v: p.valueUs, lb: p.inOverflow } : { v: null, lb: false };
}

function runTitle(run: RunRecord): string {
  return `Run ${run.id ?? "–"} · ${esc(run.type)} · “${esc(run.label)}”`;
}

function badge(status: RunRecord["verdict"]["status"]): string {
  return `<span class="badge ${status}">${status.toUpperCase()}</span>`;
}

function tcgNote(run: RunRecord): string {
  if (run.environment.accelerator !== "tcg") return "";
  return run.type === "migration"
    ? `<p class="tcg">⚠ Guest emulated under TCG, not KVM: these migration timings are not those of a real KVM guest.</p>`
    : `<p class="tcg">⚠ Latencies emulated under TCG, not real: this guest ran without KVM, so these figures say nothing about the host's real-time behaviour.</p>`;
}

/** Where a verdict's breach was seen: its CPU, or its thread where the run names threads only. */
function breachWhere(run: RunRecord, cpu: number | null | undefined): string {
  if (cpusKnown(run)) return `CPU ${fmt(cpu)}`;
  return `thread ${fmt(cpu)}`;
}

function verdictBlock(run: RunRecord): string {
  const v = run.verdict;
  // Migration verdicts store ms limits in the µs-named SLA fields without naming the figure: their summary
  // says it all ("downtime 38 ms > 10 ms"), the limit list would only mislead.
  if (run.type === "migration") {
    return `<div class="verdict ${v.status}">${badge(v.status)} <span>${esc(v.summary)}</span></div>`;
  }
  const limits = v.limits.length
    ? `<p class="limits">SLA: ${v.limits.map((l) => `${esc(l.metric)} ≤ ${fmt(l.limitUs)} µs`).join(", ")}</p>`
    : "";
  const breaches = v.breaches.length
    ? `<ul class="breaches">${v.breaches
        .map(
          (b) =>
            `<li><b>${esc(b.metric)}</b> ${fmt(b.observedUs)} µs &gt; ${fmt(b.limitUs)} µs on ${breachWhere(run, b.cpu)}</li>`,
        )
        .join("")}</ul>`
    : "";
  return `<div class="verdict ${v.status}">${badge(v.status)} <span>${esc(v.summary)}</span>${limits}${breaches}</div>`;
}

function plotBlock(series: PlotSeries[], limits: readonly SlaLimit[], empty: string): string {
  if (series.length === 0) return `<p class="muted">${empty}</p>`;
  const { markup, offScale } = latencyPlot(series, { limits });
  const note = offScale.length
    ? `<p class="muted small">Off the scale (far above every sample): ${offScale
        .map((l) => `${esc(l.metric)} ≤ ${fmt(l.limitUs)} µs`)
        .join(", ")}.</p>`
    : "";
  return `<div class="plot">${markup}</div>${note}`;
}

function overflowNote(run: RunRecord): string {
  const over = run.cpus.filter((c) => c.histogram && c.histogram.overflows > 0);
  if (!over.length) return "";
  return `<p class="warn small">Histogram overflows (samples above the histogram width, not plotted): ${over
    .map((c) => `${cpuName(run, c)}: ${c.histogram!.overflows} above ${c.histogram!.maxUs} µs`)
    .join("; ")}. Percentiles marked &gt; are lower bounds.</p>`;
}

function percentileTable(run: RunRecord): string {
  const broken = new Set(run.verdict.breaches.map((b) => `${b.cpu}:${b.metric}`));
  // (breach.cpu and c.cpu hold the same number, a CPU or, where the CPUs are unknown, a thread index)
  const limitOf = new Map(run.verdict.limits.map((l) => [l.metric, l.limitUs]));
  const head = ["CPU", "thread", "min", "avg", "max", ...PERCENTILE_KEYS, "samples", "overflows"];
  const rows = run.cpus.map((c) => {
    const cells = (["min", "avg", "max", ...PERCENTILE_KEYS] as LatencyMetric[]).map((m) => {
      const { v, lb } = cpuValue(c, m);
      const limit = limitOf.get(m);
      const bad = broken.has(`${c.cpu}:${m}`) || (limit !== undefined && v !== null && v > limit);
      return `<td${bad ? ' class="bad"' : ""}>${fmt(v, lb)}</td>`;
    });
    // A run that names threads only has no CPU to show: "unknown", never the thread's index as a CPU.
    const cpuCell = cpusKnown(run) ? fmt(c.cpu) : `<span class="muted">unknown</span>`;
    return `<tr><th>${cpuCell}</th><td>${fmt(c.thread)}</td>${cells.join("")}<td>${c.samples.toLocaleString("en-US")}</td><td>${fmt(c.overflows)}</td></tr>`;
  });
  return `<table class="num"><caption>Latency per CPU (µs)</caption><thead><tr>${head
    .map((h) => `<th>${esc(h)}</th>`)
    .join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function metricsTable(run: RunRecord): string {
  const entries = Object.entries(run.metrics);
  if (!entries.length) return "";
  const rows = entries
    .map(
      ([k, v]) =>
        `<tr><th>${esc(k)}</th><td>${typeof v === "number" ? fmt(v) : esc(String(v ?? "–"))}</td></tr>`,
    )
    .join("");
  return `<table class="num metrics"><caption>${run.type === "migration" ? "Migration figures" : "Run figures"}</caption><tbody>${rows}</tbody></table>`;
}

function factsBlock(run: RunRecord): string {
  const e = run.environment;
  const rt = e.realtimeKernel === null ? "unknown" : e.realtimeKernel ? "yes (PREEMPT_RT)" : "no";
  const tools = Object.entries(e.toolVersions);
  const facts: Array<[string, string | null | undefined]> = [
    ["host", e.hostname],
    // Yardstick task runs carry the OPNFV deploy scenario (os-nosdn-kvm-ha …) and the pod node.
    ...(typeof run.params.deployScenario === "string"
      ? ([["deploy scenario", run.params.deployScenario]] as Array<[string, string]>)
      : []),
    ...(typeof run.params.node === "string" ? ([["node", run.params.node]] as Array<[string, string]>) : []),
    ["measured in", e.where + (e.accelerator ? ` (${e.accelerator.toUpperCase()})` : "")],
    ["kernel", e.kernelRelease],
    ["real-time kernel", rt],
    ["kernel cmdline", e.kernelCmdline],
    ["CPU model", e.cpuModel],
    ...(e.where === "guest"
      ? ([
          ["guest kernel", e.guestKernelRelease],
          ["guest cmdline", e.guestCmdline],
        ] as Array<[string, string | null | undefined]>)
      : []),
    ["tools", tools.length ? tools.map(([k, v]) => `${k} ${v}`).join(", ") : null],
    ["started", run.startedAt],
    ["ended", run.endedAt],
    ["parameters", Object.keys(run.params).length ? JSON.stringify(run.params) : null],
  ];
  return `<dl class="facts">${facts
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd${v ? "" : ' class="muted"'}>${esc(v ?? "unknown")}</dd>`)
    .join("")}</dl>`;
}

function runSection(run: RunRecord): string {
  const series: PlotSeries[] = run.cpus
    .filter((c) => c.histogram)
    .map((c) =>
      cpusKnown(run)
        ? { name: `CPU ${c.cpu}/${c.thread}`, color: `CPU ${c.cpu}`, histogram: c.histogram! }
        : { name: `thread ${c.thread}`, color: `thread ${c.thread}`, histogram: c.histogram! },
    );
  const isLatency = run.type !== "migration";
  return `<section class="run" id="run-${run.id ?? "x"}">
<h2>${runTitle(run)}</h2>
${tcgNote(run)}
${verdictBlock(run)}
${isLatency ? plotBlock(series, run.verdict.limits, "No histogram recorded for this run (cyclictest ran without -h), so no latency plot.") : ""}
${isLatency ? overflowNote(run) : transferPlot(run.raw["progress.jsonl"])}
${run.cpus.length ? percentileTable(run) : ""}
${metricsTable(run)}
${instrumentSections(run, esc)}
<h3>Host facts</h3>
${factsBlock(run)}
</section>`;
}

function ratioCell(ratio: number | null, regression: boolean): string {
  if (ratio === null) return `<td class="ratio">–</td>`;
  return `<td class="ratio${regression ? " bad" : ""}">${ratio.toFixed(2)}×</td>`;
}

function comparisonSection(runs: readonly RunRecord[], thresholdPct: number): string {
  const [base, ...others] = runs as [RunRecord, ...RunRecord[]];
  // Matched by CPU, or by thread as soon as one run names threads only (its "CPU" numbers are thread indexes).
  const byThread = runs.some((r) => !cpusKnown(r));
  const comps = others.map((o) => compareRuns(base, o, { thresholdPct, byThread }));
  const head = `<tr><th>where</th><th>metric</th><th>#${base.id ?? "–"}</th>${others
    .map((o) => `<th>#${o.id ?? "–"}</th><th>×#${base.id ?? "–"}</th>`)
    .join("")}</tr>`;
  const rows: string[] = [];
  const keyOf = (c: RunRecord["cpus"][number]) => (byThread ? c.thread : c.cpu);
  const keys = [...new Set(runs.flatMap((r) => r.cpus.map(keyOf)))].sort((a, b) => a - b);
  for (const key of keys) {
    for (const metric of LATENCY_METRICS) {
      const cells = runs.map((r) => {
        const c = r.cpus.find((x) => keyOf(x) === key);
        return c ? cpuValue(c, metric) : { v: null, lb: false };
      });
      if (cells.every((x) => x.v === null)) continue;
      const parts = [`<td>${fmt(cells[0]!.v, cells[0]!.lb)}</td>`];
      comps.forEach((comp, i) => {
        const m = comp.cpus
          .find((x) => (byThread ? x.thread : x.cpu) === key)
          ?.metrics.find((x) => x.metric === metric);
        parts.push(
          `<td>${fmt(cells[i + 1]!.v, cells[i + 1]!.lb)}</td>`,
          ratioCell(m?.ratio ?? null, m?.regression ?? false),
        );
      });
      rows.push(
        `<tr><th>${byThread ? "thread" : "CPU"} ${key}</th><th>${esc(metric)}</th>${parts.join("")}</tr>`,
      );
    }
  }
  // Only numeric figures compare; text metrics (tool timestamps, status words) stay in each run's own table.
  const metricKeys = [
    ...new Set(runs.flatMap((r) => Object.keys(r.metrics).filter((k) => typeof r.metrics[k] === "number"))),
  ];
  for (const key of metricKeys) {
    const show = (r: RunRecord) => {
      const v = r.metrics[key];
      return typeof v === "number" ? fmt(v) : esc(String(v ?? "–"));
    };
    const parts = [`<td>${show(base)}</td>`];
    comps.forEach((comp, i) => {
      const m = comp.metrics.find((x) => x.metric === key);
      parts.push(`<td>${show(others[i]!)}</td>`, ratioCell(m?.ratio ?? null, m?.regression ?? false));
    });
    rows.push(`<tr><th>run</th><th>${esc(key)}</th>${parts.join("")}</tr>`);
  }
  const series: PlotSeries[] = runs.flatMap((r) =>
    r.cpus
      .filter((c) => c.histogram)
      .map((c) => ({
        name: cpusKnown(r) ? `#${r.id} CPU ${c.cpu}/${c.thread}` : `#${r.id} thread ${c.thread}`,
        color: `run ${r.id ?? "–"}`,
        histogram: c.histogram!,
      })),
  );
  const regressions = comps.reduce((n, c) => n + c.regressions, 0);
  const legend = runs
    .map(
      (r) =>
        `<li>#${r.id ?? "–"}: ${esc(r.type)} “${esc(r.label)}”, ${esc(r.startedAt)}${r.environment.accelerator === "tcg" ? " <b>(TCG, emulated)</b>" : ""}</li>`,
    )
    .join("");
  return `<section class="comparison" id="comparison">
<h2>Comparison against run #${base.id ?? "–"}</h2>
<ul class="runs">${legend}</ul>
${byThread ? `<p class="muted small">Matched by thread: a run names threads, not CPUs (the CPU each thread ran on is unknown).</p>` : ""}
<p>${regressions === 0 ? "No regressions" : `<b class="badtext">${regressions} regression${regressions === 1 ? "" : "s"}</b>`} (a value worse than run #${base.id ?? "–"} by more than ${thresholdPct}% is marked).</p>
${series.length ? plotBlock(series, [], "") : ""}
${rows.length ? `<table class="num compare"><caption>Side by side (latencies in µs, run figures in the unit their name gives; × = ratio to run #${base.id ?? "–"})</caption><thead>${head}</thead><tbody>${rows.join("")}</tbody></table>` : ""}
</section>`;
}

export interface ReportOptions {
  /** Shown in the header: where the runs came from. */
  source?: string;
  /** When the report was made (ISO); default now. */
  generatedAt?: string;
  thresholdPct?: number;
}

export function renderReport(runs: readonly RunRecord[], options: ReportOptions = {}): string {
  const ids = runs.map((r) => `#${r.id ?? "–"}`).join(", ");
  const generated = options.generatedAt ?? new Date().toISOString();
  const tcg = runs.some((r) => r.environment.accelerator === "tcg");
  const summary = runs
    .map(
      (r) =>
        `<li><a href="#run-${r.id ?? "x"}">${runTitle(r)}</a> ${badge(r.verdict.status)}${r.environment.accelerator === "tcg" ? ' <span class="badge tcgb">TCG</span>' : ""}</li>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kvm4nfv report: runs ${esc(ids)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>kvm4nfv latency report</h1>
<p class="muted">Runs ${esc(ids)}${options.source ? ` from ${esc(options.source)}` : ""} · generated ${esc(generated)}</p>
${tcg ? `<p class="tcg">⚠ Some runs were measured in a TCG (emulated) guest: their latencies are emulated, not real.</p>` : ""}
<ul class="toc">${summary}</ul>
</header>
${forwardingSection(runs)}
${runs.length > 1 ? comparisonSection(runs, options.thresholdPct ?? 10) : ""}
${runs.map(runSection).join("\n")}
<footer class="muted small">Latency plots in the OSADL style: x = latency (µs), y = samples per 1 µs bucket on a log scale, one line per CPU; dashed red rules are SLA limits.</footer>
</body>
</html>
`;
}
