/**
 * OSADL-style latency plots as static SVG: latency (µs) on x, sample count on a log y axis, one line per
 * series (a CPU, or a run's CPU in a comparison), SLA limits as dashed vertical rules.
 *
 * @observablehq/plot renders into linkedom's `document` (no browser, no jsdom): the result is plain markup that
 * goes inline into the HTML report. Only numbers, colours and our own fixed words reach Plot, never user text.
 *
 * Speed: one mark per series with a constant colour, and channels as plain arrays. Letting Plot group 16 000
 * points by a z/colour channel cost about a quarter of the render (interning every point's key), so colours
 * are assigned here and the legend is plain HTML.
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import type { Histogram, SlaLimit } from "../measure/types.js";

export interface PlotSeries {
  /** Line identity, e.g. "CPU 2/0" or "#3 CPU 2/0". */
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
  /** Legend (when more than one colour) and <svg> markup. */
  markup: string;
  /** SLA limits left off because they lie far beyond the data (drawing them would squash the curve). */
  offScale: SlaLimit[];
}

/** Plot's "observable10" categorical scheme. */
export const PALETTE = [
  "#4269d0",
  "#efb118",
  "#ff725c",
  "#6cc5b0",
  "#3ca951",
  "#ff8ab7",
  "#a463f2",
  "#97bbf5",
  "#9c6b4e",
  "#9498a0",
];
const LIMIT_COLOUR = "#c0392b";

/** A limit further out than this multiple of the highest latency seen is listed instead of drawn. */
const LIMIT_REACH = 3;

type LinkedomDocument = ReturnType<typeof parseHTML>["document"];
let doc: LinkedomDocument | undefined;
export function document(): LinkedomDocument {
  doc ??= parseHTML("<!doctype html><html><head></head><body></body></html>").document;
  return doc;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Line {
  x: number[];
  y: number[];
  /** Isolated buckets (no neighbour either side): drawn as dots so a lone outlier is visible. */
  lonelyX: number[];
  lonelyY: number[];
  colour: string;
}

function toLine(h: Histogram, colour: string): { line: Line; maxUs: number } {
  const line: Line = { x: [], y: [], lonelyX: [], lonelyY: [], colour };
  const b = h.buckets.filter(([, n]) => n > 0);
  let maxUs = 0;
  for (let i = 0; i < b.length; i++) {
    const [us, count] = b[i]!;
    const prevAdjacent = i > 0 && b[i - 1]![0] === us - 1;
    const nextAdjacent = i + 1 < b.length && b[i + 1]![0] === us + 1;
    // Buckets are sparse (empty ones omitted): a NaN point breaks the line across the gap.
    if (i > 0 && !prevAdjacent) {
      line.x.push(us);
      line.y.push(Number.NaN);
    }
    line.x.push(us);
    line.y.push(count);
    if (!prevAdjacent && !nextAdjacent) {
      line.lonelyX.push(us);
      line.lonelyY.push(count);
    }
    if (us > maxUs) maxUs = us;
  }
  return { line, maxUs };
}

export function latencyPlot(series: readonly PlotSeries[], options: PlotOptions = {}): RenderedPlot {
  const keys = [...new Set(series.map((s) => s.color))];
  const colourOf = new Map(keys.map((k, i) => [k, PALETTE[i % PALETTE.length]!]));
  let maxUs = 0;
  const lines = series.map((s) => {
    const r = toLine(s.histogram, colourOf.get(s.color)!);
    maxUs = Math.max(maxUs, r.maxUs);
    return r.line;
  });
  const limits = options.limits ?? [];
  const reach = Math.max(maxUs * LIMIT_REACH, 10);
  const drawn = limits.filter((l) => l.limitUs <= reach);
  const offScale = limits.filter((l) => l.limitUs > reach);
  const xMax = Math.max(maxUs, ...drawn.map((l) => l.limitUs)) * 1.05 + 1;

  const svg = Plot.plot({
    document: document(),
    width: options.width ?? 900,
    height: options.height ?? 340,
    marginLeft: 56,
    marginBottom: 40,
    style: { fontSize: "12px", fontFamily: "system-ui, sans-serif", background: "transparent" },
    x: { label: "latency (µs) →", domain: [0, xMax], grid: true },
    y: { type: "log", label: "↑ samples (log)", grid: true, tickFormat: "~s" },
    marks: [
      ...lines.flatMap((l) => [
        Plot.line(
          { length: l.x.length },
          { x: l.x, y: l.y, stroke: l.colour, curve: "step", strokeWidth: 1.4 },
        ),
        Plot.dot({ length: l.lonelyX.length }, { x: l.lonelyX, y: l.lonelyY, fill: l.colour, r: 2 }),
      ]),
      Plot.ruleX(drawn, { x: "limitUs", stroke: LIMIT_COLOUR, strokeWidth: 1.5, strokeDasharray: "5,3" }),
      // One label per limit, each on its own row (limits can sit a few µs apart), on the side with room.
      ...[...drawn]
        .sort((a, b) => a.limitUs - b.limitUs)
        .map((l, i) => {
          const right = l.limitUs > xMax * 0.6;
          return Plot.text([l], {
            x: "limitUs",
            text: () => `${l.metric} ≤ ${l.limitUs} µs`,
            frameAnchor: "top",
            textAnchor: right ? "end" : "start",
            dx: right ? -4 : 4,
            dy: 4 + 14 * i,
            fill: LIMIT_COLOUR,
            stroke: "white",
            strokeWidth: 3,
            paintOrder: "stroke",
          });
        }),
    ],
  }) as unknown as { outerHTML: string };
  const legend =
    keys.length > 1
      ? `<div class="legend">${keys
          .map((k) => `<span><i style="background:${colourOf.get(k)}"></i>${escapeHtml(k)}</span>`)
          .join("")}</div>`
      : "";
  return { markup: legend + stripNamespaces(svg.outerHTML), offScale };
}

/** Inline SVG in HTML needs no xmlns; leaving none keeps the report free of any URL at all. */
export function stripNamespaces(markup: string): string {
  return markup
    .split(' xmlns="http://www.w3.org/2000/svg"')
    .join("")
    .split(' xmlns:xlink="http://www.w3.org/1999/xlink"')
    .join("");
}
