/**
 * `test timer`'s flag strings → TimerTestOptions (host or guest): core, so the local command (src/app/timer.ts)
 * and the node's (src/pod/commands.ts) parse them the same way.
 */
import { UsageError } from "../errors.js";
import {
  checkIntervalWithin,
  parseCpusFlag,
  parseDuration,
  parseMicros,
  parsePositiveInt,
} from "../units.js";
import { parseLoadCombo } from "./guest-timer.js";
import { parseLoadKind } from "./load.js";
import { DEFAULT_SLA, parseSla } from "./sla.js";
import type { TimerTestOptions } from "./timer.js";
import { parseTraceGroups, type TraceGroup } from "./trace/capture.js";

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
