/**
 * SR-IOV discovery on the generated sysfs snapshots (test/fixtures/make-sriov-snapshots.mjs) and the VF-option
 * parser on real `ip link` captures (test/fixtures/sriov/ip-link/ORIGIN.md).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { RootFs } from "../../src/host/fs.js";
import { readHost } from "../../src/host/read.js";
import { saveSnapshot } from "../../src/host/snapshot.js";
import { readSriov } from "../../src/host/sriov.js";
import { parseIpLinkVfs } from "../../src/host/sriov-iplink.js";

const SNAP = "test/fixtures/snapshots";
const read = (name: string) => readSriov(new RootFs(join(SNAP, name)));

describe("ip link VF lines (real captures)", () => {
  const cap = (f: string) => readFileSync(join("test/fixtures/sriov/ip-link", f), "utf8");
  it("iproute2 ≥ 5 layout: ice PF with 8 VFs", () => {
    const vfs = parseIpLinkVfs(cap("ice-8vfs.txt")).get("ens3f1") ?? [];
    expect(vfs.map((v) => v.vf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(vfs[0]).toEqual({
      vf: 0,
      mac: "aa:94:1c:3b:6c:79",
      vlan: 0,
      qos: 0,
      spoofchk: true,
      trust: false,
      linkState: "auto",
    });
    expect(vfs[7]?.mac).toBe("ae:6b:93:a1:ee:b8");
  });
  it("VLAN and QoS", () => {
    const vfs = parseIpLinkVfs(cap("vlan-qos.txt")).get("ens1f1") ?? [];
    expect(vfs.map((v) => [v.vlan, v.qos, v.mac])).toEqual([
      [564, 1, "00:11:22:33:44:88"],
      [564, 1, "00:11:22:33:44:89"],
    ]);
  });
  it("old `vf N MAC …` layout", () => {
    const vfs = parseIpLinkVfs(cap("old-mac-form.txt")).get("enp3s0f1") ?? [];
    expect(vfs.map((v) => v.vlan)).toEqual([200, 201, 202, 0, 0, 0, 0, 0]);
    expect(vfs.every((v) => v.mac === "00:00:00:00:00:00" && v.spoofchk === true && v.trust === false)).toBe(
      true,
    );
  });
});

describe("SR-IOV discovery on the snapshots", () => {
  it("X710 untuned: two i40e PFs on node 1, 64 VFs possible, none enabled, no IOMMU groups", () => {
    const s = read("sriov-x710-untuned");
    expect(
      s.pfs.map((p) => [p.pciAddress, p.netdev, p.driver, p.vendorId, p.deviceId, p.vfDeviceId]),
    ).toEqual([
      ["0000:86:00.0", "ens2f0", "i40e", "8086", "1572", "154c"],
      ["0000:86:00.1", "ens2f1", "i40e", "8086", "1572", "154c"],
    ]);
    for (const p of s.pfs) {
      expect([p.totalVfs, p.numVfs, p.numaNode, p.driversAutoprobe, p.iommuGroup, p.vfs.length]).toEqual([
        64,
        0,
        1,
        true,
        null,
        0,
      ]);
    }
    expect(s.pfs.map((p) => [p.offset, p.linkState])).toEqual([
      [16, "up"],
      [79, "down"],
    ]);
    expect(s.vfioPciLoaded).toBe(false);
    expect(s.vfOptionsSource).toBeNull();
  });

  it("X710 provisioned: VF addresses follow offset/stride, drivers and ip-link options per VF", () => {
    const s = read("sriov-x710-provisioned");
    const [a, b] = s.pfs;
    expect(a?.vfs.map((v) => v.pciAddress)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((n) => `0000:86:02.${n}`));
    expect(b?.vfs.map((v) => v.pciAddress)).toEqual([
      "0000:86:0a.0",
      "0000:86:0a.1",
      "0000:86:0a.2",
      "0000:86:0a.3",
    ]);
    expect(a?.vfs.map((v) => v.driver)).toEqual([
      "iavf",
      "iavf",
      "iavf",
      "iavf",
      "vfio-pci",
      "vfio-pci",
      "vfio-pci",
      "vfio-pci",
    ]);
    expect(a?.vfs[0]).toMatchObject({
      netdev: "ens2f0v0",
      vlan: 100,
      trust: true,
      spoofchk: false,
      deviceId: "154c",
    });
    expect(a?.vfs[4]).toMatchObject({
      netdev: null,
      vlan: 0,
      mac: "00:00:00:00:00:00",
      driverOverride: "vfio-pci",
    });
    // every VF has its own group (the root port has ACS): whole and viable
    expect(a?.vfs.every((v) => v.vfio.groupWhole === true && v.vfio.viable === true)).toBe(true);
    expect(s.vfioPciLoaded).toBe(true);
    expect(s.vfOptionsSource).toBe("/kvm4nfv/ip-d-link-show.txt");
  });

  it("ConnectX-5 provisioned: one IOMMU group for everything, so its vfio-pci VFs are not viable", () => {
    const s = read("sriov-cx5-provisioned");
    expect(
      s.pfs.map((p) => [p.pciAddress, p.driver, p.deviceId, p.vfDeviceId, p.totalVfs, p.numVfs, p.numaNode]),
    ).toEqual([
      ["0000:3b:00.0", "mlx5_core", "1017", "1018", 8, 4, 0],
      ["0000:3b:00.1", "mlx5_core", "1017", "1018", 8, 2, 0],
    ]);
    expect(s.pfs[1]?.vfs.map((v) => v.pciAddress)).toEqual(["0000:3b:01.2", "0000:3b:01.3"]);
    const vf = s.pfs[1]?.vfs[0];
    expect(vf?.vfio.groupWhole).toBe(false);
    expect(vf?.vfio.viable).toBe(false);
    expect(vf?.vfio.blockers).toContain("0000:3b:00.0 (mlx5_core)");
    expect(s.groups.map((g) => [g.id, g.members.length])).toEqual([[33, 8]]);
  });

  it("ASPM policy is read from pcie_aspm", () => {
    expect(read("sriov-cx5-untuned").aspmPolicy).toBe("default");
  });

  it("a tree that is not a PF has none", () => {
    expect(read("dev-vm").pfs).toEqual([]);
  });
});

/** Remove empty directories bottom-up (git drops them). */
function dropEmptyDirs(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !e.isSymbolicLink()) dropEmptyDirs(join(dir, e.name));
  }
  if (readdirSync(dir).length === 0) rmdirSync(dir);
}

describe.each(["sriov-x710-untuned", "sriov-x710-provisioned", "sriov-cx5-untuned", "sriov-cx5-provisioned"])(
  "fixture %s after a fresh clone",
  (name) => {
    it("reads the same without empty directories (symlinks kept verbatim)", () => {
      const src = join(SNAP, name);
      const copy = mkdtempSync(join(tmpdir(), "kvm4nfv-sriov-git-"));
      try {
        cpSync(src, copy, { recursive: true, verbatimSymlinks: true });
        dropEmptyDirs(copy);
        expect(readSriov(new RootFs(copy))).toEqual(readSriov(new RootFs(src)));
        const a = readHost(new RootFs(src));
        expect({ ...readHost(new RootFs(copy)), source: a.source }).toEqual(a);
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    });
  },
);

describe("inspect --save of an SR-IOV host", () => {
  it.each(["sriov-x710-provisioned", "sriov-cx5-provisioned"])(
    "%s reads the same from its capture",
    (name) => {
      const dir = join(mkdtempSync(join(tmpdir(), "kvm4nfv-sriov-save-")), "snap");
      try {
        saveSnapshot(new RootFs(join(SNAP, name)), dir);
        // the capture has plain directories for the links: uevent and the groups' listings carry the facts
        expect(readSriov(new RootFs(dir))).toEqual(readSriov(new RootFs(join(SNAP, name))));
      } finally {
        rmSync(dirname(dir), { recursive: true, force: true });
      }
    },
  );
});
