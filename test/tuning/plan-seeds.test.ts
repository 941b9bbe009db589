/**
 * The planned host command line against its two sources, parameter by parameter: the seeds' example host boot line
 * (seed 003 §2.1.2 plus the docs' additions) and tuned's realtime-virtual-host profile. Every difference is asserted
 * together with the reason for it, so a change in either direction shows up here.
 */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { derivePlan } from "../../src/tuning/plan.js";
import { parseCmdline } from "../../src/tuning/plan-cmdline.js";
import { baseline } from "../helpers/host.js";

const SEEDS_HOST_LINE =
  "isolcpus=11-15,31-35 nohz_full=11-15,31-35 rcu_nocbs=11-15,31-35 iommu=pt intel_iommu=on " +
  "default_hugepagesz=1G hugepagesz=1G mce=off idle=poll intel_pstate=disable processor.max_cstate=1 " +
  "pcie_aspm=off tsc=reliable";

/** tuned realtime (isolcpus, intel_pstate, nosoftlockup, tsc) + realtime-virtual-host (nohz, nohz_full, rcu_nocbs, irqaffinity). */
function tunedRealtimeVirtualHost(iso: string, nonIso: string): string {
  return (
    `isolcpus=managed_irq,domain,${iso} intel_pstate=disable nosoftlockup tsc=reliable ` +
    `nohz=on nohz_full=${iso} rcu_nocbs=${iso} irqaffinity=${nonIso}`
  );
}

const asMap = (line: string) => new Map(parseCmdline(line).map((p) => [p.key, p.value ?? ""]));

function diff(ours: Map<string, string>, theirs: Map<string, string>) {
  const same: string[] = [];
  const differ: string[] = [];
  const onlyOurs: string[] = [];
  const onlyTheirs: string[] = [];
  for (const [k, v] of ours) {
    if (!theirs.has(k)) onlyOurs.push(k);
    else if (theirs.get(k) === v) same.push(k);
    else differ.push(k);
  }
  for (const k of theirs.keys()) if (!ours.has(k)) onlyTheirs.push(k);
  return {
    same: same.sort(),
    differ: differ.sort(),
    onlyOurs: onlyOurs.sort(),
    onlyTheirs: onlyTheirs.sort(),
  };
}

describe("planned host cmdline vs the seeds' example host line (baseline platform, 16 RT CPUs)", () => {
  const plan = derivePlan(baseline(), { role: "host", rtCpus: 16 });
  const ours = new Map(plan.cmdline.map((p) => [p.key, p.value ?? ""]));
  const d = diff(ours, asMap(SEEDS_HOST_LINE));

  it("keeps every seed parameter that has a value independent of the CPU choice, unchanged", () => {
    expect(d.same).toEqual([
      "default_hugepagesz",
      "hugepagesz",
      "idle",
      "intel_iommu",
      "intel_pstate",
      "iommu",
      "mce",
      "processor.max_cstate",
      "tsc",
    ]);
  });

  it("differs in the CPU lists: the seeds' 11-15,31-35 spans both NUMA nodes of this HT-off machine", () => {
    expect(d.differ).toEqual(["isolcpus", "nohz_full", "rcu_nocbs"]);
    expect(ours.get("nohz_full")).toBe("20-35");
    // isolcpus also gains tuned's flags: domain (what bare isolcpus= meant) and managed_irq
    expect(ours.get("isolcpus")).toBe("managed_irq,domain,20-35");
    // the seeds' list itself is refused: node 0 holds 11-15, node 1 holds 31-35 (no HT: 31 is not 11's sibling)
    expect(() =>
      derivePlan(baseline(), { role: "host", cpus: [11, 12, 13, 14, 15, 31, 32, 33, 34, 35] }),
    ).toThrow(UsageError);
    expect(() =>
      derivePlan(baseline(), { role: "host", cpus: [11, 12, 13, 14, 15, 31, 32, 33, 34, 35] }),
    ).toThrow(/spans NUMA nodes 0 and 1/);
  });

  it("drops pcie_aspm=off, with the reason recorded in the plan", () => {
    expect(d.onlyTheirs).toEqual(["pcie_aspm"]);
    const dropped = plan.dropped.find((x) => x.param === "pcie_aspm=off");
    expect(dropped?.why).toMatch(/pcie_asmp=off/);
    expect(dropped?.why).toMatch(/kernel ignores/);
  });

  it("adds what tuned/PerformanceProfile add and the boot-time hugepage count", () => {
    expect(d.onlyOurs).toEqual(["hugepages", "irqaffinity", "nohz", "nosoftlockup", "skew_tick"]);
    for (const k of d.onlyOurs) {
      const why = plan.cmdline.find((p) => p.key === k)!.why;
      expect(why).toMatch(k === "hugepages" ? /boot/ : /tuned|PerformanceProfile/);
    }
  });
});

describe("planned host cmdline vs tuned realtime-virtual-host", () => {
  const plan = derivePlan(baseline(), { role: "host", rtCpus: 16 });
  const ours = new Map(plan.cmdline.map((p) => [p.key, p.value ?? ""]));
  const d = diff(ours, asMap(tunedRealtimeVirtualHost("20-35", "0-19")));

  it("contains every tuned parameter with the same value", () => {
    expect(d.onlyTheirs).toEqual([]);
    expect(d.differ).toEqual([]);
    expect(d.same).toEqual([
      "intel_pstate",
      "irqaffinity",
      "isolcpus",
      "nohz",
      "nohz_full",
      "nosoftlockup",
      "rcu_nocbs",
      "tsc",
    ]);
  });

  it("adds the seeds' IOMMU, hugepage, mce, idle and C-state parameters and PerformanceProfile's skew_tick", () => {
    expect(d.onlyOurs).toEqual([
      "default_hugepagesz",
      "hugepages",
      "hugepagesz",
      "idle",
      "intel_iommu",
      "iommu",
      "mce",
      "processor.max_cstate",
      "skew_tick",
    ]);
    for (const k of d.onlyOurs.filter((k) => k !== "skew_tick" && k !== "hugepages")) {
      expect(plan.cmdline.find((p) => p.key === k)!.why).toMatch(/KVM4NFV/);
    }
  });
});
