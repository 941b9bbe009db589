/** `kvm4nfv check --role host|guest`: the readiness audit. Flags only; the rules are in src/tuning/. */
import { type Command, Option } from "@commander-js/extra-typings";
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
    .option(
      "--cpus <list>",
      "the RT CPUs (vCPUs for a guest), default: the cmdline's isolcpus, else nohz_full",
    )
    .addOption(
      new Option("--format <format>", "output format").choices(["text", "json", "junit"]).default("text"),
    )
    .action(async (opts) => {
      const { openHostFs } = await import("../host/fs.js");
      const { readHost } = await import("../host/read.js");
      const { runCheck } = await import("../tuning/check.js");
      const { formatReport } = await import("../tuning/check-format.js");
      const report = runCheck(readHost(openHostFs(opts.root)), { role: opts.role, cpus: opts.cpus });
      print(formatReport(report, opts.format));
      setExit(report.summary.fail > 0 ? 1 : 0);
    });
}
