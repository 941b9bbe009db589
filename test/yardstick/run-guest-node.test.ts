/**
 * The pod's second test node: kvm4nfv's RT guest (Debian's PREEMPT_RT kernel, rt-tests, dropbear) booted under
 * QEMU and reached over SSH (test/pod/guest-node.ts). The real kvmfornfv task file runs there unmodified, its
 * node `kvm` being that guest: the stored run must carry the guest's kernel (not this host's) and the node name.
 * Under TCG the file's `breaktrace: 1000` may stop cyclictest at the first emulated ≥ 1 ms latency: -b doing
 * what it says, so the sample count is only bounded.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootGuestNode, type GuestNode } from "../pod/guest-node.js";
import { pgrep, settle } from "../pod/helpers.js";
import { kvm4nfv, kvmPodYaml, shortTaskArgs, shownRun } from "./helpers.js";

let guest: GuestNode;
let pod: string;

beforeAll(async () => {
  guest = await bootGuestNode();
  pod = join(guest.dir, "task-pod.yaml");
  writeFileSync(pod, kvmPodYaml({ key: guest.key, port: guest.port }));
}, 400_000);

afterAll(async () => {
  await guest?.stop();
  expect(await settle(() => pgrep("kvm4nfv-guest-node"))).toEqual([]);
});

describe("run task --pod against the RT guest node", () => {
  it("runs the real kvmfornfv task on the guest over SSH, stored with the node's name and the guest's kernel", () => {
    const out = join(guest.dir, "yardstick.out");
    const store = join(guest.dir, "results.db");
    const r = kvm4nfv(shortTaskArgs(pod, out, "--store", store, "--json"), {
      timeoutMs: 240_000,
      env: { ...process.env, KVM4NFV_KNOWN_HOSTS: guest.knownHosts },
    });
    expect(r.stderr).not.toMatch(/^kvm4nfv: /m);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`on node kvm (ssh root@127.0.0.1:${guest.port})`);
    const doc = JSON.parse(readFileSync(out, "utf8"));
    expect(JSON.parse(r.stdout)).toEqual(doc);
    const rec = doc.result.testcases.kvmfornfv_cyclictest_hostenv_guestenv.tc_data[0];
    for (const v of Object.values(rec.data)) expect(v).toMatch(/^\d{5}$/);
    const run = shownRun(1, store);
    expect(run.params.node).toBe("kvm");
    expect(run.params.yardstick.node).toBe("kvm");
    expect(run.environment.kernelRelease).toBe(guest.kernelRelease);
    expect(run.environment.realtimeKernel).toBe(true);
    expect(run.params.cpus).toBe("1");
    const c = run.cpus[0];
    expect(c.samples).toBeGreaterThan(0);
    expect(c.samples).toBeLessThanOrEqual(1000);
    if (c.samples < 1000) expect(c.maxUs).toBeGreaterThan(1000); // -b 1000 stopped it
    expect(Number(rec.data.max)).toBe(c.maxUs);
  }, 300_000);
});
