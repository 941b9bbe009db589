/**
 * Kernel command lines for the host and the guest. Each parameter names its source:
 *   seeds §2.1.2 = the host/guest boot-line examples; seeds §2.2.2 = "Operating System Configuration";
 *   tuned = tuned's realtime / realtime-virtual-host / realtime-virtual-guest profiles;
 *   PerformanceProfile = what OpenShift's Node Tuning Operator renders.
 */
import { UsageError } from "../errors.js";
import { cmdlineParamExists } from "../host/parse/arch.js";
import { parseCmdline as parseKernelCmdline } from "../host/parse/cmdline.js";
import type { CmdlineParam, DroppedParam } from "./plan-types.js";
import { cmdlineParams, notOnArch } from "./settings/derive.js";
import type { Profile } from "./settings/types.js";

export function formatCmdline(params: readonly CmdlineParam[]): string {
  return params.map((p) => (p.value === undefined ? p.key : `${p.key}=${p.value}`)).join(" ");
}

/**
 * A command line as key/value tokens, split by the one kernel-cmdline parser (host/parse/cmdline.ts: double quotes
 * group, as the kernel's next_arg() does). What follows a lone `--` belongs to init and is kept as bare tokens, so
 * rewriting GRUB_CMDLINE_LINUX never drops it.
 */
export function parseCmdline(text: string): { key: string; value?: string }[] {
  const parsed = parseKernelCmdline(text);
  const args = parsed.args.map((a) => (a.value === null ? { key: a.key } : { key: a.key, value: a.value }));
  if (parsed.init.length === 0) return args;
  return [...args, { key: "--" }, ...parsed.init.map((t) => ({ key: t }))];
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

/** The host's line, derived from the catalogue for the profile; what the catalogue leaves out is said in notes. */
export function hostCmdline(p: Profile): {
  params: CmdlineParam[];
  dropped: DroppedParam[];
  notes: string[];
} {
  const notes: string[] = [];
  if (p.vendor === null && cmdlineParamExists(p.arch, "intel_iommu")) {
    notes.push(`CPU vendor unknown: no IOMMU or P-state parameter chosen, add your vendor's`);
  }
  const absent = notOnArch(p);
  if (absent.length > 0) notes.push(`${p.arch} host: left out x86-only ${absent.join(", ")}`);
  const params = cmdlineParams(p);
  const dropped: DroppedParam[] = [
    {
      param: "pcie_aspm=off",
      source: "KVM4NFV §2.1.2 docs host boot line",
      why:
        'the docs spell it "pcie_asmp=off", which the kernel ignores, so the published baseline never ran with it; ' +
        "PCIe link power states are a firmware/platform policy (KVM4NFV §2.2.1) and neither tuned nor " +
        "PerformanceProfile sets it",
    },
  ];
  if (p.invariantTsc === false && cmdlineParamExists(p.arch, "tsc")) {
    dropped.push({
      param: "tsc=reliable",
      source: "KVM4NFV §2.2.2 TSC",
      why: "the CPU's TSC is not invariant (constant_tsc + nonstop_tsc): marking it reliable would hide real drift",
    });
  }
  return { params, dropped, notes };
}

/** The guest's own line: the seeds' guest example (isolcpus nohz_full rcu_nocbs mce idle hugepages) + tsc=reliable. */
export function guestCmdline(p: Profile): CmdlineParam[] {
  return cmdlineParams({ ...p, role: "guest" });
}
