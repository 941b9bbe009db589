/**
 * What ssh's own failures mean, in one line each. ssh exits 255 for its own errors and prints them on stderr;
 * everything else is the remote command's status. The exit codes follow the README's contract: a node that
 * cannot be reached or refuses us is the environment (3); a connection lost while a command ran is a failed
 * child (4).
 */
import { Kvm4nfvError } from "../errors.js";
import type { PodNode } from "./inventory.js";

export type SshFailure = "host-key-changed" | "host-key-unknown" | "auth" | "unreachable" | "lost";

export class SshError extends Kvm4nfvError {
  readonly failure: SshFailure;
  constructor(failure: SshFailure, message: string, hint?: string) {
    super(failure === "lost" ? "TOOL_FAILED" : "PERMISSION", message, hint === undefined ? {} : { hint });
    this.name = "SshError";
    this.failure = failure;
  }
}

export function describeNode(node: PodNode): string {
  return `node ${node.name} (${node.user}@${node.ip}:${node.port})`;
}

/** Classify ssh's stderr after an exit status of 255. `connected` says whether the command had started. */
export function sshFailure(node: PodNode, stderr: string, knownHosts: string, connected: boolean): SshError {
  const who = describeNode(node);
  const hostId = node.port === 22 ? node.ip : `[${node.ip}]:${node.port}`;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) {
    return new SshError(
      "host-key-changed",
      `${who}: its host key has CHANGED since kvm4nfv first trusted it: refusing to connect`,
      `if the node was reinstalled, check the new key and forget the old one: ssh-keygen -R '${hostId}' -f ${knownHosts}`,
    );
  }
  if (/host key is known|Host key verification failed|No .* host key is known/i.test(stderr)) {
    return new SshError(
      "host-key-unknown",
      `${who}: its host key is not in ${knownHosts} yet`,
      "check the node's fingerprint, then trust it once with --accept-new-host-key",
    );
  }
  if (/Permission denied|Too many authentication failures|no mutual signature/i.test(stderr)) {
    const key = node.keyFilename ? `the key ${node.keyFilename}` : "its keys";
    return new SshError(
      "auth",
      `${who} refused ${key} for ${node.user}`,
      `add the public key to ~${node.user}/.ssh/authorized_keys on the node (ssh-copy-id -i ${node.keyFilename ?? "KEY"} -p ${node.port} ${node.user}@${node.ip})`,
    );
  }
  if (
    !connected ||
    /Connection refused|timed out|No route to host|Could not resolve|Network is unreachable|Connection reset|kex_exchange_identification|Name or service not known/i.test(
      stderr,
    )
  ) {
    if (connected && /Connection reset|closed|broken pipe|timeout/i.test(stderr)) {
      return new SshError("lost", `${who}: the connection was lost: ${lastLine(stderr)}`);
    }
    return new SshError(
      "unreachable",
      `${who} is unreachable: ${lastLine(stderr) || "ssh could not connect"}`,
      "check the address and port in pod.yaml, that sshd runs there, and the route from this jump host",
    );
  }
  return new SshError("lost", `${who}: the connection was lost: ${lastLine(stderr) || "ssh exited 255"}`);
}

function lastLine(text: string): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^@+$/.test(l) && !l.startsWith("Warning: Permanently added"));
  return (lines[lines.length - 1] ?? "").replace(/\.$/, "").slice(0, 200);
}
