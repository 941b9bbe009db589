/**
 * OSADL-style latency plots as static SVG: latency (µs) on x, sample count on a log y axis, one line per
 * series (a CPU, or a run's CPU in a comparison), SLA limits as dashed vertical rules.
 *
 * @observablehq/plot renders into linkedom's `document` (no browser, no jsdom): the result is plain markup that
 * goes inline into the HTML report. Only numbers and our own fixed words reach Plot, never user text (labels),
 * so no escaping is needed here; the report escapes everything else.
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import type { Histogram, SlaLimit } from "../measure/types.js";

export interface PlotSeries {
  /** Line identity, e.g. "CPU 2" or "#3 CPU 2". */
  name: string;
  /** Colour key (legend entry): the CPU, or the run in a comparison. */
  color: string;
  histogram: Histogram;
}

export interface PlotOptions {
  limits?: readonly SlaLimit[];
  width?: number;
  height?: number;
}

export interface RenderedPlot {
  /** <figure>/<svg> markup. */
  markup: string;
  /** SLA limits left off because they lie far beyond the data (drawing them would squash the curve). */
  offScale: SlaLimit[];
}

/** Column-wise point data: Plot reads arrays per channel far faster than accessor strings over objects. */
class Columns {
  readonly x: number[] = [];
  readonly y: number[] = [];
  readonly z: string[] = [];
  readonly color: string[] = [];
  push(x: number, y: number, z: string, color: string): void {
    this.x.push(x);
    this.y.push(y);
    this.z.push(z);
    this.color.push(color);
  }
  get data(): { length: number } {
    return { length: this.x.length };
  }
}

type LinkedomDocument = ReturnType<typeof parseHTML>["document"];
let doc: LinkedomDocument | undefined;
function document(): LinkedomDocument {
  doc ??= parseHTML("<!doctype html><html><head></head><body></body></html>").document;
  return doc;
}

/** A limit further out than this multiple of the highest latency seen is listed instead of drawn. */
const LIMIT_REACH = 3;

export function latencyPlot(series: readonly PlotSeries[], options: PlotOptions = {}): RenderedPlot {
  const line = new Columns();
  const lonely = new Columns();
  let maxUs = 0;
  for (const s of series) {
    const b = s.histogram.buckets;
    for (let i = 0; i < b.length; i++) {
      const [us, count] = b[i]!;
      if (count <= 0) continue;
      // Buckets are sparse (empty ones omitted): break the line across gaps, and mark isolated tail samples
      // with a dot so a single 1-sample outlier is not invisible.
      const prev = b[i - 1];
      const next = b[i + 1];
      if (prev && prev[0] !== us - 1) line.push(us, Number.NaN, s.name, s.color);
      line.push(us, count, s.name, s.color);
      if ((!prev || prev[0] !== us - 1) && (!next || next[0] !== us + 1))
        lonely.push(us, count, s.name, s.color);
      if (us > maxUs) maxUs = us;
    }
  }
  const limits = options.limits ?? [];
  const reach = Math.max(maxUs * LIMIT_REACH, 10);
  const drawn = limits.filter((l) => l.limitUs <= reach);
  const offScale = limits.filter((l) => l.limitUs > reach);
  const xMax = Math.max(maxUs, ...drawn.map((l) => l.limitUs)) * 1.05 + 1;
  const colors = [...new Set(series.map((s) => s.color))];

  const figure = Plot.plot({
    document: document(),
    width: options.width ?? 900,
    height: options.height ?? 340,
    marginLeft: 56,
    marginBottom: 40,
    style: { fontSize: "12px", fontFamily: "system-ui, sans-serif", background: "transparent" },
    x: { label: "latency (µs) →", domain: [0, xMax], grid: true },
    y: { type: "log", label: "↑ samples (log)", grid: true, tickFormat: "~s" },
    color: { type: "categorical", domain: colors, legend: colors.length > 1 },
    marks: [
      Plot.line(line.data, {
        x: line.x,
        y: line.y,
        z: line.z,
        stroke: line.color,
        curve: "step",
        strokeWidth: 1.4,
      }),
      Plot.dot(lonely.data, { x: lonely.x, y: lonely.y, fill: lonely.color, r: 2 }),
      Plot.ruleX(drawn, { x: "limitUs", stroke: "#c0392b", strokeWidth: 1.5, strokeDasharray: "5,3" }),
      // One label per limit, each on its own row (limits can sit a few µs apart), on the side with room.
      ...[...drawn]
        .sort((a, b) => a.limitUs - b.limitUs)
        .map((l, i) =>
          Plot.text([l], {
            x: "limitUs",
            text: () => `${l.metric} ≤ ${l.limitUs} µs`,
            frameAnchor: "top",
            textAnchor: l.limitUs > xMax * 0.6 ? "end" : "start",
            dx: l.limitUs > xMax * 0.6 ? -4 : 4,
            dy: 4 + 14 * i,
            fill: "#c0392b",
            stroke: "white",
            strokeWidth: 3,
            paintOrder: "stroke",
          }),
        ),
    ],
  }) as unknown as { outerHTML: string };
  return { markup: stripNamespaces(figure.outerHTML), offScale };
}

/** Inline SVG in HTML needs no xmlns; leaving none keeps the report free of any URL at all. */
function stripNamespaces(markup: string): string {
  return markup
    .split(' xmlns="http://www.w3.org/2000/svg"')
    .join("")
    .split(' xmlns:xlink="http://www.w3.org/1999/xlink"')
    .join("");
}
