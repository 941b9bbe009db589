/** `kvm4nfv kernel plan|apply|check`: the distribution's PREEMPT_RT kernel (logic in src/tuning/rtkernel/). */
import type { Command } from "@commander-js/extra-typings";
import { ACCEPT_NEW_OPTION, NODE_OPTION, POD_OPTION } from "./pod-options.js";
import { print, setExit } from "./run.js";

export function register(program: Command): void {
  const kernel = program
    .command("kernel")
    .description(
      "choose, install and boot the distribution's PREEMPT_RT kernel (plan -> apply -> reboot -> check)",
    );
  kernel
    .command("plan")
    .description(
      "name the RT kernel package for this distribution and judge its kernel config before installing",
    )
    .option("--root <dir>", "plan for a root directory (a chroot) instead of this machine")
    .option("--cache <dir>", "where downloaded packages are kept (default $XDG_CACHE_HOME/kvm4nfv/rtkernel)")
    .option("--json", "print the plan as JSON")
    .option("-o, --output <file>", "write the plan JSON to a file")
    .action(async (opts) => {
      const m = await import("../tuning/rtkernel/plan.js");
      const plan = await m.makeRtKernelPlan({
        ...(opts.root === undefined ? {} : { root: opts.root }),
        ...(opts.cache === undefined ? {} : { cacheDir: opts.cache }),
      });
      if (opts.output !== undefined) m.writeRtKernelPlan(opts.output, plan);
      print(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : m.formatRtKernelPlan(plan));
    });
  kernel
    .command("apply")
    .description("install the planned RT kernel and make it the default boot entry (dry run unless --yes)")
    .argument("<plan>", "PLAN.json from kvm4nfv kernel plan -o")
    .option("--root <dir>", "apply inside a root directory (chroot) instead of this machine")
    .option("--yes", "really change the machine (journaled; undo with kvm4nfv revert)")
    .option("--journal <file>", "journal file (default: <root>/var/lib/kvm4nfv/journal.json)")
    .action(async (plan, opts) => {
      const m = await import("../tuning/rtkernel/apply.js");
      print(m.formatRtApplyReport(await m.runRtKernelApply({ plan, ...opts })));
    });
  kernel
    .command("check")
    .description("after the reboot: is the planned kernel running, and is it PREEMPT_RT (exit 1 if not)")
    .argument("<plan>", "PLAN.json from kvm4nfv kernel plan -o")
    .option("--root <dir>", "check a snapshot directory instead of this machine")
    .option(...POD_OPTION)
    .option(...NODE_OPTION)
    .option(...ACCEPT_NEW_OPTION)
    .action(async (plan, opts) => {
      if (opts.node !== undefined) {
        const [{ kernelCheckOnNodes }, pod] = await Promise.all([
          import("../tuning/rtkernel/nodes.js"),
          import("../pod/commands.js"),
        ]);
        return pod.emitOutcome(await kernelCheckOnNodes({ plan, ...opts }));
      }
      const m = await import("../tuning/rtkernel/check.js");
      const r = m.runRtKernelCheck({ plan, ...opts });
      print(`${r.lines.join("\n")}\n`);
      setExit(r.ok ? 0 : 1);
    });
}
