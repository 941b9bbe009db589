/**
 * `check --evidence-from STORE`: the newest stored hwlatdetect run measured where the audited role runs (a host
 * run for --role host, a guest run for --role guest), as the platform.smi rule's evidence.
 */
import { UsageError } from "../../errors.js";
import type { HwlatEvidence } from "../../tuning/rules/types.js";

export async function hwlatEvidenceFrom(storePath: string, role: "host" | "guest"): Promise<HwlatEvidence> {
  const { openStore } = await import("../../results/store.js");
  const store = openStore(storePath);
  try {
    for (const summary of store.listRuns({ type: "hwlat", limit: 200 })) {
      const run = store.getRun(summary.id);
      if ((run.params.where ?? "host") !== role) continue;
      const num = (v: unknown) => (typeof v === "number" ? v : Number(v ?? 0));
      return {
        runId: summary.id,
        startedAt: run.startedAt,
        where: role,
        node: typeof run.params.node === "string" ? run.params.node : null,
        hostname: run.environment.hostname ?? null,
        accelerator: run.environment.accelerator ?? null,
        maxUs: num(run.metrics.maxUs),
        samples: num(run.metrics.samples),
        overThreshold: num(run.metrics.samplesOverThreshold),
        thresholdUs: typeof run.metrics.thresholdUs === "number" ? run.metrics.thresholdUs : null,
        status: run.verdict.status,
      };
    }
  } finally {
    store.close();
  }
  throw new UsageError(
    `--evidence-from ${storePath}: no hwlat run measured on a ${role} is stored there`,
    `run kvm4nfv test hwlat${role === "guest" ? " --where guest" : ""} --store ${storePath} first`,
  );
}
