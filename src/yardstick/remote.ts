/**
 * A task's `host: NODE.CONTEXT` naming a node reached over SSH: the scenario runs there through the pod module
 * (src/pod: withSession, runRemoteTimer, fetchNode, remoteApply) — one SSH session per step, closed after it,
 * nothing left on the node (the pod's supervisor and run directories). Host keys follow the pod's rules:
 * kvm4nfv's own known_hosts, accept-new only with --accept-new-host-key.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TimerTestOptions } from "../measure/timer.js";
import type { RunRecord } from "../measure/types.js";
import { sshOptions } from "../pod/commands.js";
import type { Pod } from "../pod/inventory.js";
import type { SshOptions } from "../pod/ssh.js";
import type { ApplyReport } from "../tuning/apply/apply.js";
import type { RunTaskFlags } from "./flags.js";
import type { TaskNode } from "./nodes.js";

export interface NodeTarget {
  node: TaskNode;
  pod: Pod;
}

/** The pod's own SSH options for a --node command (host-key policy included). */
export function sshOptionsFor(target: NodeTarget, flags: RunTaskFlags): SshOptions {
  return sshOptions(target.pod, { acceptNewHostKey: flags.acceptNewHostKey });
}

/** How the node is reached, for the summary line. */
export function describeTarget(t: NodeTarget): string {
  if (t.node.local) return `node ${t.node.name} (this machine)`;
  const port = t.node.port === 22 ? "" : `:${t.node.port}`;
  return `node ${t.node.name} (ssh ${t.node.user}@${t.node.ip}${port}${t.node.jump ? ` via ${t.node.jump}` : ""})`;
}

/** Cyclictest on the node itself: the pod's remote timer test (the node's own rt-tests). */
export async function timerOnTarget(
  target: NodeTarget,
  flags: RunTaskFlags,
  options: TimerTestOptions,
): Promise<RunRecord> {
  const [{ withSession }, { runRemoteTimer }] = await Promise.all([
    import("../pod/ssh.js"),
    import("../pod/remote-timer.js"),
  ]);
  return withSession(target.node, sshOptionsFor(target, flags), (s) => runRemoteTimer(s, options));
}

/**
 * host-setup0.sh / host-setup1.sh on the node: the host plan derived from the node's own facts (one reader round
 * trip), then the pod's remote apply — a dry run unless --yes; the journal is the node's own. A node kvm4nfv
 * cannot plan for is, in a dry run, a note ("measuring it as it is"), as on this machine.
 */
export async function hostSetupOnTarget(
  target: NodeTarget,
  flags: RunTaskFlags,
  rtCpus: number[],
): Promise<{ report: ApplyReport } | { note: string }> {
  const [{ withSession }, { fetchNode }, { remoteApply }, { readHost }, { derivePlan }, { emit }] =
    await Promise.all([
      import("../pod/ssh.js"),
      import("../pod/remote-fs.js"),
      import("../pod/remote-apply.js"),
      import("../host/read.js"),
      import("../tuning/plan.js"),
      import("../tuning/emit/index.js"),
    ]);
  return withSession(target.node, sshOptionsFor(target, flags), async (s) => {
    let plan: string;
    try {
      plan = emit(derivePlan(readHost(await fetchNode(s)), { role: "host", cpus: rtCpus }), "json");
    } catch (err) {
      if (flags.yes) throw err;
      return { note: `no host plan for node ${target.node.name} (${(err as Error).message})` };
    }
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-task-plan-"));
    try {
      const file = join(dir, "plan.json");
      writeFileSync(file, plan);
      return { report: await remoteApply(s, { plan: file, yes: Boolean(flags.yes) }) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
