/** `kvm4nfv check --role host|guest`: the readiness audit. Flags only; the rules are in src/tuning/. */
import { type Command, Option } from "@commander-js/extra-typings";
import { UsageError } from "../errors.js";
import { cpusOption } from "./options.js";
import { ACCEPT_NEW_OPTION, NODE_OPTION, POD_OPTION } from "./pod-options.js";
import { print, setExit } from "./run.js";

export function register(program: Command): void {
  program
    .command("check")
    .description(
      "audit a KVM host or RT guest against the KVM4NFV low-latency setup (exit 1 when a rule fails)",
    )
    .addOption(
      new Option("--role <role>", "what this machine is").choices(["host", "guest"]).makeOptionMandatory(),
    )
    .option("--root <dir>", "audit a snapshot directory instead of the live machine")
    .addOption(cpusOption("the RT CPUs (vCPUs for a guest), default: the cmdline's isolcpus, else nohz_full"))
    .addOption(
      new Option("--format <format>", "output format").choices(["text", "json", "junit"]).default("text"),
    )
    .option(
      "--against <plan>",
      "audit against PLAN.json from kvm4nfv plan: what kvm4nfv apply would still change, as findings",
    )
    .option(
      "--evidence-from <store>",
      "results store whose newest hwlat run is platform.smi's evidence (kvm4nfv test hwlat)",
    )
    .option(...POD_OPTION)
    .option(...NODE_OPTION)
    .option(...ACCEPT_NEW_OPTION)
    .action(async (opts) => {
      if (opts.node !== undefined) {
        if (opts.evidenceFrom !== undefined)
          throw new UsageError("--evidence-from is for this machine or --root");
        const pod = await import("../pod/commands.js");
        return pod.emitOutcome(await pod.checkNodes(opts));
      }
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
      print(formatReport(report, opts.format));
      setExit(report.summary.fail > 0 ? 1 : 0);
    });
}
