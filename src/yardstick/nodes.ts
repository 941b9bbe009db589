/**
 * The Node context: `context: {type: Node, name: LF, file: pod.yaml}` and `host: kvm.LF` naming node kvm of
 * that pod. --pod replaces the context's file (task files name the jump host's path, e.g. /opt/scripts/pod.yaml).
 * A node is this machine when its ip is a loopback name and it has no login (no key_filename, no password):
 * kvm4nfv then runs the scenario here without SSH. Any other node is reached over SSH (the pod transport).
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { InputError } from "../errors.js";
import type { Scenario, Task } from "./task.js";

export interface TaskNode {
  name: string;
  role: string;
  ip: string;
  user: string;
  port: number;
  keyFilename?: string;
  password?: string;
  /** Runs here, without SSH. */
  local: boolean;
}

export interface PodFile {
  file: string;
  nodes: TaskNode[];
  /** OPNFV scenario name the pod declares (`scenario: os-nosdn-kvm-ha`), kvm4nfv's addition. */
  scenario: string | null;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1"]);

export function readPodFile(file: string): PodFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      "BAD_INPUT",
      `pod file ${file}: ${code === "ENOENT" ? "no such file" : `cannot read (${code})`}`,
      "give the pod with --pod pod.yaml",
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputError("BAD_INPUT", `${file}: not YAML: ${String((err as Error).message).split("\n")[0]}`);
  }
  const list = (doc as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(list) || list.length === 0)
    throw new InputError("BAD_INPUT", `${file}: nodes: a list of nodes`);
  const nodes = list.map((raw, i): TaskNode => {
    const n = (raw ?? {}) as Record<string, unknown>;
    for (const key of ["name", "ip"]) {
      if (typeof n[key] !== "string" && typeof n[key] !== "number") {
        throw new InputError("BAD_INPUT", `${file}: nodes.${i}.${key}: missing`);
      }
    }
    const node: TaskNode = {
      name: String(n.name),
      role: String(n.role ?? "Compute"),
      ip: String(n.ip),
      user: String(n.user ?? "root"),
      port: Number(n.ssh_port ?? 22),
      local: false,
    };
    if (typeof n.key_filename === "string") {
      node.keyFilename = isAbsolute(n.key_filename)
        ? n.key_filename
        : resolve(dirname(resolve(file)), n.key_filename);
    }
    if (n.password !== undefined) node.password = String(n.password);
    node.local = LOOPBACK.has(node.ip) && node.keyFilename === undefined && node.password === undefined;
    return node;
  });
  const scenario = (doc as { scenario?: unknown }).scenario;
  return { file, nodes, scenario: typeof scenario === "string" ? scenario : null };
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
export function scenarioNode(task: Task, s: Scenario, pods: Map<string, PodFile>): TaskNode | null {
  if (!s.host) return null;
  const pod = pods.get(s.host.context)!;
  const node = pod.nodes.find((n) => n.name === s.host!.node);
  if (!node) {
    throw new InputError(
      "BAD_INPUT",
      `${task.file}:${s.host.line}: scenarios.${s.index}.host: node "${s.host.node}" is not in ${pod.file} (nodes there: ${pod.nodes.map((n) => n.name).join(", ")}); nothing was run`,
    );
  }
  return node;
}
