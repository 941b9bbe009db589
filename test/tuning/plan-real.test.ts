/**
 * plan on real captures (util-linux's lscpu dumps): NUMA read from cpumap / cpuN/nodeM places the RT CPUs and
 * the hugepages on one real node, and a machine whose CPUs' nodes cannot be known is refused, never planned on
 * an assumed node 0.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { openHostFs } from "../../src/host/fs.js";
import { formatCpuList } from "../../src/host/parse/cpulist.js";
import { readHost } from "../../src/host/read.js";
import { derivePlan } from "../../src/tuning/plan.js";

const dump = (name: string) => readHost(openHostFs(join("test/fixtures/real/lscpu", name)));

describe("plan on real dumps", () => {
  it("EPYC 7451 (NUMA only in nodeN/cpumap): whole SMT cores of one node, hugepages on that node", () => {
    const host = dump("x86_64-epyc_7451");
    const p = derivePlan(host, { role: "host", rtCpus: 8 });
    const node = host.topology.numaNodes.find((n) => n.id === p.node)!;
    expect(p.isolated.every((c) => node.cpus!.includes(c))).toBe(true);
    expect(p.hugepages?.node).toBe(p.node);
    // Whole cores: every RT CPU's sibling is RT too (siblings are n and n+48 on this machine).
    for (const c of p.isolated) expect(p.isolated).toContain(c < 48 ? c + 48 : c - 48);
    expect(p.node).toBe(7);
    expect(formatCpuList(p.isolated)).toBe("44-47,92-95");
  });

  it("RISC-V Milk-V Pioneer (NUMA from cpumap, cpuN/nodeM links present): one node of four", () => {
    const host = dump("rv64-milkvpioneer");
    const p = derivePlan(host, { role: "host", rtCpus: 4 });
    const node = host.topology.numaNodes.find((n) => n.id === p.node)!;
    expect(p.isolated.every((c) => node.cpus!.includes(c))).toBe(true);
  });

  it("refuses a machine whose CPUs' NUMA nodes are unknown (arm64 dump without /sys/devices/system/node)", () => {
    const host = dump("arm-A510-A710-A715-X3");
    expect(() => derivePlan(host, { role: "host", rtCpus: 2 })).toThrow(InputError);
    expect(() => derivePlan(host, { role: "host", rtCpus: 2 })).toThrow(/NUMA node of CPU 0-7 is unknown/);
  });

  it("refuses when only some CPUs' node is unknown, naming them", () => {
    const host = dump("x86_64-epyc_7451");
    const node7 = host.topology.numaNodes.find((n) => n.id === 7)!;
    node7.cpus = null;
    for (const c of host.topology.cpus) if (c.node === 7) c.node = null;
    expect(() => derivePlan(host, { role: "host", rtCpus: 8 })).toThrow(
      /NUMA node of CPU 42-47,90-95 is unknown/,
    );
  });
});

describe("plan emits only parameters the architecture has", () => {
  it("RISC-V: no intel_iommu/iommu=pt/tsc/mce/idle/intel_pstate, and a note says what was left out", () => {
    const p = derivePlan(dump("rv64-milkvpioneer"), { role: "host", rtCpus: 4 });
    const keys = p.cmdline.map((c) => c.key);
    for (const k of ["intel_iommu", "amd_iommu", "iommu", "tsc", "mce", "idle", "intel_pstate"])
      expect(keys).not.toContain(k);
    expect(keys).toEqual(expect.arrayContaining(["isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity"]));
    expect(p.notes.join("\n")).toContain("riscv host: left out x86-only");
  });

  it("x86 keeps them", () => {
    const keys = derivePlan(dump("x86_64-epyc_7451"), { role: "host", rtCpus: 8 }).cmdline.map((c) => c.key);
    expect(keys).toEqual(expect.arrayContaining(["amd_iommu", "iommu", "tsc", "mce"]));
  });
});
