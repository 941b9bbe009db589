/**
 * `run daily|verify --with forwarding`: the forwarding step of a CI job. PVP exists but is not the step (it needs
 * QEMU 10 under TCG and a guest boot): phy2phy over testpmd (the job says so) at 64 and 1518 bytes.
 */
import type { Store } from "../../results/store.js";
import { readEnvironment } from "../environment.js";
import type { RunRecord } from "../types.js";
import { optionsFromFlags } from "./command.js";
import { buildRecords } from "./record.js";
import { runForwarding } from "./session.js";

export const JOB_FRAME_SIZES = "64,1518";

export interface ForwardingJobStep {
  job: string;
  /** Length of each trial and latency run (default 10 s; the seeds' jobs do not set one). */
  durationS?: number;
  /** "throughput=…,avg=…": as `test forwarding --sla`. */
  sla?: string;
  store: Store;
  say: (line: string) => void;
}

export async function runForwardingStep(step: ForwardingJobStep): Promise<RunRecord[]> {
  const o = optionsFromFlags({
    topology: "phy2phy",
    switch: "testpmd",
    frameSizes: JOB_FRAME_SIZES,
    duration: `${step.durationS ?? 10}s`,
    ...(step.sla ? { sla: step.sla } : {}),
  });
  step.say(
    `${step.job}: forwarding phy2phy over testpmd at ${JOB_FRAME_SIZES} bytes (pvp is not in the job step: under TCG it needs QEMU 10 and a guest boot) …`,
  );
  const { openHostFs } = await import("../../host/fs.js");
  const outcome = await runForwarding({ ...o, onProgress: (l) => step.say(`forwarding: ${l}`) });
  const session = `${new Date().toISOString()}#${process.pid}`;
  const runs = buildRecords(o, outcome, readEnvironment(openHostFs(), {}), o.sla, session);
  for (const run of runs) {
    run.params.job = step.job;
    run.id = step.store.saveRun(run);
    step.say(
      `${step.job}: ${run.label} ${String(run.metrics.frameSize)} B: run ${run.id}, ${String(run.metrics.throughputPps)} fps, ${run.verdict.status.toUpperCase()}`,
    );
  }
  return runs;
}
