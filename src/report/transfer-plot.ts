/**
 * Migration runs: data sent over time, one colour per pass (dirty-sync-count), from the query-migrate samples the
 * migration test keeps in raw["progress.jsonl"]. Shows where the time went: the first full pass, the dirty-page
 * passes, the stop-and-copy.
 */
import * as Plot from "@observablehq/plot";
import { document, PALETTE, stripNamespaces } from "./plot.js";

interface Sample {
  t: number;
  transferred?: number;
  "dirty-sync-count"?: number;
}

/** Parse progress.jsonl; lines that are not samples are skipped (the plot is a view, not a validator). */
export function transferSamples(jsonl: string | undefined): Array<{ t: number; mb: number; pass: number }> {
  const out: Array<{ t: number; mb: number; pass: number }> = [];
  for (const line of (jsonl ?? "").split("\n")) {
    let s: Sample;
    try {
      s = JSON.parse(line) as Sample;
    } catch {
      continue;
    }
    if (typeof s.t !== "number" || typeof s.transferred !== "number") continue;
    out.push({ t: s.t, mb: s.transferred / 1e6, pass: s["dirty-sync-count"] ?? 0 });
  }
  return out;
}

/** Inline SVG, or "" when there are fewer than two samples to draw. */
export function transferPlot(jsonl: string | undefined): string {
  const samples = transferSamples(jsonl);
  if (samples.length < 2) return "";
  const passes = [...new Set(samples.map((s) => s.pass))].sort((a, b) => a - b);
  const svg = Plot.plot({
    document: document(),
    width: 900,
    height: 260,
    marginLeft: 56,
    style: { fontSize: "12px", fontFamily: "system-ui, sans-serif", background: "transparent" },
    x: { label: "time since migrate (ms) →", grid: true },
    y: { label: "↑ sent (MB)", grid: true },
    marks: [
      Plot.line(samples, { x: "t", y: "mb", stroke: "#9498a0", strokeWidth: 1 }),
      ...passes.map((p, i) =>
        Plot.dot(
          samples.filter((s) => s.pass === p),
          { x: "t", y: "mb", fill: PALETTE[i % PALETTE.length], r: 2.5 },
        ),
      ),
    ],
  }) as unknown as { outerHTML: string };
  const legend = passes.map(
    (p, i) => `<span><i style="background:${PALETTE[i % PALETTE.length]}"></i>pass ${p}</span>`,
  );
  return `<h3>Data sent over time, by pass</h3><div class="legend">${legend.join("")}</div>${stripNamespaces(svg.outerHTML)}`;
}
