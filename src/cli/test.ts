/**
 * `kvm4nfv test timer …` (and later `test migration`): measurements. Flags only; the work is in
 * src/app/timer.ts. Exit 0 SLA met, 1 SLA broken, 2 usage.
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { accelOption, cpusOption, type OptsOf, storeOption } from "./options.js";
import { ACCEPT_NEW_OPTION, NODE_OPTION, POD_OPTION } from "./pod-options.js";
import { finish, progress } from "./run.js";
import { registerInstruments } from "./test-instruments.js";
import { registerMigration } from "./test-migration.js";

/** The `test` command group; other command files add their subcommands to the same group. */
export function testGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === "test");
  if (existing) return existing as unknown as Command;
  return program
    .command("test")
    .description(
      "measure latency on this host (timer, migration) — exit 0 SLA met, 1 SLA broken",
    ) as unknown as Command;
}

const declareTimer = (program: Command) =>
  testGroup(program)
    .command("timer")
    .description("run cyclictest on the RT CPUs, store the run and judge it against the SLA")
    .addOption(
      new Option("--where <where>", "measure on the host or in the guest")
        .choices(["host", "guest"])
        .default("host"),
    )
    .addOption(
      cpusOption(
        "CPUs to measure (default: the isolated CPUs, else the cmdline's isolcpus/nohz_full, else the last CPU)",
      ),
    )
    .option("--duration <time>", "run length: 500ms, 10s, 2m, 1h (default 60s)")
    .option("--loops <n>", "run this many cycles per thread instead of a duration")
    .option("--interval <us>", "wake-up interval (default 1000us)")
    .option("--priority <n>", "SCHED_FIFO priority of the measuring threads (default 99)")
    .option(
      "--load <kind>",
      "stress-ng load: idle|cpu|memory|io on the host; for --where guest HOST_GUEST, e.g. memorystress_idle",
      "idle",
    )
    .addOption(accelOption())
    .option("--sla <spec>", "limits in µs (default min=50,avg=100,max=1000; also p99, p99.99, …)")
    .option("--breaktrace <us>", "stop and mark the trace when a latency exceeds this")
    .option(
      "--trace <groups>",
      "ftrace event groups recorded for the run, kept with it: irq,sched,timer,rcu,…",
    )
    .option("--histogram <us>", "histogram width (default 1000us or the largest SLA limit)")
    .option("--label <label>", "label stored with the run (default: the load)")
    .addOption(storeOption())
    .option("--json", "print the stored run record as JSON")
    .option(...POD_OPTION)
    .option(...NODE_OPTION)
    .option(...ACCEPT_NEW_OPTION);
export type TimerOpts = OptsOf<ReturnType<typeof declareTimer>>;

export function register(program: Command): void {
  declareTimer(program).action(async (opts) => {
    if (opts.node !== undefined) {
      const { timerOnNode } = await import("../app/nodes.js");
      return finish(await timerOnNode(opts));
    }
    const { timerCommand } = await import("../app/timer.js");
    finish(await timerCommand(opts));
  });
  registerMigration(testGroup(program));
  registerForwarding(program);
  registerInstruments(testGroup(program));
}

/** `kvm4nfv test forwarding`: flags only; the handler is src/app/forwarding.ts (loaded lazily). */
const declareForwarding = (program: Command) =>
  testGroup(program)
    .command("forwarding")
    .description(
      "build a forwarding topology from real parts (namespaces, DPDK software ports, testpmd or OVS-DPDK), " +
        "measure zero-loss throughput (RFC 2544) and latency per frame size, store and judge, tear it all down",
    )
    .addOption(new Option("--topology <t>", "phy2phy, pvp or pvvp").default("phy2phy"))
    .addOption(
      new Option("--switch <s>", "testpmd, ovs-dpdk, sriov or none (Linux bridge baseline)").default(
        "testpmd",
      ),
    )
    .option("--frame-sizes <list>", "frame sizes in bytes (default 64,128,256,512,1024,1280,1518)")
    .option("--duration <time>", "length of each trial and latency run, whole seconds (default 10s)")
    .option(
      "--rate <fps>",
      "one trial at this rate (20000, 20k, 1.5M) instead of the RFC 2544 search (*_cont)",
    )
    .option(
      "--cpus <list>",
      "PMD / forwarding CPUs (default: the last CPU); the first other CPU is housekeeping",
    )
    .option("--fwd-mode <mode>", "testpmd forwarding mode: io or mac (default io)")
    .option("--latency-at <share>", "latency at this share of the zero-loss rate (default 50%)")
    .option("--max-trials <n>", "binary-search trials per frame size (default 6)")
    .option("--sla <spec>", "limits: throughput=FPS floor, and latency µs as in test timer (avg=100,p99=300)")
    .addOption(storeOption())
    .option("--json", "print the stored run records as JSON");
export type ForwardingOpts = OptsOf<ReturnType<typeof declareForwarding>>;

export function registerForwarding(program: Command): void {
  declareForwarding(program).action(async (opts) => {
    const { forwardingCommand } = await import("../app/forwarding.js");
    finish(await forwardingCommand(opts, progress));
  });
}
