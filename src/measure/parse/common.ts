/**
 * What every rt-tests output parser returns, and the one way they report output they cannot read.
 * Parsers are pure: text in, figures out. They never compute min/avg/max themselves when the tool printed
 * them — the stored values must be the tool's own (cyclictest's avg is the tool's rounding, not ours).
 */
import { InputError } from "../../errors.js";
import type { CpuResult } from "../types.js";

export type ToolFormat =
  | "cyclictest-json"
  /** rt-tests < 2.7: every bucket printed, "# Total:" line present. */
  | "cyclictest-histogram"
  /** rt-tests >= 2.7: empty buckets omitted, no "# Total:" line. */
  | "cyclictest-histogram-2.7"
  | "cyclictest-quiet"
  | "oslat";

export interface ParsedToolOutput {
  tool: "cyclictest" | "oslat";
  format: ToolFormat;
  /** "2.40" when the output says so (JSON, oslat banner), else null. */
  toolVersion: string | null;
  /** The command line the tool recorded (JSON only). */
  cmdline: string | null;
  /** One entry per measuring thread, in thread order, with percentiles when a histogram exists. */
  cpus: CpuResult[];
  /** Extra figures: cyclictest's break value/thread (-b), oslat's duration… */
  extra: Record<string, number | string | null>;
  /** The unit the file printed latencies in (cyclictest -N: ns). Every value in cpus is µs regardless. */
  unit: "us" | "ns";
  /** True when each cpus[i].cpu is the CPU the thread ran on; false: the file names threads only, and
   *  cpus[i].cpu is the thread index (say "thread N", never "CPU N"). */
  cpusKnown: boolean;
  /** The tool's own start/end time (JSON start_time/end_time) as ISO-8601; null when the file has none. */
  startedAt: string | null;
  endedAt: string | null;
  /** Plain statements of what the file does not tell ("no histogram: no percentiles", …). */
  notes: string[];
}

/** Defaults for the fields a parser does not set itself. */
export function baseOutput(
  o: Pick<ParsedToolOutput, "tool" | "format" | "cpus"> & Partial<ParsedToolOutput>,
): ParsedToolOutput {
  return {
    toolVersion: null,
    cmdline: null,
    extra: {},
    unit: "us",
    cpusKnown: true,
    startedAt: null,
    endedAt: null,
    notes: [],
    ...o,
  };
}

/** A file that is not (or no longer) what it claims: one line naming the file and what was expected. */
export function badOutput(name: string, problem: string, expected: string): InputError {
  return new InputError("BAD_TOOL_OUTPUT", `${name}: ${problem}; expected ${expected}`);
}

/** Thread i ran on cpus[i % n] (cyclictest -a's round-robin); without a CPU list, on "CPU" i. */
export function cpuOfThread(thread: number, cpus: readonly number[] | undefined): number {
  if (!cpus || cpus.length === 0) return thread;
  return cpus[thread % cpus.length]!;
}

/** A latency in the file's unit as µs: cyclictest -N prints nanoseconds. */
export function toUs(value: number, unit: "us" | "ns"): number {
  return unit === "ns" ? value / 1000 : value;
}

/** Strict non-negative integer from a field the tool zero-pads ("00027"). */
export function toInt(field: string): number {
  return /^\d+$/.test(field) ? Number(field) : Number.NaN;
}

/**
 * A thread that ran no cycle: cyclictest still prints it, with its initial Min of 1000000 and Max 0, which are
 * placeholders, not measurements. Refused: nothing from such a thread may be stored as a latency.
 */
export function refuseEmptyThread(name: string, thread: number, samples: number, expected: string): void {
  if (samples === 0) {
    throw badOutput(
      name,
      `thread ${thread} has no samples (stopped before its first cycle; its Min/Max are placeholders)`,
      expected,
    );
  }
}
