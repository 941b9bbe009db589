/**
 * The fleet on real Ansible (Debian's ansible-core): inventories converted with Ansible's own parser and back,
 * and the kvm4nfv_fleet role run by ansible-playbook against two inventory nodes on this machine
 * (ansible_connection=local), fetched, judged and stored by `pod import-fleet` with each node's name.
 * The snapshot a node sent must judge exactly like the node itself (same findings as `check` on the live host).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileList } from "./file-list.js";
import { expectFleetStored, expectRecapOk, fleetPlaybook, kvm4nfv } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-ansible-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => kvm4nfv(args);
const inventoryHosts = (inv: string) => {
  const r = spawnSync("ansible-inventory", ["-i", inv, "--list"], { encoding: "utf8" });
  return JSON.parse(r.stdout)._meta.hostvars as Record<string, Record<string, unknown>>;
};

describe("pod from-ansible / to-ansible", () => {
  it("converts INI and YAML inventories to pod.yaml and back, as Ansible reads them", () => {
    const ini = join(dir, "inv.ini");
    writeFileSync(
      ini,
      "[compute]\nnode1 ansible_host=10.0.0.5 ansible_user=ubuntu ansible_port=2222 ansible_ssh_private_key_file=/k/id\nhere ansible_connection=local\n[controller]\nctl1 ansible_host=10.0.0.1\n[compute:vars]\nansible_user=ops\n",
    );
    const yml = join(dir, "inv.yml");
    writeFileSync(
      yml,
      "all:\n  children:\n    compute:\n      hosts:\n        node1: {ansible_host: 10.0.0.5, ansible_user: ubuntu, ansible_port: 2222, ansible_ssh_private_key_file: /k/id}\n        here: {ansible_connection: local}\n    controller:\n      hosts:\n        ctl1: {ansible_host: 10.0.0.1}\n",
    );
    for (const inv of [ini, yml]) {
      const r = cli("pod", "from-ansible", inv);
      expect(r.stderr).toBe("");
      const pod = join(dir, "pod.yaml");
      writeFileSync(pod, r.stdout);
      expect(r.stdout).toContain(
        "name: node1\n    role: Compute\n    ip: 10.0.0.5\n    user: ubuntu\n    ssh_port: 2222\n    key_filename: /k/id",
      );
      expect(r.stdout).toContain("name: ctl1\n    role: Controller\n    ip: 10.0.0.1\n    user: root");
      const back = cli("pod", "to-ansible", pod);
      const again = join(dir, "again.ini");
      writeFileSync(again, back.stdout);
      const hv = inventoryHosts(again);
      expect(hv.node1).toMatchObject({
        ansible_host: "10.0.0.5",
        ansible_user: "ubuntu",
        ansible_port: 2222,
        ansible_ssh_private_key_file: "/k/id",
      });
      expect(hv.here).toMatchObject({ ansible_connection: "local" });
      expect(hv.ctl1).toMatchObject({ ansible_host: "10.0.0.1" });
    }
  });

  it("a pod node's jump host becomes Ansible's ssh_common_args ProxyCommand, as Ansible reads it back", () => {
    const pod = join(dir, "jump.yaml");
    writeFileSync(
      pod,
      "nodes:\n- {name: jh, role: Controller, ip: 10.0.0.1, user: ops, ssh_port: 2200, key_filename: /k/jh}\n- {name: c1, ip: 192.168.0.5, key_filename: /k/c1, jump: jh}\n",
    );
    const r = cli("pod", "to-ansible", pod);
    expect(r.stderr).toBe("");
    const inv = join(dir, "jump.ini");
    writeFileSync(inv, r.stdout);
    const hv = inventoryHosts(inv);
    expect(hv.c1).toMatchObject({
      ansible_host: "192.168.0.5",
      ansible_ssh_common_args: "-o ProxyCommand='ssh -W %h:%p -p 2200 -i /k/jh ops@10.0.0.1'",
    });
    expect(hv.jh!.ansible_ssh_common_args).toBeUndefined();
  });

  it("an inventory Ansible cannot read is one line, exit 2", () => {
    const bad = join(dir, "bad.yml");
    writeFileSync(bad, "all:\n  hosts: [\n");
    const r = cli("pod", "from-ansible", bad);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("the kvm4nfv_fleet role under ansible-playbook", () => {
  it("collects both nodes' snapshots and timer JSON in parallel; import-fleet judges and stores them by node", () => {
    const files = join(dir, "files.txt");
    writeFileSync(files, fileList());
    const inv = join(dir, "fleet.ini");
    writeFileSync(
      inv,
      "[compute]\nnode-a ansible_connection=local ansible_python_interpreter=/usr/bin/python3\nnode-b ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    );
    const fetch = join(dir, "fleet");
    const play = fleetPlaybook({ inventory: inv, files, fetch, timeoutMs: 240_000 });
    for (const node of ["node-a", "node-b"]) expectRecapOk(play.stdout, node, "some");
    expect(play.status).toBe(0);

    // each snapshot judges as the live machine does
    const nodes = ["node-a", "node-b"];
    const [, b] = expectFleetStored(fetch, join(dir, "results.db"), nodes, {
      likeLive: nodes,
      minSamples: 100,
    });
    expect(b.label).toBe("node-b");
    expect(b.cpus).toHaveLength(1);
    expect(spawnSync("pgrep", ["-x", "cyclictest"]).status).toBe(1); // nothing left running
  }, 240_000);
});
