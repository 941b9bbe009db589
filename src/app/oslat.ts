/**
 * `kvm4nfv test oslat` (and what every instrument's handler shares): flags → OslatOptions, run, store, format.
 * The CLI file only declares flags and prints the Outcome; notes during the run go through onProgress.
 */
import type { InstrumentOpts, OslatOpts } from "../cli/test-instruments.js";
import { UsageError } from "../errors.js";
import type { Exec } from "../exec.js";
import { parseCpuList } from "../host/parse/cpulist.js";
import { parseLoadCombo } from "../measure/guest-timer.js";
import { parseLoadKind } from "../measure/load.js";
import { DEFAULT_OSLAT_SLA, type OslatOptions, runOslatTest } from "../measure/oslat/oslat.js";
import { formatLatencyRun } from "../measure/rtla/format.js";
import type { InstrumentOptions } from "../measure/rtla/instrument.js";
import { runOnNode } from "../measure/rtla/node.js";
import { parseSla } from "../measure/sla.js";
import type { RunRecord } from "../measure/types.js";
import { parseDuration, parsePositiveInt } from "../units.js";
import type { OnProgress } from "./outcome.js";
import { type RunOutcome, storeRunOutcome } from "./store-run.js";

/**
 * The flags every instrument shares, as src/cli/test-instruments.ts declares them (partial: `test irq` has no
 * --where or --pod, and tests pass a few).
 */
export type InstrumentFlags = Partial<InstrumentOpts>;

/** The flags every instrument test shares (same spelling and checks as `test timer`). */
export function commonOptions(flags: InstrumentFlags, defaultSla: string) {
  const where = flags.where ?? "host";
  if (where !== "host" && where !== "guest") {
    throw new UsageError(`--where "${where}" is not a place`, "expected host or guest");
  }
  const out: {
    where: "host" | "guest";
    cpus?: number[];
    durationMs: number;
    load: OslatOptions["load"];
    guestLoad?: OslatOptions["guestLoad"];
    sla: ReturnType<typeof parseSla>;
    label?: string;
    accel?: "auto" | "kvm" | "tcg";
  } = {
    where,
    durationMs: parseDuration(flags.duration ?? "60s"),
    load: "idle",
    sla: parseSla(flags.sla ?? defaultSla),
  };
  const loadText = flags.load ?? "idle";
  if (where === "host" || !loadText.includes("_")) {
    out.load = parseLoadKind(loadText);
    if (where === "guest") out.guestLoad = "idle";
  } else {
    const { host, guest } = parseLoadCombo(loadText);
    out.load = host;
    out.guestLoad = guest;
  }
  if (flags.cpus !== undefined) {
    const cpus = parseCpuList(flags.cpus, "--cpus");
    if (cpus.length === 0) throw new UsageError("--cpus is empty", 'expected a CPU list such as "2-3"');
    out.cpus = cpus;
  }
  if (flags.label !== undefined) out.label = flags.label;
  if (flags.accel !== undefined) {
    if (where !== "guest") throw new UsageError("--accel applies to --where guest only");
    if (!["auto", "kvm", "tcg"].includes(flags.accel)) {
      throw new UsageError(`--accel "${flags.accel}" is not an accelerator`, "expected auto, kvm or tcg");
    }
    out.accel = flags.accel as "auto" | "kvm" | "tcg";
  }
  return out;
}

export function oslatOptionsFromFlags(flags: Partial<OslatOpts>): OslatOptions {
  const options: OslatOptions = commonOptions(flags, DEFAULT_OSLAT_SLA);
  if (flags.priority !== undefined)
    options.priority = parsePositiveInt(flags.priority, "--priority", [1, 99]);
  return options;
}

/** An instrument handler's Outcome, with the stored run (tests read it). */
export type InstrumentOutcome = RunOutcome;

/** Where notes during a run go when the caller passes none (a test, a job): nowhere. */
export const quiet: OnProgress = () => {};

/** Store a finished run and format it: exit 0 SLA met, 1 otherwise. Shared by every instrument command. */
export async function storeAndFormat(
  run: RunRecord,
  flags: { store?: string; json?: boolean },
): Promise<InstrumentOutcome> {
  return storeRunOutcome(run, flags, formatLatencyRun);
}

/** Run here, or with --node on that pod node (its files, its tool, a run directory there). */
export function runHereOrOnNode<O extends InstrumentOptions>(
  tool: string,
  flags: InstrumentFlags,
  options: O,
  run: (options: O, exec?: Exec) => Promise<RunRecord>,
  exec?: Exec,
): Promise<RunRecord> {
  if (flags.node === undefined) return run(options, exec);
  return runOnNode(tool, flags, (on) =>
    run({ ...options, fs: on.fs, node: on.node, nodeDir: on.nodeDir }, on.exec),
  );
}

export async function oslatCommand(
  flags: Partial<OslatOpts>,
  onNote: OnProgress = quiet,
  exec?: Exec,
): Promise<InstrumentOutcome> {
  const options = oslatOptionsFromFlags(flags);
  options.onNote = onNote;
  return storeAndFormat(await runHereOrOnNode("oslat", flags, options, runOslatTest, exec), flags);
}
