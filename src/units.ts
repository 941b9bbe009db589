/**
 * The one value-parser module for what the command line gives: whole numbers, durations ("10s", "2m", "1h",
 * "500ms"), latencies/intervals ("1000us", "1ms", "1000") and CPU lists (SLAs: sla.ts's parseSla), and the bounds every such value must keep. Malformed or out of bounds → UsageError naming the
 * expected form (exit 2), before anything starts.
 */
import { readFileSync } from "node:fs";
import { UsageError } from "./errors.js";
import { formatCpuList, parseCpuList } from "./host/parse/cpulist.js";

/** Node's timers wait at most 2^31-1 ms (~24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The longest run a flag may ask for: a week, well inside a timer even with the margins added to it. */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;

const DURATION_MS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export interface DurationOptions {
  /** Unit of a bare number ("ms" for migration limits); without it a unit is required. */
  bareUnit?: "s" | "ms";
  /** Longest accepted, in ms (default MAX_DURATION_MS). */
  maxMs?: number;
  /** Keep fractions of a millisecond (a 500us downtime limit) instead of rounding to whole ms. */
  fractional?: boolean;
}

/** Milliseconds, from "500us", "10ms", "1.5s", "2m", "1h". The one duration parser of the command line. */
export function parseDuration(text: string, flag = "--duration", options: DurationOptions = {}): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|min|m|h|d)?\s*$/i.exec(text);
  const unit = (m?.[2] ?? options.bareUnit ?? "").toLowerCase();
  const ms = m ? Number(m[1]) * (DURATION_MS[unit] ?? Number.NaN) : Number.NaN;
  if (!m || !Number.isFinite(ms) || ms <= 0) {
    throw new UsageError(
      `${flag} "${text}" is not a duration${m && !m[2] ? " (a unit is required)" : ""}`,
      "expected a positive number with a unit: 500us, 10ms, 10s, 2m or 1h",
    );
  }
  const max = Math.min(options.maxMs ?? MAX_DURATION_MS, MAX_TIMER_MS);
  if (ms > max) {
    throw new UsageError(`${flag} "${text}" is longer than ${formatDuration(max)}, the most kvm4nfv accepts`);
  }
  return options.fractional ? ms : Math.max(1, Math.round(ms));
}

const LATENCY_US: Record<string, number> = { us: 1, µs: 1, ms: 1000, s: 1_000_000 };

/** Whole microseconds. A bare number is µs (cyclictest's unit). */
export function parseMicros(text: string, flag: string, options: { min?: number } = {}): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s)?\s*$/.exec(text);
  const us = m ? Number(m[1]) * LATENCY_US[m[2] ?? "us"]! : Number.NaN;
  const min = options.min ?? 1;
  if (!m || !Number.isInteger(us) || us < min) {
    throw new UsageError(
      `${flag} "${text}" is not a whole number of microseconds${min > 0 ? ` ≥ ${min}` : ""}`,
      "expected e.g. 1000us, 1ms or 1000",
    );
  }
  return us;
}

/** A whole number ≥ 0 as a flag gives it (`--numa-node 1`); anything else is one UsageError naming the flag. */
export function parseWholeNumber(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag} "${text}": expected a whole number`);
  return Number(text.trim());
}

/** The value parser for commander's option declarations: `.option("--vcpus <n>", …, positiveIntOption("--vcpus"))`. */
export function positiveIntOption(flag: string, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => parsePositiveInt(text, flag, [1, max]);
}

export function parsePositiveInt(text: string, flag: string, range: [number, number]): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < range[0] || n > range[1]) {
    throw new UsageError(`${flag} "${text}" is not an integer from ${range[0]} to ${range[1]}`);
  }
  return n;
}

/** An interval (µs) must fit inside the run it repeats in: a run of 10 s cannot wake every hour. */
export function checkIntervalWithin(intervalUs: number, durationMs: number, flag = "--interval"): void {
  if (intervalUs >= durationMs * 1000) {
    throw new UsageError(
      `${flag} ${intervalUs}us is not shorter than --duration ${formatDuration(durationMs)}`,
      "give an interval shorter than the run, e.g. --interval 1000us",
    );
  }
}

/** The machine's possible CPUs (what the kernel could ever bring online), or undefined when unreadable. */
export function possibleCpus(path = "/sys/devices/system/cpu/possible"): number[] | undefined {
  try {
    return parseCpuList(readFileSync(path, "utf8").slice(0, 4096), path);
  } catch {
    return undefined;
  }
}

/** A --cpus flag: a cpulist (bounded by the parser), not empty. */
export function parseCpusFlag(text: string, flag = "--cpus"): number[] {
  const cpus = parseCpuList(text, flag);
  if (cpus.length === 0) throw new UsageError(`${flag} is empty`, 'expected a CPU list such as "2-3"');
  return cpus;
}

/** Every CPU of a flag must be one this machine could have (its possible CPUs), checked before anything starts. */
export function checkPossibleCpus(cpus: readonly number[], flag = "--cpus", possible = possibleCpus()): void {
  if (possible === undefined) return;
  const have = new Set(possible);
  const beyond = cpus.filter((c) => !have.has(c));
  if (beyond.length > 0) {
    throw new UsageError(
      `${flag} names CPU ${formatCpuList(beyond)}, which this machine cannot have`,
      `its possible CPUs are ${formatCpuList(possible)}`,
    );
  }
}

/** The host's RAM in MiB (MemTotal), or undefined when /proc/meminfo cannot be read. */
export function hostMemoryMiB(path = "/proc/meminfo"): number | undefined {
  try {
    const kb = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync(path, "utf8").slice(0, 65536))?.[1];
    return kb === undefined ? undefined : Math.floor(Number(kb) / 1024);
  } catch {
    return undefined;
  }
}

/** A guest's memory must fit in the host's RAM (QEMU locks it for a real-time guest). */
export function checkGuestMemory(mib: number, flag = "--memory", hostMiB = hostMemoryMiB()): void {
  if (hostMiB !== undefined && mib > hostMiB) {
    throw new UsageError(
      `${flag} ${mib >= 1024 ? `${Math.round(mib / 1024)}G` : `${mib}M`} is more than this host's ${Math.floor(hostMiB / 1024)} GiB of RAM`,
      "give a smaller --memory, e.g. 512M",
    );
  }
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
