/** `kvm4nfv kernel plan|apply|check`: the distribution's PREEMPT_RT kernel (logic in src/tuning/rtkernel/). */
import type { Command } from "@commander-js/extra-typings";
import type { OptsOf } from "./options.js";
import { ACCEPT_NEW_OPTION, NODE_OPTION, POD_OPTION } from "./pod-options.js";
import { finish } from "./run.js";

const declarePlan = (kernel: Command) =>
  kernel
    .command("plan")
    .description(
      "name the RT kernel package for this distribution and judge its kernel config before installing",
    )
    .option("--root <dir>", "plan for a root directory (a chroot) instead of this machine")
    .option("--cache <dir>", "where downloaded packages are kept (default $XDG_CACHE_HOME/kvm4nfv/rtkernel)")
    .option("--json", "print the plan as JSON")
    .option("-o, --output <file>", "write the plan JSON to a file");
export type KernelPlanOpts = OptsOf<ReturnType<typeof declarePlan>>;

const declareApply = (kernel: Command) =>
  kernel
    .command("apply")
    .description("install the planned RT kernel and make it the default boot entry (dry run unless --yes)")
    .argument("<plan>", "PLAN.json from kvm4nfv kernel plan -o")
    .option("--root <dir>", "apply inside a root directory (chroot) instead of this machine")
    .option("--yes", "really change the machine (journaled; undo with kvm4nfv revert)")
    .option("--journal <file>", "journal file (default: <root>/var/lib/kvm4nfv/journal.json)");
export type KernelApplyOpts = OptsOf<ReturnType<typeof declareApply>>;

const declareCheck = (kernel: Command) =>
  kernel
    .command("check")
    .description("after the reboot: is the planned kernel running, and is it PREEMPT_RT (exit 1 if not)")
    .argument("<plan>", "PLAN.json from kvm4nfv kernel plan -o")
    .option("--root <dir>", "check a snapshot directory instead of this machine")
    .option(...POD_OPTION)
    .option(...NODE_OPTION)
    .option(...ACCEPT_NEW_OPTION);
export type KernelCheckOpts = OptsOf<ReturnType<typeof declareCheck>>;

export function register(program: Command): void {
  const kernel = program
    .command("kernel")
    .description(
      "choose, install and boot the distribution's PREEMPT_RT kernel (plan -> apply -> reboot -> check)",
    );
  declarePlan(kernel).action(async (opts) => {
    const { kernelPlan } = await import("../app/kernel.js");
    finish(await kernelPlan(opts));
  });
  declareApply(kernel).action(async (plan, opts) => {
    const { kernelApply } = await import("../app/kernel.js");
    finish(await kernelApply(plan, opts));
  });
  declareCheck(kernel).action(async (plan, opts) => {
    if (opts.node !== undefined) {
      const { kernelCheckNodes } = await import("../app/nodes.js");
      return finish(await kernelCheckNodes(plan, opts));
    }
    const { kernelCheck } = await import("../app/kernel.js");
    finish(await kernelCheck(plan, opts));
  });
}
