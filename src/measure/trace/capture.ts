/**
 * ftrace capture around a measurement (KVM4NFV traced its tests with event groups irq, sched, timer, rcu,
 * kvm…): the chosen tracefs event groups are enabled for the length of the run, the ring buffer is read
 * once at the end. With cyclictest --breaktrace (+ --tracemark) cyclictest itself stops the trace at the
 * spike and writes "hit latency threshold (X > Y)" into it, so the buffer ends at the spike.
 * The trace is kept with the run gzip-compressed (base64 in the store's raw outputs) and bounded: at most
 * TRACE_MAX_BYTES of text, the tail (where the spike is).
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { UsageError } from "../../errors.js";

/** Event groups (tracefs events/<group>) a user may ask for. */
export const TRACE_GROUPS = [
  "irq",
  "irq_vectors",
  "sched",
  "timer",
  "rcu",
  "kvm",
  "workqueue",
  "power",
  "signal",
  "syscalls",
] as const;
export type TraceGroup = (typeof TRACE_GROUPS)[number];

/** Per-CPU ring buffer (KiB) and the most text kept with a run. */
export const TRACE_BUFFER_KB = 2048;
export const TRACE_MAX_BYTES = 4 << 20;
export const TRACE_FILE = "trace.txt";

export function parseTraceGroups(text: string): TraceGroup[] {
  const groups = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (groups.length === 0)
    throw new UsageError("--trace is empty", `expected groups such as irq,sched,timer`);
  for (const g of groups) {
    if (!(TRACE_GROUPS as readonly string[]).includes(g)) {
      throw new UsageError(
        `--trace: "${g}" is not an event group`,
        `expected some of ${TRACE_GROUPS.join(", ")}`,
      );
    }
  }
  return [...new Set(groups)] as TraceGroup[];
}

/** Shell: tracing_cpumask ← every possible CPU (one tracefs per_cpu/cpuN directory each). */
export const ALL_CPUS_MASK =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${d##*cpu} is the shell's, not a template placeholder
  "m=0; for d in $T/per_cpu/cpu*; do m=$((m | (1 << ${d##*cpu}))); done; printf '%x\\n' $m > $T/tracing_cpumask";

/**
 * Shell (busybox sh) around `body`: reset tracefs, enable the groups (power is always added: the idle-exit
 * analysis needs cpu_idle), trace for the run, stop, save the tail of the buffer to /out/trace.txt and
 * what was enabled to /out/trace.groups. A group the kernel lacks is listed in trace.groups as "-group".
 */
export function traceAround(groups: readonly TraceGroup[], body: string): string {
  const all = [...new Set([...groups, "power"])];
  return [
    "T=/sys/kernel/tracing",
    "echo 0 > $T/tracing_on; echo nop > $T/current_tracer; echo > $T/trace",
    // Every CPU traced, whatever ran before: hwlatdetect --cpu-list leaves tracing_cpumask at its CPUs.
    ALL_CPUS_MASK,
    `echo ${TRACE_BUFFER_KB} > $T/buffer_size_kb`,
    `for g in ${all.join(" ")}; do if [ -e $T/events/$g/enable ]; then echo 1 > $T/events/$g/enable && echo $g; else echo -$g; fi; done > /out/trace.groups`,
    "echo 1 > $T/tracing_on",
    body,
    "echo 0 > $T/tracing_on",
    saveTraceTail("$T/trace", `/out/${TRACE_FILE}`, TRACE_MAX_BYTES),
    "echo 0 > $T/events/enable",
    "",
  ].join("\n");
}

/**
 * Shell that copies a trace's header (the "# tracer: …" lines that say what the buffer holds and whether
 * entries were lost) and then at most `maxBytes` of its tail. A tail cut mid-line loses that partial first
 * line, never the header: a trace larger than the cap used to be kept without it.
 */
export function saveTraceTail(src: string, dst: string, maxBytes: number): string {
  return `{ head -n 20 ${src} | grep '^#'; tail -c ${maxBytes} ${src} | awk 'NR == 1 && !/^#/ { next } !/^#/'; } > ${dst}`;
}

/** A trace as kept in the store: gzip, base64. */
export function packTrace(text: string): string {
  return gzipSync(Buffer.from(text), { level: 9 }).toString("base64");
}

export function unpackTrace(packed: string): string {
  return gunzipSync(Buffer.from(packed, "base64")).toString("utf8");
}

export const PACKED_TRACE = "trace.txt.gz.b64";

/**
 * Keep a captured trace with its run (packed) and, for the worst spike, what the why/ analysis found in
 * the window before it on that CPU (raw "why.json", shown by the report).
 */
export async function attachTrace(
  run: { raw: Record<string, string>; metrics: Record<string, number | string | null> },
  outputs: Record<string, string>,
  rtCpus: readonly number[],
): Promise<void> {
  const text = outputs[TRACE_FILE];
  if (text === undefined) return;
  run.raw[PACKED_TRACE] = packTrace(text);
  if (outputs["trace.groups"]) run.raw["trace.groups"] = outputs["trace.groups"];
  run.metrics.traceBytes = Buffer.byteLength(text);
  const { explainSpike } = await import("../why/why.js");
  const why = explainSpike({ source: "cyclictest", trace: text, rtCpus });
  if (why) run.raw["why.json"] = JSON.stringify(why);
}
