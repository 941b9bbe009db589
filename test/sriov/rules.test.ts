/** The SR-IOV check rules on the SR-IOV snapshots: each tells the truth of its fixture, and n/a without a PF. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RootFs } from "../../src/host/fs.js";
import { readHost } from "../../src/host/read.js";
import { runCheck } from "../../src/tuning/check.js";

const SNAP = "test/fixtures/snapshots";
function levels(name: string, cpus?: string): Record<string, string> {
  const r = runCheck(readHost(new RootFs(join(SNAP, name))), { role: "host", cpus });
  return Object.fromEntries(
    r.findings
      .filter((f) => f.id.startsWith("os.sriov.") || f.id === "platform.aspm")
      .map((f) => [f.id, f.level]),
  );
}

describe("SR-IOV rules", () => {
  it("X710 untuned: no IOMMU on the cmdline, no VFs, no vfio-pci, ASPM not off", () => {
    expect(levels("sriov-x710-untuned", "20-35")).toEqual({
      "platform.aspm": "warn",
      "os.sriov.iommu": "fail",
      "os.sriov.vfs": "warn",
      "os.sriov.vfio-pci": "warn",
      "os.sriov.iommu-groups": "n/a",
      "os.sriov.numa": "pass",
    });
  });
  it("X710 provisioned: IOMMU pt, VFs, vfio-pci, every vfio VF alone in its group, NIC on the RT node", () => {
    expect(levels("sriov-x710-provisioned")).toEqual({
      "platform.aspm": "warn",
      "os.sriov.iommu": "pass",
      "os.sriov.vfs": "pass",
      "os.sriov.vfio-pci": "pass",
      "os.sriov.iommu-groups": "pass",
      "os.sriov.numa": "pass",
    });
  });
  it("ConnectX-5 provisioned: shared IOMMU group fails, NIC on node 0 while RT CPUs are on node 1", () => {
    const l = levels("sriov-cx5-provisioned");
    expect(l["os.sriov.iommu-groups"]).toBe("fail");
    expect(l["os.sriov.numa"]).toBe("warn");
    // with RT CPUs on node 0 the NUMA rule passes
    expect(levels("sriov-cx5-provisioned", "2-17")["os.sriov.numa"]).toBe("pass");
  });
  it("the ASPM rule explains both documents and what each costs; pcie_aspm=off passes", () => {
    const host = readHost(new RootFs(join(SNAP, "sriov-x710-provisioned")));
    const f = runCheck(host, { role: "host" }).findings.find((x) => x.id === "platform.aspm");
    expect(f?.evidence).toMatch(/SR-IOV document asks to enable ASPM in the BIOS/);
    expect(f?.evidence).toMatch(/pcie_aspm=off/);
    expect(f?.evidence).toMatch(/µs/);
    expect(f?.evidence).toMatch(/watts/);
    host.kernel.cmdline = `${host.kernel.cmdline} pcie_aspm=off`;
    host.kernel.params = { ...host.kernel.params, pcie_aspm: "off" };
    expect(runCheck(host, { role: "host" }).findings.find((x) => x.id === "platform.aspm")?.level).toBe(
      "pass",
    );
  });
  it("a host without an SR-IOV PF: n/a", () => {
    const l = levels("dev-vm");
    expect(l["os.sriov.vfs"]).toBe("n/a");
    expect(l["os.sriov.numa"]).toBe("n/a");
  });
});
