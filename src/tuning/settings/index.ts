/**
 * The settings catalogue: every run-time tunable kvm4nfv plans, audits, applies and reverts, once.
 * cmdline.ts (kernel parameters) and runtime.ts (sysctls, sysfs/procfs files, IRQ affinity, thread priorities,
 * module parameters, services, mounts, hugepage pools) are the data; derive.ts makes plan items of it, audit.ts
 * check findings, against.ts the findings of `check --against PLAN.json` (what apply would still change).
 */
import { CMDLINE_SETTINGS } from "./cmdline.js";
import { RUNTIME_SETTINGS } from "./runtime.js";
import { SRIOV_SETTINGS } from "./sriov.js";
import type { Setting } from "./types.js";

export const ALL_SETTINGS: readonly Setting[] = [...CMDLINE_SETTINGS, ...RUNTIME_SETTINGS, ...SRIOV_SETTINGS];

export function settingByKey(key: string): Setting {
  const s = ALL_SETTINGS.find((x) => x.key === key);
  if (s === undefined) throw new Error(`no setting ${key} in the catalogue`);
  return s;
}

export { CMDLINE_SETTINGS, type CmdlineSetting } from "./cmdline.js";
export { HUGETLBFS_MOUNT, RUNTIME_SETTINGS } from "./runtime.js";
export { SRIOV_SETTINGS, sriovItems } from "./sriov.js";
export type * from "./types.js";
