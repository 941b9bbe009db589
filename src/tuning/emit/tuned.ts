/**
 * The tuned emitter: a tuned profile directory that includes tuned's realtime-virtual-host (or -guest) profile and
 * sets its variables, plus what those profiles leave out (IOMMU, hugepages, the seeds' mce/idle/C-state parameters).
 * The stock profile then does isolcpus/nohz_full/rcu_nocbs/irqaffinity, the sysctls, kthread priorities and KSM.
 */
import { formatCpuList } from "../../host/parse/cpulist.js";
import { formatCmdline } from "../plan-cmdline.js";
import type { Plan } from "../plan-types.js";

/** Parameters tuned's realtime family already renders from isolated_cores. */
const RENDERED_BY_TUNED = new Set([
  "isolcpus",
  "nohz",
  "nohz_full",
  "rcu_nocbs",
  "irqaffinity",
  "intel_pstate",
  "tsc",
  "nosoftlockup",
  "skew_tick",
]);

export function tunedProfileName(plan: Plan): string {
  return `kvm4nfv-rt-${plan.role}`;
}

/** file name (inside the profile directory) → content */
export function emitTunedFiles(plan: Plan): Record<string, string> {
  const base = plan.role === "host" ? "realtime-virtual-host" : "realtime-virtual-guest";
  const extra = plan.cmdline.filter((p) => !RENDERED_BY_TUNED.has(p.key));
  const conf = [
    "[main]",
    `summary=kvm4nfv real-time virtual ${plan.role}: isolated ${formatCpuList(plan.isolated)} on NUMA node ${plan.node}`,
    `include=${base}`,
    "",
    "[bootloader]",
    `cmdline_kvm4nfv=+${formatCmdline(extra)}`,
  ];
  const sysfs = plan.runtime.flatMap((i) =>
    i.kind === "write" && i.path.includes("nr_hugepages") ? [`${i.path}=${i.value}`] : [],
  );
  if (sysfs.length > 0) conf.push("", "[sysfs]", ...sysfs);
  const variables = [
    `# Variables of tuned's ${base} profile, from kvm4nfv plan.`,
    `isolated_cores=${formatCpuList(plan.isolated)}`,
    "# keep kernel-managed IRQs off the isolated cores too (isolcpus=managed_irq)",
    "isolate_managed_irq=Y",
  ];
  return {
    "tuned.conf": `${conf.join("\n")}\n`,
    [`${base}-variables.conf`]: `${variables.join("\n")}\n`,
  };
}

export function emitTuned(plan: Plan): string {
  const dir = tunedProfileName(plan);
  return Object.entries(emitTunedFiles(plan))
    .map(([name, content]) => `# ==> /etc/tuned/${dir}/${name} <==\n${content}`)
    .join("\n");
}
