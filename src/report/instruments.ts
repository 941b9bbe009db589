/**
 * Report sections of the instruments beyond cyclictest: what timerlat's two results per CPU are, osnoise's
 * interference by kind, hwlatdetect's figures, and — for any run with a stopped trace or a --trace capture —
 * why the worst spike happened (cause, check rule, remedy) with the events on that CPU in the window before
 * it. Every string from a run goes through esc().
 */
import type { RunRecord } from "../measure/types.js";

interface Why {
  cpu: number | null;
  latencyUs: number | null;
  causes: Array<{ kind: string; what: string; durationUs: number | null; ruleId: string; remedy: string }>;
  events: string[];
  summary: string;
}

type Esc = (s: string) => string;

function whyBlock(run: RunRecord, esc: Esc): string {
  const text = run.raw["why.json"];
  if (!text) return "";
  let why: Why;
  try {
    why = JSON.parse(text) as Why;
  } catch {
    return "";
  }
  const rows = why.causes
    .map(
      (c) =>
        `<tr><th>${esc(c.kind.replace(/-/g, " "))}</th><td>${esc(c.what)}</td><td>${c.durationUs ?? "–"}</td><td><code>${esc(c.ruleId)}</code></td><td>${esc(c.remedy)}</td></tr>`,
    )
    .join("");
  const causes = rows
    ? `<table class="why"><caption>Causes in the window before the spike (longest first)</caption><thead><tr><th>cause</th><th>what</th><th>µs</th><th>check rule</th><th>remedy</th></tr></thead><tbody>${rows}</tbody></table>`
    : "";
  const events = why.events.length
    ? `<details><summary>${why.events.length} trace events on CPU ${why.cpu ?? "?"} before the spike</summary><pre class="trace">${esc(why.events.join("\n"))}</pre></details>`
    : "";
  return `<h3>Why</h3><p class="why">${esc(why.summary)}</p>${causes}${events}`;
}

function timerlatBlock(run: RunRecord): string {
  if (run.type !== "timerlat") return "";
  return `<p class="muted small">rtla timerlat: thread 0 of each CPU is the timerlat thread's latency (what an RT thread sees, judged by the SLA), thread 1 the timer IRQ's latency.</p>`;
}

function osnoiseBlock(run: RunRecord, esc: Esc): string {
  if (run.type !== "osnoise" || !run.raw["osnoise-top.json"]) return "";
  const rows = JSON.parse(run.raw["osnoise-top.json"]) as Array<Record<string, number>>;
  const head = [
    "CPU",
    "noise µs",
    "CPU available %",
    "max single µs",
    "HW",
    "NMI",
    "IRQ",
    "softirq",
    "thread",
  ];
  const body = rows
    .map(
      (r) =>
        `<tr><th>${r.cpu}</th>${["noiseUs", "cpuAvailablePct", "maxSingleUs", "hw", "nmi", "irq", "softirq", "thread"].map((k) => `<td>${r[k] ?? "–"}</td>`).join("")}</tr>`,
    )
    .join("");
  return `<table class="num"><caption>osnoise: interference by kind (counts)</caption><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${body}</tbody></table>`;
}

function traceNote(run: RunRecord, esc: Esc): string {
  const kept = Object.keys(run.raw).filter((k) => /trace/.test(k) && k !== "trace.groups");
  if (!kept.length) return "";
  const groups = run.raw["trace.groups"]
    ? ` (groups: ${esc(run.raw["trace.groups"].trim().split(/\s+/).join(", "))})`
    : "";
  return `<p class="muted small">Trace kept with the run: ${kept.map(esc).join(", ")}${groups}; <code>kvm4nfv results show ${run.id ?? "?"}</code> lists it.</p>`;
}

export function instrumentSections(run: RunRecord, esc: Esc): string {
  return [timerlatBlock(run), osnoiseBlock(run, esc), whyBlock(run, esc), traceNote(run, esc)].join("\n");
}
