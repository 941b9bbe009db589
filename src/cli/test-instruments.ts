/**
 * `kvm4nfv test oslat|timerlat|osnoise|hwlat|irq`: flags only; the handlers are src/app/oslat.ts and
 * src/app/rtla.ts (loaded lazily). Exit 0 SLA met, 1 SLA broken, 2 usage, 3 the kernel lacks the tracer, 4 a tool failed.
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { accelOption, type OptsOf, storeOption } from "./options.js";
import { ACCEPT_NEW_OPTION, NODE_OPTION, POD_OPTION } from "./pod-options.js";
import { finish } from "./run.js";

/** The flags every instrument shares with `test timer`. */
function common(cmd: Command, defaultSla: string) {
  return cmd
    .addOption(
      new Option("--where <where>", "measure on the host or in the RT guest")
        .choices(["host", "guest"])
        .default("host"),
    )
    .option("--cpus <list>", "CPUs to measure (default: the isolated CPUs, else the last CPU)")
    .option("--duration <time>", "run length: 10s, 2m, 1h (default 60s)")
    .option(
      "--load <kind>",
      "stress-ng load: idle|cpu|memory|io; for --where guest HOST_GUEST, e.g. memorystress_idle",
      "idle",
    )
    .addOption(accelOption("guest accelerator"))
    .option("--sla <spec>", `limits in µs (default ${defaultSla})`)
    .option("--label <label>", "label stored with the run (default: the load)")
    .addOption(storeOption())
    .option("--json", "print the stored run record as JSON")
    .option(...POD_OPTION)
    .option(...NODE_OPTION)
    .option(...ACCEPT_NEW_OPTION);
}
/** What every instrument's action receives (src/app/oslat.ts's InstrumentFlags is this). */
export type InstrumentOpts = OptsOf<ReturnType<typeof common>>;

const declareOslat = (test: Command) =>
  common(
    test.command("oslat").description("run rt-tests' oslat (a polling thread's latency), store and judge it"),
    "max=20",
  ).option("--priority <n>", "SCHED_FIFO priority of the polling threads (default: SCHED_OTHER)");
export type OslatOpts = OptsOf<ReturnType<typeof declareOslat>>;

const declareRtla = (test: Command, tool: "timerlat" | "osnoise") =>
  common(
    test
      .command(tool)
      .description(
        tool === "timerlat"
          ? "run rtla timerlat: per-CPU timer IRQ and thread latency histograms (needs the timerlat tracer)"
          : "run rtla osnoise: per-CPU noise histogram and interference counts by kind (needs the osnoise tracer)",
      ),
    "max=1000",
  ).option("--stop-at <us>", "stop when a latency crosses this and keep rtla's trace with the run");
export type RtlaOpts = OptsOf<ReturnType<typeof declareRtla>>;

const declareHwlat = (test: Command) =>
  common(
    test
      .command("hwlat")
      .description("run hwlatdetect: latency the OS did not cause (SMIs); needs the hwlat tracer"),
    "max=20",
  ).option("--threshold <us>", "record samples above this (default 10us)");
export type HwlatOpts = OptsOf<ReturnType<typeof declareHwlat>>;

const declareIrq = (test: Command) =>
  test
    .command("irq")
    .description(
      "device-interrupt test in the RT guest: an interrupt every period (1 ms), round trip to a responder on vCPU 1",
    )
    .option("--duration <time>", "run length (default 60s)")
    .option("--period <us>", "interrupt period (default 1000us)")
    .option("--cpus <list>", "host CPU for the guest's RT vCPU")
    .option("--load <kind>", "host stress-ng load: idle|cpu|memory|io", "idle")
    .addOption(accelOption("guest accelerator"))
    .option("--sla <spec>", "limits in µs (default max=1000)")
    .option("--label <label>", "label stored with the run")
    .addOption(storeOption())
    .option("--json", "print the stored run record as JSON");
export type IrqOpts = OptsOf<ReturnType<typeof declareIrq>>;

/** Notes during a run (the tracer it fell back to, the guest's accelerator), to stderr. */
const note = (n: string) => process.stderr.write(`kvm4nfv: ${n}\n`);

export function registerInstruments(test: Command): void {
  declareOslat(test).action(async (opts) => {
    const { oslatCommand } = await import("../app/oslat.js");
    finish(await oslatCommand(opts, note));
  });
  for (const tool of ["timerlat", "osnoise"] as const) {
    declareRtla(test, tool).action(async (opts) => {
      const { rtlaCommand } = await import("../app/rtla.js");
      finish(await rtlaCommand(tool, opts, note));
    });
  }
  declareHwlat(test).action(async (opts) => {
    const { hwlatCommand } = await import("../app/rtla.js");
    finish(await hwlatCommand(opts, note));
  });
  declareIrq(test).action(async (opts) => {
    const { irqCommand } = await import("../app/rtla.js");
    finish(await irqCommand(opts, note));
  });
}
