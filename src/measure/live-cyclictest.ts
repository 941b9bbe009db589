/**
 * Run cyclictest on the host without -q, so its live status lines ("T: 0 (…) … Max: 27", redrawn ~100 times a
 * second with cursor-up escapes) give a running maximum for the progress line. Those lines are dropped as they
 * arrive — an hour would be ~50 MB — and only the rest (the histogram, the summary) is kept as stdout.
 * With -N/--nsecs those lines are in nanoseconds: the running maximum is reported in µs all the same.
 */
import type { Exec, RunResult } from "../exec.js";

/** Live status line of one measuring thread; the escape sequences are stripped first. */
const STATUS = /^T:\s*\d+\s.*\bMax:\s*(\d+)/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: cursor movement that cyclictest writes between redraws
const ESCAPES = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Keep what a quiet run would have printed; report each status line's Max in µs. Pure, for tests. */
export function filterLiveLine(line: string, onMax: (us: number) => void, nsecs = false): boolean {
  const clean = line.replace(ESCAPES, "");
  const m = STATUS.exec(clean);
  if (m) {
    onMax(nsecs ? Number(m[1]) / 1000 : Number(m[1]));
    return false;
  }
  return !/^policy:/.test(clean) && clean.trim() !== "";
}

export async function runCyclictestLive(
  exec: Exec,
  args: readonly string[],
  timeoutMs: number,
  onMax: (us: number) => void,
): Promise<RunResult> {
  const started = performance.now();
  const child = exec.start("cyclictest", args);
  let kept = "";
  let stderr = "";
  const nsecs = args.includes("-N") || args.includes("--nsecs");
  const take = (line: string) => {
    if (filterLiveLine(line, onMax, nsecs)) kept += `${line.replace(ESCAPES, "")}\n`;
  };
  child.onLine("stdout", take);
  child.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void child.stop(2000);
  }, timeoutMs);
  const { exitCode, signal } = await child.exited;
  clearTimeout(timer);
  if (timedOut) stderr += `\nkvm4nfv: cyclictest did not finish within ${timeoutMs} ms and was stopped`;
  return {
    command: child.command,
    exitCode: exitCode ?? -1,
    stdout: kept,
    stderr,
    durationMs: performance.now() - started,
    signal,
  };
}
