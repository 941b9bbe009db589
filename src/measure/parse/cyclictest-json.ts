/**
 * cyclictest --json=FILE (rt-tests 2.x), and oslat --json, which shares rt-tests' JSON writer. Two keys really
 * end in a colon ("cmdline:", "rt_test_version:") — a quirk of that writer, kept as-is.
 *
 *   { "file_version": 1, "cmdline:": "cyclictest … -h 200 …", "rt_test_version:": "2.40",
 *     "start_time": "Tue, 01 Dec 2026 21:20:00 +0000", "resolution_in_ns": 0,          (2.2+: 1 with -N)
 *     "num_threads": 1, "thread": { "0": { "histogram": { "6": 2, … }, "cycles": 2999,
 *     "min": 6, "max": 1458, "avg": 27.54, "cpu": 1, "node": 0 } } }
 *
 * What the file says is read from the file itself (checked against real outputs of rt-tests 2.0 to 2.10,
 * test/fixtures/rt-tests/README.md):
 *  - the unit: "resolution_in_ns": 1 or -N in the command line → every latency and bucket is ns;
 *  - the histogram: only when the command line has -h/-H. Without it 2.0–2.4 write "histogram": {} and 2.5+
 *    no key at all: no histogram, so no percentiles (min/avg/max are still cyclictest's own);
 *  - the width: the -h value; overflows are cycles minus the samples in the histogram;
 *  - the CPU: each thread's "cpu" (-1 when the thread was not pinned: then it is "thread N");
 *  - the tool: signaltest, pmqtest, ptsematest, cyclicdeadline… write the same envelope and are refused.
 * oslat --json: no "cycles" (the histogram holds every sample); its last bucket (-b, default 32, of -W ns,
 * default 1000) holds the overflows; empty buckets are left out, so that bucket is found by its label.
 */

import { computePercentiles } from "../stats.js";
import type { CpuResult, Histogram } from "../types.js";
import { type CmdlineFacts, cmdlineFacts } from "./cmdline.js";
import { badOutput, baseOutput, type ParsedToolOutput, refuseEmptyThread, toUs } from "./common.js";

const EXPECTED = "cyclictest --json output (keys 'rt_test_version:' and 'thread')";

/** rt-tests programs that write the same JSON but measure something else than timer latency. */
const OTHER_TOOLS: Record<string, string> = {
  signaltest: "signal round-trip latency",
  pmqtest: "POSIX message queue latency",
  ptsematest: "POSIX semaphore latency",
  sigwaittest: "sigwait latency",
  svsematest: "SYSV semaphore latency",
  cyclicdeadline: "SCHED_DEADLINE wake-up latency",
  deadline_test: "SCHED_DEADLINE behaviour",
};

interface JsonThread {
  histogram?: Record<string, number>;
  cycles?: number;
  min?: number;
  max?: number;
  avg?: number;
  cpu?: number;
}

/** -h 200, -h200, --histogram=200, --histogram 200, and the -H/--histofall spellings. */
export function histogramWidthFromCmdline(cmdline: string): number | null {
  return cmdlineFacts(cmdline).histogram;
}

/** rt-tests' "Tue, 01 Dec 2026 21:20:00 +0000" as ISO-8601; null when absent or unreadable. */
function isoTime(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function refuseOtherTool(name: string, program: string): never {
  const what = OTHER_TOOLS[program];
  throw badOutput(
    name,
    `${program} --json output (${what ?? "not a timer latency test"}), not a cyclictest timer run`,
    "cyclictest or oslat output (kvm4nfv does not import other rt-tests programs)",
  );
}

export function parseCyclictestJson(name: string, text: string): ParsedToolOutput {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const starts = text.match(/^\{/gm)?.length ?? 0;
    if (starts > 1 && /^\}\s*\n\s*\{/m.test(text)) {
      throw badOutput(
        name,
        `${starts} JSON documents one after the other (runs concatenated)`,
        "one run per file",
      );
    }
    throw badOutput(name, "truncated or invalid JSON", EXPECTED);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw badOutput(name, "not a JSON object", EXPECTED);
  }
  const d = doc as Record<string, unknown>;
  const version = d["rt_test_version:"];
  const threads = d.thread;
  if (typeof version !== "string" || typeof threads !== "object" || threads === null) {
    throw badOutput(name, "not rt-tests JSON (no 'rt_test_version:' or 'thread')", EXPECTED);
  }
  const cmdline = typeof d["cmdline:"] === "string" ? (d["cmdline:"] as string) : null;
  const facts = cmdline ? cmdlineFacts(cmdline) : null;
  const program = facts?.program ?? "";
  // Named programs that measure something else are refused; an unknown name (a renamed binary) is judged by shape.
  if (program in OTHER_TOOLS) refuseOtherTool(name, program);
  const known = program === "cyclictest" || program === "oslat";
  const entries = Object.entries(threads as Record<string, JsonThread>).sort(
    (a, b) => Number(a[0]) - Number(b[0]),
  );
  // oslat's threads carry "freq" and "duration", cyclictest's "cycles"; without a command line, tell by shape.
  const first = entries[0]?.[1] as Record<string, unknown> | undefined;
  const tool = program === "oslat" || (!known && first && "freq" in first) ? "oslat" : "cyclictest";
  if (!known && first && !("cycles" in first) && tool !== "oslat") {
    throw badOutput(
      name,
      `rt-tests JSON of ${program || "an unnamed program"} without cycles: not a cyclictest run`,
      EXPECTED,
    );
  }
  const out =
    tool === "oslat"
      ? oslatThreads(name, entries, facts)
      : cyclictestThreads(name, entries, facts, d.resolution_in_ns === 1);
  if (out.cpus.length === 0) throw badOutput(name, "no thread results", EXPECTED);
  const extra: Record<string, number | string | null> = {};
  if (typeof d.return_code === "number") extra.returnCode = d.return_code;
  if (typeof d.start_time === "string") extra.startTime = d.start_time;
  if (typeof d.end_time === "string") extra.endTime = d.end_time;
  return baseOutput({
    tool,
    format: "cyclictest-json",
    toolVersion: version,
    cmdline,
    cpus: out.cpus,
    extra,
    unit: out.unit,
    cpusKnown: out.cpusKnown,
    startedAt: isoTime(d.start_time),
    endedAt: isoTime(d.end_time),
    notes: out.notes,
  });
}

interface Threads {
  cpus: CpuResult[];
  unit: "us" | "ns";
  cpusKnown: boolean;
  notes: string[];
}

function figures(name: string, key: string, t: JsonThread, withCycles: boolean): void {
  const nums = withCycles ? [t?.cycles, t?.min, t?.max, t?.avg] : [t?.min, t?.max, t?.avg];
  if (!/^\d+$/.test(key) || nums.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
    throw badOutput(name, `thread "${key}" lacks ${withCycles ? "cycles/" : ""}min/max/avg`, EXPECTED);
  }
}

/** [bucket in the file's unit, count] pairs, checked and sorted. */
function bucketsOf(name: string, thread: number, h: Record<string, number>): Array<[number, number]> {
  const buckets = Object.entries(h)
    .map(([k, n]): [number, number] => [Number(k), Number(n)])
    .sort((a, b) => a[0] - b[0]);
  for (const [at, n] of buckets) {
    if (!Number.isFinite(at) || !Number.isInteger(n) || n < 0) {
      throw badOutput(name, `thread ${thread} has a malformed histogram bucket`, EXPECTED);
    }
  }
  return buckets;
}

function cyclictestThreads(
  name: string,
  entries: Array<[string, JsonThread]>,
  facts: CmdlineFacts | null,
  resolutionNs: boolean,
): Threads {
  const unit = resolutionNs || facts?.nsecs ? "ns" : "us";
  const width = facts?.histogram ?? null;
  const notes: string[] = [];
  if (unit === "ns") notes.push("cyclictest -N: the file is in nanoseconds; stored as µs");
  let cpusKnown = true;
  const cpus: CpuResult[] = [];
  for (const [key, t] of entries) {
    figures(name, key, t, true);
    const thread = Number(key);
    refuseEmptyThread(name, thread, t.cycles!, EXPECTED);
    let histogram: Histogram | null = null;
    // Without -h cyclictest keeps no histogram: "histogram": {} (2.0–2.4) or no key (2.5+) is not "every
    // sample overflowed". With -h an empty object does mean every sample was beyond the width.
    if (width !== null || (t.histogram && Object.keys(t.histogram).length > 0)) {
      const raw = bucketsOf(name, thread, t.histogram ?? {});
      const inHist = raw.reduce((a, [, n]) => a + n, 0);
      const buckets = raw.filter(([, n]) => n > 0).map(([at, n]): [number, number] => [toUs(at, unit), n]);
      const known = width !== null;
      const maxUs = known ? toUs(width, unit) : raw.length ? toUs(raw[raw.length - 1]![0] + 1, unit) : 0;
      histogram = { buckets, overflows: Math.max(0, t.cycles! - inHist), maxUs };
      if (!known) notes.push(`thread ${thread}: histogram width not in the command line: unknown`);
    }
    const pinned = typeof t.cpu === "number" && t.cpu >= 0;
    if (!pinned) cpusKnown = false;
    cpus.push({
      cpu: pinned ? t.cpu! : thread,
      thread,
      minUs: toUs(t.min!, unit),
      avgUs: toUs(t.avg!, unit),
      maxUs: toUs(t.max!, unit),
      samples: t.cycles!,
      overflows: histogram?.overflows ?? 0,
      histogram,
      percentiles: histogram ? computePercentiles(histogram, width !== null) : {},
    });
  }
  if (cpus.every((c) => c.histogram === null)) {
    notes.push("no histogram (cyclictest ran without -h): min/avg/max only, no percentiles");
  }
  if (!cpusKnown) notes.push("threads were not pinned (no -a): the CPU they ran on is unknown");
  return { cpus, unit, cpusKnown, notes };
}

function oslatThreads(
  name: string,
  entries: Array<[string, JsonThread]>,
  facts: CmdlineFacts | null,
): Threads {
  const buckets = facts?.oslatBuckets ?? 32;
  const widthNs = facts?.oslatBucketWidthNs ?? 1000;
  // oslat prints min/avg/max in ns when its bucket width is not whole µs ("ns-precision output").
  const unit = widthNs % 1000 === 0 ? "us" : "ns";
  const notes: string[] = [];
  if (unit === "ns")
    notes.push(`oslat -W ${widthNs}: min/avg/max are in nanoseconds in the file; stored as µs`);
  // Bucket j (label (j+1)·W) holds [j·W, (j+1)·W); the last one also everything beyond: the overflows.
  const overflowLabel = (buckets * widthNs) / 1000;
  const widthUs = ((buckets - 1) * widthNs) / 1000;
  if (facts?.oslatBias) {
    notes.push("oslat -B: the bias is not in the JSON, so the overflow bucket is unknown: no percentiles");
  }
  const cpus = entries.map(([key, t]): CpuResult => {
    figures(name, key, t, false);
    const thread = Number(key);
    const raw = bucketsOf(name, thread, t.histogram ?? {});
    const samples = raw.reduce((a, [, n]) => a + n, 0);
    let histogram: Histogram | null = null;
    if (!facts?.oslatBias) {
      const inside = raw.filter(([at, n]) => n > 0 && Math.abs(at - overflowLabel) > 1e-9);
      const overflows = raw.find(([at]) => Math.abs(at - overflowLabel) < 1e-9)?.[1] ?? 0;
      if (inside.some(([at]) => at > overflowLabel)) {
        throw badOutput(
          name,
          `thread ${thread} has buckets beyond oslat's last (${overflowLabel} µs)`,
          EXPECTED,
        );
      }
      histogram = { buckets: inside, overflows, maxUs: widthUs };
    }
    return {
      cpu: typeof t.cpu === "number" && t.cpu >= 0 ? t.cpu : thread,
      thread,
      minUs: toUs(t.min!, unit),
      avgUs: toUs(t.avg!, unit),
      maxUs: toUs(t.max!, unit),
      samples,
      overflows: histogram?.overflows ?? 0,
      histogram,
      percentiles: histogram ? computePercentiles(histogram) : {},
    };
  });
  return { cpus, unit, cpusKnown: true, notes };
}
