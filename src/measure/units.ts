/**
 * Durations ("10s", "2m", "1h", "500ms") and latencies/intervals ("1000us", "1ms", "1000") given on the
 * command line. Malformed → UsageError naming the expected form (exit 2).
 */
import { UsageError } from "../errors.js";

const DURATION_MS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

export interface DurationOptions {
  /** Unit of a bare number: "s" for run lengths (as cyclictest -D reads it), "ms" for migration limits. */
  bareUnit?: "s" | "ms";
  /** Keep fractions of a millisecond (a 500us downtime limit) instead of rounding to whole ms. */
  fractional?: boolean;
}

/** Milliseconds, from "500us", "10ms", "1.5s", "2m", "1h". The one duration parser of the command line. */
export function parseDuration(text: string, flag = "--duration", options: DurationOptions = {}): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|min|m|h)?\s*$/i.exec(text);
  const unit = (m?.[2] ?? options.bareUnit ?? "s").toLowerCase();
  const ms = m ? Number(m[1]) * (DURATION_MS[unit] ?? Number.NaN) : Number.NaN;
  if (!m || !Number.isFinite(ms) || ms <= 0) {
    throw new UsageError(
      `${flag} "${text}" is not a duration`,
      "expected a positive number with a unit: 500us, 10ms, 10s, 2m or 1h",
    );
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

export function parsePositiveInt(text: string, flag: string, range: [number, number]): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < range[0] || n > range[1]) {
    throw new UsageError(`${flag} "${text}" is not an integer from ${range[0]} to ${range[1]}`);
  }
  return n;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
