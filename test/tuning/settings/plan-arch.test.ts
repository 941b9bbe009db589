/**
 * plan emits only kernel parameters the machine's architecture has (host/parse/arch.ts: intel_iommu, iommu=, mce,
 * idle=, intel_pstate and tsc= are [X86]) — the host line and the guest's —, and when it notes that tsc=reliable is
 * unsafe the line it emits does not carry it.
 */
import { describe, expect, it } from "vitest";
import type { Host } from "../../../src/host/model.js";
import { derivePlan } from "../../../src/tuning/plan.js";
import { formatCmdline } from "../../../src/tuning/plan-cmdline.js";
import { baseline } from "../../helpers/host.js";

const X86_ONLY = ["intel_iommu", "amd_iommu", "iommu", "mce", "idle", "intel_pstate", "amd_pstate", "tsc"];

function arm64(): Host {
  const h = baseline();
  h.cpu.vendor = null;
  h.cpu.modelName = null;
  h.cpu.flags = ["fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32", "cpuid"];
  h.cpu.features.invariantTsc = false;
  h.cpu.features.constantTsc = false;
  h.cpu.features.nonstopTsc = false;
  h.kernel.release = "6.1.0-18-arm64";
  h.cpu.arch = "arm64";
  return h;
}

describe("plan per architecture", () => {
  it("leaves every x86-only parameter out on arm64, and says so", () => {
    const plan = derivePlan(arm64(), { role: "host", rtCpus: 16 });
    const keys = plan.cmdline.map((p) => p.key);
    for (const k of X86_ONLY) expect(keys, k).not.toContain(k);
    expect(keys).toEqual(
      expect.arrayContaining(["isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity", "hugepagesz"]),
    );
    expect(plan.notes.join("\n")).toMatch(/arm64 host: left out x86-only .*intel_iommu.*tsc/);
    expect(plan.notes.join("\n")).not.toMatch(/tsc=reliable is unsafe/);
    // the guest line on arm64 too
    const guest = derivePlan(arm64(), { role: "guest", rtCpus: 4 });
    for (const k of X86_ONLY)
      expect(
        guest.cmdline.map((p) => p.key),
        k,
      ).not.toContain(k);
  });

  it("keeps the x86 line unchanged on x86", () => {
    const plan = derivePlan(baseline(), { role: "host", rtCpus: 16 });
    expect(formatCmdline(plan.cmdline)).toBe(
      "isolcpus=managed_irq,domain,20-35 nohz=on nohz_full=20-35 rcu_nocbs=20-35 irqaffinity=0-19 intel_iommu=on " +
        "iommu=pt default_hugepagesz=1G hugepagesz=1G hugepages=2 mce=off idle=poll intel_pstate=disable " +
        "processor.max_cstate=1 tsc=reliable nosoftlockup skew_tick=1",
    );
  });

  it("does not emit tsc=reliable when it notes the TSC is not invariant, and lists it as dropped", () => {
    const h = baseline();
    h.cpu.features.invariantTsc = false;
    const plan = derivePlan(h, { role: "host", rtCpus: 16 });
    expect(plan.notes.join("\n")).toMatch(/tsc=reliable is unsafe here/);
    expect(plan.cmdline.map((p) => p.key)).not.toContain("tsc");
    expect(plan.dropped.map((d) => d.param)).toContain("tsc=reliable");
  });
});
