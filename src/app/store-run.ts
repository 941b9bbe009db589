/**
 * The end every measuring handler shares: store the run, then answer with the run record as JSON or in the
 * instrument's own text, exit 0 when its SLA verdict passed, else 1.
 */
import type { RunRecord } from "../measure/types.js";
import type { Outcome } from "./outcome.js";

export interface RunOutcome extends Outcome<string> {
  run: RunRecord;
}

export async function storeRunOutcome(
  run: RunRecord,
  flags: { store?: string; json?: boolean },
  format: (run: RunRecord, storePath: string) => string,
): Promise<RunOutcome> {
  const { openStore } = await import("../results/store.js");
  const store = openStore(flags.store);
  try {
    run.id = store.saveRun(run);
  } finally {
    store.close();
  }
  const output = flags.json ? JSON.stringify(run, null, 2) : format(run, store.path);
  return { output, exitCode: run.verdict.status === "pass" ? 0 : 1, notes: [], run };
}
