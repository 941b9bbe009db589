/**
 * `kvm4nfv run verify|daily`: the KVM4NFV CI jobs (host check, RT guest, load matrix, store, one report).
 * Exit 0 every run met the SLA, 1 one broke it, 2 usage.
 */
import type { Command } from "@commander-js/extra-typings";
import { accelOption, type OptsOf, storeOption } from "./options.js";
import { finish, progress } from "./run.js";

const declare = (program: Command) =>
  program
    .command("run")
    .description(
      "run the KVM4NFV CI jobs: verify (idle_idle, memorystress_idle; 2 min each) or daily (4 host loads; 1 h each)",
    )
    .argument("<job>", "verify or daily")
    .option("--duration <time>", "length of each run: 30s, 2m, 1h (default: verify 2m, daily 1h)")
    .option("--quick", "a short smoke version: 10s per run")
    .option("--sla <spec>", "limits in µs (default min=50,avg=100,max=1000)")
    .addOption(accelOption().default("auto" as const))
    .addOption(storeOption())
    .option(
      "--with <steps>",
      "extra steps: hwlat (before the guest matrix, cnf-tests' order), oslat, timerlat, osnoise (after it), forwarding (phy2phy and pvp over testpmd at 64 and 1518 bytes)",
    )
    .option("--forwarding-sla <spec>", "SLA of the forwarding step: throughput=FPS, avg=µs, p99=µs, …")
    .option(
      "-o, --output <file.html>",
      "report path (default: next to the store, reports/<job>-<time>.html)",
    );
export type JobOpts = OptsOf<ReturnType<typeof declare>>;

export function register(program: Command): void {
  declare(program).action(async (job, opts) => {
    const { jobCommand } = await import("../app/jobs-command.js");
    finish(await jobCommand(job, opts, progress));
  });
}
