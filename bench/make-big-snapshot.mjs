#!/usr/bin/env node
/**
 * Generates (never commits) a snapshot of a large NFV host for the speed benchmarks: 2 sockets × 28 cores × 2
 * threads = 112 CPUs (Xeon Gold 6348 class; siblings N and N+56 as Linux numbers them), two NUMA nodes, and ~1900
 * IRQs (per-queue MSI-X of four 2×100G NICs and NVMe, 112 columns each in /proc/interrupts) with their
 * smp_affinity(_list) and effective_affinity(_list) files, written the way the kernel prints them.
 * Usage: node bench/make-big-snapshot.mjs [DIR]   (default: $TMPDIR/kvm4nfv-big-snapshot); prints DIR.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as kit from "../test/fixtures/snapshot-kit.mjs";

const OUT = process.argv[2] ?? join(tmpdir(), "kvm4nfv-big-snapshot");
const SOCKETS = 2;
const CORES = 28; // per socket
const NCPU = SOCKETS * CORES * 2;
const NR_CPU_IDS = 128;
const IRQ_COUNT = 1900;

const socketOf = (cpu) => Math.floor((cpu % (NCPU / 2)) / CORES);
const coreOf = (cpu) => cpu % CORES;
const siblingsOf = (cpu) => {
  const a = cpu % (NCPU / 2);
  return [a, a + NCPU / 2];
};

const mask = (cpus) => kit.cpumask(cpus, NR_CPU_IDS);
const w = kit.snapshotWriter(OUT);
const file = w.file;

const FLAGS =
  "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm " +
  "pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid " +
  "aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 " +
  "x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb cat_l3 " +
  "invpcid_single intel_ppin ssbd mba ibrs ibpb stibp ibrs_enhanced tpr_shadow vnmi flexpriority ept vpid ept_ad " +
  "fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a avx512f avx512dq rdseed adx smap avx512ifma " +
  "clflushopt clwb intel_pt avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves arat pln pts";

const stanzas = kit.range(0, NCPU - 1).map((cpu) =>
  kit.cpuinfoStanza([
    ["processor", cpu],
    ["vendor_id", "GenuineIntel"],
    ["cpu family", 6],
    ["model", 106],
    ["model name", "Intel(R) Xeon(R) Gold 6348 CPU @ 2.60GHz"],
    ["stepping", 6],
    ["microcode", "0xd0003a5"],
    ["physical id", socketOf(cpu)],
    ["siblings", CORES * 2],
    ["core id", coreOf(cpu)],
    ["cpu cores", CORES],
    ["apicid", socketOf(cpu) * 128 + coreOf(cpu) * 2 + (cpu >= NCPU / 2 ? 1 : 0)],
    ["flags", FLAGS],
    ["bogomips", "5200.00"],
  ]),
);
file("proc/cpuinfo", `${stanzas.join("\n")}\n`);

const CPU = "sys/devices/system/cpu";
file(`${CPU}/online`, `0-${NCPU - 1}\n`);
file(`${CPU}/possible`, `0-${NR_CPU_IDS - 1}\n`);
file(`${CPU}/present`, `0-${NCPU - 1}\n`);
file(`${CPU}/isolated`, "\n");
file(`${CPU}/nohz_full`, "(null)\n");
file(`${CPU}/smt/control`, "on\n");
file(`${CPU}/smt/active`, "1\n");
file(`${CPU}/cpuidle/current_driver`, "intel_idle\n");
file(`${CPU}/cpuidle/current_governor_ro`, "menu\n");
file(`${CPU}/intel_pstate/status`, "active\n");
file(`${CPU}/intel_pstate/no_turbo`, "0\n");
for (const cpu of kit.range(0, NCPU - 1)) {
  w.values(`${CPU}/cpu${cpu}/topology`, {
    physical_package_id: socketOf(cpu),
    core_id: coreOf(cpu),
    thread_siblings_list: kit.cpulist(siblingsOf(cpu)),
    core_cpus_list: kit.cpulist(siblingsOf(cpu)),
  });
  w.values(`${CPU}/cpu${cpu}/cpufreq`, { scaling_governor: "powersave", scaling_driver: "intel_pstate" });
}
const nodeCpus = (n) => kit.range(0, NCPU - 1).filter((c) => socketOf(c) === n);
for (const n of kit.range(0, SOCKETS - 1)) {
  const d = `sys/devices/system/node/node${n}`;
  file(`${d}/cpulist`, `${kit.cpulist(nodeCpus(n))}\n`);
  file(`${d}/meminfo`, `Node ${n} MemTotal:       263706624 kB\nNode ${n} MemFree:        250000000 kB\n`);
  for (const size of [2048, 1048576]) kit.hugepagePool(w, `${d}/hugepages`, size, 0);
}
for (const size of [2048, 1048576]) kit.hugepagePool(w, "sys/kernel/mm/hugepages", size, 0);
file(
  "proc/meminfo",
  "MemTotal:       527413248 kB\nMemFree:        500000000 kB\nHugepagesize:       2048 kB\n",
);
file("proc/cmdline", "BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 root=/dev/mapper/vg-root ro quiet\n");
file(
  "proc/version",
  "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1\n",
);
file("proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
file("proc/sys/kernel/hostname", "nfv-big\n");
w.values("proc/sys/kernel", {
  watchdog: 1,
  nmi_watchdog: 1,
  sched_rt_runtime_us: 950000,
  sched_rt_period_us: 1000000,
  timer_migration: 1,
});
w.values("proc/sys/vm", { stat_interval: 1 });
file("sys/kernel/mm/transparent_hugepage/enabled", kit.choice(kit.THP_ENABLED, "always"));
file("sys/kernel/mm/transparent_hugepage/defrag", kit.choice(kit.THP_DEFRAG, "madvise"));
file("sys/kernel/mm/ksm/run", "0\n");
file("sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc\n");
file("sys/devices/system/clocksource/clocksource0/available_clocksource", "tsc hpet acpi_pm \n");
file("sys/devices/virtual/workqueue/cpumask", `${mask(kit.range(0, NCPU - 1))}\n`);
file("sys/bus/workqueue/devices/writeback/cpumask", `${mask(kit.range(0, NCPU - 1))}\n`);
file("proc/irq/default_smp_affinity", `${mask(kit.range(0, NCPU - 1))}\n`);
for (const [m, ps] of [
  ["kvm", { halt_poll_ns: "200000", nx_huge_pages: "auto", kvmclock_periodic_sync: "Y" }],
  ["kvm_intel", { enable_apicv: "Y", ple_gap: "128", ept: "Y" }],
]) {
  w.values(`sys/module/${m}/parameters`, ps);
}
file(
  "boot/config-6.1.0-18-amd64",
  "CONFIG_PREEMPT_DYNAMIC=y\nCONFIG_NO_HZ_FULL=y\nCONFIG_RCU_NOCB_CPU=y\nCONFIG_HZ=250\n",
);

// IRQs: legacy lines, then per-queue MSI-X vectors (one per CPU per NIC port / NVMe device) up to IRQ_COUNT.
const names = [];
for (const port of kit.range(0, 7))
  for (const q of kit.range(0, NCPU - 1)) names.push(`ens${port}f-TxRx-${q}`);
for (const d of kit.range(0, 7)) for (const q of kit.range(0, NCPU - 1)) names.push(`nvme${d}q${q}`);
const lines = [kit.interruptsHead(NCPU)];
for (let irq = 0; irq < IRQ_COUNT; irq++) {
  const name = irq < 24 ? `legacy${irq}` : names[(irq - 24) % names.length];
  const target = irq % NCPU;
  const counts = kit.range(0, NCPU - 1).map((c) => (c === target ? 1000 + irq : 0));
  lines.push(kit.irqLine(irq, counts, `IR-PCI-MSI ${irq * 1024}-edge      ${name}`));
  kit.irqAffinity(w, irq, irq < 24 ? kit.range(0, NCPU - 1) : [target], [target], NR_CPU_IDS);
}
lines.push(
  kit.counterLine(
    "NMI",
    kit.range(0, NCPU - 1).map(() => 12),
    "Non-maskable interrupts",
  ),
);
file("proc/interrupts", `${lines.join("\n")}\n`);
file("etc/default/grub", 'GRUB_CMDLINE_LINUX="quiet"\n');
console.log(OUT);
