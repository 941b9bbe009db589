/**
 * `kvm4nfv kernel plan|apply|check`: the distribution's PREEMPT_RT kernel (the work is src/tuning/rtkernel/).
 * Options typed by src/cli/kernel.ts's tables; check's exit is 1 when the planned kernel is not running or not RT.
 */
import type { KernelApplyOpts, KernelCheckOpts, KernelPlanOpts } from "../cli/kernel.js";
import { type Outcome, outcome } from "./outcome.js";

export async function kernelPlan(opts: KernelPlanOpts): Promise<Outcome<string>> {
  const m = await import("../tuning/rtkernel/plan.js");
  const plan = await m.makeRtKernelPlan({
    ...(opts.root === undefined ? {} : { root: opts.root }),
    ...(opts.cache === undefined ? {} : { cacheDir: opts.cache }),
  });
  if (opts.output !== undefined) m.writeRtKernelPlan(opts.output, plan);
  return outcome(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : m.formatRtKernelPlan(plan));
}

export async function kernelApply(plan: string, opts: KernelApplyOpts): Promise<Outcome<string>> {
  const m = await import("../tuning/rtkernel/apply.js");
  return outcome(m.formatRtApplyReport(await m.runRtKernelApply({ plan, ...opts })));
}

/** This machine (or --root); the --node path is the pod's fan-out (src/tuning/rtkernel/nodes.ts). */
export async function kernelCheck(plan: string, opts: KernelCheckOpts): Promise<Outcome<string>> {
  const m = await import("../tuning/rtkernel/check.js");
  const r = m.runRtKernelCheck({ plan, ...opts });
  return outcome(`${r.lines.join("\n")}\n`, r.ok ? 0 : 1);
}
