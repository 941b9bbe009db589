/** `kvm4nfv run verify|daily`: flags → JobOptions (every bad value exits 2 before anything starts). */
import type { JobOpts } from "../cli/jobs.js";
import { UsageError } from "../errors.js";
import { parseSla } from "../measure/sla.js";
import { parseDuration } from "../units.js";
import { type JobName, runJob } from "./jobs.js";
import { WITH_TOOLS } from "./jobs-with.js";
import type { OnProgress, Outcome } from "./outcome.js";

/** The flags, as the option table in src/cli/jobs.ts declares them. */
export type JobFlags = JobOpts;

/** --with: extra steps: the instruments (jobs-with.ts, in cnf-tests' order) and forwarding after the matrix. */
export const WITH_STEPS = [...WITH_TOOLS, "forwarding"] as const;

export function parseWith(text: string): string[] {
  const steps = text.split(",").map((s) => s.trim());
  for (const s of steps) {
    if (!(WITH_STEPS as readonly string[]).includes(s)) {
      throw new UsageError(`--with: unknown step "${s}"`, `expected ${WITH_STEPS.join(", ")}`);
    }
  }
  return steps;
}

export async function jobCommand(
  job: string,
  flags: JobFlags,
  onProgress: OnProgress = () => {},
): Promise<Outcome<string>> {
  if (job !== "verify" && job !== "daily") {
    throw new UsageError(`run ${job}: no such job`, "expected verify or daily");
  }
  if (flags.quick && flags.duration) throw new UsageError("--quick and --duration are exclusive");
  const withSteps = flags.with ? parseWith(flags.with) : [];
  if (flags.forwardingSla) {
    if (!withSteps.includes("forwarding")) throw new UsageError("--forwarding-sla needs --with forwarding");
    const { parseForwardingSla } = await import("../measure/forwarding/options.js");
    parseForwardingSla(flags.forwardingSla);
  }
  const result = await runJob({
    job: job as JobName,
    ...(flags.duration ? { durationMs: parseDuration(flags.duration) } : {}),
    ...(flags.quick ? { quick: true } : {}),
    ...(flags.sla ? { sla: parseSla(flags.sla) } : {}),
    ...(flags.accel ? { accel: flags.accel as "auto" | "kvm" | "tcg" } : {}),
    ...(flags.store ? { store: flags.store } : {}),
    ...(flags.output ? { output: flags.output } : {}),
    ...(withSteps.length ? { with: withSteps } : {}),
    ...(flags.forwardingSla ? { forwardingSla: flags.forwardingSla } : {}),
    onProgress,
  });
  return { output: result.text, exitCode: result.exitCode, notes: [] };
}
