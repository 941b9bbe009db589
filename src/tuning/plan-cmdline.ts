/**
 * Kernel command lines for the host and the guest. Each parameter names its source:
 *   seeds §2.1.2 = the host/guest boot-line examples; seeds §2.2.2 = "Operating System Configuration";
 *   tuned = tuned's realtime / realtime-virtual-host / realtime-virtual-guest profiles;
 *   PerformanceProfile = what OpenShift's Node Tuning Operator renders.
 */
import { UsageError } from "../errors.js";
import { cmdlineParamExists } from "../host/parse/arch.js";
import { formatCpuList } from "../host/parse/cpulist.js";
import type { CmdlineParam, DroppedParam, Hugepages } from "./plan-types.js";

export function formatCmdline(params: readonly CmdlineParam[]): string {
  return params.map((p) => (p.value === undefined ? p.key : `${p.key}=${p.value}`)).join(" ");
}

/** Split a command line into key/value tokens (double quotes group, as the kernel's parser does). */
export function parseCmdline(text: string): { key: string; value?: string }[] {
  const tokens = text.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
  return tokens.map((t) => {
    const eq = t.indexOf("=");
    return eq < 0 ? { key: t } : { key: t.slice(0, eq), value: t.slice(eq + 1).replace(/^"(.*)"$/, "$1") };
  });
}

/** "1G" / "2M" / "1048576kB" → KiB. Only the x86 sizes the kernel offers (2 MiB, 1 GiB). */
export function parseHugepageSize(text: string): number {
  const m = /^(\d+)\s*([kKmMgG])?i?[bB]?$/.exec(text.trim());
  if (!m) throw new UsageError(`hugepage size "${text}": expected 2M or 1G`);
  const n = Number(m[1]);
  const unit = (m[2] ?? "k").toLowerCase();
  const kib = unit === "g" ? n * 1048576 : unit === "m" ? n * 1024 : n;
  if (kib !== 2048 && kib !== 1048576) throw new UsageError(`hugepage size "${text}": x86 offers 2M and 1G`);
  return kib;
}

export function formatHugepageSize(kib: number): string {
  if (kib % 1048576 === 0) return `${kib / 1048576}G`;
  if (kib % 1024 === 0) return `${kib / 1024}M`;
  return `${kib}K`;
}

/** --hugepages SIZE:COUNT */
export function parseHugepagesOption(text: string): { sizeKiB: number; count: number } {
  const m = /^([^:]+):(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--hugepages "${text}": expected SIZE:COUNT, e.g. 1G:2`);
  const count = Number(m[2]);
  if (count <= 0) throw new UsageError(`--hugepages "${text}": the count must be at least 1`);
  return { sizeKiB: parseHugepageSize(m[1]!), count };
}

type Vendor = "intel" | "amd" | null;

export function vendorOf(vendor: string | null): Vendor {
  if (vendor === "GenuineIntel") return "intel";
  if (vendor === "AuthenticAMD" || vendor === "HygonGenuine") return "amd";
  return null;
}

function isolation(isolated: number[], housekeeping: number[], who: string): CmdlineParam[] {
  const iso = formatCpuList(isolated);
  return [
    {
      key: "isolcpus",
      value: `managed_irq,domain,${iso}`,
      why:
        `seeds §2.2.2 CPU isolation (${who}); the managed_irq,domain flags are tuned realtime's: "domain" removes ` +
        "the CPUs from scheduler load balancing as plain isolcpus= did, managed_irq also keeps kernel-managed " +
        "(multi-queue driver) IRQs off them",
    },
    {
      key: "nohz",
      value: "on",
      why: "tuned realtime-virtual-host/guest: make sure the tickless mode is enabled",
    },
    {
      key: "nohz_full",
      value: iso,
      why: "seeds §2.1.2 boot line and §2.2.2 Tickless: a host tick is a VM exit on the real-time CPU",
    },
    {
      key: "rcu_nocbs",
      value: iso,
      why: "seeds §2.1.2 boot line and §2.2.2 RCU_NOCB: RCU callbacks run on housekeeping CPUs",
    },
    {
      key: "irqaffinity",
      value: formatCpuList(housekeeping),
      why: "seeds §2.2.2 IRQ affinity, set from boot as tuned realtime-virtual-host does (irqaffinity=<non-isolated>)",
    },
  ];
}

function hugepageParams(h: { sizeKiB: number; count?: number }, who: string): CmdlineParam[] {
  const size = formatHugepageSize(h.sizeKiB);
  const params: CmdlineParam[] = [
    {
      key: "default_hugepagesz",
      value: size,
      why: `seeds §2.1.2 ${who} boot line and §2.2.2 Memory allocation: hugepages cut page faults and TLB misses`,
    },
    {
      key: "hugepagesz",
      value: size,
      why: `seeds §2.1.2 ${who} boot line: the pool size to reserve at boot`,
    },
  ];
  if (h.count !== undefined) {
    params.push({
      key: "hugepages",
      value: String(h.count),
      why:
        "reserve the pages at boot, before memory fragments (1G pages often cannot be found later); the run-time " +
        "settings then place them on the real-time node",
    });
  }
  return params;
}

export function hostCmdline(
  vendor: string | null,
  isolated: number[],
  housekeeping: number[],
  hugepages: Hugepages,
  arch: string | null = null,
): { params: CmdlineParam[]; dropped: DroppedParam[]; notes: string[] } {
  const v = vendorOf(vendor);
  const notes: string[] = [];
  const params: CmdlineParam[] = [...isolation(isolated, housekeeping, "the host's real-time CPUs")];
  if (v !== null) {
    params.push({
      key: v === "intel" ? "intel_iommu" : "amd_iommu",
      value: "on",
      why: "seeds §2.1.2 boot line and §2.2.2 Device assignment for VM: passthrough devices need the IOMMU",
    });
  } else {
    notes.push(`CPU vendor ${vendor ?? "unknown"}: no IOMMU or P-state parameter chosen, add your vendor's`);
  }
  params.push(
    {
      key: "iommu",
      value: "pt",
      why: "seeds §2.1.2 boot line: host devices bypass DMA translation, only assigned devices pay for it",
    },
    ...hugepageParams(hugepages, "host"),
    { key: "mce", value: "off", why: "seeds §2.1.2 boot line (host-setup0.sh): no machine-check polling" },
    { key: "idle", value: "poll", why: "seeds §2.2.2 Idle: a polling idle loop wakes an idle CPU fastest" },
  );
  if (v !== null) {
    params.push({
      key: v === "intel" ? "intel_pstate" : "amd_pstate",
      value: "disable",
      why: "seeds §2.1.2 docs boot line (intel_pstate=disable) and §2.2.1 Power management: no P-state changes",
    });
  }
  params.push(
    {
      key: "processor.max_cstate",
      value: "1",
      why: "seeds §2.1.2 docs boot line and §2.2.1 Power management: no deep C-state exit latency",
    },
    {
      key: "tsc",
      value: "reliable",
      why: "seeds §2.2.2 TSC: no clocksource watchdog on a constant/invariant TSC",
    },
    {
      key: "nosoftlockup",
      why: "tuned realtime: a real-time task may own a CPU for long; no soft-lockup detector on it",
    },
    {
      key: "skew_tick",
      value: "1",
      why: "PerformanceProfile (OpenShift renders skew_tick=1): offset per-CPU ticks so they do not contend on one lock",
    },
  );
  const dropped: DroppedParam[] = [
    {
      param: "pcie_aspm=off",
      source: "seeds §2.1.2 docs host boot line",
      why:
        'the docs spell it "pcie_asmp=off", which the kernel ignores, so the published baseline never ran with it; ' +
        "PCIe link power states are a firmware/platform policy (seeds §2.2.1) and neither tuned nor " +
        "PerformanceProfile sets it",
    },
  ];
  // Only what the target's kernel has: x86's parameters are unknown (handed to init) on arm64, POWER, RISC-V.
  const absent = params.filter((p) => !cmdlineParamExists(arch, p.key));
  if (absent.length > 0) notes.push(`${arch} host: left out x86-only ${absent.map((p) => p.key).join(", ")}`);
  return { params: params.filter((p) => cmdlineParamExists(arch, p.key)), dropped, notes };
}

/** The guest's own line: the seeds' guest example (isolcpus nohz_full rcu_nocbs mce idle hugepages) + tsc=reliable. */
export function guestCmdline(
  rtVcpus: number[],
  housekeepingVcpus: number[],
  hugepages: { sizeKiB: number; count?: number },
): CmdlineParam[] {
  if (rtVcpus.length === 0) return [];
  return [
    ...isolation(rtVcpus, housekeepingVcpus, "the guest's real-time vCPUs"),
    { key: "mce", value: "off", why: "seeds §2.1.2 guest boot line (guest-setup0.sh)" },
    {
      key: "idle",
      value: "poll",
      why: "seeds §2.1.2 guest boot line: a polling guest never halts, so no VM exit/entry to wake it",
    },
    { key: "tsc", value: "reliable", why: "guest-setup0.sh: the guest sees an invariant TSC (+invtsc)" },
    ...hugepageParams(hugepages, "guest"),
  ];
}
