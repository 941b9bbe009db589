/**
 * ftrace's text format (tracefs `trace`), as written by the kernel for every tracer and event:
 *     TASK-PID     [CPU] FLAGS   TIMESTAMP: EVENT: DETAILS
 *   cyclictest-412  [001] d..h2..  80.866279: irq_noise: local_timer:236 start 80.866093256 duration 181441 ns
 * Stack traces (" => func") and comment lines are skipped. Timestamps are seconds.
 */

export interface TraceEvent {
  task: string;
  pid: number;
  cpu: number;
  /** Seconds (trace clock). */
  ts: number;
  event: string;
  details: string;
  /** 1-based line number in the trace, for pointing at it. */
  line: number;
}

const LINE = /^\s*(.+?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(?:[\w.]{4,}\s+)?(\d+\.\d+):\s+(.*)$/;
/** timerlat's own lines have no event name: "#2284  context    irq timer_latency   2378427 ns". */
const TIMERLAT = /^#\d+\s+context\s/;

export function parseTraceEvents(text: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.startsWith("#") || /^\s*=>/.test(raw)) continue;
    const m = LINE.exec(raw);
    if (!m) continue;
    const rest = m[5]!;
    const named = /^([\w-]+):\s?(.*)$/.exec(rest);
    const event = TIMERLAT.test(rest) ? "timerlat" : named ? named[1]! : "";
    const details = TIMERLAT.test(rest) ? rest : named ? named[2]! : rest;
    events.push({
      task: m[1]!.trim(),
      pid: Number(m[2]),
      cpu: Number(m[3]),
      ts: Number(m[4]),
      event,
      details: details.trim(),
      line: i + 1,
    });
  }
  return events;
}

/** "key=value key2=value2" details (sched_switch, irq_handler_entry …) into a map. */
export function fields(details: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of details.matchAll(/(\w+)=(\[[^\]]*\]|\S+)/g)) out[m[1]!] = m[2]!;
  return out;
}
