/**
 * From the catalogue to a plan: the run-time items and the kernel parameters one profile asks for, in catalogue
 * order. Pure. A setting whose desired value is null for the profile (wrong vendor, wrong architecture, no pool)
 * is simply not planned.
 */
import { cmdlineParamExists } from "../../host/parse/arch.js";
import type { CmdlineParam, RuntimeItem } from "../plan-types.js";
import { CMDLINE_SETTINGS, type CmdlineSetting } from "./cmdline.js";
import { RUNTIME_SETTINGS } from "./runtime.js";
import { sriovItems } from "./sriov.js";
import type { Arch, Profile, Setting, Vendor } from "./types.js";

export function vendorOf(vendor: string | null): Vendor {
  if (vendor === "GenuineIntel") return "intel";
  if (vendor === "AuthenticAMD" || vendor === "HygonGenuine") return "amd";
  return null;
}

/** Settings of the profile's role. */
export function forRole(settings: readonly Setting[], p: Profile): Setting[] {
  return settings.filter((s) => s.roles.includes(p.role));
}

export function whyOf(s: Setting, p: Profile): string {
  return typeof s.why === "string" ? s.why : s.why(p);
}

export function levelOf(s: Setting, p: Profile): "fail" | "warn" {
  return typeof s.level === "string" ? s.level : s.level(p);
}

/** Does the parameter exist on the architecture (host/parse/arch.ts decides; an unknown one counts as x86)? */
export function existsOn(s: CmdlineSetting, arch: Arch): boolean {
  return cmdlineParamExists(arch, s.target);
}

/** One setting as the plan item apply acts on; null when the profile does not ask for it. */
export function planItem(s: Setting, p: Profile): RuntimeItem | null {
  const value = s.desired(p);
  if (value === null) return null;
  const why = whyOf(s, p);
  switch (s.kind) {
    case "cmdline":
      return null;
    case "kthread":
      return { kind: "sched", comm: s.target, policy: "fifo", priority: Number(value), why };
    case "service":
      return { kind: "service", name: s.target, action: "restart", why };
    case "mount":
      return { kind: "mount", fstype: "hugetlbfs", target: s.target, options: value, why };
    case "config-file":
    case "module-param":
      if (s.configKey !== undefined)
        return { kind: "keys", path: s.target, keys: { [s.configKey]: value }, why };
      if (s.target.startsWith("/etc/")) return { kind: "file", path: s.target, content: value, why };
      break;
  }
  return {
    kind: "write",
    path: s.path?.(p) ?? s.target,
    value,
    compare: s.compare,
    ...(s.accept ? { accept: [...s.accept] } : {}),
    ...(s.tolerate ? { tolerate: [...s.tolerate] } : {}),
    why,
  };
}

/** The run-time items of a profile, in catalogue order (the SR-IOV PFs' items last: settings/sriov.ts). */
export function runtimeItems(p: Profile): RuntimeItem[] {
  const items = forRole(RUNTIME_SETTINGS, p).flatMap((s) => {
    const item = planItem(s, p);
    return item === null ? [] : [item];
  });
  return [...items, ...sriovItems(p)];
}

/** The kernel parameters of a profile: host order, or the guest line's own order. */
export function cmdlineParams(p: Profile): CmdlineParam[] {
  if (p.role === "guest" && p.isolated.length === 0) return [];
  let settings = CMDLINE_SETTINGS.filter((s) => s.roles.includes(p.role) && existsOn(s, p.arch));
  if (p.role === "guest") settings = [...settings].sort((a, b) => (a.guestRank ?? 99) - (b.guestRank ?? 99));
  return settings.flatMap((s) => {
    const value = s.desired(p);
    if (value === null) return [];
    const why = whyOf(s, p);
    return [value === "" ? { key: s.target, why } : { key: s.target, value, why }];
  });
}

/** The catalogue's parameters this architecture does not have (for plan's notes). */
export function notOnArch(p: Profile): string[] {
  return CMDLINE_SETTINGS.filter((s) => s.roles.includes(p.role) && !existsOn(s, p.arch)).map(
    (s) => s.target,
  );
}
