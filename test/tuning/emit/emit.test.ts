import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { UsageError } from "../../../src/errors.js";
import { loadPlanFile } from "../../../src/tuning/apply/plan-file.js";
import { EMIT_FORMATS, emit } from "../../../src/tuning/emit/index.js";
import { toDocument } from "../../../src/tuning/emit/json.js";
import { qemuSpec } from "../../../src/tuning/emit/qemu.js";
import { emitTunedFiles } from "../../../src/tuning/emit/tuned.js";
import { derivePlan } from "../../../src/tuning/plan.js";
import { baseline, devVm } from "../../helpers/host.js";
import { xmlProblems } from "../../helpers/xml.js";

const plan = derivePlan(baseline(), { role: "host", rtCpus: 16 });
const guestPlan = derivePlan(devVm(), { role: "guest", rtCpus: 1 });
const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-emit-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("json", () => {
  it("has cpulists, the cmdline as one string, the runtime list and the machine fingerprint", () => {
    const doc = toDocument(plan);
    expect(doc.cpus).toEqual({
      node: 1,
      isolated: "20-35",
      housekeeping: "0-19",
      guest: "20-21",
      stress: "22-35",
      emulator: "18-19",
    });
    expect(doc.cmdline).toMatch(/^isolcpus=managed_irq,domain,20-35 nohz=on nohz_full=20-35 /);
    expect(doc.machine).toEqual({
      vendor: "GenuineIntel",
      model: "Intel(R) Xeon(R) CPU E5-2699 v3 @ 2.30GHz",
      cpus: 36,
      nodes: { "0": "0-17", "1": "18-35" },
      threadsPerCore: 1,
    });
    expect(doc.guest?.pins).toEqual({ "0": 20, "1": 21 });
    expect(doc.guest).toMatchObject({
      emulatorCpus: "18-19",
      rtVcpus: "1",
      cpuModel: "host,+invtsc,+tsc-deadline,pmu=off,migratable=off",
      memLock: true,
      hugepages: "2x1G on node 1",
      mountPoint: "/mnt/hugetlbfs-1g",
    });
  });

  it("is read back by apply unchanged", () => {
    const file = join(tmp, "plan.json");
    writeFileSync(file, emit(plan, "json"));
    const back = loadPlanFile(file);
    expect(back.runtime).toEqual(plan.runtime);
    expect(back.machine).toEqual(plan.machine);
    expect(back.cmdline).toBe(toDocument(plan).cmdline);
  });
});

describe("cmdline", () => {
  it("is one line with every planned parameter", () => {
    const line = emit(plan, "cmdline");
    expect(line.trim().split("\n")).toHaveLength(1);
    expect(line).toContain(" intel_iommu=on iommu=pt default_hugepagesz=1G hugepagesz=1G hugepages=2 ");
    expect(line).not.toMatch(/isolcpus=(\s|$)/);
    expect(emit(guestPlan, "cmdline")).toMatch(
      /^isolcpus=managed_irq,domain,1 nohz=on nohz_full=1 rcu_nocbs=1 /,
    );
  });
});

describe("script", () => {
  const script = join(tmp, "setup.sh");
  writeFileSync(script, emit(plan, "script"));

  it("is valid POSIX sh (sh -n)", () => {
    expect(spawnSync("sh", ["-n", script], { encoding: "utf8" }).status).toBe(0);
    const g = join(tmp, "guest.sh");
    writeFileSync(g, emit(guestPlan, "script"));
    expect(spawnSync("sh", ["-n", g], { encoding: "utf8" }).status).toBe(0);
  });

  it("applies the plan to a copy of the baseline under ROOT, fixing the seeds' bugs, and is idempotent", () => {
    const root = join(tmp, "root");
    cpSync(join(import.meta.dirname, "../../fixtures/snapshots/baseline-untuned"), root, { recursive: true });
    const run = () => execFileSync("sh", [script], { encoding: "utf8", env: { ...process.env, ROOT: root } });
    const first = run();
    expect(first).toContain("set /proc/sys/kernel/sched_rt_runtime_us: 950000 -> -1");
    expect(first).toContain("skip chrt ksoftirqd/*: process priorities are set on a live machine only");
    const at = (p: string) => readFileSync(join(root, p), "utf8");
    // hugepages as a number (the original's string append made 0 + 2 = "02", 1 + 2 = "12")
    expect(at("sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages")).toBe("2\n");
    expect(at("proc/sys/kernel/sched_rt_period_us")).toBe("1000000\n");
    expect(at("proc/irq/24/smp_affinity_list")).toBe("0-19\n");
    expect(at("sys/kernel/mm/transparent_hugepage/enabled")).toBe("never\n");
    expect(at("etc/default/grub")).toContain(
      'GRUB_CMDLINE_LINUX="crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet isolcpus=managed_irq,domain,20-35 ',
    );
    expect(at("etc/default/irqbalance")).toContain("#IRQBALANCE_BANNED_CPULIST=\n");
    expect(at("etc/default/irqbalance")).toContain("\nIRQBALANCE_BANNED_CPULIST=20-35\n");
    expect(at("etc/sysctl.d/90-kvm4nfv.conf")).toContain("kernel.sched_rt_runtime_us = -1\n");
    expect(first.trim().split("\n").at(-1)).toMatch(/^[1-9]\d* change\(s\)$/);
    expect(run().trim().split("\n").at(-1)).toBe("0 change(s)");
  });
});

describe("tuned", () => {
  it("includes realtime-virtual-host and sets isolated_cores, the whole cmdline and the sysctls itself", () => {
    const files = emitTunedFiles(plan);
    expect(Object.keys(files)).toEqual(["tuned.conf"]);
    expect(files["tuned.conf"]).toContain("[main]\n");
    expect(files["tuned.conf"]).toContain("include=realtime-virtual-host\n");
    expect(files["tuned.conf"]).toContain("[variables]\n");
    expect(files["tuned.conf"]).toContain("isolated_cores=20-35\nisolate_managed_irq=Y\n");
    expect(files["tuned.conf"]).toContain(`replace=true\ncmdline_kvm4nfv=${toDocument(plan).cmdline}\n`);
    expect(files["tuned.conf"]).toContain("kernel.sched_rt_runtime_us=-1\n");
    expect(emitTunedFiles(guestPlan)["tuned.conf"]).toContain("include=realtime-virtual-guest\n");
  });
});

describe("libvirt", () => {
  const xml = emit(plan, "libvirt");

  it("is well-formed XML", () => {
    expect(xmlProblems(xml)).toEqual([]);
    // the checker itself catches what it should
    expect(xmlProblems("<a><b></a></b>")).not.toEqual([]);
    expect(xmlProblems("<a x=1/>")).not.toEqual([]);
    expect(xmlProblems("<a>&nbsp;</a>")).not.toEqual([]);
  });

  it("pins vCPUs and the emulator, backs memory with locked 1G pages on node 1, and asks for RT CPU features", () => {
    expect(xml).toContain("<vcpupin vcpu='0' cpuset='20'/>");
    expect(xml).toContain("<vcpupin vcpu='1' cpuset='21'/>");
    expect(xml).toContain("<emulatorpin cpuset='18-19'/>");
    expect(xml).toContain("<vcpusched vcpus='1' scheduler='fifo' priority='1'/>");
    expect(xml).toContain("<page size='1048576' unit='KiB' nodeset='0'/>");
    expect(xml).toMatch(/<nosharepages\/>\s*<locked\/>/);
    expect(xml).toContain("<memory mode='strict' nodeset='1'/>");
    expect(xml).toContain("<cpu mode='host-passthrough' check='none' migratable='off'>");
    expect(xml).toContain("<feature policy='require' name='tsc-deadline'/>");
    expect(xml).toContain("<pmu state='off'/>");
    expect(xml).toContain("<memballoon model='none'/>");
  });
});

describe("qemu", () => {
  it("uses QEMU 7.2 spellings: -overcommit mem-lock=on and a hugetlb memfd backend bound to the RT node", () => {
    const q = qemuSpec(plan);
    const arg = (flag: string) => q.argv[q.argv.indexOf(flag) + 1];
    expect(arg("-cpu")).toBe("host,+invtsc,+tsc-deadline,pmu=off,migratable=off");
    expect(arg("-overcommit")).toBe("mem-lock=on");
    expect(arg("-object")).toBe(
      "memory-backend-memfd,id=mem0,size=1024M,hugetlb=on,hugetlbsize=1G,prealloc=on,share=off,merge=off,host-nodes=1,policy=bind",
    );
    expect(q.argv).not.toContain("-realtime");
    expect(q.pinning).toEqual({
      emulatorCpus: "18-19",
      vcpus: [
        { vcpu: 0, cpu: 20, fifoPriority: null },
        { vcpu: 1, cpu: 21, fifoPriority: 1 },
      ],
    });
    expect(q.guestCmdline).toMatch(/^isolcpus=managed_irq,domain,1 .* mce=off idle=poll tsc=reliable/);
    expect(JSON.parse(emit(plan, "qemu")).argv[0]).toBe("qemu-system-x86_64");
  });
});

describe("performance-profile", () => {
  it("is a PerformanceProfile v2 with the plan's CPUs and hugepages", () => {
    const pp = parse(emit(plan, "performance-profile"));
    expect(pp.apiVersion).toBe("performance.openshift.io/v2");
    expect(pp.kind).toBe("PerformanceProfile");
    expect(pp.spec.cpu).toEqual({ isolated: "20-35", reserved: "0-19" });
    expect(pp.spec.hugepages).toEqual({
      defaultHugepagesSize: "1G",
      pages: [{ size: "1G", count: 2, node: 1 }],
    });
    expect(pp.spec.realTimeKernel).toEqual({ enabled: true });
    expect(pp.spec.numa).toEqual({ topologyPolicy: "single-numa-node" });
    expect(pp.spec.globallyDisableIrqLoadBalancing).toBe(true);
    expect(pp.spec.workloadHints.realTime).toBe(true);
  });
});

describe("emit", () => {
  it("refuses an unknown format and guest-launch formats for a guest plan", () => {
    expect(EMIT_FORMATS).toEqual([
      "json",
      "cmdline",
      "script",
      "tuned",
      "libvirt",
      "qemu",
      "performance-profile",
    ]);
    expect(() => emit(plan, "yml")).toThrow(UsageError);
    expect(() => emit(plan, "yml")).toThrow(/unknown format/);
    expect(() => emit(guestPlan, "libvirt")).toThrow(/use it with --role host/);
  });
});
