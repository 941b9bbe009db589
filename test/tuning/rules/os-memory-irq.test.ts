import { describe, expect, it } from "vitest";
import { buildHost, buildVm, irq, withCmdline } from "../../helpers/host.js";
import { finding, ran } from "./find.js";

describe("os.hugepages", () => {
  it("passes with 1G pages reserved", () => {
    expect(finding(buildHost(), "os.hugepages").level).toBe("pass");
  });
  it("warns when only 2M pages are reserved on a CPU that can do 1G", () => {
    const host = buildHost({
      runtime: {
        hugepages: { bySize: { "2048": { total: 512, free: 512 }, "1048576": { total: 0, free: 0 } } },
      },
    });
    const f = finding(host, "os.hugepages");
    expect(f.level).toBe("warn");
    expect(f.remedy).toContain("default_hugepagesz=1G hugepagesz=1G hugepages=");
  });
  it("fails when nothing is reserved, and is unknown when sysfs has no hugepages directory", () => {
    const none = buildHost({
      runtime: { hugepages: { bySize: { "2048": { total: 0, free: 0 }, "1048576": { total: 0, free: 0 } } } },
    });
    const f = finding(none, "os.hugepages");
    expect(f.level).toBe("fail");
    expect(f.rebootRequired).toBe(true);
    const missing = buildHost();
    missing.runtime.hugepages = { bySize: {}, defaultSizeKiB: null };
    expect(finding(missing, "os.hugepages").level).toBe("unknown");
  });
  it("numa-node fails when the RT node has no hugepages, naming the sysfs file to write", () => {
    const host = buildHost();
    host.topology.numaNodes[1]!.hugepages = {
      "2048": { total: 0, free: 0 },
      "1048576": { total: 0, free: 0 },
    };
    const f = finding(host, "os.hugepages.numa-node");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages");
    expect(finding(buildHost(), "os.hugepages.numa-node").level).toBe("pass");
  });
  it("numa-node is a host-only rule", () => {
    expect(ran(buildHost(), "os.hugepages.numa-node", "guest")).toBe(false);
  });
});

describe("os.irq-affinity", () => {
  it("passes when every IRQ is on housekeeping CPUs", () => {
    expect(finding(buildHost(), "os.irq-affinity").level).toBe("pass");
  });
  it("fails naming the IRQs on RT CPUs, with the echo loop to move them", () => {
    const host = buildHost({
      runtime: { irqs: [irq(0, [0]), irq(24, [0, 21], [21], "eth0-TxRx-0"), irq(30, [0], [25])] },
    });
    const f = finding(host, "os.irq-affinity");
    expect(f.level).toBe("fail");
    expect(f.evidence).toContain("IRQ 24 (eth0-TxRx-0)");
    expect(f.evidence).toContain("IRQ 30");
    expect(f.remedy).toContain("for i in 24 30; do echo 0-19 > /proc/irq/$i/smp_affinity_list; done");
    expect(f.rebootRequired).toBe(false);
  });
  it("is unknown when no IRQ could be read", () => {
    expect(finding(buildHost({ runtime: { irqs: [] } }), "os.irq-affinity").level).toBe("unknown");
  });
  it("default affinity fails when it covers RT CPUs, with the mask to write", () => {
    const f = finding(buildHost({ runtime: { defaultIrqAffinity: [0, 1, 20] } }), "os.irq-affinity.default");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("echo fffff > /proc/irq/default_smp_affinity");
  });
  it("irqbalance: running without bans fails; bans covering the RT set pass", () => {
    const running = finding(
      buildHost({ runtime: { irqbalanceRunning: true } }),
      "os.irq-affinity.irqbalance",
    );
    expect(running.level).toBe("fail");
    expect(running.remedy).toContain("systemctl disable --now irqbalance");
    expect(running.remedy).toContain("IRQBALANCE_BANNED_CPULIST=20-35");
    const banned = buildHost({
      runtime: {
        irqbalanceRunning: true,
        irqbalanceBanned: [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35],
      },
    });
    expect(finding(banned, "os.irq-affinity.irqbalance").level).toBe("pass");
  });
});

describe("os.iommu", () => {
  it("passes with intel_iommu=on iommu=pt and groups", () => {
    expect(finding(buildHost(), "os.iommu").level).toBe("pass");
  });
  it("warns with the missing parameters", () => {
    const host = withCmdline(buildHost({ runtime: { iommu: { groups: 0 } } }), {
      intel_iommu: undefined,
      iommu: undefined,
    });
    const f = finding(host, "os.iommu");
    expect(f.level).toBe("warn");
    expect(f.remedy).toContain("intel_iommu=on iommu=pt");
  });
  it("is n/a inside a VM and absent for the guest role", () => {
    expect(finding(buildVm(), "os.iommu").level).toBe("n/a");
    expect(ran(buildVm(), "os.iommu", "guest")).toBe(false);
  });
});
