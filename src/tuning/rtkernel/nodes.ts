/**
 * `kvm4nfv kernel check PLAN --node N|all`: after the reboot, the same check on each node of a pod, over src/pod's
 * SSH session and file reader (one round trip per node for the five files the check reads). One node's failure is
 * that node's line; the exit code is the worst node's.
 */
import { describeError } from "../../errors.js";
import type { FileSpec } from "../../host/files.js";
import { fanOut, resolveTargets } from "../../pod/inventory.js";
import { fetchNode } from "../../pod/remote-fs.js";
import { withSession } from "../../pod/ssh.js";
import { describeNode } from "../../pod/ssh-errors.js";
import { runRtKernelCheck } from "./check.js";

const CHECK_FILES: readonly FileSpec[] = [
  { kind: "read", pattern: "/etc/os-release" },
  { kind: "read", pattern: "/proc/sys/kernel/osrelease" },
  { kind: "read", pattern: "/sys/kernel/realtime" },
  { kind: "read", pattern: "/proc/version" },
  { kind: "read", pattern: "/boot/config-*" },
];

export interface KernelNodeFlags {
  plan: string;
  pod?: string | undefined;
  node?: string | undefined;
  acceptNewHostKey?: boolean | undefined;
}

export async function kernelCheckOnNodes(
  flags: KernelNodeFlags,
): Promise<{ text: string; exitCode: number; errors: string[] }> {
  const t = resolveTargets(flags);
  if (t === null) throw new Error("kernelCheckOnNodes needs --node");
  const ssh = { pod: t.pod, ...(flags.acceptNewHostKey ? { acceptNewHostKey: true } : {}) };
  const results = await fanOut(t.nodes, (node) =>
    withSession(node, ssh, async (s) =>
      runRtKernelCheck({ plan: flags.plan, fs: await fetchNode(s, CHECK_FILES) }),
    ),
  );
  if (results.length === 1 && !results[0]!.ok) throw results[0]!.error;
  const parts: string[] = [];
  const errors: string[] = [];
  let exitCode = 0;
  for (const r of results) {
    const body = r.ok ? `${r.value.lines.join("\n")}\n` : "";
    if (r.ok) exitCode = Math.max(exitCode, r.value.ok ? 0 : 1);
    else {
      const e = describeError(r.error, false);
      exitCode = Math.max(exitCode, e.exitCode);
      errors.push(`kvm4nfv: ${describeNode(r.node)}: ${e.text}`);
    }
    parts.push(
      results.length === 1
        ? body
        : `== ${describeNode(r.node)} ==\n${r.ok ? body : "(failed, see stderr)\n"}`,
    );
  }
  return { text: parts.join("\n"), exitCode, errors };
}
