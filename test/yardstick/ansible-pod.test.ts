/**
 * The kvm4nfv_fleet role under the real ansible-playbook (Debian's ansible-core) against nodes reached over SSH:
 * a real OpenSSH sshd on 127.0.0.1 with a throwaway key (test/pod/sshd.ts), listed twice in pod.yaml (node-a,
 * node-b: two inventory hosts, two SSH logins), the Ansible inventory generated from that pod.yaml by
 * `kvm4nfv pod to-ansible`. First --check: nothing may change on the nodes or the controller; then the real
 * run (read-only file copies, a 1 s cyclictest), whose fetch `pod import-fleet` judges and stores by node name.
 * ansible.cfg's own ssh_args (ControlPersist) are kept; the masters are closed at the end (ssh -O exit).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childrenOf, settle } from "../pod/helpers.js";
import { type LocalSshd, startSshd } from "../pod/sshd.js";
import { fileList } from "./file-list.js";

const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-ansiblepod-"));
const cpDir = join(dir, "cp");
let sshd: LocalSshd;
let inv: string;
const fetch = join(dir, "fleet");
const files = join(dir, "files.txt");
const fleetDirs = () => readdirSync("/tmp").filter((d) => d.startsWith("kvm4nfv-fleet-"));

const cli = (...args: string[]) =>
  spawnSync("node", ["bin/kvm4nfv.js", ...args], { encoding: "utf8", timeout: 120_000 });

function playbook(...extra: string[]) {
  return spawnSync(
    "ansible-playbook",
    [
      "-i",
      inv,
      "ansible/fleet.yml",
      "-f",
      "2",
      "-e",
      `kvm4nfv_file_list=${files}`,
      "-e",
      `kvm4nfv_fetch_dir=${fetch}`,
      "-e",
      "kvm4nfv_timer_duration_s=1",
      ...extra,
    ],
    {
      encoding: "utf8",
      timeout: 300_000,
      env: {
        ...process.env,
        ANSIBLE_CONFIG: resolve("ansible/ansible.cfg"),
        ANSIBLE_NOCOLOR: "1",
        // the node's host key as the pod tests trust it; ansible.cfg keeps host_key_checking on
        ANSIBLE_SSH_COMMON_ARGS: `-o UserKnownHostsFile=${sshd.knownHosts} -o GlobalKnownHostsFile=/dev/null`,
        ANSIBLE_SSH_CONTROL_PATH_DIR: cpDir,
        ANSIBLE_LOCAL_TEMP: join(dir, "atmp"),
      },
    },
  );
}

beforeAll(async () => {
  sshd = await startSshd();
  execFileSync("sh", [
    "-c",
    `printf '[127.0.0.1]:%s %s\\n' ${sshd.port} "$1" > ${sshd.knownHosts}`,
    "sh",
    sshd.hostKeyPub,
  ]);
  const pod = sshd.writePod([{ name: "node-a" }, { name: "node-b" }]);
  const ini = cli("pod", "to-ansible", pod);
  expect(ini.stderr).toBe("");
  inv = join(dir, "inventory.ini");
  writeFileSync(inv, ini.stdout);
  writeFileSync(files, fileList());
  mkdirSync(cpDir);
});

afterAll(async () => {
  // ansible.cfg's ControlPersist masters: close them, then nothing of ours may stay under the sshd
  for (const sock of existsSync(cpDir) ? readdirSync(cpDir) : [])
    spawnSync("ssh", ["-O", "exit", "-o", `ControlPath=${join(cpDir, sock)}`, "127.0.0.1"]);
  const left = await settle(() => childrenOf(sshd.pid));
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
  expect(left, "SSH sessions left under the test sshd").toEqual([]);
});

describe("the kvm4nfv_fleet role over SSH, inventory from pod.yaml", () => {
  it("pod to-ansible wrote one host per pod node, with the sshd's port and key", () => {
    const r = spawnSync("ansible-inventory", ["-i", inv, "--list"], { encoding: "utf8" });
    const hv = JSON.parse(r.stdout)._meta.hostvars;
    expect(Object.keys(hv).sort()).toEqual(["node-a", "node-b"]);
    expect(hv["node-a"]).toMatchObject({
      ansible_host: "127.0.0.1",
      ansible_port: sshd.port,
      ansible_user: "root",
      ansible_ssh_private_key_file: sshd.key,
    });
  });

  it("--check reaches both nodes over SSH, probes them and changes nothing", () => {
    const before = new Set(fleetDirs());
    const play = playbook("--check");
    expect(play.status, play.stdout + play.stderr).toBe(0);
    for (const node of ["node-a", "node-b"]) {
      expect(play.stdout).toMatch(
        new RegExp(`${node}\\s*: ok=\\d+\\s+changed=0\\s+unreachable=0\\s+failed=0`),
      );
    }
    expect(play.stdout).toContain("would copy the listed files and run cyclictest -D 1 on CPU");
    expect(existsSync(fetch)).toBe(false); // nothing fetched
    expect(fleetDirs().filter((d) => !before.has(d))).toEqual([]); // no work directory made on the node
  }, 300_000);

  it("the real run gathers both nodes; import-fleet judges and stores them by node name", () => {
    const before = new Set(fleetDirs());
    const play = playbook();
    expect(play.status, play.stdout + play.stderr).toBe(0);
    for (const node of ["node-a", "node-b"]) {
      expect(play.stdout).toMatch(
        new RegExp(`${node}\\s*: ok=\\d+\\s+changed=\\d+\\s+unreachable=0\\s+failed=0`),
      );
      expect(existsSync(join(fetch, node, "cyclictest.json"))).toBe(true);
    }
    expect(fleetDirs().filter((d) => !before.has(d))).toEqual([]); // the role removed its work directories
    expect(spawnSync("pgrep", ["-f", "cyclictest .*--json=/tmp/kvm4nfv-fleet-"]).status).toBe(1);

    // a snapshot fetched over SSH judges as the live machine does (the node is this machine)
    const live = JSON.parse(cli("check", "--role", "host", "--format", "json").stdout);
    const ids = (r: { findings: Array<{ id: string; level: string }> }) =>
      r.findings.map((f) => `${f.id}=${f.level}`).sort();
    const snap = JSON.parse(
      cli("check", "--role", "host", "--root", join(fetch, "node-a", "snapshot"), "--format", "json").stdout,
    );
    expect(ids(snap)).toEqual(ids(live));

    const store = join(dir, "results.db");
    const imp = cli("pod", "import-fleet", fetch, "--store", store);
    expect(imp.stderr).toBe("");
    expect(imp.stdout).toMatch(/^node-a: check \d+ pass, \d+ warn, \d+ fail, \d+ unknown; timer run 1: /m);
    expect(imp.stdout).toMatch(/^node-b: check .*; timer run 2: /m);
    for (const [id, node] of [
      ["1", "node-a"],
      ["2", "node-b"],
    ] as const) {
      const run = JSON.parse(cli("results", "show", id, "--store", store, "--json").stdout);
      expect(run.params.node).toBe(node);
      expect(run.cpus[0].samples).toBeGreaterThan(100);
    }
  }, 300_000);
});
