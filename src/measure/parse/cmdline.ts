/**
 * What an rt-tests command line says about its own output: the unit (-N), the histogram width (-h/-H), which
 * CPU each thread ran on (-a, -t), and oslat's bucket layout (-b, -W, -B). cyclictest --json and oslat --json
 * record their command line ("cmdline:"); text outputs may carry one as a "$ cyclictest …" line.
 * Only what is written is read: an option that is absent gives null/undefined, never a guess.
 */
import { parseCpuList } from "../../host/parse/cpulist.js";

export interface CmdlineFacts {
  /** Basename of the program ("cyclictest", "oslat", "signaltest", …). */
  program: string;
  /** -N/--nsecs: every latency printed in nanoseconds. */
  nsecs: boolean;
  /** -h/-H/--histogram/--histofall value in the file's unit (µs, or ns with -N). */
  histogram: number | null;
  /** -a/--affinity CPU list; null when absent or not a list (then CPUs are not known from it). */
  affinity: number[] | null;
  /** -t/--threads N; null when absent or given without a number. */
  threads: number | null;
  /** oslat -b/--bucket-size (default 32), -W/--bucket-width in ns (default 1000), -B/--bias. */
  oslatBuckets: number | null;
  oslatBucketWidthNs: number | null;
  oslatBias: boolean;
}

/** Value of an option given as "-x V", "-xV", "--long=V" or "--long V"; undefined when absent. */
function optionValue(args: string[], short: string[], long: string[]): string | null | undefined {
  let found: string | null | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    for (const s of short) {
      if (a === `-${s}`) {
        const next = args[i + 1];
        found = next !== undefined && !next.startsWith("-") ? next : null;
      } else if (a.startsWith(`-${s}`) && !a.startsWith("--") && a.length > 2) {
        found = a.slice(2).replace(/^=/, "");
      }
    }
    for (const l of long) {
      if (a === `--${l}`) {
        const next = args[i + 1];
        found = next !== undefined && !next.startsWith("-") ? next : null;
      } else if (a.startsWith(`--${l}=`)) {
        found = a.slice(l.length + 3);
      }
    }
  }
  return found;
}

const int = (v: string | null | undefined): number | null =>
  v !== undefined && v !== null && /^\d+$/.test(v) ? Number(v) : null;

export function cmdlineFacts(cmdline: string): CmdlineFacts {
  const args = cmdline.trim().split(/\s+/);
  const program = (args[0] ?? "").replace(/^.*\//, "");
  const rest = args.slice(1);
  const has = (flags: string[]) => rest.some((a) => flags.includes(a));
  let affinity: number[] | null = null;
  const a = optionValue(rest, ["a"], ["affinity"]);
  if (a) {
    try {
      const list = parseCpuList(a.replace(/^!/, ""));
      affinity = a.startsWith("!") || list.length === 0 ? null : list;
    } catch {
      affinity = null;
    }
  }
  return {
    program,
    nsecs: has(["-N", "--nsecs"]),
    histogram: int(optionValue(rest, ["h", "H"], ["histogram", "histofall"])),
    affinity,
    threads: int(optionValue(rest, ["t"], ["threads"])),
    oslatBuckets: int(optionValue(rest, ["b"], ["bucket-size"])),
    oslatBucketWidthNs: int(optionValue(rest, ["W"], ["bucket-width"])),
    oslatBias: has(["-B", "--bias"]),
  };
}

/**
 * A command line recorded in a text output: a line "$ cyclictest …", "# cyclictest …" or "cyclictest …"
 * (as people paste it above the output). Null when there is none.
 */
export function cmdlineInText(text: string, program: string): string | null {
  const re = new RegExp(`^(?:[$#]\\s*)?((?:\\S*/)?${program}(?:\\s+-\\S.*)?)\\s*$`, "m");
  const m = re.exec(text);
  return m ? m[1]!.trim() : null;
}

/**
 * The CPU of each thread from -a: cyclictest places thread i on the i-th CPU of the list (round robin when
 * there are more threads than CPUs). Null when -a is absent: the CPUs cannot be known from the command line.
 */
export function cpusOfThreads(facts: CmdlineFacts | null, threads: number): number[] | null {
  if (!facts?.affinity) return null;
  const list = facts.affinity;
  return Array.from({ length: threads }, (_, i) => list[i % list.length]!);
}
