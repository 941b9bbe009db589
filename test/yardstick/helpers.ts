/**
 * Shared by the Yardstick and fleet tests: the built CLI run synchronously, the real kvmfornfv task file run
 * shortened (as kvmfornfv's CI shortened it), a pod.yaml naming the task's node `kvm`, the kvm4nfv_fleet role
 * under the real ansible-playbook, and what the fleet leaves behind.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "vitest";

/** kvmfornfv's cyclictest task file, unmodified (its origin is beside it in test/fixtures/yardstick). */
export const TASK = "test/fixtures/yardstick/kvmfornfv_cyclictest_hostenv_guestenv.yaml";

/** The built CLI as a user runs it, waited for; env replaces the environment when given. */
export function kvm4nfv(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
) {
  return spawnSync("node", ["bin/kvm4nfv.js", ...args], {
    encoding: "utf8",
    timeout: options.timeoutMs ?? 120_000,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
}

/** A stored run as `results show --json` prints it. */
export function shownRun(id: number | string, store?: string, env?: NodeJS.ProcessEnv) {
  const args = ["results", "show", String(id), "--json", ...(store === undefined ? [] : ["--store", store])];
  return JSON.parse(kvm4nfv(args, { env }).stdout);
}

/**
 * `run task` of the real task file on its host (`--where host`), loops shortened to 1000 with --set as
 * kvmfornfv's CI shortened them with sed, the result file written to `out`.
 */
export function shortTaskArgs(pod: string, out: string, ...extra: string[]): string[] {
  return [
    "run",
    "task",
    TASK,
    "--pod",
    pod,
    "--set",
    "scenarios.0.options.loops=1000",
    "--where",
    "host",
    "-o",
    out,
    ...extra,
  ];
}

/** A pod.yaml whose one node is `kvm` (the task file's `host: kvm.LF`) on 127.0.0.1, as root. */
export function kvmPodYaml(options: { key?: string; port?: number; scenario?: string } = {}): string {
  const lines = [
    "nodes:",
    "-",
    "    name: kvm",
    "    role: Controller",
    "    ip: 127.0.0.1",
    "    user: root",
  ];
  if (options.key !== undefined) lines.push(`    key_filename: ${options.key}`);
  if (options.port !== undefined) lines.push(`    ssh_port: ${options.port}`);
  if (options.scenario !== undefined) lines.push(`scenario: ${options.scenario}`);
  return `${lines.join("\n")}\n`;
}

/** Directories in /tmp whose name starts with prefix (a run's or the fleet role's work directories). */
export const tmpDirs = (prefix: string) => readdirSync("/tmp").filter((d) => d.startsWith(prefix));

/** What a fleet run over SSH keeps apart: known hosts, ControlPersist sockets, Ansible's local temp. */
export interface FleetSsh {
  knownHosts: string;
  controlPathDir: string;
  localTemp: string;
}

export interface FleetRun {
  inventory: string;
  /** The file list the role copies (test/yardstick/file-list.ts). */
  files: string;
  fetch: string;
  timeoutMs: number;
  /** Nodes over SSH; absent for ansible_connection=local inventories. */
  ssh?: FleetSsh;
}

/** ansible/fleet.yml under the real ansible-playbook with ansible/ansible.cfg, 2 forks, a 1 s cyclictest. */
export function fleetPlaybook(run: FleetRun, ...extra: string[]) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANSIBLE_CONFIG: resolve("ansible/ansible.cfg"),
    ANSIBLE_NOCOLOR: "1",
  };
  if (run.ssh !== undefined) {
    // the nodes' host keys as the tests trust them; ansible.cfg keeps host_key_checking on
    env.ANSIBLE_SSH_COMMON_ARGS = `-o UserKnownHostsFile=${run.ssh.knownHosts} -o GlobalKnownHostsFile=/dev/null`;
    env.ANSIBLE_SSH_CONTROL_PATH_DIR = run.ssh.controlPathDir;
    env.ANSIBLE_LOCAL_TEMP = run.ssh.localTemp;
  }
  return spawnSync(
    "ansible-playbook",
    [
      "-i",
      run.inventory,
      "ansible/fleet.yml",
      "-f",
      "2",
      "-e",
      `kvm4nfv_file_list=${run.files}`,
      "-e",
      `kvm4nfv_fetch_dir=${run.fetch}`,
      "-e",
      "kvm4nfv_timer_duration_s=1",
      ...extra,
    ],
    { encoding: "utf8", timeout: run.timeoutMs, env },
  );
}

/** The play recap line of a node that was reached and did not fail (changed=0 where nothing may change). */
export function expectRecapOk(stdout: string, node: string, changed: "none" | "some"): void {
  const count = changed === "none" ? "0" : "\\d+";
  expect(stdout).toMatch(new RegExp(`${node}\\s*: ok=\\d+\\s+changed=${count}\\s+unreachable=0\\s+failed=0`));
}

/** Close the ControlPersist masters ansible.cfg's ssh_args leave in controlPathDir. */
export function closeControlMasters(controlPathDir: string): void {
  for (const sock of existsSync(controlPathDir) ? readdirSync(controlPathDir) : [])
    spawnSync("ssh", ["-O", "exit", "-o", `ControlPath=${join(controlPathDir, sock)}`, "127.0.0.1"]);
}

/** A check report's findings as sorted `id=level` strings, to compare two judgements. */
const findingLevels = (report: { findings: Array<{ id: string; level: string }> }) =>
  report.findings.map((f) => `${f.id}=${f.level}`).sort();

/** `check --role host --format json`, of this live machine or of a snapshot root. */
function checkHost(root?: string) {
  const args = [
    "check",
    "--role",
    "host",
    ...(root === undefined ? [] : ["--root", root]),
    "--format",
    "json",
  ];
  return JSON.parse(kvm4nfv(args).stdout);
}

/**
 * What a fleet run gathered, stored: each snapshot in `likeLive` judges as this live machine does (the node is
 * this machine), `pod import-fleet FETCH` into store says nothing on stderr and one line per node, and timer run
 * i+1 is node i's, with more than minSamples samples. Returns the stored runs, in node order.
 */
export function expectFleetStored(
  fetch: string,
  store: string,
  nodes: readonly string[],
  options: { likeLive?: readonly string[]; minSamples?: number } = {},
) {
  if (options.likeLive?.length) {
    const live = findingLevels(checkHost());
    for (const node of options.likeLive)
      expect(findingLevels(checkHost(join(fetch, node, "snapshot"))), node).toEqual(live);
  }
  const imp = kvm4nfv(["pod", "import-fleet", fetch, "--store", store]);
  expect(imp.stderr).toBe("");
  nodes.forEach((node, i) => {
    expect(imp.stdout).toMatch(
      new RegExp(`^${node}: check \\d+ pass, \\d+ warn, \\d+ fail, \\d+ unknown; timer run ${i + 1}: `, "m"),
    );
  });
  return nodes.map((node, i) => {
    const run = shownRun(i + 1, store);
    expect(run.params.node).toBe(node);
    expect(run.cpus[0].samples).toBeGreaterThan(options.minSamples ?? 0);
    return run;
  });
}
