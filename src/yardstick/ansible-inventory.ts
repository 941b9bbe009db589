/**
 * `kvm4nfv pod from-ansible INVENTORY` / `pod to-ansible POD.yaml`: an Ansible inventory ↔ Yardstick's pod.yaml.
 * The inventory is read by Ansible's own parser (`ansible-inventory --list`, every format Ansible takes: INI,
 * YAML, directories, group_vars), so kvm4nfv sees exactly the hosts and variables Ansible would use.
 * Mapping: inventory hostname → name; ansible_host → ip; ansible_user → user; ansible_port → ssh_port;
 * ansible_ssh_private_key_file → key_filename; the host's first group → role (compute → Compute, controller →
 * Controller, others as written); ansible_connection=local → this machine (ip 127.0.0.1, no login).
 */
import { stringify } from "yaml";
import { InputError, Kvm4nfvError, toolMissing } from "../errors.js";
import { type Exec, realExec } from "../exec.js";
import type { PodFile, TaskNode } from "./nodes.js";

interface InventoryList {
  _meta?: { hostvars?: Record<string, Record<string, unknown>> };
  [group: string]: unknown;
}

const ROLE_NAMES: Record<string, string> = {
  compute: "Compute",
  computes: "Compute",
  controller: "Controller",
  controllers: "Controller",
  baremetal: "BareMetal",
  master: "Master",
};

export async function readAnsibleInventory(file: string, exec: Exec = realExec): Promise<TaskNode[]> {
  if (!exec.which("ansible-inventory"))
    throw toolMissing("ansible-inventory", "install ansible-core: apt-get install ansible-core");
  const r = await exec.run("ansible-inventory", ["-i", file, "--list"], {
    allowFailure: true,
    timeoutMs: 60_000,
  });
  const warn = (r.stderr.match(/\[WARNING\]: ([^\n]*)/) ?? [])[1];
  if (r.exitCode !== 0) {
    throw new InputError(
      "BAD_INPUT",
      `${file}: Ansible cannot read this inventory: ${(warn ?? r.stderr.trim().split("\n").pop() ?? "").trim()}`,
    );
  }
  let inv: InventoryList;
  try {
    inv = JSON.parse(r.stdout) as InventoryList;
  } catch {
    throw new Kvm4nfvError("BAD_TOOL_OUTPUT", `ansible-inventory -i ${file} --list did not print JSON`);
  }
  const hostvars = inv._meta?.hostvars ?? {};
  const groupOf = new Map<string, string>();
  const visit = (group: string) => {
    const g = inv[group] as { hosts?: string[]; children?: string[] } | undefined;
    for (const h of g?.hosts ?? [])
      if (!groupOf.has(h) && group !== "all" && group !== "ungrouped") groupOf.set(h, group);
    for (const c of g?.children ?? []) visit(c);
  };
  visit("all");
  const hosts = [...new Set([...Object.keys(hostvars), ...groupOf.keys()])];
  if (hosts.length === 0) {
    throw new InputError(
      "BAD_INPUT",
      `${file}: no hosts in this inventory${warn ? ` (Ansible: ${warn})` : ""}`,
    );
  }
  return hosts.map((name) => {
    const v = hostvars[name] ?? {};
    const local = v.ansible_connection === "local";
    const group = groupOf.get(name);
    const node: TaskNode = {
      name,
      role: group ? (ROLE_NAMES[group.toLowerCase()] ?? group) : "Compute",
      ip: local ? "127.0.0.1" : String(v.ansible_host ?? name),
      user: String(v.ansible_user ?? "root"),
      port: Number(v.ansible_port ?? 22),
      local,
    };
    if (!local && typeof v.ansible_ssh_private_key_file === "string")
      node.keyFilename = v.ansible_ssh_private_key_file;
    const pass = v.ansible_password ?? v.ansible_ssh_pass;
    if (!local && pass !== undefined) node.password = String(pass);
    return node;
  });
}

/** pod.yaml text (Yardstick's keys) for the nodes. */
export function podYaml(nodes: readonly TaskNode[], source: string): string {
  const doc = {
    nodes: nodes.map((n) => ({
      name: n.name,
      role: n.role,
      ip: n.ip,
      user: n.user,
      ...(n.port !== 22 ? { ssh_port: n.port } : {}),
      ...(n.keyFilename !== undefined ? { key_filename: n.keyFilename } : {}),
      ...(n.password !== undefined ? { password: n.password } : {}),
    })),
  };
  return `# converted by kvm4nfv pod from-ansible from ${source}\n${stringify(doc)}`;
}

function iniValue(v: string): string {
  return /[\s"'=#;]/.test(v) ? `"${v.replace(/["\\]/g, "\\$&")}"` : v;
}

/**
 * A pod node's `jump: NODE` as Ansible's ssh connection spells it: ssh_common_args with the same ProxyCommand
 * `ssh -W %h:%p` kvm4nfv uses (the jump's port, key and user; never ProxyJump, whose hop would not get them).
 */
function jumpArgs(pod: PodFile, n: TaskNode): string[] {
  if (n.jump === undefined) return [];
  const j = pod.nodes.find((x) => x.name === n.jump)!;
  const proxy = ["ssh", "-W", "%h:%p", "-p", String(j.port), ...(j.keyFilename ? ["-i", j.keyFilename] : [])];
  return [
    `ansible_ssh_common_args=${iniValue(`-o ProxyCommand='${[...proxy, `${j.user}@${j.ip}`].join(" ")}'`)}`,
  ];
}

/** An INI inventory: one group per role (lower case), one line per node. */
export function ansibleIni(pod: PodFile): string {
  const groups = new Map<string, TaskNode[]>();
  for (const n of pod.nodes) {
    const g = n.role.toLowerCase().replace(/[^a-z0-9_]/g, "_") || "compute";
    groups.set(g, [...(groups.get(g) ?? []), n]);
  }
  const out = [`# converted by kvm4nfv pod to-ansible from ${pod.file}`];
  for (const [g, nodes] of groups) {
    out.push(`[${g}]`);
    for (const n of nodes) {
      const vars = n.local
        ? ["ansible_connection=local"]
        : [
            `ansible_host=${iniValue(n.ip)}`,
            `ansible_user=${iniValue(n.user)}`,
            `ansible_port=${n.port}`,
            ...(n.keyFilename !== undefined
              ? [`ansible_ssh_private_key_file=${iniValue(n.keyFilename)}`]
              : []),
            ...(n.password !== undefined ? [`ansible_password=${iniValue(n.password)}`] : []),
            ...jumpArgs(pod, n),
          ];
      out.push(`${n.name} ${vars.join(" ")}`);
    }
    out.push("");
  }
  return out.join("\n");
}
