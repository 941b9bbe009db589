/**
 * `kvm4nfv test forwarding`: options from the flags (src/measure/forwarding/options.ts, with its refusals), the
 * run, one stored run per frame size, a table. Progress lines go through `log`.
 * Exit 0 SLA met, 1 SLA broken, 2 usage, 3 environment (not root, a tool missing, no VF), 4 a child failed.
 */
import type { ForwardingOpts } from "../cli/test.js";
import { Kvm4nfvError } from "../errors.js";
import { type ForwardingFlags, optionsFromFlags, refusal } from "../measure/forwarding/options.js";
import type { ForwardingOptions } from "../measure/forwarding/session.js";
import type { RunRecord } from "../measure/types.js";
import type { KeysMatch, OnProgress, Outcome, SameKeys } from "./outcome.js";

/**
 * `test forwarding`'s option table (src/cli/test.ts) names exactly measure's ForwardingFlags but `root` (a test
 * hook: where the SR-IOV refusal reads the host), or this does not build.
 */
export type ForwardingFlagsMatch = KeysMatch<SameKeys<ForwardingOpts, Omit<ForwardingFlags, "root">>>;

export interface ForwardingCommandOutcome extends Outcome<string> {
  runs: RunRecord[];
}

export async function forwardingCommand(
  flags: ForwardingFlags,
  log: OnProgress = () => {},
  hooks: Pick<ForwardingOptions, "onPhase" | "graceS"> = {},
): Promise<ForwardingCommandOutcome> {
  const o = optionsFromFlags(flags);
  const refused = refusal(o, flags.root ?? "/");
  if (refused) throw refused;
  if (process.getuid && process.getuid() !== 0) {
    throw new Kvm4nfvError("NOT_ROOT", "test forwarding needs root (network namespaces, hugepages, DPDK)");
  }
  const [
    { openStore },
    { runForwarding },
    { buildRecords },
    { openHostFs },
    { readEnvironment },
    { formatForwardingRuns },
  ] = await Promise.all([
    import("../results/store.js"),
    import("../measure/forwarding/session.js"),
    import("../measure/forwarding/record.js"),
    import("../host/fs.js"),
    import("../measure/environment.js"),
    import("../measure/forwarding/format.js"),
  ]);
  const store = openStore(flags.store);
  const runs: RunRecord[] = [];
  try {
    const outcome = await runForwarding({ ...o, ...hooks, onProgress: log });
    const environment = readEnvironment(openHostFs(), {});
    const session = `${new Date().toISOString()}#${process.pid}`;
    for (const run of buildRecords(o, outcome, environment, o.sla, session)) {
      run.id = store.saveRun(run);
      runs.push(run);
    }
  } finally {
    store.close();
  }
  const exitCode = runs.some((r) => r.verdict.status === "error")
    ? 4
    : runs.some((r) => r.verdict.status === "fail")
      ? 1
      : 0;
  const output = flags.json
    ? JSON.stringify({ runs }, null, 2)
    : `${formatForwardingRuns(runs)}\nstored runs ${runs.map((r) => r.id).join(", ")} in ${store.path}`;
  return { output, exitCode, notes: [], runs };
}
