import { describe, expect, it } from "vitest";
import { buildHost, buildVm } from "../../helpers/host.js";
import { finding, ran } from "./find.js";

describe("kernel rules", () => {
  it("kernel.preempt-rt passes on an RT kernel and fails on a stock one with the package to install", () => {
    expect(finding(buildHost(), "kernel.preempt-rt").level).toBe("pass");
    const stock = buildHost({ kernel: { realtime: false, config: { CONFIG_PREEMPT_RT: "n" } } });
    const f = finding(stock, "kernel.preempt-rt");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("linux-image-rt-amd64");
    expect(f.rebootRequired).toBe(true);
    expect(finding(stock, "kernel.preempt-rt", { role: "guest" }).level).toBe("fail");
  });
  it("is unknown when nothing tells", () => {
    const host = buildHost({ kernel: { realtime: null, configSource: null } });
    expect(finding(host, "kernel.preempt-rt").level).toBe("unknown");
    expect(finding(host, "kernel.no-hz-full").level).toBe("unknown");
  });
  it("config options: missing in a present config means not set", () => {
    const host = buildHost();
    delete host.kernel.config.CONFIG_NO_HZ_FULL;
    const f = finding(host, "kernel.no-hz-full");
    expect(f.level).toBe("fail");
    expect(f.evidence).toContain("CONFIG_NO_HZ_FULL=n");
  });
  it("kernel.hz warns below 1000", () => {
    expect(finding(buildHost({ kernel: { config: { CONFIG_HZ: "250" } } }), "kernel.hz").level).toBe("warn");
  });
});

describe("cpu and virt rules", () => {
  it("cpu features pass on the baseline Xeon", () => {
    for (const id of ["cpu.tsc-deadline-timer", "cpu.invariant-tsc", "cpu.virtualization", "cpu.apicv"]) {
      expect(finding(buildHost(), id).level, id).toBe("pass");
    }
  });
  it("a guest without tsc-deadline is told the QEMU -cpu flag", () => {
    const f = finding(buildVm({ cpu: { features: { tscDeadlineTimer: false } } }), "cpu.tsc-deadline-timer", {
      role: "guest",
    });
    expect(f.level).toBe("warn");
    expect(f.remedy).toContain("+tsc-deadline");
  });
  it("no vmx/svm and no /dev/kvm fails", () => {
    const host = buildHost({ cpu: { features: { vmx: false } }, runtime: { kvm: { devKvm: false } } });
    expect(finding(host, "cpu.virtualization").level).toBe("fail");
    expect(finding(host, "virt.kvm-device").level).toBe("fail");
  });
  it("kvm module parameters warn with the modprobe option", () => {
    const host = buildHost({
      runtime: {
        kvm: {
          params: { "kvm.kvmclock_periodic_sync": "Y", "kvm.nx_huge_pages": "Y", "kvm_intel.ple_gap": "128" },
        },
      },
    });
    const sync = finding(host, "virt.kvm.kvmclock-periodic-sync");
    expect(sync.level).toBe("warn");
    expect(sync.remedy).toContain("options kvm kvmclock_periodic_sync=0");
    expect(finding(host, "virt.kvm.nx-huge-pages").level).toBe("warn");
    expect(finding(host, "virt.kvm.ple-gap").remedy).toContain("options kvm_intel ple_gap=0");
  });
  it("virt rules are not run for the guest role", () => {
    expect(ran(buildHost(), "virt.kvm-device", "guest")).toBe(false);
    expect(ran(buildHost(), "cpu.apicv", "guest")).toBe(false);
  });
});
