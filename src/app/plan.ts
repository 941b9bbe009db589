/**
 * What `kvm4nfv plan` does, outside the CLI file: turn flag strings into PlanOptions (every malformed value is a
 * one-line UsageError), read the machine, derive the plan, emit it, and write it where -o says.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PlanOpts } from "../cli/plan.js";
import { UsageError } from "../errors.js";
import type { SriovPlanFlags } from "../sriov/plan-options.js";
import { emit } from "../tuning/emit/index.js";
import { emitTunedFiles, tunedProfileName } from "../tuning/emit/tuned.js";
import { makePlan, type PlanFlags } from "../tuning/plan-options.js";
import type { KeysMatch, Outcome, SameKeys } from "./outcome.js";

export { makePlan, type PlanFlags, planOptions } from "../tuning/plan-options.js";

/** `plan`'s option table (src/cli/plan.ts) and tuning's PlanFlags name the same flags, or this does not build. */
export type PlanFlagsMatch = KeysMatch<SameKeys<PlanOpts, PlanFlags>>;
/** …and src/sriov's SriovPlanFlags are exactly its SR-IOV flags (--sriov, --sriov-from, --testbed-host, --nic). */
export type SriovPlanFlagsMatch = KeysMatch<
  SameKeys<Pick<PlanOpts, "sriov" | "sriovFrom" | "testbedHost" | "nic">, SriovPlanFlags>
>;

/** Emit the plan; with -o write it there (for tuned, -o names the profile directory) and say where. */
export function runPlan(flags: PlanOpts): Outcome<string> {
  const plan = makePlan(flags);
  // the json format carries the notes itself; the others would lose them
  const notes = (flags.emit ?? "json") === "json" ? [] : plan.notes;
  const format = flags.emit ?? "json";
  const text = emit(plan, format);
  if (flags.output === undefined) return { output: text, exitCode: 0, notes };
  try {
    if (format === "tuned") {
      mkdirSync(flags.output, { recursive: true });
      for (const [name, content] of Object.entries(emitTunedFiles(plan))) {
        writeFileSync(join(flags.output, name), content);
      }
      return {
        exitCode: 0,
        output: `wrote tuned profile to ${flags.output} (install as /etc/tuned/${tunedProfileName(plan)})\n`,
        notes,
      };
    }
    writeFileSync(flags.output, text, { mode: format === "script" ? 0o755 : 0o644 });
  } catch (err) {
    throw new UsageError(`-o ${flags.output}: cannot write: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return { output: `wrote ${format} plan to ${flags.output}\n`, exitCode: 0, notes };
}
