/**
 * What `kvm4nfv inspect` prints: the Host as JSON with CPU sets as cpulist strings (docs/inspect-json.md), or a
 * readable summary with the topology drawn node by node, socket by socket, core by core.
 */

import type { Host } from "./model.js";
import { formatCpuList, intersect } from "./parse/cpulist.js";
import { renderSriovRows } from "./sriov-render.js";

const list = (cpus: number[] | null): string | null => (cpus === null ? null : formatCpuList(cpus));

/** The Host with every CPU set written as a cpulist string (null stays null). */
export function inspectJson(host: Host): object {
  const t = host.topology;
  const r = host.runtime;
  return {
    ...host,
    topology: {
      ...t,
      cpus: t.cpus.map((c) => ({ ...c, siblings: formatCpuList(c.siblings) })),
      online: formatCpuList(t.online),
      possible: formatCpuList(t.possible),
      numaNodes: t.numaNodes.map((n) => ({ ...n, cpus: list(n.cpus) })),
    },
    runtime: {
      ...r,
      isolated: list(r.isolated),
      nohzFull: list(r.nohzFull),
      irqbalanceBanned: list(r.irqbalanceBanned),
      defaultIrqAffinity: list(r.defaultIrqAffinity),
      workqueue: { cpumask: list(r.workqueue.cpumask), writebackCpumask: list(r.workqueue.writebackCpumask) },
      irqs: r.irqs.map((i) => ({ ...i, affinity: list(i.affinity), effective: list(i.effective) })),
    },
  };
}

const show = (v: unknown): string => (v === null || v === undefined ? "?" : String(v));
const yesNo = (v: boolean | null, yes = "yes", no = "no"): string => (v === null ? "?" : v ? yes : no);
const gib = (kib: number | null): string => (kib === null ? "?" : `${(kib / 1048576).toFixed(1)} GiB`);

function hugeSummary(h: Record<string, { total: number; free: number }>): string {
  // No hugepages-* directory read at all is unknown, not "none".
  if (Object.keys(h).length === 0) return "hugepages ?";
  const parts = Object.entries(h)
    .filter(([, v]) => v.total > 0)
    .map(([size, v]) => `${pageSize(Number(size))} ${v.free}/${v.total} free`);
  return parts.length === 0 ? "no hugepages" : parts.join(", ");
}

function pageSize(kib: number): string {
  return kib >= 1048576 ? `${kib / 1048576}G` : kib >= 1024 ? `${kib / 1024}M` : `${kib}K`;
}

/** Cores of one socket in one node, each drawn as its sibling threads: "[18] [19] [20*,56*]". */
function drawCores(host: Host, cpus: number[], isolated: Set<number>): string[] {
  const entries = host.topology.cpus.filter((c) => cpus.includes(c.cpu));
  const seen = new Set<number>();
  const cores: string[] = [];
  for (const e of entries) {
    if (seen.has(e.cpu)) continue;
    const threads = [e.cpu, ...intersect(e.siblings, cpus).filter((s) => s !== e.cpu)].sort((a, b) => a - b);
    for (const s of threads) seen.add(s);
    const mark = (c: number) => {
      const entry = host.topology.cpus.find((x) => x.cpu === c);
      return `${c}${isolated.has(c) ? "*" : ""}${entry && !entry.online ? "(off)" : ""}`;
    };
    cores.push(`[${threads.map(mark).join(",")}]`);
  }
  // Wrap so a 36-core socket stays readable in 100 columns.
  const lines: string[] = [];
  let line = "";
  for (const c of cores) {
    if (line !== "" && line.length + c.length + 1 > 88) {
      lines.push(line);
      line = "";
    }
    line = line === "" ? c : `${line} ${c}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

export function renderInspect(host: Host): string {
  const { cpu, topology: t, kernel: k, runtime: r } = host;
  const out: string[] = [];
  out.push(`Host ${show(host.hostname)}   (read from ${host.source})`);
  out.push("");
  out.push(`CPU       ${show(cpu.modelName)}   (architecture ${show(cpu.arch)})`);
  out.push(
    `          ${show(cpu.vendor)} family ${show(cpu.family)} model ${show(cpu.model)} stepping ${show(cpu.stepping)}, microcode ${show(cpu.microcode)}`,
  );
  const f = cpu.features;
  const feat = (name: string, v: boolean | null) => `${name} ${yesNo(v)}`;
  const x86 = cpu.arch === null || cpu.arch === "x86";
  if (!x86) out.push(`          x86 features (vmx/svm, ept/npt, TSC, APICv) n/a on ${cpu.arch}`);
  if (x86)
    out.push(
      `          ${[
        feat("vmx", f.vmx),
        feat("svm", f.svm),
        feat("ept/npt", f.secondLevelPaging),
        feat("tsc_deadline_timer", f.tscDeadlineTimer),
        feat("invariant TSC", f.invariantTsc),
        feat("APICv/AVIC", f.apicv),
        feat("posted interrupts", f.postedInterrupts),
      ].join(", ")}`,
    );
  out.push(
    `          ${f.hypervisor === null ? "hypervisor ?" : f.hypervisor ? "running as a guest (hypervisor flag)" : "bare metal (no hypervisor flag)"}`,
  );
  out.push("");
  const cpuless = t.numaNodes.filter((n) => n.cpus !== null && n.cpus.length === 0).length;
  const nodesText =
    t.numaNodes.length === 0
      ? "NUMA nodes unknown"
      : `${t.numaNodes.length} NUMA node(s)${cpuless > 0 ? ` (${cpuless} without CPUs)` : ""}`;
  out.push(
    `Topology  ${t.sockets} socket(s), ${t.cores} core(s), ${t.threadsPerCore} thread(s) per core, ${nodesText}; online ${formatCpuList(t.online)}, possible ${formatCpuList(t.possible)}; ${smtLine(host)}`,
  );
  // Mark only what the JSON says is isolated (runtime.isolated): never a guess from the cmdline.
  const isolated = new Set(r.isolated ?? []);
  const drawSockets = (cpuSet: Set<number>) => {
    const inSet = t.cpus.filter((c) => cpuSet.has(c.cpu));
    const sockets = [...new Set(inSet.map((c) => c.socket))].sort((a, b) => (a ?? -1) - (b ?? -1));
    for (const s of sockets) {
      const cpus = inSet.filter((c) => c.socket === s).map((c) => c.cpu);
      const lines = drawCores(host, cpus, isolated);
      out.push(`    socket ${show(s)}: ${lines[0] ?? ""}`);
      for (const l of lines.slice(1)) out.push(`              ${l}`);
    }
  };
  const placed = new Set<number>();
  for (const node of t.numaNodes) {
    const cpusText =
      node.cpus === null
        ? "unknown"
        : node.cpus.length === 0
          ? "none (memory only)"
          : formatCpuList(node.cpus);
    out.push(
      `  node ${node.id}: CPUs ${cpusText}, memory ${gib(node.memTotalKiB)} (${gib(node.memFreeKiB)} free), ${hugeSummary(node.hugepages)}`,
    );
    // The node's list holds its online CPUs; an offline CPU is drawn where its own cpuN/nodeM link puts it.
    const members = new Set([
      ...(node.cpus ?? []),
      ...t.cpus.filter((c) => c.node === node.id).map((c) => c.cpu),
    ]);
    for (const c of members) placed.add(c);
    drawSockets(members);
  }
  const unplaced = t.cpus.filter((c) => !placed.has(c.cpu)).map((c) => c.cpu);
  if (unplaced.length > 0) {
    out.push(`  node ?: CPUs ${formatCpuList(unplaced)} (NUMA node unknown)`);
    drawSockets(new Set(unplaced));
  }
  out.push("          [a,b] = one core and its threads; * = isolated CPU");
  out.push("");
  out.push(
    `Kernel    ${show(k.release)}  ${k.realtime === null ? "(RT unknown)" : k.realtime ? "PREEMPT_RT" : "not real-time"}`,
  );
  out.push(`          config from ${show(k.configSource)}${configLine(k.config)}`);
  out.push(`          cmdline: ${show(k.cmdline)}`);
  if (k.grub) out.push(`          grub GRUB_CMDLINE_LINUX: ${show(k.grub.cmdlineLinux)}`);
  out.push("");
  out.push("Run time");
  const irqsOnIsolated = r.irqs.filter(
    (i) => i.affinity !== null && intersect(i.affinity, [...isolated]).length > 0,
  );
  const rows: Array<[string, string]> = [
    ["isolated CPUs", r.isolated === null ? "?" : formatCpuList(r.isolated) || "none"],
    ["nohz_full CPUs", r.nohzFull === null ? "?" : formatCpuList(r.nohzFull) || "none"],
    [
      "irqbalance",
      `${r.irqbalanceRunning === null ? "?" : r.irqbalanceRunning ? "running" : "not running"}${r.irqbalanceBanned ? `, banned ${formatCpuList(r.irqbalanceBanned)}` : ""}`,
    ],
    [
      "IRQs",
      `${r.irqs.length}, ${r.isolated === null ? "isolated CPUs unknown" : isolated.size === 0 ? "no isolated CPUs" : `${irqsOnIsolated.length} may run on isolated CPUs`}; default affinity ${show(list(r.defaultIrqAffinity))}`,
    ],
    ["workqueue cpumask", show(list(r.workqueue.cpumask))],
    [
      "watchdogs",
      `watchdog ${show(r.sysctl["kernel.watchdog"])}, nmi_watchdog ${show(r.sysctl["kernel.nmi_watchdog"])}`,
    ],
    [
      "RT throttling",
      `sched_rt_runtime_us ${show(r.sysctl["kernel.sched_rt_runtime_us"])} / period ${show(r.sysctl["kernel.sched_rt_period_us"])}`,
    ],
    [
      "timers",
      `timer_migration ${show(r.sysctl["kernel.timer_migration"])}, vm.stat_interval ${show(r.sysctl["vm.stat_interval"])}`,
    ],
    [
      "clocksource",
      `${show(r.clocksource.current)} (available: ${r.clocksource.available.join(" ") || "?"})`,
    ],
    ["cpuidle", `driver ${show(r.cpuidle.driver)}, governor ${show(r.cpuidle.governor)}`],
    ["cpufreq", cpufreqLine(host)],
    [
      "hugepages",
      `${hugeSummary(r.hugepages.bySize)}; default size ${r.hugepages.defaultSizeKiB === null ? "?" : pageSize(r.hugepages.defaultSizeKiB)}`,
    ],
    ["THP / KSM", `THP ${show(r.thp.enabled)} (defrag ${show(r.thp.defrag)}), KSM run ${show(r.ksmRun)}`],
    [
      "KVM",
      `${show(r.kvm.vendorModule)}, /dev/kvm ${yesNo(r.kvm.devKvm)}; ${
        Object.entries(r.kvm.params)
          .map(([key, v]) => `${key}=${v}`)
          .join(" ") || "no parameters"
      }`,
    ],
    [
      "IOMMU",
      `${r.iommu.groups === null ? "groups ?" : `${r.iommu.groups} groups`}, DMAR/IVRS table ${yesNo(r.iommu.dmarOrIvrs)}`,
    ],
  ];
  for (const n of r.net) {
    rows.push([
      `net ${n.iface}`,
      `${show(n.pciAddress)} ${show(n.driver)}, NUMA node ${show(n.numaNode)}, SR-IOV VFs ${show(n.sriovNumVfs)}/${show(n.sriovTotalVfs)}`,
    ]);
  }
  rows.push(...renderSriovRows(host.sriov));
  for (const [key, v] of rows) out.push(`  ${key.padEnd(18)} ${v}`);
  return `${out.join("\n")}\n`;
}

/** SMT as the JSON has it: smt/control, smt/active and the sibling count, side by side. */
function smtLine(host: Host): string {
  const t = host.topology;
  const active = t.smtActive === null ? "" : t.smtActive ? ", active" : ", inactive";
  return `SMT ${show(t.smtControl)}${active} (${t.threadsPerCore > 1 ? `${t.threadsPerCore} threads per core seen` : "1 thread per core seen"})`;
}

function configLine(config: Record<string, string>): string {
  const keys = ["CONFIG_PREEMPT_RT", "CONFIG_NO_HZ_FULL", "CONFIG_RCU_NOCB_CPU", "CONFIG_HZ"];
  const parts = keys
    .filter((key) => config[key] !== undefined)
    .map((key) => `${key.slice(7)}=${config[key]}`);
  return parts.length === 0 ? "" : `: ${parts.join(" ")}`;
}

function cpufreqLine(host: Host): string {
  const c = host.runtime.cpufreq;
  const byGov = new Map<string, number[]>();
  for (const [cpu, g] of Object.entries(c.governors)) byGov.set(g, [...(byGov.get(g) ?? []), Number(cpu)]);
  const govs = [...byGov].map(([g, cpus]) => `${g} on ${formatCpuList(cpus)}`).join(", ");
  return `driver ${show(c.driver)}${govs ? `, ${govs}` : ", no governors"}; pstate ${show(c.pstateStatus)}; turbo ${yesNo(c.turbo, "on", "off")}`;
}
