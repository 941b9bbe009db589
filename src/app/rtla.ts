/** `kvm4nfv test timerlat|osnoise|hwlat`: flags → options, run, store, format. */
import type { Exec } from "../../exec.js";
import { DEFAULT_HWLAT_SLA, runHwlatTest } from "../hwlat/hwlat.js";
import { commonOptions, type InstrumentFlags, runHereOrOnNode, storeAndFormat } from "../oslat/command.js";
import { parseMicros } from "../units.js";
import { DEFAULT_RTLA_SLA, type RtlaTool, runRtlaTest } from "./rtla.js";

export interface RtlaFlags extends InstrumentFlags {
  stopAt?: string;
  threshold?: string;
}

const note = (n: string) => process.stderr.write(`kvm4nfv: ${n}\n`);

export async function rtlaCommand(tool: RtlaTool, flags: RtlaFlags, exec?: Exec) {
  const options = { tool, ...commonOptions(flags, DEFAULT_RTLA_SLA), onNote: note };
  const stopAtUs = flags.stopAt !== undefined ? parseMicros(flags.stopAt, "--stop-at") : undefined;
  const all = { ...options, ...(stopAtUs !== undefined ? { stopAtUs } : {}) };
  const run = await runHereOrOnNode(tool, flags, all, runRtlaTest, exec);
  return storeAndFormat(run, flags);
}

export async function hwlatCommand(flags: RtlaFlags, exec?: Exec) {
  const options = { ...commonOptions(flags, DEFAULT_HWLAT_SLA), onNote: note };
  const thresholdUs = flags.threshold !== undefined ? parseMicros(flags.threshold, "--threshold") : undefined;
  const all = { ...options, ...(thresholdUs !== undefined ? { thresholdUs } : {}) };
  const run = await runHereOrOnNode("hwlat", flags, all, runHwlatTest, exec);
  return storeAndFormat(run, flags);
}

export async function irqCommand(flags: RtlaFlags & { period?: string }, exec?: Exec) {
  const { runIrqTest, DEFAULT_IRQ_SLA } = await import("../irq/irq.js");
  const c = commonOptions({ ...flags, where: "guest" }, DEFAULT_IRQ_SLA);
  const run = await runIrqTest(
    {
      durationMs: c.durationMs,
      load: c.load ?? "idle",
      sla: c.sla,
      onNote: note,
      ...(c.cpus ? { cpus: c.cpus } : {}),
      ...(c.accel ? { accel: c.accel } : {}),
      ...(c.label ? { label: c.label } : {}),
      ...(flags.period ? { periodUs: parseMicros(flags.period, "--period") } : {}),
    },
    exec,
  );
  return storeAndFormat(run, flags);
}
