/**
 * The settings catalogue's vocabulary. A Setting is one run-time tunable known once: what kind of knob it is, its
 * target (a path, a kernel parameter, a thread name, a service), how the desired value follows from the machine and
 * the profile, how a current value compares with it, what it costs when wrong, whether it needs a reboot, and the
 * KVM4NFV document or anchor that asks for it. From this one table `plan` derives its items, `check` its findings,
 * `apply` its writes and the verification after them (tuned's plugin_sysctl.py shape: one option table drives
 * apply, verify and unapply).
 */
import type { Host } from "../../host/model.js";
import type { Compare, Hugepages, Role, SriovPfPlan } from "../plan-types.js";
import type { Verdict } from "../rules/types.js";

export type SettingKind =
  | "sysctl"
  | "sysfs"
  | "procfs"
  | "cmdline"
  | "irq-affinity"
  | "kthread"
  | "module-param"
  | "service"
  | "mount"
  | "hugepage-pool"
  | "config-file"
  | "sriov-vfs"
  | "pci-driver";

export type Vendor = "intel" | "amd" | null;

/** The kernel's ARCH name (host.cpu.arch: x86, arm64, powerpc, riscv, …); null when unknown (taken as x86). */
export type Arch = string | null;

/** What the plan decided (or, for the audit, what the host's RT set implies): the input of every `desired`. */
export interface Profile {
  role: Role;
  vendor: Vendor;
  arch: Arch;
  /** RT CPUs (vCPUs for the guest role) */
  isolated: number[];
  housekeeping: number[];
  /** the run-time hugepage pool on the RT node (host role), null when none is planned */
  hugepages: Hugepages | null;
  /** the boot-time pool for the cmdline: size always, count only when reserved at boot */
  bootHugepages: { sizeKiB: number; count?: number } | null;
  /** constant_tsc + nonstop_tsc; false makes tsc=reliable unsafe */
  invariantTsc: boolean | null;
  /** SR-IOV PFs to provision (host role); settings/sriov.ts plans one set of items per PF */
  sriov?: SriovPfPlan[];
}

/** The audit's view: the machine as read, and the profile the RT set implies. */
export interface AuditContext {
  host: Host;
  profile: Profile;
  rtCpus: number[];
}

export type WrongLevel = "fail" | "warn";

export interface Setting {
  /** Unique, stable: the catalogue key, also the finding id of `check --against` ("plan.<key>"). */
  key: string;
  kind: SettingKind;
  /** A machine path (a `*` segment is expanded at apply time), a cmdline key, a thread name pattern, a service. */
  target: string;
  roles: readonly Role[];
  /** The desired value for this profile; null: not set on this machine or role (e.g. intel_pstate on AMD). */
  desired(p: Profile): string | null;
  /** For a shell-style config file: the KEY= line this setting owns (the rest of the file is kept). */
  configKey?: string;
  /** The concrete path for this profile when the target is a pattern of several parts (a node's pool). */
  path?(p: Profile): string;
  /** How apply (and check --against) compares the file's current text with the desired value. */
  compare: Compare;
  /** Current values that already count as done. */
  accept?: readonly string[];
  /** Kernel write errors that mean "the kernel keeps this one" (managed IRQs). */
  tolerate?: readonly string[];
  /** Level of the audit finding when the value is wrong. */
  level: WrongLevel | ((p: Profile) => WrongLevel);
  reboot: boolean;
  /** KVM4NFV document / anchor that asks for it. */
  why: string | ((p: Profile) => string);
  /** The concrete fix for a wrong value. */
  remedy(p: Profile, desired: string): string;
  /** The `check` rule this setting's audit is; absent when another rule audits it (named in `auditedBy`). */
  rule?: SettingRule;
  auditedBy?: string;
}

/** The rule data of a setting that `check` audits from the catalogue. */
export interface SettingRule {
  id: string;
  title: string;
  source: string;
  /** roles of the audit, when narrower than the setting's (os.mce: guest only) */
  roles?: readonly Role[];
  /** Names what exists only on x86 (tsc=, mce=, idle=poll): the audit is n/a on another architecture. */
  x86Only?: string;
  /** The value as the Host model read it; null when unknown (the file was missing). */
  current(host: Host): string | null;
  /** What the evidence names as read ("/proc/sys/kernel/watchdog"); default: the target. */
  where?: string;
  /** The evidence text for a missing value, after "where: ". */
  missing?: string;
  expected?(p: Profile, desired: string): string;
  /** Values the audit also passes though apply would still change them (THP madvise). */
  alsoGood?: readonly string[];
  /** Another way to the same effect: a cmdline parameter (nowatchdog) that makes the audit pass. */
  orParam?: {
    key: string;
    value?: string /** name the parameter in every passing verdict's evidence */;
    shown?: boolean;
  };
  /** More of what was read, appended to the evidence (THP's defrag mode). */
  moreEvidence?(host: Host): string;
  /** A last word on the verdict (tsc=reliable is only a warning on a TSC that is not invariant). */
  adjust?(v: Verdict, ctx: AuditContext): Verdict;
  /** The audit's comparison when it is looser than apply's (vm.stat_interval: at least 10 passes). */
  auditCompare?: Compare;
}
