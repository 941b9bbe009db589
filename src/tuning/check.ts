/**
 * The readiness audit: run every rule of the catalogue that applies to the role against one Host.
 * Pure: no file is read and nothing is run here (the caller reads the Host through a HostFs), so the same
 * report comes from the live machine and from its snapshot.
 */
import { InputError, UsageError } from "../errors.js";
import type { HostFs } from "../host/fs.js";
import type { Host } from "../host/model.js";
import { formatCpuList, parseCpuList, subtract } from "../host/parse/cpulist.js";
import { paramCpus } from "./rules/helpers.js";
import {
  type Finding,
  LEVELS,
  type Level,
  ROLES,
  type Role,
  type RtCpusSource,
  RULES,
  type Rule,
  type RuleContext,
} from "./rules/index.js";

export interface CheckOptions {
  /** "host" | "guest"; anything else is a usage error. */
  role: string;
  /** The RT CPU set as a cpulist (the --cpus flag); default: the cmdline's isolcpus, then nohz_full. */
  cpus?: string | undefined;
}

export interface CheckReport {
  role: Role;
  /** "/" or the snapshot directory the Host was read from. */
  source: string;
  rtCpus: number[];
  rtCpusSource: RtCpusSource;
  findings: Finding[];
  summary: Record<Level, number>;
}

export function parseRole(role: string): Role {
  if ((ROLES as readonly string[]).includes(role)) return role as Role;
  throw new UsageError(`unknown role "${role}"`, `expected one of: ${ROLES.join(", ")}`);
}

/**
 * The CPUs an RT set may name: the online ones ("possible" often runs far past what is installed, and an
 * offline CPU cannot run anything). Empty when the topology is unknown.
 */
function knownCpus(host: Host): number[] {
  if (host.topology.online.length > 0) return host.topology.online;
  return host.topology.cpus.filter((c) => c.online).map((c) => c.cpu);
}

/** The RT set: --cpus (validated against the machine), else what the running cmdline isolates. */
export function resolveRtCpus(
  host: Host,
  cpus: string | undefined,
): { rtCpus: number[]; rtCpusSource: RtCpusSource } {
  if (cpus !== undefined) {
    const list = parseCpuList(cpus, "--cpus");
    if (list.length === 0)
      throw new UsageError("--cpus is empty", "give the RT CPUs as a cpulist, e.g. --cpus 2-5");
    const known = knownCpus(host);
    const missing = known.length === 0 ? [] : subtract(list, known);
    if (missing.length > 0) {
      throw new InputError(
        "BAD_CPULIST",
        `--cpus ${cpus}: this machine has no online CPU ${formatCpuList(missing)} (online: ${formatCpuList(known)})`,
      );
    }
    return { rtCpus: list, rtCpusSource: "--cpus" };
  }
  for (const key of ["isolcpus", "nohz_full"] as const) {
    const v = paramCpus(host, key);
    if (Array.isArray(v) && v.length > 0) return { rtCpus: v, rtCpusSource: key };
  }
  return { rtCpus: [], rtCpusSource: "none" };
}

export function emptySummary(): Record<Level, number> {
  return Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
}

function runRule(rule: Rule, ctx: RuleContext): Finding {
  const v = rule.check(ctx);
  return { id: rule.id, title: rule.title, source: rule.source, ...v };
}

/**
 * `check --against PLAN.json`: what apply would still change on this machine, one finding per planned setting
 * (settings/against.ts). The plan must be for this role.
 */
export async function runCheckAgainst(
  fs: HostFs,
  options: { role: string; plan: string; cpus?: string | undefined },
): Promise<CheckReport> {
  const role = parseRole(options.role);
  if (options.cpus !== undefined) {
    throw new UsageError("--cpus and --against exclude each other: the plan names its RT CPUs");
  }
  const [{ loadPlanFile }, { auditAgainst, planIsolated }, { nodeIo }, { readFileSync }] = await Promise.all([
    import("./apply/plan-file.js"),
    import("./settings/against.js"),
    import("./apply/io.js"),
    import("node:fs"),
  ]);
  const plan = loadPlanFile(options.plan);
  if (plan.role !== role) {
    throw new UsageError(`${options.plan} is a plan for --role ${plan.role}, not ${role}`);
  }
  const { findings } = auditAgainst(fs, nodeIo, plan, options.plan);
  const summary = emptySummary();
  for (const f of findings) summary[f.level]++;
  const rtCpus = planIsolated(JSON.parse(readFileSync(options.plan, "utf8")));
  return { role, source: fs.root, rtCpus, rtCpusSource: "plan", findings, summary };
}

export function runCheck(host: Host, options: CheckOptions): CheckReport {
  const role = parseRole(options.role);
  const { rtCpus, rtCpusSource } = resolveRtCpus(host, options.cpus);
  const ctx: RuleContext = { host, role, rtCpus, rtCpusSource };
  const findings = RULES.filter((r) => r.roles.includes(role)).map((r) => runRule(r, ctx));
  const summary = emptySummary();
  for (const f of findings) summary[f.level]++;
  return { role, source: host.source, rtCpus, rtCpusSource, findings, summary };
}
