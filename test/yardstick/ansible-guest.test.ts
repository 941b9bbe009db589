/**
 * The kvm4nfv_fleet role under the real ansible-playbook against BOTH test nodes in one inventory made by
 * `kvm4nfv pod to-ansible`: the localhost sshd node (test/pod/sshd.ts; it has Python, so the role uses Ansible's
 * modules) and the RT guest node (test/pod/guest-node.ts: Debian's PREEMPT_RT kernel under QEMU, busybox and
 * dropbear, no Python, so the role probes that and serves it with `raw` commands only, the controller side
 * writing the files). One guest boot for the file. --check first (read-only probes on both nodes, nothing made
 * on either node or on the controller), then the real run, whose fetch `pod import-fleet` stores by node name.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootGuestNode, type GuestNode } from "../pod/guest-node.js";
import { childrenOf, pgrep, settle } from "../pod/helpers.js";
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

let sshd: LocalSshd;
let guest: GuestNode;
let dir: string;
let inv: string;
const paths = () => ({ fetch: join(dir, "fleet"), files: join(dir, "files.txt"), cp: join(dir, "cp") });
const NODES = ["node-a", "rtguest"] as const;

const cli = (...args: string[]) => kvm4nfv(args);

function playbook(...extra: string[]) {
  const p = paths();
  return fleetPlaybook(
    {
      inventory: inv,
      files: p.files,
      fetch: p.fetch,
      timeoutMs: 400_000,
      ssh: {
        knownHosts: join(dir, "known_hosts.fleet"),
        controlPathDir: p.cp,
        localTemp: join(dir, "atmp"),
      },
    },
    ...extra,
  );
}

/** The guest's /tmp, listed over SSH: the raw path's work directories must not outlive their command. */
function guestFleetDirs(): string[] {
  const r = spawnSync(
    "ssh",
    [
      "-i",
      guest.key,
      "-p",
      String(guest.port),
      "-o",
      `UserKnownHostsFile=${guest.knownHosts}`,
      "-o",
      "BatchMode=yes",
      "root@127.0.0.1",
      "ls /tmp",
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`ssh to the guest failed: ${r.stderr}`);
  return r.stdout.split("\n").filter((d) => d.startsWith("kvm4nfv-fleet-"));
}
const hostFleetDirs = () => tmpDirs("kvm4nfv-fleet-");

beforeAll(async () => {
  sshd = await startSshd();
  guest = await bootGuestNode();
  dir = guest.dir;
  const p = paths();
  // both nodes' host keys, for Ansible's ssh
  writeFileSync(
    join(dir, "known_hosts.fleet"),
    `${sshd.knownHostsLine}\n${readFileSync(guest.knownHosts, "utf8")}`,
  );
  const pod = sshd.writePod([
    { name: "node-a" },
    { name: "rtguest", key_filename: guest.key, ssh_port: guest.port },
  ]);
  const ini = cli("pod", "to-ansible", pod);
  expect(ini.stderr).toBe("");
  inv = join(dir, "inventory.ini");
  writeFileSync(inv, ini.stdout);
  writeFileSync(p.files, fileList());
  mkdirSync(p.cp);
}, 400_000);

afterAll(async () => {
  if (dir) closeControlMasters(paths().cp);
  const left = sshd ? await settle(() => childrenOf(sshd.pid)) : [];
  await sshd?.stop();
  await guest?.stop();
  expect(left, "SSH sessions left under the test sshd").toEqual([]);
  expect(await settle(() => pgrep("kvm4nfv-guest-node"))).toEqual([]);
});

describe("the kvm4nfv_fleet role on both test nodes: Python modules on one, raw on the Python-less guest", () => {
  it("the inventory from pod.yaml names both nodes; the guest really has no Python", () => {
    const r = spawnSync("ansible-inventory", ["-i", inv, "--list"], { encoding: "utf8" });
    const hv = JSON.parse(r.stdout)._meta.hostvars;
    expect(Object.keys(hv).sort()).toEqual([...NODES]);
    expect(hv.rtguest).toMatchObject({ ansible_port: guest.port, ansible_ssh_private_key_file: guest.key });
    expect(hv["node-a"]).toMatchObject({ ansible_port: sshd.port });
    expect(guestFleetDirs()).toEqual([]); // the guest answers over SSH
  });

  it("--check probes both nodes and changes nothing on either, nor on the controller", () => {
    const beforeHost = new Set(hostFleetDirs());
    const play = playbook("--check");
    expect(play.status, play.stdout + play.stderr).toBe(0);
    for (const node of NODES) expectRecapOk(play.stdout, node, "none");
    // the guest went the raw way, the sshd node the modules' way: each says what a real run would do
    expect(play.stdout).toMatch(
      /rtguest\] => \{\s*"msg": "would copy the listed files and run cyclictest -D 1 on CPU \d+, fetching to .* with raw commands \(no Python on the node\)"/,
    );
    expect(play.stdout).toMatch(
      /node-a\] => \{\s*"msg": "would copy the listed files and run cyclictest -D 1 on CPU \d+, fetching to [^"]*node-a"/,
    );
    expect(existsSync(paths().fetch)).toBe(false);
    expect(hostFleetDirs().filter((d) => !beforeHost.has(d))).toEqual([]);
    expect(guestFleetDirs()).toEqual([]);
  }, 400_000);

  it("the real run gathers both nodes; import-fleet stores each run and snapshot by node name", () => {
    const { fetch } = paths();
    const beforeHost = new Set(hostFleetDirs());
    const play = playbook();
    expect(play.status, play.stdout + play.stderr).toBe(0);
    for (const node of NODES) {
      expectRecapOk(play.stdout, node, "some");
      expect(existsSync(join(fetch, node, "cyclictest.json"))).toBe(true);
    }
    expect(hostFleetDirs().filter((d) => !beforeHost.has(d))).toEqual([]);
    expect(guestFleetDirs()).toEqual([]);
    // each snapshot is its own node's: the guest's carries the PREEMPT_RT guest kernel, not this host's
    const release = (node: string) =>
      readFileSync(join(fetch, node, "snapshot/proc/sys/kernel/osrelease"), "utf8").trim();
    expect(release("rtguest")).toBe(guest.kernelRelease);
    expect(release("node-a")).toBe(readFileSync("/proc/sys/kernel/osrelease", "utf8").trim());
    const ct = JSON.parse(readFileSync(join(fetch, "rtguest", "cyclictest.json"), "utf8"));
    expect(ct.cmdline ?? ct["cmdline:"]).toMatch(
      /cyclictest -m -q -p 99 -i 1000 -t 1 -a \d+ -h 1000 -D 1 --json=/,
    );

    expectFleetStored(fetch, join(dir, "results.db"), NODES);
    // the guest's snapshot judged as the RT guest: its kernel is PREEMPT_RT
    const snap = JSON.parse(
      cli("check", "--role", "guest", "--root", join(fetch, "rtguest", "snapshot"), "--format", "json")
        .stdout,
    );
    expect(snap.findings.length).toBeGreaterThan(0);
  }, 400_000);
});
