/**
 * `run verify|daily --with oslat,timerlat,hwlat,osnoise`: the instruments beyond cyclictest added to the seeds'
 * jobs, in cnf-tests' latency-suite order — hwlatdetect first (latency the OS cannot cause), then the timer
 * matrix (cyclictest), then oslat; timerlat and osnoise after them. Each runs in the RT guest, idle_idle.
 */
import { UsageError } from "../errors.js";
import type { Exec } from "../exec.js";
import type { RunRecord } from "../measure/types.js";

export const WITH_TOOLS = ["hwlat", "oslat", "timerlat", "osnoise"] as const;
export type WithTool = (typeof WITH_TOOLS)[number];

export function parseWith(text: string): WithTool[] {
  const tools = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!tools.length) throw new UsageError("--with is empty", `expected some of ${WITH_TOOLS.join(", ")}`);
  for (const t of tools) {
    if (!(WITH_TOOLS as readonly string[]).includes(t)) {
      throw new UsageError(
        `--with: "${t}" is not an instrument`,
        `expected some of ${WITH_TOOLS.join(", ")}`,
      );
    }
  }
  return WITH_TOOLS.filter((t) => tools.includes(t));
}

/** Which of the chosen tools run before the timer matrix (hwlatdetect) and which after. */
export function splitWith(tools: readonly WithTool[]): { before: WithTool[]; after: WithTool[] } {
  // In WITH_TOOLS' order whatever order they were typed in (the job ran `--with timerlat,oslat` as typed).
  const chosen = WITH_TOOLS.filter((t) => tools.includes(t));
  return { before: chosen.filter((t) => t === "hwlat"), after: chosen.filter((t) => t !== "hwlat") };
}

export async function runWithTool(
  tool: WithTool,
  options: { durationMs: number; accel?: "auto" | "kvm" | "tcg"; onNote?: (n: string) => void },
  exec?: Exec,
): Promise<RunRecord> {
  const common = {
    where: "guest" as const,
    durationMs: options.durationMs,
    load: "idle" as const,
    guestLoad: "idle" as const,
    ...(options.accel ? { accel: options.accel } : {}),
    ...(options.onNote ? { onNote: options.onNote } : {}),
  };
  switch (tool) {
    case "hwlat": {
      const { runHwlatTest } = await import("../measure/hwlat/hwlat.js");
      return runHwlatTest(common, exec);
    }
    case "oslat": {
      const { runOslatTest } = await import("../measure/oslat/oslat.js");
      return runOslatTest(common, exec);
    }
    default: {
      const { runRtlaTest } = await import("../measure/rtla/rtla.js");
      return runRtlaTest({ tool, ...common }, exec);
    }
  }
}
