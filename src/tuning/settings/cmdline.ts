/**
 * The kernel command-line half of the catalogue, one entry per parameter. Sources: seeds §2.1.2 = the KVM4NFV
 * host/guest boot-line examples; seeds §2.2.2 = "Operating System Configuration"; tuned = tuned's realtime /
 * realtime-virtual-host / realtime-virtual-guest profiles; PerformanceProfile = what OpenShift's Node Tuning
 * Operator renders. Which parameters exist on which architecture is host/parse/arch.ts's (cmdlineParamExists: the
 * [X86] tags of Documentation/admin-guide/kernel-parameters.txt); derive.ts plans only those.
 */
import { formatCpuList } from "../../host/parse/cpulist.js";
import { cmdlineRemedy, SRC } from "../rules/helpers.js";
import type { Profile, Setting, SettingRule } from "./types.js";

const BOTH = ["host", "guest"] as const;
const HOST = ["host"] as const;

export interface CmdlineSetting extends Setting {
  kind: "cmdline";
  /** Position in the guest's line when it differs from the host's order (the seeds' guest example). */
  guestRank?: number;
}

function param(
  key: string,
  s: Omit<CmdlineSetting, "key" | "kind" | "target" | "compare" | "reboot" | "remedy" | "level" | "rule"> &
    Partial<Pick<CmdlineSetting, "compare" | "level">> & { rule?: Omit<SettingRule, "current"> },
): CmdlineSetting {
  const { rule, ...rest } = s;
  return {
    key: `cmdline.${key}`,
    kind: "cmdline",
    target: key,
    compare: "text",
    level: "fail",
    reboot: true,
    remedy: (p, d) => cmdlineRemedy(d === "" ? key : `${key}=${d}`, p.role),
    ...rest,
    ...(rule === undefined
      ? {}
      : {
          rule: {
            where: "/proc/cmdline",
            expected: (_p, d) => `${key}=${d} on the kernel cmdline`,
            ...rule,
            current: (h) => (h.kernel.cmdline === null ? null : (h.kernel.params[key] ?? "")),
          },
        }),
  };
}

const who = (p: Profile) =>
  p.role === "guest" ? "the guest's real-time vCPUs" : "the host's real-time CPUs";
const iso = (p: Profile) => (p.isolated.length === 0 ? null : formatCpuList(p.isolated));
const poolSize = (p: Profile) => {
  const kib = p.bootHugepages?.sizeKiB;
  if (kib === undefined) return null;
  if (kib % 1048576 === 0) return `${kib / 1048576}G`;
  if (kib % 1024 === 0) return `${kib / 1024}M`;
  return `${kib}K`;
};

/** Every parameter, in the host line's order; guestRank orders the guest's line. */
export const CMDLINE_SETTINGS: readonly CmdlineSetting[] = [
  param("isolcpus", {
    auditedBy: "os.cpu-isolation.isolcpus (rules/isolation.ts)",
    roles: BOTH,
    desired: (p) => (iso(p) === null ? null : `managed_irq,domain,${iso(p)}`),
    why: (p) =>
      `KVM4NFV §2.2.2 CPU isolation (${who(p)}); the managed_irq,domain flags are tuned realtime's: "domain" removes ` +
      "the CPUs from scheduler load balancing as plain isolcpus= did, managed_irq also keeps kernel-managed " +
      "(multi-queue driver) IRQs off them",
    guestRank: 1,
  }),
  param("nohz", {
    auditedBy: "os.tickless.effective (rules/isolation.ts)",
    roles: BOTH,
    desired: (p) => (iso(p) === null ? null : "on"),
    why: "tuned realtime-virtual-host/guest: make sure the tickless mode is enabled",
    guestRank: 2,
  }),
  param("nohz_full", {
    auditedBy: "os.tickless.nohz-full (rules/isolation.ts)",
    roles: BOTH,
    desired: iso,
    why: "KVM4NFV §2.1.2 boot line and §2.2.2 Tickless: a host tick is a VM exit on the real-time CPU",
    guestRank: 3,
  }),
  param("rcu_nocbs", {
    auditedBy: "os.rcu-nocbs (rules/isolation.ts)",
    roles: BOTH,
    desired: iso,
    why: "KVM4NFV §2.1.2 boot line and §2.2.2 RCU_NOCB: RCU callbacks run on housekeeping CPUs",
    guestRank: 4,
  }),
  param("irqaffinity", {
    auditedBy: "os.irq-affinity (rules/os-memory-irq.ts)",
    roles: BOTH,
    desired: (p) => (iso(p) === null ? null : formatCpuList(p.housekeeping)),
    compare: "cpulist",
    why: "KVM4NFV §2.2.2 IRQ affinity, set from boot as tuned realtime-virtual-host does (irqaffinity=<non-isolated>)",
    guestRank: 5,
  }),
  param("intel_iommu", {
    auditedBy: "os.iommu (rules/os-memory-irq.ts)",
    roles: HOST,
    desired: (p) => (p.vendor === "intel" ? "on" : null),
    why: "KVM4NFV §2.1.2 boot line and §2.2.2 Device assignment for VM: passthrough devices need the IOMMU",
  }),
  param("amd_iommu", {
    auditedBy: "os.iommu (rules/os-memory-irq.ts)",
    roles: HOST,
    desired: (p) => (p.vendor === "amd" ? "on" : null),
    why: "KVM4NFV §2.1.2 boot line and §2.2.2 Device assignment for VM: passthrough devices need the IOMMU",
  }),
  param("iommu", {
    auditedBy: "os.iommu (rules/os-memory-irq.ts)",
    roles: HOST,
    desired: () => "pt",
    why: "KVM4NFV §2.1.2 boot line: host devices bypass DMA translation, only assigned devices pay for it",
  }),
  param("default_hugepagesz", {
    auditedBy: "os.hugepages (rules/os-memory-irq.ts)",
    roles: BOTH,
    desired: poolSize,
    why: (p) =>
      `KVM4NFV §2.1.2 ${p.role} boot line and §2.2.2 Memory allocation: hugepages cut page faults and TLB misses`,
    guestRank: 9,
  }),
  param("hugepagesz", {
    auditedBy: "os.hugepages (rules/os-memory-irq.ts)",
    roles: BOTH,
    desired: poolSize,
    why: (p) => `KVM4NFV §2.1.2 ${p.role} boot line: the pool size to reserve at boot`,
    guestRank: 10,
  }),
  param("hugepages", {
    auditedBy: "os.hugepages (rules/os-memory-irq.ts)",
    roles: BOTH,
    desired: (p) =>
      p.bootHugepages?.count === undefined || poolSize(p) === null ? null : String(p.bootHugepages.count),
    compare: "min",
    why:
      "reserve the pages at boot, before memory fragments (1G pages often cannot be found later); the run-time " +
      "settings then place them on the real-time node",
    guestRank: 11,
  }),
  param("mce", {
    roles: BOTH,
    desired: () => "off",
    why: (p) =>
      p.role === "guest"
        ? "KVM4NFV §2.1.2 guest boot line (guest-setup0.sh)"
        : "KVM4NFV §2.1.2 boot line (host-setup0.sh): no machine-check polling",
    guestRank: 6,
    rule: {
      id: "os.mce",
      title: "Machine-check polling off in the guest (mce=off)",
      x86Only: "mce=off",
      source: SRC.bootLine,
      roles: ["guest"],
    },
  }),
  param("idle", {
    roles: BOTH,
    desired: () => "poll",
    // The guest boot line asks for it; on the host it trades power and turbo headroom for wake-up time.
    level: (p) => (p.role === "guest" ? "fail" : "warn"),
    why: (p) =>
      p.role === "guest"
        ? "KVM4NFV §2.1.2 guest boot line: a polling guest never halts, so no VM exit/entry to wake it"
        : "KVM4NFV §2.2.2 Idle: a polling idle loop wakes an idle CPU fastest",
    guestRank: 7,
    rule: {
      id: "os.idle",
      title: "Polling idle loop (idle=poll)",
      x86Only: "idle=poll",
      source: `${SRC.os("Idle")}; ${SRC.bootLine}`,
    },
  }),
  param("intel_pstate", {
    auditedBy: "platform.power-management.pstates (rules/platform.ts)",
    roles: HOST,
    desired: (p) => (p.vendor === "intel" ? "disable" : null),
    why: "KVM4NFV §2.1.2 docs boot line (intel_pstate=disable) and §2.2.1 Power management: no P-state changes",
  }),
  param("amd_pstate", {
    auditedBy: "platform.power-management.pstates (rules/platform.ts)",
    roles: HOST,
    desired: (p) => (p.vendor === "amd" ? "disable" : null),
    why: "KVM4NFV §2.1.2 docs boot line (intel_pstate=disable) and §2.2.1 Power management: no P-state changes",
  }),
  param("processor.max_cstate", {
    auditedBy: "platform.power-management.cstates (rules/platform.ts)",
    roles: HOST,
    desired: () => "1",
    why: "KVM4NFV §2.1.2 docs boot line and §2.2.1 Power management: no deep C-state exit latency",
  }),
  param("tsc", {
    roles: BOTH,
    // Marking a TSC reliable that is not invariant hides real drift: the host line leaves it out then (the
    // audit's profile never knows invariantTsc, so the audit still asks and only warns: see adjust).
    desired: (p) => (p.role === "host" && p.invariantTsc === false ? null : "reliable"),
    why: (p) =>
      p.role === "guest"
        ? "guest-setup0.sh: the guest sees an invariant TSC (+invtsc)"
        : "KVM4NFV §2.2.2 TSC: no clocksource watchdog on a constant/invariant TSC",
    guestRank: 8,
    rule: {
      id: "os.tsc.reliable",
      title: "TSC marked reliable (no clocksource watchdog)",
      x86Only: "the TSC (tsc=reliable)",
      source: `${SRC.os("TSC")}; ${SRC.bootLine}`,
      // tsc=reliable is audited everywhere; on a TSC that is not invariant its absence is only a warning.
      adjust(v, ctx) {
        if (
          v.level === "fail" &&
          ctx.profile.role === "host" &&
          ctx.host.cpu.features.invariantTsc === false
        ) {
          return {
            ...v,
            level: "warn",
            evidence: `${v.evidence}; CPU has no invariant TSC (constant_tsc+nonstop_tsc)`,
          };
        }
        return v;
      },
    },
  }),
  param("nosoftlockup", {
    auditedBy: "check --against PLAN.json (the running cmdline against the plan's)",
    roles: HOST,
    desired: () => "",
    why: "tuned realtime: a real-time task may own a CPU for long; no soft-lockup detector on it",
  }),
  param("skew_tick", {
    auditedBy: "check --against PLAN.json (the running cmdline against the plan's)",
    roles: HOST,
    desired: () => "1",
    why: "PerformanceProfile (OpenShift renders skew_tick=1): offset per-CPU ticks so they do not contend on one lock",
  }),
];
