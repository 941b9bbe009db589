/** `kvm4nfv test timerlat|osnoise|hwlat|irq`: flags → options, run, store, format (notes through onNote). */
import type { HwlatOpts, IrqOpts, RtlaOpts } from "../cli/test-instruments.js";
import type { Exec } from "../exec.js";
import { DEFAULT_HWLAT_SLA, runHwlatTest } from "../measure/hwlat/hwlat.js";
import { DEFAULT_RTLA_SLA, type RtlaTool, runRtlaTest } from "../measure/rtla/rtla.js";
import { parseMicros } from "../units.js";
import { commonOptions, type InstrumentOutcome, quiet, runHereOrOnNode, storeAndFormat } from "./oslat.js";
import type { OnProgress } from "./outcome.js";

export async function rtlaCommand(
  tool: RtlaTool,
  flags: Partial<RtlaOpts>,
  onNote: OnProgress = quiet,
  exec?: Exec,
): Promise<InstrumentOutcome> {
  const options = { tool, ...commonOptions(flags, DEFAULT_RTLA_SLA), onNote };
  const stopAtUs = flags.stopAt !== undefined ? parseMicros(flags.stopAt, "--stop-at") : undefined;
  const all = { ...options, ...(stopAtUs !== undefined ? { stopAtUs } : {}) };
  const run = await runHereOrOnNode(tool, flags, all, runRtlaTest, exec);
  return storeAndFormat(run, flags);
}

export async function hwlatCommand(
  flags: Partial<HwlatOpts>,
  onNote: OnProgress = quiet,
  exec?: Exec,
): Promise<InstrumentOutcome> {
  const options = { ...commonOptions(flags, DEFAULT_HWLAT_SLA), onNote };
  const thresholdUs = flags.threshold !== undefined ? parseMicros(flags.threshold, "--threshold") : undefined;
  const all = { ...options, ...(thresholdUs !== undefined ? { thresholdUs } : {}) };
  const run = await runHereOrOnNode("hwlat", flags, all, runHwlatTest, exec);
  return storeAndFormat(run, flags);
}

export async function irqCommand(
  flags: Partial<IrqOpts>,
  onNote: OnProgress = quiet,
  exec?: Exec,
): Promise<InstrumentOutcome> {
  const { runIrqTest, DEFAULT_IRQ_SLA } = await import("../measure/irq/irq.js");
  const c = commonOptions({ ...flags, where: "guest" }, DEFAULT_IRQ_SLA);
  const run = await runIrqTest(
    {
      durationMs: c.durationMs,
      load: c.load ?? "idle",
      sla: c.sla,
      onNote,
      ...(c.cpus ? { cpus: c.cpus } : {}),
      ...(c.accel ? { accel: c.accel } : {}),
      ...(c.label ? { label: c.label } : {}),
      ...(flags.period ? { periodUs: parseMicros(flags.period, "--period") } : {}),
    },
    exec,
  );
  return storeAndFormat(run, flags);
}
