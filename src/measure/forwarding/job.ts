/**
 * `run daily|verify --with forwarding`: the forwarding step of a CI job, as the issue asks: phy2phy and pvp over
 * testpmd at 64 and 1518 bytes, each an RFC 2544 search then latency at a share of the rate found, one stored
 * run per topology and frame size, the job's SLA (throughput and latency limits) applied to all of them.
 * PVP's requirements (the guest image, a QEMU that runs vhost-user, see vnf.ts) are checked before phy2phy
 * starts, so a refused pvp costs no measurement.
 */
import { realExec } from "../../exec.js";
import type { Store } from "../../results/store.js";
import { readEnvironment } from "../environment.js";
import type { RunRecord } from "../types.js";
import { optionsFromFlags } from "./options.js";
import { buildRecords } from "./record.js";
import { runForwarding, type Topology } from "./session.js";
import { prepareVnf } from "./vnf.js";

export const JOB_FRAME_SIZES = "64,1518";
export const JOB_TOPOLOGIES: readonly Topology[] = ["phy2phy", "pvp"];

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
  const options = JOB_TOPOLOGIES.map((topology) =>
    optionsFromFlags({
      topology,
      switch: "testpmd",
      frameSizes: JOB_FRAME_SIZES,
      duration: `${step.durationS ?? 10}s`,
      ...(step.sla ? { sla: step.sla } : {}),
    }),
  );
  step.say(
    `${step.job}: forwarding ${JOB_TOPOLOGIES.join(" and ")} over testpmd at ${JOB_FRAME_SIZES} bytes (pvp through the RT guest) …`,
  );
  // Refuses here (exit 3, the fix named) when this QEMU cannot run the VNF; builds the guest image once.
  await prepareVnf(realExec, (l) => step.say(`forwarding: ${l}`));
  const { openHostFs } = await import("../../host/fs.js");
  const runs: RunRecord[] = [];
  for (const o of options) {
    const outcome = await runForwarding({
      ...o,
      onProgress: (l) => step.say(`forwarding ${o.topology}: ${l}`),
    });
    const session = `${new Date().toISOString()}#${process.pid}`;
    for (const run of buildRecords(o, outcome, readEnvironment(openHostFs(), {}), o.sla, session)) {
      run.params.job = step.job;
      run.id = step.store.saveRun(run);
      runs.push(run);
      step.say(
        `${step.job}: ${run.label} ${String(run.metrics.frameSize)} B: run ${run.id}, ${String(run.metrics.throughputPps)} fps, ${run.verdict.status.toUpperCase()}`,
      );
    }
  }
  return runs;
}
