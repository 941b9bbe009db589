/**
 * `kvm4nfv run task FILE.yaml`: Yardstick task files (added under the existing `run` command; commander
 * dispatches `run task …` here and `run verify|daily` to the jobs). Flags only; the handler is src/app/yardstick.ts
 * (the work src/yardstick/run-task.ts). Exit 0 criteria PASS, 1 FAIL (an SLA with action assert broke), 2 bad input.
 */
import type { Command } from "@commander-js/extra-typings";
import { type OptsOf, storeOption } from "./options.js";
import { finish, progress } from "./run.js";

function runGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === "run");
  return (existing ?? program.command("run").description("run jobs and task files")) as unknown as Command;
}

const declareTask = (program: Command) =>
  runGroup(program)
    .command("task")
    .description("run a Yardstick task file (yardstick:task:0.1; Cyclictest, QemuMigrate; Node context)")
    .argument("<file>", "the task file, e.g. kvmfornfv_cyclictest_hostenv_guestenv.yaml")
    .option("--pod <pod.yaml>", "the pod file (default: the context's file:)")
    .option("--task-args <yaml>", "template arguments, YAML or JSON, as yardstick task start --task-args")
    .option("--task-args-file <file>", "template arguments from a file (--task-args wins)")
    .option(
      "--set <path=value>",
      "override a value of the rendered task, e.g. scenarios.0.options.loops=1000 (repeatable; the file is not changed)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      "--where <where>",
      "run cyclictest on the host or in the guest (default: guest when host-run-qemu.sh is set up)",
    )
    .option(
      "--deploy-scenario <name>",
      "OPNFV scenario name, e.g. os-nosdn-kvm-ha (default $DEPLOY_SCENARIO)",
    )
    .option("--accept-new-host-key", "trust a pod node's host key on first contact (as --node commands)")
    .option("--yes", "apply the host_setup_seqs' tuning (without it: a dry run)")
    .option("-o, --output-file <file>", "Yardstick result file (default /tmp/yardstick.out, as Yardstick's)")
    .option("--influx <url>", "also post the points to this InfluxDB 1.x, e.g. http://127.0.0.1:8086")
    .option("--influx-db <name>", "InfluxDB database (default yardstick)")
    .addOption(storeOption())
    .option("--dry-run", "render and check the task, show what each part maps to, run nothing")
    .option("--json", "print Yardstick's result document");
export type RunTaskOpts = OptsOf<ReturnType<typeof declareTask>>;

export function register(program: Command): void {
  declareTask(program).action(async (file, opts, cmd) => {
    const { runTaskCommand } = await import("../app/yardstick.js");
    // `run` itself declares --store and -o (for its jobs) and commander gives them to it: take them back.
    const parent = (cmd.parent?.opts() ?? {}) as { store?: string; output?: string };
    const flags = {
      ...opts,
      store: opts.store ?? parent.store,
      outputFile: opts.outputFile ?? parent.output,
    };
    finish(await runTaskCommand(file, flags, progress));
  });
}
