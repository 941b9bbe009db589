/**
 * inspect, check, apply, revert and test timer on the nodes of a pod (src/app/nodes.ts calls these when --node is
 * given; they return data, never print). Each node is one SSH session (one handshake) and one round trip for its
 * files; then the same readHost and rules as locally. Several nodes are read concurrently (bounded), and one node's failure is that node's line, not the
 * end of the others.
 */
import { describeError, UsageError } from "../errors.js";
import { inspectJson, renderInspect } from "../host/inspect-render.js";
import { readHost } from "../host/read.js";
import type { TimerFlags } from "../measure/timer-options.js";
import { fanOut, type Pod, type PodNode, resolveTargets } from "./inventory.js";
import { fetchNode } from "./remote-fs.js";
import { type SshOptions, withSession } from "./ssh.js";
import { describeNode } from "./ssh-errors.js";

export interface PodFlags {
  pod?: string | undefined;
  node?: string | undefined;
  acceptNewHostKey?: boolean | undefined;
  /** fan-out width (default 8) */
  parallel?: number | undefined;
}

/** One fan-out's result (src/app/outcome.ts: nodesOutcome turns it into a handler's Outcome). */
export interface Outcome {
  text: string;
  exitCode: number;
  /** Lines for stderr (one per failed node). */
  errors: string[];
}

export function sshOptions(pod: Pod, flags: PodFlags): SshOptions {
  return { pod, ...(flags.acceptNewHostKey ? { acceptNewHostKey: true } : {}) };
}

function targets(flags: PodFlags & { root?: string | undefined }): { pod: Pod; nodes: PodNode[] } {
  if (flags.root !== undefined)
    throw new UsageError("--root and --node are exclusive", "a snapshot or a node, not both");
  const t = resolveTargets(flags);
  if (!t) throw new UsageError("no --node given");
  return t;
}

/** Per-node results → one outcome: sections for several nodes, the bare result for one. */
function combine<T>(
  results: Array<{ node: PodNode; ok: true; value: T } | { node: PodNode; ok: false; error: unknown }>,
  render: (value: T) => string,
  exitOf: (value: T) => number,
  json: boolean,
  jsonOf: (value: T) => unknown,
): Outcome {
  if (results.length === 1 && !results[0]!.ok) throw results[0]!.error;
  const errors: string[] = [];
  let exitCode = 0;
  const obj: Record<string, unknown> = {};
  const parts: string[] = [];
  for (const r of results) {
    if (r.ok) {
      exitCode = Math.max(exitCode, exitOf(r.value));
      if (json) obj[r.node.name] = jsonOf(r.value);
      else
        parts.push(
          results.length === 1 ? render(r.value) : `== ${describeNode(r.node)} ==\n${render(r.value)}`,
        );
    } else {
      const { text, exitCode: code } = describeError(r.error, false);
      errors.push(text);
      exitCode = Math.max(exitCode, code);
      if (json) obj[r.node.name] = { error: text.replace(/^kvm4nfv: /, "") };
    }
  }
  const text = json
    ? `${JSON.stringify(results.length === 1 ? Object.values(obj)[0] : obj, null, 2)}\n`
    : parts.map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join("\n");
  return { text, exitCode, errors };
}

export interface InspectNodeFlags extends PodFlags {
  json?: boolean | undefined;
  save?: string | undefined;
}

export async function inspectNodes(flags: InspectNodeFlags): Promise<Outcome> {
  const { pod, nodes } = targets(flags);
  if (flags.save !== undefined && nodes.length > 1) {
    throw new UsageError("--save takes one node", "give --node NAME, one snapshot directory per node");
  }
  const results = await fanOut(
    nodes,
    (node) =>
      withSession(node, { ...sshOptions(pod, flags), oneShot: true }, async (s) => {
        const fs = await fetchNode(s);
        try {
          if (flags.save !== undefined) {
            const { saveSnapshot } = await import("../host/snapshot.js");
            const saved = saveSnapshot(fs, flags.save);
            return flags.json
              ? { saved: saved.dir, files: saved.files, bytes: saved.bytes, node: node.name }
              : `saved ${saved.files} files (${Math.ceil(saved.bytes / 1024)} KiB) from node ${node.name} to ${saved.dir}\n`;
          }
          const host = readHost(fs);
          return flags.json ? inspectJson(host) : renderInspect(host);
        } finally {
          fs.dispose();
        }
      }),
    flags.parallel,
  );
  return combine(
    results,
    (v) => (typeof v === "string" ? v : JSON.stringify(v, null, 2)),
    () => 0,
    Boolean(flags.json),
    (v) => v,
  );
}

export interface CheckNodeFlags extends PodFlags {
  role: string;
  cpus?: string | undefined;
  format: string;
}

export async function checkNodes(flags: CheckNodeFlags): Promise<Outcome> {
  const { pod, nodes } = targets(flags);
  if (flags.format === "junit" && nodes.length > 1) {
    throw new UsageError("--format junit takes one node", "run check once per node, or use --format json");
  }
  const [{ runCheck }, { formatReport }] = await Promise.all([
    import("../tuning/check.js"),
    import("../tuning/check-format.js"),
  ]);
  const results = await fanOut(
    nodes,
    (node) =>
      withSession(node, { ...sshOptions(pod, flags), oneShot: true }, async (s) => {
        const fs = await fetchNode(s);
        return runCheck(readHost(fs), { role: flags.role, cpus: flags.cpus });
      }),
    flags.parallel,
  );
  return combine(
    results,
    (report) => formatReport(report, flags.format === "json" ? "text" : flags.format),
    (report) => (report.summary.fail > 0 ? 1 : 0),
    flags.format === "json",
    (report) => JSON.parse(formatReport(report, "json")),
  );
}

/** `test timer --node N`: one node (measurements are not fanned out: they would load each other's jump host). */
export async function timerOnNode(flags: PodFlags & TimerFlags): Promise<{ text: string; exitCode: number }> {
  const { pod, nodes } = targets(flags);
  if (nodes.length !== 1) throw new UsageError("test timer takes one node", "give --node NAME");
  if ((flags.where ?? "host") !== "host") {
    throw new UsageError("--where guest runs here, not on a node", "drop --node, or drop --where guest");
  }
  const [{ timerOptionsFromFlags }, { runRemoteTimer }, { openStore }, { formatTimerRun }] =
    await Promise.all([
      import("../measure/timer-options.js"),
      import("./remote-timer.js"),
      import("../results/store.js"),
      import("../measure/format.js"),
    ]);
  const options = timerOptionsFromFlags(flags);
  const run = await withSession(nodes[0]!, sshOptions(pod, flags), (s) => runRemoteTimer(s, options));
  const store = openStore(flags.store);
  try {
    run.id = store.saveRun(run);
  } finally {
    store.close();
  }
  const text = flags.json ? JSON.stringify(run, null, 2) : formatTimerRun(run, store.path);
  return { text, exitCode: run.verdict.status === "pass" ? 0 : 1 };
}

/**
 * Test hook: the node's machine is the snapshot copy under this directory on the node (as --root is locally), so
 * the localhost tests apply real plan targets without touching the shared host's own settings.
 */
function testNodeRoot(): string | undefined {
  return process.env.KVM4NFV_TEST_NODE_ROOT?.replace(/\/+$/, "") || undefined;
}

/** `apply PLAN --node N`: dry run unless --yes; the journal lives on each node. */
export async function applyOnNodes(
  flags: PodFlags & { plan: string; yes?: boolean | undefined; journal?: string | undefined },
): Promise<Outcome> {
  const { pod, nodes } = targets(flags);
  const [{ remoteApply }, { formatApplyReport }] = await Promise.all([
    import("./remote-apply.js"),
    import("../tuning/apply/apply.js"),
  ]);
  // test hook: pause between writes on the node, to drop the connection mid-apply
  const pause = Number(process.env.KVM4NFV_TEST_REMOTE_PAUSE_S ?? "");
  const root = testNodeRoot();
  const results = await fanOut(
    nodes,
    (node) =>
      withSession(node, sshOptions(pod, flags), (s) =>
        remoteApply(s, {
          plan: flags.plan,
          yes: flags.yes,
          journal: flags.journal,
          root,
          ...(pause > 0 ? { pauseS: pause } : {}),
        }),
      ),
    flags.parallel,
  );
  return combine(
    results,
    formatApplyReport,
    // as locally: exit 1 when a setting does not read back as planned
    (r) => ((r.unverified ?? []).length > 0 ? 1 : 0),
    false,
    (r) => r,
  );
}

/** `revert --node N`: restore from the node's own journal. */
export async function revertOnNodes(flags: PodFlags & { journal?: string | undefined }): Promise<Outcome> {
  const { pod, nodes } = targets(flags);
  const [{ remoteRevert }, { formatRevertReport }] = await Promise.all([
    import("./remote-apply.js"),
    import("../tuning/apply/revert.js"),
  ]);
  const results = await fanOut(
    nodes,
    (node) =>
      withSession(node, sshOptions(pod, flags), (s) =>
        remoteRevert(s, { journal: flags.journal, root: testNodeRoot() }),
      ),
    flags.parallel,
  );
  return combine(
    results,
    formatRevertReport,
    () => 0,
    false,
    (r) => r,
  );
}
