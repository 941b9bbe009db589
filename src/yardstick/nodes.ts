/**
 * The Node context: `context: {type: Node, name: LF, file: pod.yaml}` and `host: kvm.LF` naming node kvm of
 * that pod. --pod replaces the context's file (task files name the jump host's path, e.g. /opt/scripts/pod.yaml).
 * The pod file is read by the pod module's loader (src/pod/inventory.ts: the one pod.yaml parser). A node is
 * this machine when its ip is a loopback name and it has no login (no key_filename, no password): kvm4nfv then
 * runs the scenario here without SSH. Any other node is reached over SSH (src/pod/ssh.ts).
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { InputError } from "../errors.js";
import { readInputFile } from "../input-file.js";
import { type Pod, type PodNode, parsePod } from "../pod/inventory.js";
import type { Scenario, Task } from "./task.js";

export interface TaskNode extends PodNode {
  /** Runs here, without SSH. */
  local: boolean;
}

export interface PodFile {
  file: string;
  /** The pod as the pod module read it (for SSH options: jump hosts are looked up in it). */
  pod: Pod;
  nodes: TaskNode[];
  /** OPNFV scenario name the pod declares (`scenario: os-nosdn-kvm-ha`), kvm4nfv's addition. */
  scenario: string | null;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1"]);

export function isLocalNode(n: PodNode): boolean {
  return LOOPBACK.has(n.ip) && n.keyFilename === undefined && n.password === undefined;
}

export function readPodFile(file: string): PodFile {
  const text = readInputFile(file, `pod file ${file}`, "give the pod with --pod pod.yaml");
  const pod = parsePod(text, file);
  // parsePod has checked the YAML; the top-level `scenario` is task metadata, not inventory.
  const scenario = (parseYaml(text) as { scenario?: unknown }).scenario;
  return {
    file,
    pod,
    nodes: pod.nodes.map((n) => ({ ...n, local: isLocalNode(n) })),
    scenario: typeof scenario === "string" ? scenario : null,
  };
}

/** The pod of each context (by context name), --pod first. */
export function loadContextPods(task: Task, podFlag: string | undefined): Map<string, PodFile> {
  const pods = new Map<string, PodFile>();
  for (const c of task.contexts) {
    const file = podFlag ?? (isAbsolute(c.file) ? c.file : resolve(dirname(task.file), c.file));
    pods.set(c.name, readPodFile(file));
  }
  return pods;
}

/** The node a scenario's host names; a node the pod lacks is one line naming the task's line. */
export function scenarioNode(
  task: Task,
  s: Scenario,
  pods: Map<string, PodFile>,
): { node: TaskNode; pod: Pod } | null {
  if (!s.host) return null;
  const pod = pods.get(s.host.context)!;
  const node = pod.nodes.find((n) => n.name === s.host!.node);
  if (!node) {
    throw new InputError(
      "BAD_INPUT",
      `${task.file}:${s.host.line}: scenarios.${s.index}.host: node "${s.host.node}" is not in ${pod.file} (nodes there: ${pod.nodes.map((n) => n.name).join(", ")}); nothing was run`,
    );
  }
  return { node, pod: pod.pod };
}
