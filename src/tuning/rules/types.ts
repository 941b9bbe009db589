/**
 * The readiness audit's vocabulary. A rule is data (id, title, area, roles, source) plus one pure check
 * function from a context to a verdict; the engine (../check.ts) stamps the rule's data onto the verdict to
 * make a Finding. Rules never read files or run tools: everything comes from the Host model, so a check on
 * the live host or on a snapshot is the same computation.
 */
import type { Host } from "../../host/model.js";

export type Level = "pass" | "warn" | "fail" | "unknown" | "n/a";
export const LEVELS: readonly Level[] = ["pass", "warn", "fail", "unknown", "n/a"];

export type Role = "host" | "guest";
export const ROLES: readonly Role[] = ["host", "guest"];

/** Where the RT CPU set came from: the user, or the running kernel's cmdline, or nowhere; "plan" for --against. */
export type RtCpusSource = "--cpus" | "isolcpus" | "nohz_full" | "none" | "plan";

export interface RuleContext {
  host: Host;
  role: Role;
  /** The CPUs meant for real-time work (vCPUs in the guest role); sorted; empty when none was found. */
  rtCpus: number[];
  rtCpusSource: RtCpusSource;
  /** Measured evidence for what no OS file shows (check --evidence-from STORE). */
  measured?: MeasuredEvidence;
}

/** The newest stored hwlatdetect run (platform.smi's evidence): latency the OS did not cause. */
export interface HwlatEvidence {
  runId: number;
  startedAt: string;
  where: "host" | "guest";
  node: string | null;
  hostname: string | null;
  accelerator: "kvm" | "tcg" | null;
  maxUs: number;
  samples: number;
  overThreshold: number;
  thresholdUs: number | null;
  /** The run's own SLA verdict. */
  status: "pass" | "fail" | "error";
}

export interface MeasuredEvidence {
  hwlat?: HwlatEvidence;
}

/** What a check function decides; the engine adds id, title and source from the rule. */
export interface Verdict {
  level: Level;
  /** The value read and where it was read from, e.g. "/proc/cmdline: isolcpus absent". */
  evidence: string;
  expected: string;
  /** A concrete fix (command, cmdline parameter with the CPU list, BIOS step); null when nothing to do. */
  remedy: string | null;
  /** True when the remedy needs a reboot (cmdline, BIOS, kernel). */
  rebootRequired: boolean;
}

export interface Finding extends Verdict {
  id: string;
  title: string;
  source: string;
}

export type Area = "platform" | "cpu" | "kernel" | "os" | "virt";
export const AREAS: readonly Area[] = ["platform", "cpu", "kernel", "os", "virt"];

export interface Rule {
  /** Stable kebab-case id, dotted by area: "<area>.<topic>[.<detail>]". */
  id: string;
  area: Area;
  title: string;
  /** Roles this rule applies to; rules of another role are not reported at all. */
  roles: readonly Role[];
  /** Which seed section or reference anchor asks for this. */
  source: string;
  check(ctx: RuleContext): Verdict;
}
