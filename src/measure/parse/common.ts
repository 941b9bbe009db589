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

/** Strict non-negative integer from a field the tool zero-pads ("00027"). */
export function toInt(field: string): number {
  return /^\d+$/.test(field) ? Number(field) : Number.NaN;
}
