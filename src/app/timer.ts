/**
 * `kvm4nfv test timer`: options (src/measure/timer-options.ts turns the flag strings into them), run, store, format.
 * The CLI file only declares flags and prints what this returns.
 */
import type { TimerOpts } from "../cli/test.js";
import type { Exec } from "../exec.js";
import { formatTimerRun } from "../measure/format.js";
import { runTimerTest } from "../measure/timer.js";
import { type TimerFlags, timerOptionsFromFlags } from "../measure/timer-options.js";
import type { PodFlags } from "../pod/commands.js";
import { checkPossibleCpus } from "../units.js";
import type { KeysMatch, SameKeys } from "./outcome.js";
import { type RunOutcome, storeRunOutcome } from "./store-run.js";

export { type TimerFlags, timerOptionsFromFlags } from "../measure/timer-options.js";

/**
 * `test timer`'s option table (src/cli/test.ts) names exactly measure's TimerFlags and the pod's flags (--pod,
 * --node, --accept-new-host-key; the fan-out width is not a flag), or this does not build.
 */
export type TimerFlagsMatch = KeysMatch<SameKeys<TimerOpts, TimerFlags & Omit<PodFlags, "parallel">>>;

export type CommandOutcome = RunOutcome;

export async function timerCommand(flags: TimerFlags, exec?: Exec): Promise<CommandOutcome> {
  const options = timerOptionsFromFlags(flags);
  // host CPUs (measured, or the guest's vCPUs pinned to them) must exist here
  if (options.cpus !== undefined) checkPossibleCpus(options.cpus);
  // host or guest: the glue picks the instrument, so timer.ts and guest-timer.ts never import each other
  const run =
    options.where === "guest"
      ? await (await import("../measure/guest-timer.js")).runGuestTimerTest(options, exec)
      : await runTimerTest(options, exec);
  return storeRunOutcome(run, flags, formatTimerRun);
}
