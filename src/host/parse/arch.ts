/**
 * Which architecture a machine is, and which boot parameters exist there. The audit marks x86-only items n/a
 * elsewhere; `plan` should emit only parameters the target's kernel knows (cmdlineParamExists).
 */
import type { CpuInfoStanza } from "./cpuinfo.js";

/**
 * The kernel's ARCH name (x86, arm64, arm, powerpc, riscv, s390, loongarch, sparc, …): from
 * /proc/sys/kernel/arch (uname -m) when it exists, else from what /proc/cpuinfo looks like on each architecture.
 */
export function archOf(machine: string | null, stanzas: CpuInfoStanza[]): string | null {
  if (machine) {
    const m = machine.trim();
    if (/^(x86_64|i[3-6]86)$/.test(m)) return "x86";
    if (/^(aarch64|arm64)/.test(m)) return "arm64";
    if (/^arm/.test(m)) return "arm";
    if (/^ppc/.test(m)) return "powerpc";
    if (/^riscv/.test(m)) return "riscv";
    if (/^s390/.test(m)) return "s390";
    if (/^loongarch/.test(m)) return "loongarch";
    if (/^sparc/.test(m)) return "sparc";
    if (/^mips/.test(m)) return "mips";
    return m;
  }
  const f = stanzas[0]?.fields;
  if (!f) return null;
  const has = (k: string) => stanzas.some((s) => s.fields[k] !== undefined);
  if (has("vendor_id") && f.vendor_id?.includes("S390")) return "s390";
  if (has("flags") && (has("vendor_id") || has("cpu family"))) return "x86";
  if (has("CPU implementer"))
    return has("CPU architecture") && /^[0-7]$/.test(f["CPU architecture"] ?? "") ? "arm" : "arm64";
  if (has("isa") && /^rv/.test(f.isa ?? "")) return "riscv";
  if (/POWER|PowerPC|ppc/i.test(f.cpu ?? "") || has("platform")) return "powerpc";
  if (/Loongson|loongarch/i.test(f["model name"] ?? "") || has("CPU Family")) return "loongarch";
  if (/sparc/i.test(f.cpu ?? "") || has("ncpus probed")) return "sparc";
  return null;
}

/**
 * Boot parameters `kvm4nfv plan` emits that exist only on x86 kernels (kernel-parameters.txt tags them [X86],
 * [X86-64], [INTEL] or [AMD], or they are parsed under arch/x86): on another architecture they are unknown
 * parameters (passed on to init) or mean something else. Generic ones (isolcpus, nohz_full, rcu_nocbs,
 * irqaffinity, skew_tick, nosoftlockup, nmi_watchdog, processor.max_cstate with ACPI, hugepages) are not listed.
 */
export const X86_ONLY_PARAMS: ReadonlySet<string> = new Set([
  "intel_iommu",
  "amd_iommu",
  "iommu", // iommu=pt is x86's spelling; arm64 has iommu.passthrough=1
  "intel_pstate",
  "amd_pstate",
  "intel_idle.max_cstate",
  "idle", // idle=poll|halt|nomwait: arch/x86/kernel/process.c
  "tsc",
  "mce",
]);

/** Does `key` exist as a boot parameter on `arch`? An unknown arch is taken as x86 (the seeds' platform). */
export function cmdlineParamExists(arch: string | null, key: string): boolean {
  if (arch === null || arch === "x86") return true;
  return !X86_ONLY_PARAMS.has(key);
}
