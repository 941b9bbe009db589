/**
 * Which machine paths a plan may make apply write: the targets kvm4nfv's plans have (sysctls, IRQ affinities,
 * sysfs knobs, its own config files), nothing else. A hand-edited plan (or journal) naming another path — `..`,
 * /etc/shadow, /root/.ssh — is refused before anything is read or written.
 *
 * One function, so the settings catalogue can later feed it its own list of targets.
 */
import { InputError } from "../../errors.js";

/** The path patterns of plan items (a `*` stands for a number, as apply's glob expansion reads it). */
export const PLAN_TARGETS: readonly RegExp[] = [
  /^\/proc\/sys\/[a-z0-9_-]+(\/[a-z0-9_.-]+)*$/,
  /^\/proc\/irq\/(\d+|\*)\/smp_affinity(_list)?$/,
  /^\/proc\/irq\/default_smp_affinity$/,
  /^\/sys\/devices\/virtual\/workqueue\/cpumask$/,
  /^\/sys\/bus\/workqueue\/devices\/[\w-]+\/cpumask$/,
  /^\/sys\/kernel\/mm\/transparent_hugepage\/(enabled|defrag)$/,
  /^\/sys\/kernel\/mm\/ksm\/run$/,
  /^\/sys\/kernel\/mm\/hugepages\/hugepages-\d+kB\/nr_hugepages$/,
  /^\/sys\/devices\/system\/node\/node\d+\/hugepages\/hugepages-\d+kB\/nr_hugepages$/,
  /^\/sys\/devices\/system\/cpu\/cpu(\d+|\*)\/cpufreq\/scaling_governor$/,
  /^\/sys\/devices\/system\/cpu\/(intel_pstate\/no_turbo|cpufreq\/boost|smt\/control)$/,
  /^\/sys\/module\/[\w-]+\/parameters\/\w+$/,
  // plan --sriov: a PF's autoprobe switch (its VF count and VF bindings are items of their own, src/sriov/provision.ts)
  /^\/sys\/bus\/pci\/devices\/[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]\/sriov_drivers_autoprobe$/,
  /^\/etc\/sysctl\.d\/[\w.-]+\.conf$/,
  /^\/etc\/modprobe\.d\/[\w.-]+\.conf$/,
  /^\/etc\/default\/(grub|irqbalance)$/,
  /^\/etc\/tuned\/[\w.-]+(\/[\w.-]+)?$/,
];

/** Mount points apply may create and mount hugetlbfs on. */
export const MOUNT_TARGETS: readonly RegExp[] = [/^\/(dev|mnt|run)\/huge[\w.-]*$/];

/** Why `path` is not a target apply may write (null: it is one). */
export function targetProblem(path: string, targets: readonly RegExp[] = PLAN_TARGETS): string | null {
  if (!path.startsWith("/")) return "not an absolute path";
  if (path.includes("\0")) return "contains a NUL byte";
  const parts = path.split("/").slice(1);
  if (parts.some((p) => p === "..")) return 'contains ".."';
  if (parts.some((p) => p === "." || p === "")) return "is not in normal form (a . or an empty component)";
  if (!targets.some((re) => re.test(path))) return "is not a path kvm4nfv plans write";
  return null;
}

/** Refuse a path that is not a plan target (exit 2), naming where it came from. */
export function checkTarget(path: string, where: string, targets: readonly RegExp[] = PLAN_TARGETS): void {
  const why = targetProblem(path, targets);
  if (why !== null) {
    throw new InputError("BAD_INPUT", `${where}: ${JSON.stringify(path)} ${why}: refused, nothing written`);
  }
}
