/**
 * `test oslat|timerlat|osnoise|hwlat --node NAME`: the node's own tool, planned, run and judged exactly as on
 * this host, through src/pod's session and RemoteExec (as `test timer --node`). The node's files (CPUs,
 * cmdline, tracefs' tracer list) come from one reader round trip; the tools run under the node-side supervisor
 * in a run directory there, removed afterwards. The stored run carries the node's name (params.node).
 */
import { UsageError } from "../../errors.js";
import type { Exec } from "../../exec.js";
import type { HostFs } from "../../host/fs.js";
import type { RunRecord } from "../types.js";
import { TRACER_FILES } from "./tracers.js";

export interface NodeFlags {
  pod?: string | undefined;
  node?: string | undefined;
  acceptNewHostKey?: boolean | undefined;
  where?: string | undefined;
}

export interface OnNode {
  fs: HostFs;
  exec: Exec;
  node: string;
  nodeDir: string;
}

/** One node (measurements are not fanned out: they would load each other's jump host). */
export async function runOnNode(
  tool: string,
  flags: NodeFlags,
  run: (on: OnNode) => Promise<RunRecord>,
): Promise<RunRecord> {
  const [
    { resolveTargets },
    { sshOptions },
    { withSession },
    { newRunDir, RemoteExec },
    { fetchNode },
    files,
  ] = await Promise.all([
    import("../../pod/inventory.js"),
    import("../../pod/commands.js"),
    import("../../pod/ssh.js"),
    import("../../pod/remote-exec.js"),
    import("../../pod/remote-fs.js"),
    import("../../host/files.js"),
  ]);
  const targets = resolveTargets(flags);
  if (!targets) throw new UsageError("no --node given");
  if (targets.nodes.length !== 1) throw new UsageError(`test ${tool} takes one node`, "give --node NAME");
  if ((flags.where ?? "host") !== "host") {
    throw new UsageError("--where guest runs here, not on a node", "drop --node, or drop --where guest");
  }
  return withSession(targets.nodes[0]!, sshOptions(targets.pod, flags), async (session) => {
    // Interrupted (Ctrl-C, lost link), the node's watchdogs kill the tools and remove this directory too.
    const nodeDir = newRunDir();
    const exec = new RemoteExec(session, nodeDir);
    const fs = await fetchNode(session, [...files.HOST_FILES, ...TRACER_FILES]);
    await exec.run("mkdir", ["-m", "700", nodeDir, `${nodeDir}/stress`]);
    try {
      return await run({ fs, exec, node: session.node.name, nodeDir });
    } finally {
      await exec.run("rm", ["-rf", nodeDir], { allowFailure: true }).catch(() => undefined);
    }
  });
}
