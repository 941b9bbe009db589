/** `kvm4nfv run verify|daily`: flags → JobOptions (every bad value exits 2 before anything starts). */
import { UsageError } from "../errors.js";
import { type JobName, runJob } from "./jobs.js";
import { parseSla } from "./sla.js";
import { parseDuration } from "./units.js";

export interface JobFlags {
  duration?: string;
  quick?: boolean;
  sla?: string;
  accel?: string;
  store?: string;
  output?: string;
}

export async function jobCommand(job: string, flags: JobFlags): Promise<{ text: string; exitCode: number }> {
  if (job !== "verify" && job !== "daily") {
    throw new UsageError(`run ${job}: no such job`, "expected verify or daily");
  }
  if (flags.quick && flags.duration) throw new UsageError("--quick and --duration are exclusive");
  const result = await runJob({
    job: job as JobName,
    ...(flags.duration ? { durationMs: parseDuration(flags.duration) } : {}),
    ...(flags.quick ? { quick: true } : {}),
    ...(flags.sla ? { sla: parseSla(flags.sla) } : {}),
    ...(flags.accel ? { accel: flags.accel as "auto" | "kvm" | "tcg" } : {}),
    ...(flags.store ? { store: flags.store } : {}),
    ...(flags.output ? { output: flags.output } : {}),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  return { text: result.text, exitCode: result.exitCode };
}
