/** The cmdline emitter: the kernel command line alone, ready for GRUB_CMDLINE_LINUX or a bootloader entry. */
import { formatCmdline } from "../plan-cmdline.js";
import type { Plan } from "../plan-types.js";

export function emitCmdline(plan: Plan): string {
  return `${formatCmdline(plan.cmdline)}\n`;
}
