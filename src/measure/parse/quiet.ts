/**
 * cyclictest's per-thread status line, as -q prints it once at the end (and the live mode repeats it,
 * with cursor-movement escapes, every refresh):
 *   T: 0 ( 1234) P:99 I:1000 C:   3000 Min:      3 Act:    5 Avg:    4 Max:      12
 * The last line per thread wins. There is no histogram, so no percentiles.
 */
import type { CpuResult } from "../types.js";
import { badOutput, cpuOfThread, type ParsedToolOutput } from "./common.js";

const LINE =
  /T:\s*(\d+)\s+\(\s*(\d+)\)\s+P:\s*(\d+)\s+I:\s*(\d+)\s+C:\s*(\d+)\s+Min:\s*(\d+)\s+Act:\s*(\d+)\s+Avg:\s*(\d+)\s+Max:\s*(\d+)/;
const EXPECTED =
  "cyclictest -q summary lines ('T: 0 ( 1234) P:99 I:1000 C: 3000 Min: 3 Act: 5 Avg: 4 Max: 12')";

export function parseQuietLines(
  name: string,
  text: string,
  options: { cpus?: readonly number[] } = {},
): ParsedToolOutput {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal escapes of live mode
  const clean = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
  const byThread = new Map<number, CpuResult>();
  for (const line of clean.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [thread, , , , cycles, min, , avg, max] = m.slice(1).map(Number) as number[];
    byThread.set(thread!, {
      cpu: cpuOfThread(thread!, options.cpus),
      thread: thread!,
      minUs: min!,
      avgUs: avg!,
      maxUs: max!,
      samples: cycles!,
      overflows: 0,
      histogram: null,
      percentiles: {},
    });
  }
  if (byThread.size === 0) throw badOutput(name, "no 'T:' status line", EXPECTED);
  const cpus = [...byThread.values()].sort((a, b) => a.thread - b.thread);
  return {
    tool: "cyclictest",
    format: "cyclictest-quiet",
    toolVersion: null,
    cmdline: null,
    cpus,
    extra: {},
  };
}
