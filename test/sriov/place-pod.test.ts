/**
 * `sriov place --pod`: the nodes of a pod read over a real OpenSSH sshd on 127.0.0.1 (test/pod/sshd.ts), each
 * node's machine the X710 provisioned snapshot (KVM4NFV_TEST_NODE_ROOT, as the pod tests do), one node through a
 * jump host and one that cannot be reached. The verdicts over SSH must be those of `--root` on the same tree
 * (whose answers test/sriov/nova.test.ts checks against Nova's own PciDeviceStats).
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { childrenOf, cli, pgrep, settle } from "../pod/helpers.js";
import { freePort, type LocalSshd, startSshd } from "../pod/sshd.js";

const SNAP = join(import.meta.dirname, "../fixtures/snapshots/sriov-x710-provisioned");
let sshd: LocalSshd;
let env: NodeJS.ProcessEnv;
let pod: string;

beforeAll(async () => {
  sshd = await startSshd();
  const down = await freePort();
  pod = sshd.writePod([
    { name: "compute1" },
    { name: "compute2", jump: "compute1" },
    { name: "gone", ssh_port: down },
  ]);
  env = { KVM4NFV_KNOWN_HOSTS: sshd.knownHosts, KVM4NFV_TEST_NODE_ROOT: SNAP };
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
});

afterEach(async () => {
  expect(await settle(() => pgrep("kvm4nfv-ssh-"))).toEqual([]);
  expect(await settle(() => childrenOf(sshd.pid))).toEqual([]);
});

describe("sriov place --pod over SSH", () => {
  it("gives each node the verdict --root gives its tree; an unreachable node is a NO with the reason", async () => {
    const request = ["--request", "physnet1:6,physnet2:2"];
    const r = await cli(
      env,
      "sriov",
      "place",
      ...request,
      "--pod",
      pod,
      "--map",
      "compute1=physnet1:ens2f0,physnet2:ens2f1",
      "--map",
      "compute2=physnet1:ens2f0",
      "--map",
      "gone=physnet1:ens2f0",
      "--accept-new-host-key",
      "--json",
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const byNode = Object.fromEntries(out.nodes.map((n: { node: string }) => [n.node, n]));
    const local = await cli(
      {},
      "sriov",
      "place",
      ...request,
      "--root",
      `${SNAP}@physnet1:ens2f0,physnet2:ens2f1`,
      "--root",
      `${SNAP}@physnet1:ens2f0`,
      "--json",
    );
    const [fits, partial] = JSON.parse(local.stdout).nodes;
    expect(byNode.compute1.fits).toBe(true);
    expect(byNode.compute1.pools).toEqual(fits.pools);
    expect(byNode.compute2.fits).toBe(false);
    expect(byNode.compute2.pools).toEqual(partial.pools);
    expect(byNode.compute2.reasons).toEqual(partial.reasons);
    expect(byNode.gone.fits).toBe(false);
    expect(byNode.gone.reasons[0]).toMatch(/^unreachable: /);
  }, 120_000);

  it("a --map naming a node the pod lacks: one line, exit 2", async () => {
    const r = await cli(
      env,
      "sriov",
      "place",
      "--request",
      "physnet1:1",
      "--pod",
      pod,
      "--map",
      "nope=physnet1:ens2f0",
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--map nope=physnet1:ens2f0: expected NODE=PHYSNET:IFACE/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
