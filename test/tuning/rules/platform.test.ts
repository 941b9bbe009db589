import { describe, expect, it } from "vitest";
import { buildHost, buildVm, withCmdline } from "../../helpers/host.js";
import { finding } from "./find.js";

const PLATFORM = [
  "platform.power-management.cstates",
  "platform.power-management.pstates",
  "platform.power-management.turbo",
  "platform.hyperthreading",
  "platform.legacy-usb",
  "platform.port-60-64-emulation",
  "platform.smi",
];

describe("platform rules", () => {
  it("are n/a inside a VM (hypervisor flag) and for the guest role", () => {
    for (const id of PLATFORM) {
      expect(finding(buildVm(), id).level, id).toBe("n/a");
      expect(finding(buildHost(), id, { role: "guest" }).level, id).toBe("n/a");
    }
  });

  it("BIOS-only items are unknown on bare metal with the BIOS step as remedy", () => {
    const f = finding(buildHost(), "platform.legacy-usb");
    expect(f.level).toBe("unknown");
    expect(f.remedy).toContain("Legacy USB Support <Disabled>");
    expect(f.rebootRequired).toBe(true);
    expect(finding(buildHost(), "platform.port-60-64-emulation").remedy).toContain(
      "Port 60/64 Emulation <Disabled>",
    );
  });

  it("hyperthreading passes with SMT off", () => {
    expect(finding(buildHost(), "platform.hyperthreading").level).toBe("pass");
  });

  it("hyperthreading fails when an RT CPU's sibling is a housekeeping CPU", () => {
    const host = buildHost({ topology: { smtControl: "on", smtActive: true, threadsPerCore: 2 } });
    host.topology.cpus[20]!.siblings = [2, 20];
    host.topology.cpus[2]!.siblings = [2, 20];
    const f = finding(host, "platform.hyperthreading");
    expect(f.level).toBe("fail");
    expect(f.evidence).toContain("siblings 2 of RT CPUs");
    expect(f.remedy).toContain("nosmt");
  });

  it("hyperthreading passes when the RT CPUs own whole cores", () => {
    const host = buildHost({ topology: { smtControl: "on", smtActive: true, threadsPerCore: 2 } });
    host.topology.cpus[20]!.siblings = [20, 21];
    host.topology.cpus[21]!.siblings = [20, 21];
    expect(finding(host, "platform.hyperthreading").level).toBe("pass");
  });

  it("cstates warn without limits, with the cmdline to add", () => {
    const host = withCmdline(buildHost({ runtime: { cpuidle: { driver: "intel_idle" } } }), {
      "processor.max_cstate": undefined,
      "intel_idle.max_cstate": undefined,
      idle: undefined,
    });
    const f = finding(host, "platform.power-management.cstates");
    expect(f.level).toBe("warn");
    expect(f.remedy).toContain("processor.max_cstate=1 intel_idle.max_cstate=0");
    expect(finding(buildHost(), "platform.power-management.cstates").level).toBe("pass");
  });

  it("pstates warn on powersave, turbo warns when on", () => {
    const gov = finding(
      buildHost({ runtime: { cpufreq: { governors: { "20": "powersave" } } } }),
      "platform.power-management.pstates",
    );
    expect(gov.level).toBe("warn");
    expect(gov.evidence).toContain("CPUs 20 not on performance");
    expect(
      finding(buildHost({ runtime: { cpufreq: { turbo: true } } }), "platform.power-management.turbo").level,
    ).toBe("warn");
    expect(finding(buildHost(), "platform.power-management.turbo").level).toBe("pass");
  });
});

describe("BIOS items the OS can infer", () => {
  it("NUMA Optimized fails when two sockets show one node", () => {
    const host = buildHost();
    host.topology.numaNodes = [{ ...host.topology.numaNodes[0]!, cpus: host.topology.online }];
    const f = finding(host, "platform.bios.numa-optimized");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("NUMA Optimized <Enabled>");
    expect(finding(buildHost(), "platform.bios.numa-optimized").level).toBe("pass");
  });

  it("Cluster-on-Die warns when nodes outnumber sockets", () => {
    const host = buildHost();
    const [n0, n1] = host.topology.numaNodes;
    host.topology.numaNodes = [n0!, n1!, { ...n1!, id: 2 }, { ...n1!, id: 3 }];
    expect(finding(host, "platform.bios.cluster-on-die").level).toBe("warn");
    expect(finding(buildHost(), "platform.bios.cluster-on-die").level).toBe("pass");
  });

  it("memory RAS and TXT are unknown on bare metal, n/a in a VM", () => {
    expect(finding(buildHost(), "platform.bios.memory-ras").level).toBe("unknown");
    expect(finding(buildHost(), "platform.bios.memory-ras").remedy).toContain("Patrol Scrub <Disabled>");
    expect(finding(buildVm(), "platform.bios.txt").level).toBe("n/a");
    expect(finding(buildHost(), "platform.bios.execute-disable").level).toBe("pass");
  });
});

describe("platform.hyperthreading with nothing read", () => {
  it("is unknown, not pass, when neither smt/ nor any topology file was read", () => {
    const h = buildHost({ topology: { smtControl: null, smtActive: null } });
    for (const c of h.topology.cpus) c.core = null;
    expect(finding(h, "platform.hyperthreading").level).toBe("unknown");
  });
});
