/** `kvm4nfv check --role host|guest`: the readiness audit. Flags only; the handler is src/app/tuning.ts. */
import { type Command, Option } from "@commander-js/extra-typings";
import { cpusOption, type OptsOf } from "./options.js";
import { ACCEPT_NEW_OPTION, NODE_OPTION, POD_OPTION } from "./pod-options.js";
import { finish } from "./run.js";

const declareCheck = (program: Command) =>
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
    .option(...ACCEPT_NEW_OPTION);
export type CheckOpts = OptsOf<ReturnType<typeof declareCheck>>;

export function register(program: Command): void {
  declareCheck(program).action(async (opts) => {
    if (opts.node !== undefined) {
      const { checkOnNodes } = await import("../app/nodes.js");
      return finish(await checkOnNodes(opts));
    }
    const { checkCommand } = await import("../app/tuning.js");
    finish(await checkCommand(opts));
  });
}
