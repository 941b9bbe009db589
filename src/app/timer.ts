/**
 * `kvm4nfv test timer`: turn the command's flag strings into TimerTestOptions, run, store, format.
 * The CLI file only declares flags and prints what this returns.
 */
import { UsageError } from "../errors.js";
import type { Exec } from "../exec.js";
import { formatTimerRun } from "./format.js";
import { parseLoadCombo } from "./guest-timer.js";
import { parseLoadKind } from "./load.js";
import { DEFAULT_SLA, parseSla } from "./sla.js";
import { runTimerTest, type TimerTestOptions } from "./timer.js";
import { parseTraceGroups, type TraceGroup } from "./trace/capture.js";
import type { RunRecord } from "./types.js";
import {
  checkIntervalWithin,
  checkPossibleCpus,
  parseCpusFlag,
  parseDuration,
  parseMicros,
  parsePositiveInt,
} from "./units.js";

export interface TimerFlags {
  where?: string;
  cpus?: string;
  duration?: string;
  loops?: string;
  interval?: string;
  priority?: string;
  load?: string;
  sla?: string;
  breaktrace?: string;
  histogram?: string;
  label?: string;
  store?: string;
  json?: boolean;
  accel?: string;
  trace?: string;
}

export interface CommandOutcome {
  text: string;
  exitCode: number;
  run: RunRecord;
}

/** Flags → options; every malformed value is a UsageError (exit 2) before anything runs. */
export function timerOptionsFromFlags(flags: TimerFlags): TimerTestOptions & { traceGroups?: TraceGroup[] } {
  const where = flags.where ?? "host";
  if (where !== "host" && where !== "guest") {
    throw new UsageError(`--where "${where}" is not a place`, "expected host or guest");
  }
  if (flags.duration !== undefined && flags.loops !== undefined) {
    throw new UsageError("--duration and --loops are exclusive", "give one of them");
  }
  const options: TimerTestOptions & { traceGroups?: TraceGroup[] } = {
    where,
    ...loadsFromFlag(where, flags.load),
    sla: parseSla(flags.sla ?? DEFAULT_SLA),
    intervalUs: parseMicros(flags.interval ?? "1000us", "--interval"),
    priority: parsePositiveInt(flags.priority ?? "99", "--priority", [1, 99]),
  };
  if (flags.cpus !== undefined) {
    options.cpus = parseCpusFlag(flags.cpus, "--cpus");
  }
  if (flags.loops !== undefined) options.loops = parsePositiveInt(flags.loops, "--loops", [1, 2 ** 40]);
  else {
    options.durationMs = parseDuration(flags.duration ?? "60s");
    checkIntervalWithin(options.intervalUs ?? 1000, options.durationMs);
  }
  if (flags.breaktrace !== undefined) options.breaktraceUs = parseMicros(flags.breaktrace, "--breaktrace");
  if (flags.histogram !== undefined) options.histogramUs = parseMicros(flags.histogram, "--histogram");
  if (flags.label !== undefined) options.label = flags.label;
  if (flags.trace !== undefined) {
    if (where !== "guest")
      throw new UsageError(
        "--trace applies to --where guest only",
        "the RT guest's kernel has the tracefs events",
      );
    options.traceGroups = parseTraceGroups(flags.trace);
  }
  if (flags.accel !== undefined) {
    if (where !== "guest") throw new UsageError("--accel applies to --where guest only");
    if (!["auto", "kvm", "tcg"].includes(flags.accel)) {
      throw new UsageError(`--accel "${flags.accel}" is not an accelerator`, "expected auto, kvm or tcg");
    }
    options.accel = flags.accel as "auto" | "kvm" | "tcg";
  }
  return options;
}

/**
 * On the host --load is one stressor (idle|cpu|memory|io); for a guest run it is the seeds' HOST_GUEST pair
 * (memorystress_idle …), and a bare stressor means that load on the host with an idle guest.
 */
function loadsFromFlag(where: "host" | "guest", text = "idle"): Pick<TimerTestOptions, "load" | "guestLoad"> {
  if (where === "host") return { load: parseLoadKind(text) };
  if (!text.includes("_")) return { load: parseLoadKind(text), guestLoad: "idle" };
  const { host, guest } = parseLoadCombo(text);
  return { load: host, guestLoad: guest };
}

export async function timerCommand(flags: TimerFlags, exec?: Exec): Promise<CommandOutcome> {
  const options = timerOptionsFromFlags(flags);
  // host CPUs (measured, or the guest's vCPUs pinned to them) must exist here
  if (options.cpus !== undefined) checkPossibleCpus(options.cpus);
  // host or guest: the glue picks the instrument, so timer.ts and guest-timer.ts never import each other
  const run =
    options.where === "guest"
      ? await (await import("./guest-timer.js")).runGuestTimerTest(options, exec)
      : await runTimerTest(options, exec);
  const { openStore } = await import("../results/store.js");
  const store = openStore(flags.store);
  try {
    run.id = store.saveRun(run);
  } finally {
    store.close();
  }
  const text = flags.json ? JSON.stringify(run, null, 2) : formatTimerRun(run, store.path);
  return { text, exitCode: run.verdict.status === "pass" ? 0 : 1, run };
}
