/**
 * The kvm4nfv_fleet role under the real ansible-playbook (Debian's ansible-core) against nodes reached over SSH:
 * a real OpenSSH sshd on 127.0.0.1 with a throwaway key (test/pod/sshd.ts), listed twice in pod.yaml (node-a,
 * node-b: two inventory hosts, two SSH logins), the Ansible inventory generated from that pod.yaml by
 * `kvm4nfv pod to-ansible`. First --check: nothing may change on the nodes or the controller; then the real
 * run (read-only file copies, a 1 s cyclictest), whose fetch `pod import-fleet` judges and stores by node name.
 * ansible.cfg's own ssh_args (ControlPersist) are kept; the masters are closed at the end (ssh -O exit).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childrenOf, settle } from "../pod/helpers.js";
import { type LocalSshd, startSshd } from "../pod/sshd.js";
import { fileList } from "./file-list.js";
import {
  closeControlMasters,
  expectFleetStored,
  expectRecapOk,
  fleetPlaybook,
  kvm4nfv,
  tmpDirs,
} from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-ansiblepod-"));
const cpDir = join(dir, "cp");
let sshd: LocalSshd;
let inv: string;
const fetch = join(dir, "fleet");
const files = join(dir, "files.txt");
const fleetDirs = () => tmpDirs("kvm4nfv-fleet-");

const playbook = (...extra: string[]) =>
  fleetPlaybook(
    {
      inventory: inv,
      files,
      fetch,
      timeoutMs: 300_000,
      ssh: { knownHosts: sshd.knownHosts, controlPathDir: cpDir, localTemp: join(dir, "atmp") },
    },
    ...extra,
  );

beforeAll(async () => {
  sshd = await startSshd();
  sshd.trust();
  const pod = sshd.writePod([{ name: "node-a" }, { name: "node-b" }]);
  const ini = kvm4nfv(["pod", "to-ansible", pod]);
  expect(ini.stderr).toBe("");
  inv = join(dir, "inventory.ini");
  writeFileSync(inv, ini.stdout);
  writeFileSync(files, fileList());
  mkdirSync(cpDir);
});

afterAll(async () => {
  // ansible.cfg's ControlPersist masters: close them, then nothing of ours may stay under the sshd
  closeControlMasters(cpDir);
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
    for (const node of ["node-a", "node-b"]) expectRecapOk(play.stdout, node, "none");
    expect(play.stdout).toContain("would copy the listed files and run cyclictest -D 1 on CPU");
    expect(existsSync(fetch)).toBe(false); // nothing fetched
    expect(fleetDirs().filter((d) => !before.has(d))).toEqual([]); // no work directory made on the node
  }, 300_000);

  it("the real run gathers both nodes; import-fleet judges and stores them by node name", () => {
    const before = new Set(fleetDirs());
    const play = playbook();
    expect(play.status, play.stdout + play.stderr).toBe(0);
    for (const node of ["node-a", "node-b"]) {
      expectRecapOk(play.stdout, node, "some");
      expect(existsSync(join(fetch, node, "cyclictest.json"))).toBe(true);
    }
    expect(fleetDirs().filter((d) => !before.has(d))).toEqual([]); // the role removed its work directories
    expect(spawnSync("pgrep", ["-f", "cyclictest .*--json=/tmp/kvm4nfv-fleet-"]).status).toBe(1);

    // a snapshot fetched over SSH judges as the live machine does (the node is this machine)
    expectFleetStored(fetch, join(dir, "results.db"), ["node-a", "node-b"], {
      likeLive: ["node-a"],
      minSamples: 100,
    });
  }, 300_000);
});
