import { describe, expect, it } from "vitest";
import { parseCpuMask } from "../../../src/host/parse/cpulist.js";
import { buildHost, buildVm, HK, RT, withCmdline } from "../../helpers/host.js";
import { finding } from "./find.js";

describe("os.cpu-isolation.isolcpus", () => {
  it("passes when isolcpus names the RT CPUs and the running kernel isolated them", () => {
    const f = finding(buildHost(), "os.cpu-isolation.isolcpus");
    expect(f.level).toBe("pass");
    expect(f.evidence).toContain("/proc/cmdline: isolcpus=20-35");
  });

  it("strips isolcpus flags (managed_irq,domain) before reading the CPU list", () => {
    const host = withCmdline(buildHost(), { isolcpus: "managed_irq,domain,20-35" });
    expect(finding(host, "os.cpu-isolation.isolcpus").level).toBe("pass");
    expect(finding(host, "os.cpu-isolation.consistency").level).toBe("pass");
  });

  it("fails with the cmdline to add when isolcpus is absent but --cpus names the RT set", () => {
    const host = withCmdline(buildHost(), { isolcpus: undefined });
    const f = finding(host, "os.cpu-isolation.isolcpus", { cpus: "20-35" });
    expect(f.level).toBe("fail");
    expect(f.evidence).toBe("/proc/cmdline: isolcpus absent");
    expect(f.remedy).toContain("isolcpus=20-35");
    expect(f.rebootRequired).toBe(true);
  });

  it("fails naming the RT CPUs isolcpus leaves out", () => {
    const f = finding(buildHost(), "os.cpu-isolation.isolcpus", { cpus: "18-35" });
    expect(f.level).toBe("fail");
    expect(f.evidence).toContain("RT CPUs 18-19 not included");
  });

  it("fails when the running kernel did not apply the cmdline", () => {
    const f = finding(buildHost({ runtime: { isolated: [] } }), "os.cpu-isolation.isolcpus");
    expect(f.level).toBe("fail");
    expect(f.evidence).toContain("/sys/devices/system/cpu/isolated");
  });

  it("with no RT set at all, fails with a remedy that says how to choose one", () => {
    const host = withCmdline(buildHost(), {
      isolcpus: undefined,
      nohz_full: undefined,
      rcu_nocbs: undefined,
    });
    const f = finding(host, "os.cpu-isolation.isolcpus");
    expect(f.level).toBe("fail");
    expect(f.remedy).toMatch(
      /choose the RT CPUs: whole cores on one NUMA node, leave CPU 0 for housekeeping/,
    );
    expect(f.remedy).toContain("--cpus 18-35");
    expect(finding(host, "os.rcu-nocbs").level).toBe("fail");
    expect(finding(host, "os.irq-affinity").level).toBe("fail");
  });

  it("suggests --cpus 1 on a 2-vCPU VM", () => {
    const f = finding(buildVm(), "os.cpu-isolation.isolcpus");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("--cpus 1");
  });

  it("reports a malformed cmdline list as a failure, not a crash", () => {
    const host = withCmdline(buildHost(), { isolcpus: "35-20" });
    const f = finding(host, "os.cpu-isolation.isolcpus", { cpus: "20-35" });
    expect(f.level).toBe("fail");
    expect(f.evidence).toContain("malformed");
  });
});

describe("os.tickless", () => {
  it("nohz-full passes on the tuned host and fails without nohz_full", () => {
    expect(finding(buildHost(), "os.tickless.nohz-full").level).toBe("pass");
    const f = finding(withCmdline(buildHost(), { nohz_full: undefined }), "os.tickless.nohz-full");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("nohz_full=20-35");
  });

  it("effective fails when CONFIG_NO_HZ_FULL is off: nohz_full is silently ignored", () => {
    const host = buildHost({ kernel: { config: { CONFIG_NO_HZ_FULL: "n" } }, runtime: { nohzFull: null } });
    const f = finding(host, "os.tickless.effective");
    expect(f.level).toBe("fail");
    expect(f.evidence).toContain("silently ignored");
    expect(f.remedy).toContain("CONFIG_NO_HZ_FULL=y");
  });

  it("effective fails when the cmdline asks but the kernel does not tick-stop the RT CPUs", () => {
    const f = finding(buildHost({ runtime: { nohzFull: [] } }), "os.tickless.effective");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("reboot");
  });

  it("effective passes on the tuned host", () => {
    expect(finding(buildHost(), "os.tickless.effective").level).toBe("pass");
  });
});

describe("os.rcu-nocbs", () => {
  it("passes with rcu_nocbs and CONFIG_RCU_NOCB_CPU", () => {
    expect(finding(buildHost(), "os.rcu-nocbs").level).toBe("pass");
  });
  it("fails when absent, with the cmdline parameter and CPU list", () => {
    const f = finding(withCmdline(buildHost(), { rcu_nocbs: undefined }), "os.rcu-nocbs");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("rcu_nocbs=20-35");
  });
  it("fails when the kernel lacks CONFIG_RCU_NOCB_CPU", () => {
    const f = finding(buildHost({ kernel: { config: { CONFIG_RCU_NOCB_CPU: "n" } } }), "os.rcu-nocbs");
    expect(f.level).toBe("fail");
    expect(f.evidence).toContain("CONFIG_RCU_NOCB_CPU=n");
  });
});

describe("os.cpu-isolation.consistency / housekeeping / numa / workqueue", () => {
  it("fails when the three parameters name different CPUs", () => {
    const f = finding(withCmdline(buildHost(), { nohz_full: "18-35" }), "os.cpu-isolation.consistency");
    expect(f.level).toBe("fail");
    expect(f.evidence).toContain("nohz_full differ");
    expect(f.remedy).toContain("isolcpus=20-35 nohz_full=20-35 rcu_nocbs=20-35");
  });

  it("fails when nothing is left for housekeeping, warns when CPU 0 is isolated", () => {
    const all = withCmdline(buildHost(), { isolcpus: "0-35", nohz_full: "0-35", rcu_nocbs: "0-35" });
    expect(finding(all, "os.cpu-isolation.housekeeping").level).toBe("fail");
    const zero = withCmdline(buildHost(), {
      isolcpus: "0,20-35",
      nohz_full: "0,20-35",
      rcu_nocbs: "0,20-35",
    });
    expect(finding(zero, "os.cpu-isolation.housekeeping").level).toBe("warn");
    expect(finding(buildHost(), "os.cpu-isolation.housekeeping").level).toBe("pass");
  });

  it("fails when the RT CPUs span NUMA nodes", () => {
    const f = finding(buildHost(), "os.numa-locality", { cpus: "10-25" });
    expect(f.level).toBe("fail");
    expect(f.evidence).toContain("node(s) 0,1");
    expect(finding(buildHost(), "os.numa-locality").level).toBe("pass");
  });

  it("compares the workqueue cpumask as a set and warns when it covers RT CPUs", () => {
    expect(finding(buildHost(), "os.workqueue.cpumask").level).toBe("pass");
    const f = finding(
      buildHost({ runtime: { workqueue: { cpumask: [0, 1, 2, 3, 20] } } }),
      "os.workqueue.cpumask",
    );
    expect(f.level).toBe("warn");
    expect(f.remedy).toContain("echo fffff > /sys/devices/virtual/workqueue/cpumask");
  });

  it("never fails the workqueue mask over leading zeros or comma groups", () => {
    for (const mask of ["000fffff", "00000000,000fffff", "fffff"]) {
      const host = buildHost({
        runtime: { workqueue: { cpumask: parseCpuMask(mask), writebackCpumask: parseCpuMask(mask) } },
      });
      expect(finding(host, "os.workqueue.cpumask").level, mask).toBe("pass");
    }
  });

  it("takes the RT set from isolcpus, then nohz_full, and housekeeping is the rest", () => {
    const host = withCmdline(buildHost(), { isolcpus: undefined });
    const f = finding(host, "os.irq-affinity.default");
    expect(f.level).toBe("pass");
    expect(f.expected).toContain(`housekeeping ${HK[0]}-${HK[HK.length - 1]}`);
    expect(RT).toHaveLength(16);
  });
});

describe("isolcpus read as the kernel reads it (issue 11 §2)", () => {
  it("isolcpus=managed_irq,<RT CPUs> does not pass: without domain the CPUs stay in the scheduler domains", () => {
    const host = withCmdline(buildHost(), { isolcpus: "managed_irq,20-35" });
    const f = finding(host, "os.cpu-isolation.isolcpus");
    expect(f.level).toBe("fail");
    // The evidence keeps the flag as written, and the remedy adds domain to it.
    expect(f.evidence).toContain("isolcpus=managed_irq,20-35");
    expect(f.evidence).toContain("scheduler domains");
    expect(f.remedy).toContain("isolcpus=managed_irq,domain,20-35");
  });

  it("isolcpus=nohz,domain,20-N covers 20-35 on a 36-CPU host (N = the last CPU)", () => {
    const host = withCmdline(buildHost(), { isolcpus: "nohz,domain,20-N", nohz_full: undefined });
    expect(finding(host, "os.cpu-isolation.isolcpus").level).toBe("pass");
    // isolcpus=nohz stops the tick as nohz_full does.
    const nohz = finding(host, "os.tickless.nohz-full");
    expect(nohz.level).toBe("pass");
    expect(nohz.evidence).toContain("nohz flag");
  });

  it("a bad rcu_nocbs list offloads every CPU: covered by accident, so a warning, not a pass", () => {
    const host = withCmdline(buildHost(), { rcu_nocbs: "35-20" });
    const f = finding(host, "os.rcu-nocbs");
    expect(f.level).toBe("warn");
    expect(f.evidence).toContain("offloads every CPU");
  });

  it("a bare rcu_nocbs offloads nothing at boot", () => {
    const host = withCmdline(buildHost(), { rcu_nocbs: "" });
    expect(finding(host, "os.rcu-nocbs").level).toBe("fail");
  });

  it("an unreadable cmdline gives unknown, not a failure, when no --cpus is given", () => {
    const host = buildHost({ kernel: { cmdline: null, params: {} } });
    const f = finding(host, "os.cpu-isolation.isolcpus");
    expect(f.level).toBe("unknown");
    expect(f.evidence).toContain("unreadable");
  });
});
