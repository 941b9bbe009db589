/**
 * Run-time settings of a plan: derived from the settings catalogue (settings/runtime.ts holds each one with its
 * `why`: what host-setup1.sh / guest-setup1.sh did, with their bugs fixed, plus tuned's realtime-virtual-host/guest).
 */
import type { Hugepages, Role, RuntimeItem } from "./plan-types.js";
import { runtimeItems as derive, vendorOf } from "./settings/derive.js";
import type { Arch } from "./settings/types.js";

export { HUGETLBFS_MOUNT } from "./settings/runtime.js";

export function runtimeItems(args: {
  role: Role;
  vendor: string | null;
  arch?: Arch;
  isolated: number[];
  housekeeping: number[];
  hugepages: Hugepages | null;
}): RuntimeItem[] {
  return derive({
    role: args.role,
    vendor: vendorOf(args.vendor),
    arch: args.arch ?? "x86",
    isolated: args.isolated,
    housekeeping: args.housekeeping,
    hugepages: args.role === "host" ? args.hugepages : null,
    bootHugepages: null,
    invariantTsc: null,
  });
}
