import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { openHostFs } from "../../src/host/fs.js";
import { formatCpuList } from "../../src/host/parse/cpulist.js";
import { readHost } from "../../src/host/read.js";
import { saveSnapshot } from "../../src/host/snapshot.js";
import { ixgbePort, TUNED_SYSCTLS, XEON_E5_2699_V3, XEON_E5_2699_V3_FEATURES } from "../helpers/host.js";

const SNAP = "test/fixtures/snapshots";
const untuned = readHost(openHostFs(`${SNAP}/baseline-untuned`));
const tuned = readHost(openHostFs(`${SNAP}/baseline-tuned`));
const devVm = readHost(openHostFs(`${SNAP}/dev-vm`));

const tmpRoots: string[] = [];
afterAll(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

/** A snapshot made of just the given files. */
function snapshot(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), "kvm4nfv-read-"));
  tmpRoots.push(root);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), content);
  }
  return root;
}

describe("readHost on the baseline platform (untuned)", () => {
  it("takes the topology from sysfs: 2 sockets × 18 cores, HT off, two NUMA nodes", () => {
    const t = untuned.topology;
    expect(t.sockets).toBe(2);
    expect(t.cores).toBe(36);
    expect(t.threadsPerCore).toBe(1);
    expect(t.numaNodes.map((n) => ({ id: n.id, cpus: formatCpuList(n.cpus ?? []) }))).toEqual([
      { id: 0, cpus: "0-17" },
      { id: 1, cpus: "18-35" },
    ]);
    expect(formatCpuList(t.online)).toBe("0-35");
    expect(formatCpuList(t.possible)).toBe("0-63");
    expect(t.cpus).toHaveLength(36);
    expect(t.cpus[35]).toEqual({ cpu: 35, online: true, socket: 1, core: 27, node: 1, siblings: [35] });
    expect(t.smtControl).toBe("notsupported");
    expect(t.smtActive).toBe(false);
  });

  it("identifies the Xeon E5-2699 v3 and its latency-relevant features (what the test Host builder copies)", () => {
    expect(untuned.cpu).toMatchObject(XEON_E5_2699_V3);
    expect(untuned.cpu.features).toEqual(XEON_E5_2699_V3_FEATURES);
  });

  it("reads a stock, non-RT kernel with no tuning", () => {
    expect(untuned.kernel.release).toBe("4.18.0-348.el8.x86_64");
    expect(untuned.kernel.realtime).toBe(false);
    expect(untuned.kernel.configSource).toBe("/boot/config-4.18.0-348.el8.x86_64");
    expect(untuned.kernel.config.CONFIG_NO_HZ_FULL).toBe("n");
    expect(untuned.kernel.config.CONFIG_PREEMPT_RT).toBe("n");
    expect(untuned.kernel.params.isolcpus).toBeUndefined();
    expect(untuned.kernel.params.quiet).toBe("");
    expect(untuned.kernel.grub?.cmdlineLinux).toContain("rhgb quiet");
  });

  it("reads the untuned run-time state", () => {
    const r = untuned.runtime;
    expect(r.isolated).toEqual([]);
    expect(r.nohzFull).toEqual([]); // "(null)" on old kernels means none
    expect(r.irqbalanceRunning).toBe(true);
    expect(r.irqbalanceBanned).toBeNull();
    expect(r.sysctl["kernel.sched_rt_runtime_us"]).toBe("950000");
    expect(r.sysctl["kernel.watchdog"]).toBe("1");
    expect(r.thp).toEqual({ enabled: "always", defrag: "madvise" });
    expect(r.ksmRun).toBe(1);
    expect(r.cpufreq).toMatchObject({ driver: "intel_pstate", pstateStatus: "active", turbo: true });
    expect(r.cpufreq.governors["35"]).toBe("powersave");
    expect(r.cpuidle).toEqual({ driver: "intel_idle", governor: "menu" });
    expect(r.hugepages.bySize["1048576"]).toEqual({ total: 0, free: 0 });
    expect(r.hugepages.defaultSizeKiB).toBe(2048);
    expect(formatCpuList(r.workqueue.cpumask!)).toBe("0-35");
    expect(r.irqs.find((i) => i.irq === 40)).toEqual({
      irq: 40,
      affinity: [4],
      effective: [4],
      actions: "ens1f0-TxRx-0",
    });
    expect(r.kvm.params["kvm_intel.ple_gap"]).toBe("128");
    expect(r.iommu).toEqual({ groups: 0, dmarOrIvrs: true });
  });

  it("reads NICs stored as plain directories", () => {
    expect(untuned.runtime.net).toEqual([
      ixgbePort("ens1f0", "0000:81:00.0"),
      ixgbePort("ens1f1", "0000:81:00.1"),
    ]);
  });
});

describe("readHost on the baseline platform (tuned)", () => {
  it("sees the PREEMPT_RT kernel and the isolation boot line", () => {
    expect(tuned.kernel.realtime).toBe(true);
    expect(tuned.kernel.config.CONFIG_NO_HZ_FULL).toBe("y");
    expect(tuned.kernel.config.CONFIG_RCU_NOCB_CPU).toBe("y");
    expect(tuned.kernel.config.CONFIG_HZ).toBe("1000");
    expect(tuned.kernel.params.isolcpus).toBe("20-35");
    expect(tuned.kernel.params.irqaffinity).toBe("0-19");
    expect(tuned.kernel.params.nosoftlockup).toBe("");
  });

  it("normalises the hex masks and sees every IRQ on the housekeeping CPUs", () => {
    const r = tuned.runtime;
    expect(formatCpuList(r.isolated!)).toBe("20-35");
    expect(formatCpuList(r.nohzFull!)).toBe("20-35");
    expect(formatCpuList(r.workqueue.cpumask!)).toBe("0-19"); // from "00000000,000fffff"
    expect(formatCpuList(r.workqueue.writebackCpumask!)).toBe("0-19");
    expect(formatCpuList(r.defaultIrqAffinity!)).toBe("0-19");
    expect(r.irqs).toHaveLength(30);
    expect(r.irqs.every((i) => formatCpuList(i.affinity!) === "0-19")).toBe(true);
    expect(r.irqbalanceRunning).toBe(false);
    expect(formatCpuList(r.irqbalanceBanned!)).toBe("20-35");
  });

  it("reads the tuned run-time knobs", () => {
    const r = tuned.runtime;
    expect(r.sysctl).toEqual(TUNED_SYSCTLS);
    expect(r.thp.enabled).toBe("never");
    expect(r.ksmRun).toBe(0);
    expect(r.clocksource).toEqual({ current: "tsc", available: ["tsc", "hpet", "acpi_pm"] });
    expect(r.cpuidle.driver).toBe("none");
    expect(r.cpufreq).toMatchObject({ driver: "acpi-cpufreq", pstateStatus: null, turbo: false });
    expect(r.hugepages).toEqual({
      bySize: { "2048": { total: 0, free: 0 }, "1048576": { total: 8, free: 8 } },
      defaultSizeKiB: 1048576,
    });
    expect(tuned.topology.numaNodes[1]!.hugepages["1048576"]).toEqual({ total: 8, free: 8 });
    expect(tuned.topology.numaNodes[0]!.hugepages["1048576"]).toEqual({ total: 0, free: 0 });
    expect(r.kvm).toMatchObject({ vendorModule: "kvm_intel", devKvm: true });
    expect(r.kvm.params["kvm.halt_poll_ns"]).toBe("0");
    expect(r.kvm.params["kvm.kvmclock_periodic_sync"]).toBe("N");
    expect(r.kvm.params["kvm.nx_huge_pages"]).toBe("N");
    expect(r.kvm.params["kvm_intel.ple_gap"]).toBe("0");
    expect(r.iommu.groups).toBe(64);
  });

  it("follows the kernel's symlinks for /sys/class/net", () => {
    expect(tuned.runtime.net[0]).toEqual(ixgbePort("ens1f0", "0000:81:00.0", 4));
    expect(tuned.runtime.net.map((n) => n.iface)).toEqual(["ens1f0", "ens1f1"]); // lo has no device
  });
});

describe("readHost on the captured dev VM", () => {
  it("sees a 2-vCPU AMD EPYC guest", () => {
    expect(devVm.cpu.vendor).toBe("AuthenticAMD");
    expect(devVm.cpu.features.hypervisor).toBe(true);
    expect(devVm.topology).toMatchObject({
      sockets: 1,
      cores: 2,
      threadsPerCore: 1,
      smtControl: "notsupported",
    });
    expect(devVm.topology.numaNodes.map((n) => n.id)).toEqual([0]);
    expect(devVm.kernel.release).toBe("6.18.44-fc-v769");
    expect(devVm.kernel.realtime).toBe(false);
    expect(devVm.kernel.configSource).toBe("/proc/config.gz"); // read through the gzip
    expect(devVm.kernel.config.CONFIG_HZ).toBe("250");
    expect(devVm.kernel.params.console).toBe("ttyS0");
    expect(devVm.runtime.irqbalanceRunning).toBe(false);
    expect(devVm.runtime.net.map((n) => [n.iface, n.driver])).toEqual([["eth0", "virtio_net"]]);
  });
});

describe("readHost on incomplete or odd snapshots", () => {
  it("never throws on a snapshot with only /proc/cpuinfo: unknowns are null", () => {
    const h = readHost(
      openHostFs(snapshot({ "proc/cpuinfo": "processor\t: 0\nflags\t\t: vmx\n\nprocessor\t: 1\n" })),
    );
    expect(h.hostname).toBeNull();
    expect(h.topology.online).toEqual([0, 1]);
    // No /sys/devices/system/node and nothing saying the kernel lacks NUMA: the nodes are unknown, not "node 0".
    expect(h.topology.numaNodes).toEqual([]);
    expect(h.topology).toMatchObject({ sockets: 1, cores: 2, threadsPerCore: 1, smtControl: null });
    expect(h.kernel).toMatchObject({
      release: null,
      cmdline: null,
      params: {},
      realtime: null,
      configSource: null,
    });
    expect(h.kernel.config).toEqual({});
    expect(h.kernel.grub).toBeNull();
    expect(h.runtime.isolated).toBeNull();
    expect(h.runtime.irqbalanceRunning).toBeNull();
    expect(h.runtime.irqs).toEqual([]);
    expect(h.runtime.kvm).toEqual({ vendorModule: null, params: {}, devKvm: null });
    expect(h.runtime.iommu).toEqual({ groups: null, dmarOrIvrs: null });
    expect(h.cpu.features.vmx).toBe(true);
  });

  it("treats malformed CPU lists as unknown rather than failing", () => {
    const h = readHost(
      openHostFs(
        snapshot({
          "proc/cpuinfo": "processor\t: 0\n",
          "sys/devices/system/cpu/isolated": "garbage\n",
          "sys/devices/virtual/workqueue/cpumask": "zz\n",
        }),
      ),
    );
    expect(h.runtime.isolated).toBeNull();
    expect(h.runtime.workqueue.cpumask).toBeNull();
  });

  it("finds PREEMPT_RT from the version string or from a gzipped /proc/config.gz", () => {
    const v = readHost(
      openHostFs(
        snapshot({
          "proc/cpuinfo": "processor\t: 0\n",
          "proc/version": "Linux version 6.6.0-rt15 (b@h) #1 SMP PREEMPT_RT Mon Jan 1 00:00:00 UTC 2024\n",
        }),
      ),
    );
    expect(v.kernel.release).toBe("6.6.0-rt15");
    expect(v.kernel.realtime).toBe(true);
    const c = readHost(
      openHostFs(
        snapshot({
          "proc/cpuinfo": "processor\t: 0\n",
          "proc/config.gz": gzipSync("CONFIG_PREEMPT_RT_FULL=y\nCONFIG_NO_HZ_FULL=y\n"),
        }),
      ),
    );
    expect(c.kernel.configSource).toBe("/proc/config.gz");
    expect(c.kernel.realtime).toBe(true);
    expect(c.kernel.config.CONFIG_NO_HZ_FULL).toBe("y");
    expect(c.kernel.config.CONFIG_RCU_NOCB_CPU).toBe("n"); // absent from a present config
  });

  it("reads a hex IRQBALANCE_BANNED_CPUS and falls back to smp_affinity masks", () => {
    const h = readHost(
      openHostFs(
        snapshot({
          "proc/cpuinfo": "processor\t: 0\n",
          "etc/sysconfig/irqbalance": "IRQBALANCE_BANNED_CPUS=0000000c\n",
          "proc/irq/5/smp_affinity": "00000000,00000003\n",
          "proc/1/comm": "systemd\n",
        }),
      ),
    );
    expect(h.runtime.irqbalanceBanned).toEqual([2, 3]);
    expect(h.runtime.irqs).toEqual([{ irq: 5, affinity: [0, 1], effective: null, actions: null }]);
    expect(h.runtime.irqbalanceRunning).toBe(false);
  });
});

describe("NUMA from every source the kernel offers (issue 11 §2)", () => {
  const cpuinfo = "processor\t: 0\n\nprocessor\t: 1\n\nprocessor\t: 2\n\nprocessor\t: 3\n";
  const base = {
    "proc/cpuinfo": cpuinfo,
    "sys/devices/system/cpu/online": "0-3\n",
    "sys/devices/system/cpu/cpu0/topology/core_id": "0\n",
    "sys/devices/system/cpu/cpu1/topology/core_id": "1\n",
    "sys/devices/system/cpu/cpu2/topology/core_id": "0\n",
    "sys/devices/system/cpu/cpu3/topology/core_id": "1\n",
  };

  it("takes cpulist, else cpumap; a node with neither and no complete links is unknown, not CPU-less", () => {
    const h = readHost(
      openHostFs(
        snapshot({
          ...base,
          "sys/devices/system/node/node0/cpulist": "0-1\n",
          "sys/devices/system/node/node1/cpumap": "0000000c\n",
          "sys/devices/system/node/node2/meminfo": "Node 2 MemTotal: 1024 kB\n",
        }),
      ),
    );
    expect(h.topology.numaNodes.map((n) => [n.id, n.cpus])).toEqual([
      [0, [0, 1]],
      [1, [2, 3]],
      [2, null],
    ]);
    expect(h.topology.cpus.map((c) => c.node)).toEqual([0, 0, 1, 1]);
  });

  it("uses the cpuN/nodeM links when every CPU has one: then a node no CPU links to has no CPUs", () => {
    const root = snapshot({ ...base, "sys/devices/system/node/node1/meminfo": "Node 1 MemTotal: 1 kB\n" });
    mkdirSync(join(root, "sys/devices/system/node/node0"), { recursive: true });
    for (const c of [0, 1, 2, 3]) {
      symlinkSync("../../node/node0", join(root, `sys/devices/system/cpu/cpu${c}/node0`));
    }
    const h = readHost(openHostFs(root));
    expect(h.topology.numaNodes.map((n) => [n.id, n.cpus])).toEqual([
      [0, [0, 1, 2, 3]],
      [1, []],
    ]);
  });

  it("core_id repeating per cluster does not merge cores: each sibling group is a core", () => {
    // Four CPUs, core_id 0,1,0,1 in one package (two clusters), no SMT: four cores, as lscpu counts.
    const h = readHost(openHostFs(snapshot(base)));
    expect(h.topology.cores).toBe(4);
  });

  it("a saved snapshot of a real dump reads the same (cpumap and links reproduced)", () => {
    const src = openHostFs("test/fixtures/real/lscpu/rv64-milkvpioneer");
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-save-"));
    tmpRoots.push(dir);
    saveSnapshot(src, join(dir, "s"));
    const again = readHost(openHostFs(join(dir, "s")));
    expect(again.topology).toEqual(readHost(src).topology);
  });
});

describe("SMT siblings without sysfs topology", () => {
  it("groups x86 cpuinfo's (physical id, core id) into cores", () => {
    const stanza = (p: number, core: number) => `processor\t: ${p}\nphysical id\t: 0\ncore id\t\t: ${core}\n`;
    const h = readHost(
      openHostFs(
        snapshot({ "proc/cpuinfo": [stanza(0, 0), stanza(1, 1), stanza(2, 0), stanza(3, 1)].join("\n") }),
      ),
    );
    expect(h.topology.cpus.map((c) => c.siblings)).toEqual([
      [0, 2],
      [1, 3],
      [0, 2],
      [1, 3],
    ]);
    expect(h.topology).toMatchObject({ cores: 2, threadsPerCore: 2 });
  });
});
