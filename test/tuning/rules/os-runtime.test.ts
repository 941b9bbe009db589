import { describe, expect, it } from "vitest";
import { buildHost, buildVm, withCmdline } from "../../helpers/host.js";
import { finding, ran } from "./find.js";

describe("sysctl rules", () => {
  it("os.rt-throttling passes at -1 and fails at the default with the sysctl to set", () => {
    expect(finding(buildHost(), "os.rt-throttling").level).toBe("pass");
    const f = finding(
      buildHost({ runtime: { sysctl: { "kernel.sched_rt_runtime_us": "950000" } } }),
      "os.rt-throttling",
    );
    expect(f.level).toBe("fail");
    expect(f.evidence).toBe("/proc/sys/kernel/sched_rt_runtime_us: 950000");
    expect(f.remedy).toContain("sysctl -w kernel.sched_rt_runtime_us=-1");
    expect(f.rebootRequired).toBe(false);
  });
  it("a missing sysctl file is unknown, not a failure", () => {
    const host = buildHost({ runtime: { sysctl: { "kernel.sched_rt_runtime_us": null } } });
    expect(finding(host, "os.rt-throttling").level).toBe("unknown");
  });
  it("os.watchdog fails when on, passes with nowatchdog on the cmdline", () => {
    const on = buildHost({ runtime: { sysctl: { "kernel.watchdog": "1" } } });
    const f = finding(on, "os.watchdog");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("kernel.watchdog=0");
    expect(finding(withCmdline(on, { nowatchdog: "" }), "os.watchdog").level).toBe("pass");
  });
  it("os.watchdog.nmi fails when on", () => {
    expect(
      finding(buildHost({ runtime: { sysctl: { "kernel.nmi_watchdog": "1" } } }), "os.watchdog.nmi").level,
    ).toBe("fail");
  });
  it("timer_migration and stat_interval warn", () => {
    const host = buildHost({
      runtime: { sysctl: { "kernel.timer_migration": "1", "vm.stat_interval": "1" } },
    });
    expect(finding(host, "os.timer-migration").level).toBe("warn");
    const s = finding(host, "os.vmstat.stat-interval");
    expect(s.level).toBe("warn");
    expect(s.remedy).toContain("vm.stat_interval=10");
  });
});

describe("cmdline timekeeping and idle", () => {
  it("os.tsc.reliable fails without tsc=reliable", () => {
    const f = finding(withCmdline(buildHost(), { tsc: undefined }), "os.tsc.reliable");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("tsc=reliable");
  });
  it("os.tsc.clocksource fails on hpet, accepts kvm-clock in a VM", () => {
    const f = finding(buildHost({ runtime: { clocksource: { current: "hpet" } } }), "os.tsc.clocksource");
    expect(f.level).toBe("fail");
    expect(finding(buildVm(), "os.tsc.clocksource").level).toBe("pass");
  });
  it("os.idle is a warning on the host and a failure in the guest", () => {
    const host = withCmdline(buildHost(), { idle: undefined });
    expect(finding(host, "os.idle").level).toBe("warn");
    expect(finding(host, "os.idle", { role: "guest" }).level).toBe("fail");
  });
  it("os.mce is checked for guests only", () => {
    expect(ran(buildHost(), "os.mce", "host")).toBe(false);
    expect(finding(buildVm(), "os.mce", { role: "guest" }).level).toBe("fail");
    expect(finding(buildHost(), "os.mce", { role: "guest" }).level).toBe("pass");
  });
});

describe("memory merging", () => {
  it("os.ksm fails when KSM runs on the host and is not checked in a guest", () => {
    const f = finding(buildHost({ runtime: { ksmRun: 1 } }), "os.ksm");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("echo 2 > /sys/kernel/mm/ksm/run");
    expect(finding(buildHost({ runtime: { ksmRun: 2 } }), "os.ksm").level).toBe("pass");
    expect(ran(buildHost(), "os.ksm", "guest")).toBe(false);
  });
  it("os.thp warns on always", () => {
    expect(finding(buildHost({ runtime: { thp: { enabled: "always" } } }), "os.thp").level).toBe("warn");
  });
});
