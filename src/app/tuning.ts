/**
 * `kvm4nfv apply | revert | check` on this machine or a snapshot (--root): the work is src/tuning/ (apply/, check).
 * Options typed by src/cli/{apply,revert,check}.ts's tables; the --node paths are src/app/nodes.ts.
 * apply's exit is 1 when a setting does not read back as planned, check's when a rule fails.
 */
import type { ApplyOpts } from "../cli/apply.js";
import type { CheckOpts } from "../cli/check.js";
import type { RevertOpts } from "../cli/revert.js";
import { type Outcome, outcome } from "./outcome.js";

export async function applyCommand(plan: string, opts: ApplyOpts): Promise<Outcome<string>> {
  const { runApply, formatApplyReport } = await import("../tuning/apply/apply.js");
  const report = await runApply({ plan, ...opts });
  return outcome(formatApplyReport(report), (report.unverified ?? []).length > 0 ? 1 : 0);
}

export async function revertCommand(opts: RevertOpts): Promise<Outcome<string>> {
  const { runRevert, formatRevertReport } = await import("../tuning/apply/revert.js");
  return outcome(formatRevertReport(await runRevert(opts)));
}

export async function checkCommand(opts: CheckOpts): Promise<Outcome<string>> {
  // Loaded together: the audit's whole budget is a fraction of a second on the live host.
  const [
    { openHostFs },
    { readHost },
    { runCheck, runCheckAgainst },
    { formatReport },
    { hwlatEvidenceFrom },
  ] = await Promise.all([
    import("../host/fs.js"),
    import("../host/read.js"),
    import("../tuning/check.js"),
    import("../tuning/check-format.js"),
    import("../measure/hwlat/evidence.js"),
  ]);
  const fs = openHostFs(opts.root);
  const report =
    opts.against === undefined
      ? runCheck(readHost(fs), {
          role: opts.role,
          cpus: opts.cpus,
          ...(opts.evidenceFrom !== undefined
            ? { measured: { hwlat: await hwlatEvidenceFrom(opts.evidenceFrom, opts.role) } }
            : {}),
        })
      : await runCheckAgainst(fs, { role: opts.role, plan: opts.against, cpus: opts.cpus });
  return outcome(formatReport(report, opts.format), report.summary.fail > 0 ? 1 : 0);
}
