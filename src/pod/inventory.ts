/**
 * The pod inventory: Yardstick's pod.yaml (`nodes: [{name, role, ip, user, key_filename | password,
 * ssh_port}]`), as the OPNFV jump hosts used it. Keys Yardstick knows and kvm4nfv does not use (interfaces,
 * ipmi_*, …) are kept and ignored. kvm4nfv adds one optional key, `jump`: the name of another node of the same
 * pod to reach this one through (ssh's ProxyJump).
 *
 * Bad inventory is one line naming the file and the key (exit 2), never a stack trace.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { InputError, UsageError } from "../errors.js";
import { readInputFile } from "../input-file.js";

export interface PodNode {
  name: string;
  role: string;
  ip: string;
  user: string;
  port: number;
  /** Absolute path of the private key (relative key_filename values are relative to pod.yaml). */
  keyFilename?: string;
  password?: string;
  /** Name of the node to jump through. */
  jump?: string;
}

export interface Pod {
  file: string;
  nodes: PodNode[];
}

const nodeSchema = z
  .object({
    name: z
      .union([z.string(), z.number()])
      .transform(String)
      .pipe(z.string().regex(/^[A-Za-z0-9][\w.-]*$/, "a node name (letters, digits, . _ -)")),
    role: z.string().min(1).default("Compute"),
    ip: z.string().regex(/^[A-Za-z0-9:][\w.:%-]*$/, "a host name or IP address"),
    user: z
      .string()
      .regex(/^[\w.-]+$/, "a user name")
      .default("root"),
    key_filename: z.string().min(1).optional(),
    password: z.union([z.string(), z.number()]).transform(String).optional(),
    ssh_port: z.coerce.number().int().min(1).max(65535).default(22),
    jump: z.string().min(1).optional(),
  })
  .passthrough();

const podSchema = z.object({ nodes: z.array(nodeSchema).min(1, "at least one node") }).passthrough();

/** Where the inventory comes from: --pod FILE, else $KVM4NFV_POD. */
export function podPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? (env.KVM4NFV_POD?.trim() ? env.KVM4NFV_POD : undefined);
}

export function parsePod(text: string, file: string): Pod {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const first = ((err as Error).message ?? "").split("\n")[0];
    throw new InputError("BAD_INPUT", `${file}: not YAML: ${first}`);
  }
  const parsed = podSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    const what =
      issue.code === "invalid_type" && issue.path.length <= 1 && key === "nodes"
        ? "a list of nodes"
        : issue.message;
    throw new InputError("BAD_INPUT", `${file}: ${key}: ${what}`, "see the README's pod.yaml example");
  }
  const base = dirname(resolve(file));
  const seen = new Set<string>();
  const nodes = parsed.data.nodes.map((n, i): PodNode => {
    if (seen.has(n.name))
      throw new InputError("BAD_INPUT", `${file}: nodes.${i}.name: "${n.name}" appears twice`);
    seen.add(n.name);
    const node: PodNode = { name: n.name, role: n.role, ip: n.ip, user: n.user, port: n.ssh_port };
    if (n.key_filename !== undefined) {
      node.keyFilename = isAbsolute(n.key_filename) ? n.key_filename : resolve(base, n.key_filename);
    }
    if (n.password !== undefined) node.password = n.password;
    if (n.jump !== undefined) node.jump = n.jump;
    return node;
  });
  for (const [i, n] of nodes.entries()) {
    if (n.jump === undefined) continue;
    if (!seen.has(n.jump))
      throw new InputError("BAD_INPUT", `${file}: nodes.${i}.jump: no node named "${n.jump}"`);
    if (n.jump === n.name)
      throw new InputError("BAD_INPUT", `${file}: nodes.${i}.jump: a node cannot jump through itself`);
  }
  return { file, nodes };
}

export function loadPod(file: string): Pod {
  const text = readInputFile(file, `--pod ${file}`);
  return parsePod(text, file);
}

/**
 * --node NAME | all | role:ROLE (roles compare case-insensitively: Yardstick files say Compute and compute).
 * A comma-separated list combines them.
 */
export function selectNodes(pod: Pod, selector: string): PodNode[] {
  const picked: PodNode[] = [];
  const add = (n: PodNode) => {
    if (!picked.includes(n)) picked.push(n);
  };
  for (const part of selector.split(",").map((s) => s.trim())) {
    if (part === "") continue;
    if (part === "all") pod.nodes.forEach(add);
    else if (part.startsWith("role:")) {
      const role = part.slice(5).toLowerCase();
      const hits = pod.nodes.filter((n) => n.role.toLowerCase() === role);
      if (hits.length === 0) {
        const roles = [...new Set(pod.nodes.map((n) => n.role))].join(", ");
        throw new UsageError(`--node ${part}: no node of ${pod.file} has that role`, `roles there: ${roles}`);
      }
      hits.forEach(add);
    } else {
      const node = pod.nodes.find((n) => n.name === part);
      if (!node) {
        throw new UsageError(
          `--node ${part}: no such node in ${pod.file}`,
          `nodes there: ${pod.nodes.map((n) => n.name).join(", ")}`,
        );
      }
      add(node);
    }
  }
  if (picked.length === 0) throw new UsageError("--node is empty", "give a node name, all, or role:ROLE");
  return picked;
}

/** The nodes a command acts on, or null for "this machine" (no --node). --node without a pod is a usage error. */
export function resolveTargets(flags: {
  pod?: string | undefined;
  node?: string | undefined;
}): { pod: Pod; nodes: PodNode[] } | null {
  if (flags.node === undefined) return null;
  const file = podPath(flags.pod);
  if (file === undefined) {
    throw new UsageError("--node needs an inventory", "give --pod pod.yaml or set KVM4NFV_POD");
  }
  const pod = loadPod(file);
  return { pod, nodes: selectNodes(pod, flags.node) };
}

/** The node a jump names, from the same pod. */
export function jumpNode(pod: Pod, node: PodNode): PodNode | undefined {
  return node.jump === undefined ? undefined : pod.nodes.find((n) => n.name === node.jump);
}

/**
 * Run fn on every node, at most `limit` at a time, keeping the inventory's order in the results. A failure
 * on one node is that node's result, not the end of the others.
 */
export async function fanOut<T>(
  nodes: readonly PodNode[],
  fn: (node: PodNode) => Promise<T>,
  limit = 8,
): Promise<Array<{ node: PodNode; ok: true; value: T } | { node: PodNode; ok: false; error: unknown }>> {
  const results: Array<{ node: PodNode; ok: true; value: T } | { node: PodNode; ok: false; error: unknown }> =
    [];
  let next = 0;
  const worker = async () => {
    while (next < nodes.length) {
      const i = next++;
      const node = nodes[i]!;
      try {
        results[i] = { node, ok: true, value: await fn(node) };
      } catch (error) {
        results[i] = { node, ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, nodes.length)) }, worker));
  return results;
}
