/**
 * cyclictest's per-thread status line, as -q prints it once at the end (and the live mode repeats it,
 * with cursor-movement escapes, every refresh):
 *   T: 0 ( 1234) P:99 I:1000 C:   3000 Min:      3 Act:    5 Avg:    4 Max:      12
 * The last line per thread wins. There is no histogram, so no percentiles. The line names the thread, not
 * its CPU, and has no unit (-N prints ns): those come from the options or a command line in the text, else
 * the CPU is unknown ("thread N") and the unit cyclictest's default µs (said in the notes). Old releases
 * print negative minimums; they are kept. A "T:" line that cannot be read is an error, never a dropped thread.
 */
import type { CpuResult } from "../types.js";
import { cmdlineFacts, cmdlineInText, cpusOfThreads } from "./cmdline.js";
import {
  badOutput,
  baseOutput,
  cpuOfThread,
  type ParsedToolOutput,
  refuseEmptyThread,
  toUs,
} from "./common.js";

const N = "(-?\\d+)";
const LINE = new RegExp(
  `T:\\s*(\\d+)\\s+\\(\\s*(\\d+)\\)\\s+P:\\s*(\\d+)\\s+I:\\s*(\\d+)\\s+C:\\s*(\\d+)\\s+Min:\\s*${N}\\s+Act:\\s*${N}\\s+Avg:\\s*${N}\\s+Max:\\s*${N}`,
);
/** signaltest: "T: 0 (26071) P:90 C: 200 Min: …" (no I:); cyclicdeadline: "T: 0 ( 3561) I:10000 C: …" (no P:). */
const SIGNALTEST = /T:\s*\d+\s+\(\s*\d+\)\s+P:\s*\d+\s+C:/;
const CYCLICDEADLINE = /T:\s*\d+\s+\(\s*\d+\)\s+I:\s*\d+\s+C:/;
const EXPECTED =
  "cyclictest -q summary lines ('T: 0 ( 1234) P:99 I:1000 C: 3000 Min: 3 Act: 5 Avg: 4 Max: 12')";
const OTHERS = "cyclictest or oslat output (kvm4nfv does not import other rt-tests programs)";

/**
 * The unit a status line was printed in, from its layout: cyclictest (0.83 to 2.x) prints "Act:%5ld Avg:%5ld"
 * in µs and "Act:%8ld Avg:%8ld" with -N. A padded 8-wide field is ns, a 5-wide one µs; a value too wide for
 * its field says nothing (null).
 */
export function printedUnit(line: string): "us" | "ns" | null {
  const m = /Act:(\s*-?\d+) Avg:(\s*-?\d+) Max:/.exec(line);
  if (!m) return null;
  const [act, avg] = [m[1]!, m[2]!];
  if (act.length === 8 && avg.length === 8 && act.startsWith(" ") && avg.startsWith(" ")) return "ns";
  if (act.length === 5 && avg.length === 5) return "us";
  return null;
}

export function parseQuietLines(
  name: string,
  text: string,
  options: { cpus?: readonly number[]; nsecs?: boolean; cmdline?: string } = {},
): ParsedToolOutput {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal escapes of live mode
  const clean = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
  const recorded = cmdlineInText(clean, "cyclictest") ?? options.cmdline ?? null;
  const facts = recorded ? cmdlineFacts(recorded) : null;
  const byThread = new Map<number, [number, number, number, number]>();
  const widths = new Set<"us" | "ns">();
  for (const line of clean.split("\n")) {
    if (!/(?:^|\s)T:\s*\d/.test(line)) continue;
    const m = LINE.exec(line);
    if (!m) {
      if (SIGNALTEST.test(line))
        throw badOutput(
          name,
          "signaltest output (signal round-trip latency), not a cyclictest timer run",
          OTHERS,
        );
      if (CYCLICDEADLINE.test(line)) {
        throw badOutput(
          name,
          "cyclicdeadline output (SCHED_DEADLINE wake-up latency), not a cyclictest timer run",
          OTHERS,
        );
      }
      throw badOutput(name, `unreadable status line ${JSON.stringify(line.trim().slice(0, 80))}`, EXPECTED);
    }
    const [thread, , , , cycles, min, , avg, max] = m.slice(1).map(Number) as number[];
    byThread.set(thread!, [cycles!, min!, avg!, max!]);
    const printed = printedUnit(line);
    if (printed) widths.add(printed);
  }
  if (widths.size > 1)
    throw badOutput(name, "status lines in both µs and ns (runs mixed)", "one run per file");
  const unit = (options.nsecs ?? facts?.nsecs ?? widths.has("ns")) ? "ns" : "us";
  if (byThread.size === 0) throw badOutput(name, "no 'T:' status line", EXPECTED);
  const threads = [...byThread.keys()].sort((a, b) => a - b);
  const cpuList = options.cpus ?? cpusOfThreads(facts, Math.max(...threads) + 1);
  const cpus: CpuResult[] = threads.map((thread) => {
    const [cycles, min, avg, max] = byThread.get(thread)!;
    refuseEmptyThread(name, thread, cycles, EXPECTED);
    return {
      cpu: cpuList ? cpuOfThread(thread, cpuList) : thread,
      thread,
      minUs: toUs(min, unit),
      avgUs: toUs(avg, unit),
      maxUs: toUs(max, unit),
      samples: cycles,
      overflows: 0,
      histogram: null,
      percentiles: {},
    };
  });
  const notes = ["cyclictest status lines: no histogram, so no percentiles"];
  if (!cpuList) notes.push("the lines name threads, not CPUs, and no -a was given: CPUs unknown");
  if (unit === "ns") notes.push("cyclictest -N: the file is in nanoseconds; stored as µs");
  else if (options.nsecs === undefined && !facts && widths.size === 0) {
    notes.push("unit taken as µs (cyclictest's default; the lines do not say, -N would make it ns)");
  }
  return baseOutput({
    tool: "cyclictest",
    format: "cyclictest-quiet",
    cmdline: recorded,
    cpus,
    unit,
    cpusKnown: cpuList !== null,
    notes,
  });
}
