import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { formatCpuList } from "../../src/host/parse/cpulist.js";
import { derivePlan } from "../../src/tuning/plan.js";
import { parseHugepagesOption } from "../../src/tuning/plan-cmdline.js";
import { baseline, baselineHt, devVm, makeHost, range } from "../helpers/host.js";

const list = formatCpuList;

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("derivePlan: CPU choice", () => {
  it("isolates the top of node 1 on the baseline, as the seeds did, keeping node 1's first core", () => {
    const p = derivePlan(baseline(), { role: "host", rtCpus: 16 });
    expect(p.node).toBe(1);
    expect(list(p.isolated)).toBe("20-35");
    expect(list(p.housekeeping)).toBe("0-19");
    // seeds' qemu_cpu / stress_isolcpus split: the first guest-cpus RT CPUs for the guest, the rest for stress
    expect(p.guest?.pins).toEqual([20, 21]);
    expect(list(p.stress)).toBe("22-35");
    expect(list(p.guest!.emulatorCpus)).toBe("18-19");
  });

  it("takes at most 17 of node 1 (CPU 18 stays), and refuses 18", () => {
    expect(list(derivePlan(baseline(), { role: "host", rtCpus: 17 }).isolated)).toBe("19-35");
    expect(usage(() => derivePlan(baseline(), { role: "host", rtCpus: 18 }))).toMatch(
      /node 1 has only 17 CPUs \(19-35\) left after housekeeping CPUs 0,18/,
    );
  });

  it("honours --numa-node and refuses an unknown node", () => {
    const p = derivePlan(baseline(), { role: "host", rtCpus: 4, numaNode: 0 });
    expect(list(p.isolated)).toBe("14-17");
    expect(p.housekeeping).toContain(0);
    expect(usage(() => derivePlan(baseline(), { role: "host", rtCpus: 4, numaNode: 2 }))).toMatch(
      /no such NUMA node \(nodes: 0, 1\)/,
    );
  });

  it("breaks a tie between equally free nodes towards the highest id", () => {
    const host = makeHost({ nodes: [range(0, 3), range(4, 7), range(8, 11)] });
    // node 0 loses CPU 0's core; nodes 1 and 2 each keep their first CPU: 3 free on each
    expect(derivePlan(host, { role: "host", rtCpus: 2 }).node).toBe(2);
  });

  it("picks whole cores with SMT on and refuses an odd count", () => {
    const p = derivePlan(baselineHt(), { role: "host", rtCpus: 4 });
    expect(list(p.isolated)).toBe("34-35,70-71");
    expect(usage(() => derivePlan(baselineHt(), { role: "host", rtCpus: 3 }))).toMatch(/multiple of 2/);
  });

  it("accepts an explicit list of whole cores and refuses one that splits siblings", () => {
    const ok = derivePlan(baselineHt(), { role: "host", cpus: [30, 31, 66, 67] });
    expect(list(ok.isolated)).toBe("30-31,66-67");
    expect(usage(() => derivePlan(baselineHt(), { role: "host", cpus: [30, 31] }))).toMatch(
      /splits the core of CPU 30 \(siblings 30,66\): add 66/,
    );
  });

  it("refuses lists that span nodes, touch housekeeping, are empty or name absent CPUs", () => {
    // the seeds' own example list spans both nodes of the HT-off baseline
    expect(usage(() => derivePlan(baseline(), { role: "host", cpus: [11, 12, 31, 32] }))).toMatch(
      /spans NUMA nodes 0 and 1/,
    );
    expect(usage(() => derivePlan(baseline(), { role: "host", cpus: [0, 1] }))).toMatch(/stay housekeeping/);
    expect(usage(() => derivePlan(baseline(), { role: "host", cpus: [18, 19] }))).toMatch(/includes 18/);
    expect(usage(() => derivePlan(baseline(), { role: "host", cpus: [] }))).toMatch(/never a bare isolcpus=/);
    expect(usage(() => derivePlan(baseline(), { role: "host", cpus: [40] }))).toMatch(
      /40 is not an online CPU/,
    );
  });

  it("needs exactly one of --rt-cpus and --cpus, and a positive count", () => {
    expect(usage(() => derivePlan(baseline(), { role: "host" }))).toMatch(/exactly one of/);
    expect(usage(() => derivePlan(baseline(), { role: "host", rtCpus: 2, cpus: [20] }))).toMatch(
      /exactly one/,
    );
    expect(usage(() => derivePlan(baseline(), { role: "host", rtCpus: 0 }))).toMatch(/positive/);
  });

  it("refuses more guest CPUs than real-time CPUs", () => {
    expect(usage(() => derivePlan(baseline(), { role: "host", rtCpus: 2, guestCpus: 3 }))).toMatch(
      /only 2 real-time CPUs/,
    );
  });

  it("on a 2-vCPU VM isolates CPU 1 and nothing can be taken beyond it", () => {
    const p = derivePlan(devVm(), { role: "guest", rtCpus: 1 });
    expect(p.isolated).toEqual([1]);
    expect(p.housekeeping).toEqual([0]);
    expect(usage(() => derivePlan(devVm(), { role: "guest", rtCpus: 2 }))).toMatch(/only 1 CPUs/);
    const single = makeHost({ nodes: [[0]] });
    expect(usage(() => derivePlan(single, { role: "guest", rtCpus: 1 }))).toMatch(/no CPU left/);
  });
});

describe("derivePlan: kernel command line", () => {
  const params = (p: ReturnType<typeof derivePlan>) =>
    Object.fromEntries(p.cmdline.map((c) => [c.key, c.value ?? ""]));

  it("builds the host line with vendor-specific IOMMU and P-state parameters, each with a why", () => {
    const p = derivePlan(baseline(), { role: "host", rtCpus: 16 });
    const kv = params(p);
    expect(kv.isolcpus).toBe("managed_irq,domain,20-35");
    expect(kv.nohz_full).toBe("20-35");
    expect(kv.rcu_nocbs).toBe("20-35");
    expect(kv.irqaffinity).toBe("0-19");
    expect(kv.intel_iommu).toBe("on");
    expect(kv.intel_pstate).toBe("disable");
    expect(kv.hugepages).toBe("2");
    expect(kv.default_hugepagesz).toBe("1G");
    for (const c of p.cmdline) expect(c.why.length).toBeGreaterThan(20);
    const amd = params(derivePlan(devVm(), { role: "host", rtCpus: 1, guestCpus: 1 }));
    expect(amd.amd_iommu).toBe("on");
    expect(amd.amd_pstate).toBe("disable");
    expect(amd.intel_iommu).toBeUndefined();
  });

  it("builds the guest line from the seeds' guest example", () => {
    const p = derivePlan(devVm(), { role: "guest", rtCpus: 1 });
    const kv = params(p);
    expect(kv.isolcpus).toBe("managed_irq,domain,1");
    expect(kv.nohz_full).toBe("1");
    expect(kv.mce).toBe("off");
    expect(kv.idle).toBe("poll");
    expect(kv.tsc).toBe("reliable");
    expect(kv.hugepagesz).toBe("1G");
    expect(kv.intel_iommu).toBeUndefined();
    expect(p.guest).toBeNull();
  });

  it("parses --hugepages SIZE:COUNT and refuses nonsense", () => {
    expect(parseHugepagesOption("1G:4")).toEqual({ sizeKiB: 1048576, count: 4 });
    expect(parseHugepagesOption("2M:512")).toEqual({ sizeKiB: 2048, count: 512 });
    expect(usage(() => parseHugepagesOption("3M:1"))).toMatch(/2M and 1G/);
    expect(usage(() => parseHugepagesOption("1G"))).toMatch(/SIZE:COUNT/);
    const p = derivePlan(baseline(), { role: "host", rtCpus: 4, hugepages: { sizeKiB: 2048, count: 512 } });
    expect(params(p).hugepagesz).toBe("2M");
  });
});

describe("derivePlan: run-time settings", () => {
  it("writes per-node hugepages as a number on the real-time node", () => {
    const p = derivePlan(baseline(), { role: "host", rtCpus: 16 });
    const hp = p.runtime.find((i) => i.kind === "write" && i.path.includes("nr_hugepages"));
    expect(hp).toMatchObject({
      path: "/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages",
      value: "2",
      // at least 2: a larger pool already in use is never shrunk
      compare: "min",
    });
  });

  it("sets RT throttling off through the runtime only (never period = -1) and masks from the housekeeping set", () => {
    const p = derivePlan(baseline(), { role: "host", rtCpus: 16 });
    const paths = p.runtime.flatMap((i) => (i.kind === "write" ? [i.path] : []));
    expect(paths).toContain("/proc/sys/kernel/sched_rt_runtime_us");
    expect(paths).not.toContain("/proc/sys/kernel/sched_rt_period_us");
    const wq = p.runtime.find(
      (i) => i.kind === "write" && i.path === "/sys/devices/virtual/workqueue/cpumask",
    );
    expect(wq).toMatchObject({ value: "fffff", compare: "cpumask" });
    const sched = p.runtime.filter((i) => i.kind === "sched").map((i) => (i.kind === "sched" ? i : null));
    expect(sched.map((s) => `${s!.comm}:${s!.priority}`)).toEqual([
      "ksoftirqd/*:2",
      "ktimers/*:2",
      "rcuc/*:4",
      "rcub/*:4",
    ]);
    for (const i of p.runtime) expect(i.why.length).toBeGreaterThan(10);
  });

  it("turns KSM off and sets KVM parameters only on the host", () => {
    const host = derivePlan(baseline(), { role: "host", rtCpus: 16 }).runtime;
    const guest = derivePlan(devVm(), { role: "guest", rtCpus: 1 }).runtime;
    const has = (items: typeof host, path: string) => items.some((i) => "path" in i && i.path === path);
    expect(has(host, "/sys/kernel/mm/ksm/run")).toBe(true);
    expect(has(guest, "/sys/kernel/mm/ksm/run")).toBe(false);
    expect(has(host, "/etc/modprobe.d/kvm4nfv.conf")).toBe(true);
    expect(has(guest, "/etc/modprobe.d/kvm4nfv.conf")).toBe(false);
  });
});
