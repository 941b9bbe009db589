/** The audit on the committed snapshots: the seeds' baseline host untuned and tuned, and this dev VM. */
import { describe, expect, it } from "vitest";
import { openHostFs } from "../../../src/host/fs.js";
import { readHost } from "../../../src/host/read.js";
import { type CheckReport, runCheck } from "../../../src/tuning/check.js";
import type { Finding } from "../../../src/tuning/rules/index.js";

const SNAP = "test/fixtures/snapshots";

function check(name: string, role = "host", cpus?: string): CheckReport {
  return runCheck(readHost(openHostFs(`${SNAP}/${name}`)), { role, cpus });
}

function get(r: CheckReport, id: string): Finding {
  const f = r.findings.find((x) => x.id === id);
  if (!f) throw new Error(`no finding ${id}`);
  return f;
}

const CORE = [
  "os.cpu-isolation.isolcpus",
  "os.rcu-nocbs",
  "os.rt-throttling",
  "os.watchdog",
  "os.irq-affinity",
  "os.hugepages",
  "kernel.preempt-rt",
];

describe("baseline-tuned", () => {
  const r = check("baseline-tuned");

  it("takes the RT CPUs from isolcpus", () => {
    expect(r.rtCpusSource).toBe("isolcpus");
    expect(r.rtCpus[0]).toBe(20);
    expect(r.rtCpus[r.rtCpus.length - 1]).toBe(35);
  });

  it.each(CORE)("passes %s", (id) => {
    expect(get(r, id).level).toBe("pass");
  });

  it("passes the rest of isolation, tickless and hyperthreading", () => {
    for (const id of [
      "os.tickless.nohz-full",
      "os.tickless.effective",
      "os.cpu-isolation.consistency",
      "os.cpu-isolation.housekeeping",
      "os.numa-locality",
      "os.hugepages.numa-node",
      "os.workqueue.cpumask",
      "platform.hyperthreading",
      "kernel.no-hz-full",
    ]) {
      expect(get(r, id).level, id).toBe("pass");
    }
  });

  it("reports firmware-only items as unknown with a BIOS remedy, and nothing fails", () => {
    expect(get(r, "platform.legacy-usb").level).toBe("unknown");
    expect(get(r, "platform.legacy-usb").remedy).toContain("BIOS");
    expect(r.findings.filter((f) => f.level === "fail").map((f) => f.id)).toEqual([]);
  });
});

describe("baseline-untuned", () => {
  it("fails the core rules with specific remedies when given the RT CPUs", () => {
    const r = check("baseline-untuned", "host", "20-35");
    for (const id of CORE) expect(get(r, id).level, id).toBe("fail");
    expect(get(r, "os.cpu-isolation.isolcpus").remedy).toContain("isolcpus=20-35");
    expect(get(r, "os.rcu-nocbs").remedy).toContain("rcu_nocbs=20-35");
    expect(get(r, "os.rt-throttling").remedy).toContain("kernel.sched_rt_runtime_us=-1");
    expect(get(r, "os.watchdog").remedy).toContain("kernel.watchdog=0");
    expect(get(r, "os.irq-affinity").remedy).toMatch(/echo 0-19 > \/proc\/irq\/\$i\/smp_affinity_list/);
    expect(get(r, "os.hugepages").remedy).toContain("hugepagesz=1G");
    expect(get(r, "kernel.preempt-rt").remedy).toContain("linux-image-rt-amd64");
    expect(get(r, "kernel.preempt-rt").rebootRequired).toBe(true);
  });

  it("without --cpus fails isolation with a remedy that says how to choose the RT CPUs", () => {
    const r = check("baseline-untuned");
    expect(r.rtCpusSource).toBe("none");
    const f = get(r, "os.cpu-isolation.isolcpus");
    expect(f.level).toBe("fail");
    expect(f.remedy).toContain("leave CPU 0 for housekeeping");
    expect(f.remedy).toContain("--cpus 18-35");
  });

  it("power management warns on bare metal", () => {
    const r = check("baseline-untuned");
    expect(get(r, "platform.power-management.pstates").level).toBe("warn");
    expect(get(r, "platform.power-management.turbo").level).toBe("warn");
  });
});

describe("dev-vm", () => {
  const r = check("dev-vm");

  it("reports every platform item as n/a inside the VM", () => {
    const platform = r.findings.filter((f) => f.id.startsWith("platform."));
    expect(platform.length).toBeGreaterThan(0);
    for (const f of platform) expect(f.level, f.id).toBe("n/a");
  });

  it("fails isolation and PREEMPT_RT on the stock kernel", () => {
    expect(get(r, "os.cpu-isolation.isolcpus").level).toBe("fail");
    expect(get(r, "os.cpu-isolation.isolcpus").remedy).toContain("--cpus 1");
    expect(get(r, "kernel.preempt-rt").level).toBe("fail");
    expect(get(r, "os.tickless.effective").level).toBe("fail");
  });

  it("as a guest drops the host-only rules", () => {
    const g = check("dev-vm", "guest");
    const ids = g.findings.map((f) => f.id);
    expect(ids).not.toContain("os.ksm");
    expect(ids).not.toContain("virt.kvm-device");
    expect(ids).toContain("os.mce");
    expect(get(g, "os.mce").level).toBe("fail");
  });
});
