import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { archOf, cmdlineParamExists } from "../../../src/host/parse/arch.js";
import { parseCpuInfo } from "../../../src/host/parse/cpuinfo.js";

const cpuinfo = (name: string) =>
  parseCpuInfo(readFileSync(`test/fixtures/real/lscpu/${name}/proc/cpuinfo`, "utf8"));

describe("archOf", () => {
  it("maps uname -m (/proc/sys/kernel/arch) to the kernel's ARCH names", () => {
    expect(archOf("x86_64", [])).toBe("x86");
    expect(archOf("aarch64", [])).toBe("arm64");
    expect(archOf("ppc64le", [])).toBe("powerpc");
    expect(archOf("riscv64", [])).toBe("riscv");
    expect(archOf("s390x", [])).toBe("s390");
  });

  it("tells the architecture from real /proc/cpuinfo files when uname is not there", () => {
    expect(archOf(null, cpuinfo("x86_64-epyc_7451"))).toBe("x86");
    expect(archOf(null, cpuinfo("arm-A510-A710-A715-X3"))).toBe("arm64");
    expect(archOf(null, cpuinfo("ppc64-POWER7-64cpu"))).toBe("powerpc");
    expect(archOf(null, cpuinfo("rv64-visionfive2"))).toBe("riscv");
    expect(archOf(null, [])).toBeNull();
  });
});

describe("cmdlineParamExists", () => {
  it("keeps generic parameters everywhere and x86's only on x86 (or an unknown arch)", () => {
    for (const arch of ["arm64", "powerpc", "riscv"]) {
      for (const k of ["isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity", "skew_tick", "nosoftlockup"])
        expect(cmdlineParamExists(arch, k), `${arch} ${k}`).toBe(true);
      for (const k of ["intel_iommu", "iommu", "intel_pstate", "tsc", "mce", "idle", "intel_idle.max_cstate"])
        expect(cmdlineParamExists(arch, k), `${arch} ${k}`).toBe(false);
    }
    expect(cmdlineParamExists("x86", "tsc")).toBe(true);
    expect(cmdlineParamExists(null, "mce")).toBe(true);
  });
});
