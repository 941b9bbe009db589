/**
 * The tuned emitter: one tuned.conf that includes tuned's realtime-virtual-host (or -guest) profile for what it
 * does at run time (kthread priorities, KSM, workqueue masks, irqbalance, its kvm module script) and pins down
 * what must be the plan's:
 *   - [variables] isolated_cores: the stock profiles read their variables from
 *     /etc/tuned/realtime-virtual-host-variables.conf only (their own `include=`); a variables file beside this
 *     profile would never be read. Variables set in the child profile come later in tuned's merged [variables]
 *     and win over that file, so tuned uses the plan's CPUs whatever the system file says.
 *   - [bootloader] replace=true + the plan's whole command line: the stock chain would add parameters the plan
 *     leaves out on purpose (tsc=reliable where it is unsafe, intel_pstate on AMD or arm64).
 *   - [sysctl] replace=true + the plan's sysctls (the /proc/sys writes), so tuned sets exactly those.
 * Tested by resolving the profile with tuned's own loader (Debian's tuned 2.20): test/consumers/tuned.test.ts.
 */
import { formatCpuList } from "../../host/parse/cpulist.js";
import { formatCmdline } from "../plan-cmdline.js";
import type { Plan } from "../plan-types.js";

export function tunedProfileName(plan: Plan): string {
  return `kvm4nfv-rt-${plan.role}`;
}

/** The plan's sysctls: every /proc/sys write, as tuned's [sysctl] spells them (kernel.nmi_watchdog). */
export function planSysctls(plan: Plan): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of plan.runtime) {
    if (i.kind === "write" && i.path.startsWith("/proc/sys/") && !i.path.includes("*")) {
      out[i.path.slice("/proc/sys/".length).replaceAll("/", ".")] = i.value;
    }
  }
  return out;
}

/** file name (inside the profile directory) → content */
export function emitTunedFiles(plan: Plan): Record<string, string> {
  const base = plan.role === "host" ? "realtime-virtual-host" : "realtime-virtual-guest";
  const isolated = formatCpuList(plan.isolated);
  const isolcpus = plan.cmdline.find((p) => p.key === "isolcpus")?.value ?? "";
  const conf = [
    "[main]",
    `summary=kvm4nfv real-time virtual ${plan.role}: isolated ${isolated} on NUMA node ${plan.node}`,
    `include=${base}`,
    "",
    "[variables]",
    `# ${base} reads /etc/tuned/${base}-variables.conf; these come later and win`,
    `isolated_cores=${isolated}`,
    `isolate_managed_irq=${isolcpus.split(",").includes("managed_irq") ? "Y" : "N"}`,
    "",
    "[bootloader]",
    "# the plan's command line exactly: the included profiles' cmdline_* options are dropped",
    "replace=true",
    `cmdline_kvm4nfv=${formatCmdline(plan.cmdline)}`,
    "",
    "[sysctl]",
    "# the plan's sysctls exactly",
    "replace=true",
    ...Object.entries(planSysctls(plan)).map(([k, v]) => `${k}=${v}`),
  ];
  const sysfs = plan.runtime.flatMap((i) =>
    i.kind === "write" && i.path.includes("nr_hugepages") ? [`${i.path}=${i.value}`] : [],
  );
  if (sysfs.length > 0) conf.push("", "[sysfs]", ...sysfs);
  return { "tuned.conf": `${conf.join("\n")}\n` };
}

export function emitTuned(plan: Plan): string {
  const dir = tunedProfileName(plan);
  return Object.entries(emitTunedFiles(plan))
    .map(([name, content]) => `# ==> /etc/tuned/${dir}/${name} <==\n${content}`)
    .join("\n");
}
