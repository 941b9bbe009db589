/**
 * The readiness audit: run every rule of the catalogue that applies to the role against one Host.
 * Pure: no file is read and nothing is run here (the caller reads the Host through a HostFs), so the same
 * report comes from the live machine and from its snapshot.
 */
import { UsageError } from "../errors.js";
import type { HostFs } from "../host/fs.js";
import type { Host } from "../host/model.js";
import { resolveRtCpus as resolve, rtFactsOf } from "./rt-cpus.js";
import {
  type Finding,
  LEVELS,
  type Level,
  type MeasuredEvidence,
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
  /** Measured evidence (check --evidence-from STORE). */
  measured?: MeasuredEvidence | undefined;
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

/** The RT set: --cpus (validated against the machine), else what the running cmdline isolates (rt-cpus.ts). */
export function resolveRtCpus(
  host: Host,
  cpus: string | undefined,
): { rtCpus: number[]; rtCpusSource: RtCpusSource } {
  const r = resolve(rtFactsOf(host), cpus, { prefer: "cmdline", fallback: "none" });
  return r as { rtCpus: number[]; rtCpusSource: RtCpusSource };
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
  const ctx: RuleContext = {
    host,
    role,
    rtCpus,
    rtCpusSource,
    ...(options.measured ? { measured: options.measured } : {}),
  };
  const findings = RULES.filter((r) => r.roles.includes(role)).map((r) => runRule(r, ctx));
  const summary = emptySummary();
  for (const f of findings) summary[f.level]++;
  return { role, source: host.source, rtCpus, rtCpusSource, findings, summary };
}
