/**
 * The seeds' two CI jobs, as one command each:
 *   verify — idle_idle and memorystress_idle, 2 minutes each (the seeds' 120000 loops of 1 ms);
 *   daily  — idle_idle, cpustress_idle, memorystress_idle, iostress_idle, 1 hour each.
 * Each job: audit the host, build or reuse the RT guest, run the matrix in the guest, store every run,
 * write one HTML report with the combinations side by side, and exit with the SLA verdict.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Exec, realExec } from "../exec.js";
import { openHostFs } from "../host/fs.js";
import { readHost } from "../host/read.js";
import { parseLoadCombo, runGuestTimerTest } from "../measure/guest-timer.js";
import type { RunRecord, SlaLimit } from "../measure/types.js";
import { renderReport } from "../report/html.js";
import { openStore } from "../results/store.js";
import { runCheck } from "../tuning/check.js";
import { ensureGuestImages } from "../vm/guest-build.js";
import { runWithTool, splitWith, WITH_TOOLS, type WithTool } from "./jobs-with.js";
import { checkReportPath, writeReportFile } from "./report.js";

export type JobName = "verify" | "daily";

export const JOBS: Record<JobName, { combos: string[]; durationMs: number }> = {
  verify: { combos: ["idle_idle", "memorystress_idle"], durationMs: 120_000 },
  daily: {
    combos: ["idle_idle", "cpustress_idle", "memorystress_idle", "iostress_idle"],
    durationMs: 3_600_000,
  },
};

/** --quick: a smoke version of the same matrix. */
export const QUICK_DURATION_MS = 10_000;

export interface JobOptions {
  job: JobName;
  durationMs?: number;
  quick?: boolean;
  sla?: SlaLimit[];
  accel?: "auto" | "kvm" | "tcg";
  store?: string;
  /** Report path; default <store dir>/reports/<job>-<time>.html */
  output?: string;
  /** Extra steps: the instruments hwlat (before the guest matrix), oslat, timerlat, osnoise (after it), and
   *  "forwarding" (phy2phy and pvp at 64 and 1518 bytes). */
  with?: string[];
  /** SLA of the forwarding step: "throughput=FPS,avg=µs,…". */
  forwardingSla?: string;
  /** One line per step, for the user. */
  onProgress?: (line: string) => void;
}

export interface JobResult {
  runs: RunRecord[];
  reportPath: string;
  storePath: string;
  checkSummary: string;
  exitCode: number;
  text: string;
}

export async function runJob(options: JobOptions, exec: Exec = realExec): Promise<JobResult> {
  const say = options.onProgress ?? (() => {});
  // Every run meets the same accelerator notes; say each once.
  const noted = new Set<string>();
  const note = (n: string) => {
    if (noted.has(n)) return;
    noted.add(n);
    say(/^note\b/i.test(n) ? n : `note: ${n}`);
  };
  const spec = JOBS[options.job];
  const durationMs = options.durationMs ?? (options.quick ? QUICK_DURATION_MS : spec.durationMs);
  if (options.output) checkReportPath(options.output);
  const combos = spec.combos.map((c) => ({ name: c, ...parseLoadCombo(c) }));

  // The seeds' jobs configured the host first; kvm4nfv audits it and records what it found.
  const report = runCheck(readHost(openHostFs()), { role: "host" });
  const s = report.summary;
  const checkSummary = `host check: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.unknown} unknown, ${s["n/a"]} n/a`;
  say(checkSummary);

  const images = await ensureGuestImages({ exec, onProgress: (m) => say(`guest: ${m}`) });
  say(`guest: ${images.cached ? "reusing" : "built"} ${images.kernelRelease} (${images.dir})`);

  const store = openStore(options.store);
  const runs: RunRecord[] = [];
  const forwarding: RunRecord[] = [];
  const extra = splitWith(
    (options.with ?? []).filter((s): s is WithTool => (WITH_TOOLS as readonly string[]).includes(s)),
  );
  const runExtra = async (tool: WithTool) => {
    say(`${options.job}: ${tool} for ${durationMs / 1000}s …`);
    const run = await runWithTool(
      tool,
      { durationMs, ...(options.accel ? { accel: options.accel } : {}), onNote: note },
      exec,
    );
    run.params.job = options.job;
    run.id = store.saveRun(run);
    runs.push(run);
    say(
      `${options.job}: ${tool}: run ${run.id}, max ${run.metrics.worstMaxUs ?? run.metrics.maxUs} µs, ${run.verdict.status.toUpperCase()}`,
    );
  };
  try {
    for (const tool of extra.before) await runExtra(tool);
    for (const combo of combos) {
      say(`${options.job}: ${combo.name} for ${durationMs / 1000}s …`);
      const run = await runGuestTimerTest(
        {
          where: "guest",
          load: combo.host,
          guestLoad: combo.guest,
          durationMs,
          label: combo.name,
          ...(options.sla ? { sla: options.sla } : {}),
          ...(options.accel ? { accel: options.accel } : {}),
          onNote: note,
        },
        exec,
      );
      run.params.job = options.job;
      run.id = store.saveRun(run);
      runs.push(run);
      const worst = Math.max(...run.cpus.map((c) => c.maxUs));
      say(
        `${options.job}: ${combo.name}: run ${run.id}, max ${worst} µs, ${run.verdict.status.toUpperCase()}`,
      );
    }
    for (const tool of extra.after) await runExtra(tool);
    if (options.with?.includes("forwarding")) {
      const { runForwardingStep } = await import("../measure/forwarding/job.js");
      forwarding.push(
        ...(await runForwardingStep({
          job: options.job,
          ...(options.quick ? { durationS: 2 } : {}),
          ...(options.forwardingSla ? { sla: options.forwardingSla } : {}),
          store,
          say,
        })),
      );
    }
  } finally {
    store.close();
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const reportPath = options.output ?? join(dirname(store.path), "reports", `${options.job}-${stamp}.html`);
  mkdirSync(dirname(reportPath), { recursive: true });
  writeReportFile(reportPath, renderReport([...runs, ...forwarding], { source: store.path }));

  const failed = [...runs, ...forwarding].filter((r) => r.verdict.status !== "pass");
  const lines = [
    `${options.job}: ${runs.length} runs of ${durationMs / 1000}s in the RT guest (${runs[0]?.environment.accelerator?.toUpperCase() ?? "?"})`,
    checkSummary,
    ...runs.map(
      (r) =>
        `  run ${r.id} ${r.label.padEnd(18)} max ${String(Math.max(...r.cpus.map((c) => c.maxUs))).padStart(6)} µs  ${r.verdict.status.toUpperCase()}${r.verdict.status === "pass" ? "" : ` — ${r.verdict.summary}`}`,
    ),
  ];
  if (forwarding.length) {
    const { formatForwardingRuns } = await import("../measure/forwarding/format.js");
    lines.push(formatForwardingRuns(forwarding));
  }
  if (runs.some((r) => r.environment.accelerator === "tcg")) {
    lines.push("NOTE: the guest ran under TCG: latencies are emulated, not real; the verdict says so too");
  }
  lines.push(
    `report: ${reportPath}`,
    `verdict: ${failed.length ? `FAIL (${failed.length} of ${runs.length + forwarding.length} runs broke the SLA)` : "PASS"}`,
  );
  return {
    runs: [...runs, ...forwarding],
    reportPath,
    storePath: store.path,
    checkSummary,
    exitCode: failed.length ? 1 : 0,
    text: lines.join("\n"),
  };
}
