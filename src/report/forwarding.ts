/**
 * The report's forwarding section: throughput per frame size (table and plot) and the latency distributions,
 * one configuration per column/line — e.g. OVS-DPDK vs testpmd vs the Linux-bridge baseline. A configuration
 * is one `test forwarding` invocation (params.session): its runs are its frame sizes.
 */
import * as Plot from "@observablehq/plot";
import type { RunRecord } from "../measure/types.js";
import { document, latencyPlot, PALETTE, type PlotSeries, stripNamespaces } from "./plot.js";

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const n0 = (v: unknown) => (typeof v === "number" ? Math.round(v).toLocaleString("en-US") : "–");
const n1 = (v: unknown) => (typeof v === "number" ? v.toFixed(1) : "–");

export interface Configuration {
  key: string;
  /** "phy2phy_tput · testpmd (io) · 2026-12-01T21:31Z" */
  name: string;
  runs: Map<number, RunRecord>;
}

export function configurations(runs: readonly RunRecord[]): Configuration[] {
  const out = new Map<string, Configuration>();
  for (const r of runs) {
    if (r.type !== "forwarding") continue;
    const key = String(r.params.session ?? `run ${r.id}`);
    let c = out.get(key);
    if (!c) {
      const sw = String(r.params.switch ?? "?");
      const mode = r.params.fwdMode ? ` (${String(r.params.fwdMode)})` : "";
      const when = r.startedAt.slice(0, 16);
      c = { key, name: `${r.label} · ${sw}${mode} · ${when}Z`, runs: new Map() };
      out.set(key, c);
    }
    c.runs.set(Number(r.metrics.frameSize), r);
  }
  return [...out.values()];
}

function throughputPlot(configs: Configuration[]): string {
  const marks = configs.flatMap((c, i) => {
    const pts = [...c.runs.entries()].sort((a, b) => a[0] - b[0]);
    const x = pts.map(([f]) => f);
    const y = pts.map(([, r]) => Number(r.metrics.throughputPps ?? 0));
    const stroke = PALETTE[i % PALETTE.length]!;
    return [
      Plot.line({ length: x.length }, { x, y, stroke, strokeWidth: 1.5 }),
      Plot.dot({ length: x.length }, { x, y, fill: stroke, r: 3 }),
    ];
  });
  const svg = Plot.plot({
    document: document(),
    width: 900,
    height: 280,
    marginLeft: 64,
    style: { fontSize: "12px", fontFamily: "system-ui, sans-serif", background: "transparent" },
    x: { label: "frame size (bytes) →", grid: true },
    y: { label: "↑ zero-loss throughput (frames/s)", grid: true, zero: true, tickFormat: "~s" },
    marks,
  }) as unknown as { outerHTML: string };
  return stripNamespaces(svg.outerHTML);
}

export function forwardingSection(runs: readonly RunRecord[]): string {
  const configs = configurations(runs);
  if (configs.length === 0) return "";
  const frames = [...new Set(configs.flatMap((c) => [...c.runs.keys()]))].sort((a, b) => a - b);
  const legend = `<div class="legend">${configs
    .map((c, i) => `<span><i style="background:${PALETTE[i % PALETTE.length]}"></i>${esc(c.name)}</span>`)
    .join("")}</div>`;
  const head = `<tr><th>frame (B)</th>${configs.map((c) => `<th>${esc(c.name)}</th>`).join("")}</tr>`;
  const tputRows = frames.map((f) => {
    const cells = configs.map((c) => {
      const r = c.runs.get(f);
      if (!r) return "<td>–</td>";
      const star = r.metrics.limitedBy === "generator" ? "*" : "";
      return `<td>${n0(r.metrics.throughputPps)}${star} fps<br><span class="muted small">${n1(r.metrics.throughputMbps)} Mbit/s</span></td>`;
    });
    return `<tr><th>${f}</th>${cells.join("")}</tr>`;
  });
  const latRows = frames.map((f) => {
    const cells = configs.map((c) => {
      const r = c.runs.get(f);
      const cpu = r?.cpus[0];
      if (!r || !cpu) return "<td>–</td>";
      const p = (k: "p50" | "p99" | "p99.99") => {
        const v = cpu.percentiles[k];
        return v ? `${v.inOverflow ? "&gt;" : ""}${v.valueUs}` : "–";
      };
      return `<td>${n1(cpu.minUs)} / ${n1(cpu.avgUs)} / ${n1(cpu.maxUs)}<br><span class="muted small">p50 ${p("p50")} · p99 ${p("p99")} · p99.99 ${p("p99.99")} · at ${n0(r.metrics.latencyRatePps)} fps</span></td>`;
    });
    return `<tr><th>${f}</th>${cells.join("")}</tr>`;
  });
  // The unloaded floor: the ping-pong each configuration ran before its trials.
  latRows.push(
    `<tr><th>unloaded</th>${configs
      .map((c) => {
        const m = [...c.runs.values()][0]?.metrics;
        return typeof m?.pingPongAvgUs === "number"
          ? `<td>p50 ${n1(m.pingPongP50Us)} · avg ${n1(m.pingPongAvgUs)} · p99 ${n1(m.pingPongP99Us)}<br><span class="muted small">sockperf ping-pong, 1 s</span></td>`
          : "<td>–</td>";
      })
      .join("")}</tr>`,
  );
  const plots = frames
    .map((f) => {
      const series: PlotSeries[] = configs.flatMap((c) => {
        const h = c.runs.get(f)?.cpus[0]?.histogram;
        return h ? [{ name: c.name, color: c.name, histogram: h }] : [];
      });
      if (series.length === 0) return "";
      return `<h3>Latency distribution, ${f}-byte frames</h3><div class="plot">${latencyPlot(series).markup}</div>`;
    })
    .join("\n");
  const first = configs[0]!.runs.values().next().value as RunRecord;
  const ports = [...new Set(configs.flatMap((c) => [...c.runs.values()].map((r) => String(r.params.ports))))];
  return `<section class="forwarding" id="forwarding">
<h2>Packet forwarding</h2>
<p>Zero-loss throughput (RFC 2544 binary search) and latency per frame size. Generator: ${esc(String(first.params.generator ?? "?"))}; latency is sockperf's RTT/2 per sampled message. Ports: ${ports.map(esc).join("; ")}.</p>
<p class="warn small">Software ports on this host, not NICs: the figures measure the generator, the kernel and the switch together on shared CPUs, and are not comparable with published line-rate hardware results.</p>
${legend}
<div class="plot">${throughputPlot(configs)}</div>
<table class="num compare"><caption>Zero-loss throughput per frame size (* = no loss even at the generator's maximum: the generator's limit)</caption><thead>${head}</thead><tbody>${tputRows.join("")}</tbody></table>
<table class="num compare"><caption>Latency per frame size, µs: min / avg / max</caption><thead>${head}</thead><tbody>${latRows.join("")}</tbody></table>
${plots}
</section>`;
}
