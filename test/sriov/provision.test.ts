/**
 * plan --sriov → apply → check --against → revert on copies of the four SR-IOV snapshot trees (snapshot
 * semantics: files written, no virtfnN links invented), and the live branches on a copy answered by kernel-sim.ts
 * (the PCI core's rules: 0 first, ERANGE, VFs created and destroyed, probing by override/autoprobe).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openHostFs } from "../../src/host/fs.js";
import { readHost } from "../../src/host/read.js";
import { sriovPlanOptions } from "../../src/sriov/plan-options.js";
import { runApply } from "../../src/tuning/apply/apply.js";
import { loadPlanFile } from "../../src/tuning/apply/plan-file.js";
import { runRevert } from "../../src/tuning/apply/revert.js";
import { emitJson } from "../../src/tuning/emit/json.js";
import { derivePlan } from "../../src/tuning/plan.js";
import type { Plan } from "../../src/tuning/plan-types.js";
import { auditAgainst } from "../../src/tuning/settings/against.js";
import { fakeExec } from "../helpers/exec.js";
import { hashTree, liveLike, SNAPSHOTS, scratch } from "../tuning/apply/tree.js";
import { kernelSim } from "./kernel-sim.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function planFor(snapshot: string, sriov: string, extra: Record<string, unknown> = {}): Plan {
  const host = readHost(openHostFs(join(SNAPSHOTS, snapshot)));
  return derivePlan(host, { role: "host", rtCpus: 4, ...extra, ...sriovPlanOptions(host, { sriov }) });
}

/** A copy of a snapshot with a plan --sriov for it. */
function copyWithPlan(snapshot: string, sriov: string) {
  const s = scratch(snapshot, { role: "host", rtCpus: 4 });
  cleanups.push(s.cleanup);
  const host = readHost(openHostFs(s.root));
  const plan = derivePlan(host, { role: "host", rtCpus: 4, ...sriovPlanOptions(host, { sriov }) });
  writeFileSync(s.plan, emitJson(plan));
  return s;
}

describe("plan --sriov: items from the settings catalogue", () => {
  it("per PF, in order: sriov_drivers_autoprobe (vfio-pci only), the VF count, the VF driver; RT CPUs on the NIC's node", () => {
    const plan = planFor("sriov-x710-untuned", "ens2f0:8:physnet1,ens2f1:4:physnet2:vfio-pci");
    const items = plan.runtime.filter(
      (i) =>
        i.kind === "sriov-vfs" || i.kind === "pci-driver" || ("path" in i && i.path.includes("/bus/pci/")),
    );
    expect(items.map((i) => [i.kind, "pf" in i ? i.pf : "path" in i ? i.path : ""])).toEqual([
      ["sriov-vfs", "0000:86:00.0"],
      ["write", "/sys/bus/pci/devices/0000:86:00.1/sriov_drivers_autoprobe"],
      ["sriov-vfs", "0000:86:00.1"],
      ["pci-driver", "0000:86:00.1"],
    ]);
    expect(items.find((i) => i.kind === "sriov-vfs")).toMatchObject({ count: 8 });
    // the X710 sits on node 1 (numa_node in the tree): the RT CPUs and the hugepages follow it
    expect(plan.node).toBe(1);
    expect(plan.hugepages?.node).toBe(1);
    expect(plan.cmdline.map((p) => p.key)).toEqual(expect.arrayContaining(["intel_iommu", "iommu"]));
    expect(plan.cmdline.find((p) => p.key === "iommu")?.value).toBe("pt");
  });

  it("the ConnectX-5 on node 0 moves the RT CPUs there; --nic does the same without SR-IOV", () => {
    expect(planFor("sriov-cx5-untuned", "ens1f0:4:physnet1").node).toBe(0);
    const host = readHost(openHostFs(join(SNAPSHOTS, "sriov-x710-untuned")));
    const nic = sriovPlanOptions(host, { nic: "0000:86:00.1" });
    expect(nic.sriov).toBeUndefined();
    expect(derivePlan(host, { role: "host", rtCpus: 4, ...nic }).node).toBe(1);
  });

  const cli = (args: string[]) => spawnSync("node", ["bin/kvm4nfv.js", ...args], { encoding: "utf8" });
  const root = join(SNAPSHOTS, "sriov-x710-untuned");
  it.each([
    [["--sriov", "ens2f0:65:physnet1"], /at most 64 VFs .*ERANGE/],
    [["--sriov", "eth9:4:physnet1"], /eth9 is not an SR-IOV physical function/],
    [["--sriov", "ens2f0:4:physnet1,ens2f1:4:physnet1"], /physnet1 is mapped to both/],
    [["--sriov", "ens2f0:4:physnet1", "--numa-node", "0"], /ens2f0 is on NUMA node 1/],
    [["--nic", "eth9"], /--nic eth9: no such network interface/],
  ])("bad input %j: one line, exit 2", (args, message) => {
    const out = join(mkdtempSync(join(tmpdir(), "kvm4nfv-sriov-plan-")), "plan.json");
    cleanups.push(() => rmSync(join(out, ".."), { recursive: true, force: true }));
    const r = cli(["plan", "--role", "host", "--rt-cpus", "4", "--root", root, "-o", out, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it("--sriov-from reads the testbed's env.sriov; --role guest refuses SR-IOV", () => {
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-sriov-tb-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const tb = join(dir, "testbed.py");
    writeFileSync(
      tb,
      "env.sriov = {\n  'host1': [{'interface': 'ens2f1', 'VF': 3, 'physnets': ['physnet2']}],\n}\n",
    );
    const r = cli(["plan", "--role", "host", "--rt-cpus", "4", "--root", root, "--sriov-from", tb]);
    expect(r.stderr).toBe("");
    const plan = JSON.parse(r.stdout);
    expect(plan.runtime.filter((i: { kind: string }) => i.kind === "sriov-vfs")).toEqual([
      expect.objectContaining({ pf: "0000:86:00.1", count: 3 }),
    ]);
    const g = cli([
      "plan",
      "--role",
      "guest",
      "--rt-cpus",
      "1",
      "--root",
      root,
      "--sriov",
      "ens2f0:2:physnet1",
    ]);
    expect(g.status).toBe(2);
    expect(g.stderr).toMatch(/for --role host/);
  });
});

describe("apply and revert on snapshot copies: the files, byte-exact, never pretended kernel links", () => {
  it.each([
    ["sriov-x710-untuned", "ens2f0:8:physnet1,ens2f1:4:physnet2:vfio-pci"],
    ["sriov-x710-provisioned", "ens2f0:8:physnet1,ens2f1:6:physnet2:vfio-pci"],
    ["sriov-cx5-untuned", "ens1f0:3:physnet1:vfio-pci"],
    ["sriov-cx5-provisioned", "ens1f0:2:physnet1:vfio-pci"],
  ])("%s with --sriov %s", async (snapshot, sriov) => {
    const s = copyWithPlan(snapshot, sriov);
    const before = hashTree(s.root);
    const applied = await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal });
    expect(applied.unverified).toEqual([]);
    const plan = loadPlanFile(s.plan);
    for (const item of plan.runtime) {
      if (item.kind !== "sriov-vfs") continue;
      const dev = join(s.root, "sys/bus/pci/devices", item.pf);
      expect(readFileSync(join(dev, "sriov_numvfs"), "utf8")).toBe(`${item.count}\n`);
    }
    // the virtfnN links, the driver links and the VF devices are the kernel's: unchanged on a snapshot
    const after = hashTree(s.root);
    for (const [path, v] of Object.entries(before)) {
      if (/\/(virtfn\d+|driver|physfn)$/.test(path) || /bus\/pci\/(devices|drivers\/[\w-]+)\/0000/.test(path))
        expect(after[path], path).toBe(v);
    }
    expect(applied.notes.join("\n")).toMatch(/written on a snapshot; its virtfnN links are the kernel's/);
    const findings = auditAgainst(
      openHostFs(s.root),
      (await import("../../src/tuning/apply/io.js")).nodeIo,
      plan,
      s.plan,
    ).findings;
    const sriovFindings = findings.filter((f) => f.id.startsWith("plan.sriov."));
    expect(sriovFindings.length).toBeGreaterThan(0);
    expect(sriovFindings.filter((f) => f.level === "fail")).toEqual([]);
    await runRevert({ root: s.root, journal: s.journal });
    expect(hashTree(s.root)).toEqual(before);
  });

  it("a VF count written straight over another is what the kernel refuses; apply writes 0 first", async () => {
    const s = copyWithPlan("sriov-x710-provisioned", "ens2f1:6:physnet2");
    const sim = kernelSim(s.root, join(s.dir, "stash"), { "0000:86:00.0": "iavf", "0000:86:00.1": "iavf" });
    const numvfs = "sys/devices/pci0000:85/0000:85:02.0/0000:86:00.1/sriov_numvfs";
    expect(() => sim.io.writeKernel(join(s.root, numvfs), "6\n")).toThrow(/EBUSY/);
    expect(() => sim.io.writeKernel(join(s.root, numvfs), "65\n")).toThrow(/ERANGE/);
    await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal, io: sim.io });
    expect(sim.writes.filter((w) => w.path === numvfs).map((w) => w.data)).toEqual([
      "6\n",
      "65\n",
      "0\n",
      "6\n",
    ]);
  });
});

/** The PCI part of a tree: what the SR-IOV items touch (a live-like copy restores THP & co. as values, not bytes). */
function pci(tree: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tree).filter(([k]) => k.startsWith("sys/bus/pci/") || k.startsWith("sys/devices/pci")),
  );
}

describe("live (a copy answered by the kernel's rules): VFs created, bound to vfio-pci, read back; revert rebinds", () => {
  function live(snapshot: string, sriov: string) {
    const s = copyWithPlan(snapshot, sriov);
    const drivers: Record<string, string> = snapshot.includes("cx5")
      ? { "0000:3b:00.0": "mlx5_core", "0000:3b:00.1": "mlx5_core" }
      : { "0000:86:00.0": "iavf", "0000:86:00.1": "iavf" };
    const sim = kernelSim(s.root, join(s.dir, "stash"), drivers);
    const fs = liveLike(s.root);
    // never the real machine's tools: mount, systemctl, chrt and update-grub answer from a fake
    const exec = fakeExec();
    return {
      s,
      sim,
      fs,
      opts: { plan: s.plan, yes: true, journal: s.journal, io: sim.io, fs, exec, isRoot: true },
    };
  }
  const vfDriver = (root: string, pf: string, i: number) => {
    const l = join(root, "sys/bus/pci/devices", pf, `virtfn${i}`, "driver");
    return existsSync(l) ? readlinkSync(l).split("/").pop() : null;
  };

  it("x710 provisioned: ens2f1 4 iavf VFs → 6 vfio-pci VFs, then back to the 4 iavf VFs exactly", async () => {
    const { s, sim, opts } = live("sriov-x710-provisioned", "ens2f1:6:physnet2:vfio-pci");
    const before = hashTree(s.root);
    const r = await runApply(opts);
    expect(r.unverified).toEqual([]);
    for (let i = 0; i < 6; i++) expect(vfDriver(s.root, "0000:86:00.1", i)).toBe("vfio-pci");
    // autoprobe 0 before the count: the new VFs are never probed by iavf first
    expect(sim.writes.some((w) => w.path.endsWith("drivers/iavf/unbind"))).toBe(false);
    const rev = await runRevert({
      root: s.root,
      journal: s.journal,
      io: sim.io,
      fs: opts.fs,
      exec: opts.exec,
      isRoot: true,
    });
    expect(rev.restored.join("\n")).toMatch(/0000:86:0a.0 \(driver iavf\)/);
    expect(pci(hashTree(s.root))).toEqual(pci(before));
  });

  it("x710 untuned, vfio-pci not loaded: 3 VFs created, the bind fails with the VF named; revert removes them", async () => {
    const { s, opts } = live("sriov-x710-untuned", "ens2f0:3:physnet1:vfio-pci");
    const before = hashTree(s.root);
    await expect(runApply(opts)).rejects.toThrow(/vfio-pci did not bind 0000:86:02\.0 .*apply stopped there/);
    expect(existsSync(join(s.root, "sys/bus/pci/devices/0000:86:00.0/virtfn2"))).toBe(true);
    await runRevert({
      root: s.root,
      journal: s.journal,
      io: opts.io,
      fs: opts.fs,
      exec: opts.exec,
      isRoot: true,
    });
    expect(pci(hashTree(s.root))).toEqual(pci(before));
  });

  it("x710 provisioned, ens2f0's 8 VFs (4 iavf, 4 vfio-pci) → 8 all vfio-pci and back", async () => {
    const { s, opts } = live("sriov-x710-provisioned", "ens2f0:8:physnet1:vfio-pci");
    const before = hashTree(s.root);
    expect((await runApply(opts)).unverified).toEqual([]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => vfDriver(s.root, "0000:86:00.0", i))).toEqual(
      Array(8).fill("vfio-pci"),
    );
    await runRevert({
      root: s.root,
      journal: s.journal,
      io: opts.io,
      fs: opts.fs,
      exec: opts.exec,
      isRoot: true,
    });
    expect(pci(hashTree(s.root))).toEqual(pci(before));
  });

  it("a driver that refuses (EBUSY on the count) stops apply with path and errno; revert restores", async () => {
    const { s, sim, opts } = live("sriov-cx5-provisioned", "ens1f0:2:physnet1:vfio-pci");
    const before = hashTree(s.root);
    sim.failNext("sriov_numvfs", "EBUSY");
    await expect(runApply(opts)).rejects.toThrow(
      /writing \/sys\/bus\/pci\/devices\/0000:3b:00.0\/sriov_numvfs failed: EBUSY/,
    );
    await runRevert({
      root: s.root,
      journal: s.journal,
      io: sim.io,
      fs: opts.fs,
      exec: opts.exec,
      isRoot: true,
    });
    expect(pci(hashTree(s.root))).toEqual(pci(before));
  });
});
