/**
 * `kvm4nfv test migration`: the plan from the flags (src/measure/migration/options.ts), then one session that runs
 * the chosen mode, stores each run as soon as it ends, and formats the result. Progress lines go through `log`.
 * Exit: 0 SLA met (sweep: a configuration was recommended), 1 SLA broken, 4 a migration failed.
 */
import type { MigrationOpts } from "../cli/test-migration.js";
import { formatBandwidth } from "../measure/migration/args.js";
import { type MigrationFlags, planFromFlags } from "../measure/migration/command.js";
import {
  type DowntimeObservation,
  headroomDowntimeLimit,
  type MigrationConfig,
  QEMU_DEFAULTS,
  sweepMatrix,
} from "../measure/migration/configs.js";
import type { MigrationSession } from "../measure/migration/migration.js";
import type { RunRecord } from "../measure/types.js";
import type { KeysMatch, OnProgress, Outcome, SameKeys } from "./outcome.js";

/** `test migration`'s option table (src/cli/test-migration.ts) names exactly MigrationFlags, or this does not build. */
export type MigrationFlagsMatch = KeysMatch<SameKeys<MigrationOpts, MigrationFlags>>;

export interface MigrationOutcome extends Outcome<string> {
  runs: RunRecord[];
}

export async function migrationCommand(
  flags: MigrationFlags,
  log: OnProgress = () => {},
): Promise<MigrationOutcome> {
  const plan = planFromFlags(flags);
  const [{ openStore }, { withMigrationSession }, report] = await Promise.all([
    import("../results/store.js"),
    import("../measure/migration/migration.js"),
    import("../measure/migration/report.js"),
  ]);
  // Open the store first: a store that cannot be written should fail before minutes of migrations.
  const store = openStore(flags.store);
  const runs: RunRecord[] = [];
  const lines: string[] = [];
  const save = (run: RunRecord): RunRecord => {
    run.id = store.saveRun(run);
    runs.push(run);
    log(report.formatRun(run, `run ${run.id}`));
    return run;
  };
  let exitCode = 0;
  const plain = !plan.guest.freePageHint && !plan.guest.hugepages;
  // kvm4nfv's runs under the headroom rule: each run's limit from the excess of the runs before it.
  const seen: DowntimeObservation[] = [];
  const kvm4nfvRun = async (session: MigrationSession): Promise<RunRecord> => {
    const limit = plan.adaptiveDowntime
      ? headroomDowntimeLimit(plan.options.sla.downtimeMs, seen)
      : plan.limits.downtimeLimitMs;
    const config = { ...plan.config, params: { ...plan.config.params, "downtime-limit": limit } };
    const run = save(await session.migrate(config));
    seen.push({ limitMs: limit, downtimeMs: report.metric(run, "downtime_ms") });
    return run;
  };
  try {
    await withMigrationSession({ ...plan.options, onProgress: log }, async (session: MigrationSession) => {
      lines.push(
        `Live migration, ${plan.options.memoryMiB} MiB ${session.accel.toUpperCase()} guest on QEMU ` +
          `${session.qemuVersion}, workload ` +
          `${flags.workload ?? "idle"}, loopback TCP; cap ${formatBandwidth(plan.limits.bandwidth)}, ` +
          `downtime limit ${plan.adaptiveDowntime ? `by headroom (first ${plan.limits.downtimeLimitMs} ms)` : `${plan.limits.downtimeLimitMs} ms`}; ` +
          `SLA total ≤ ${plan.options.sla.totalMs} ms, downtime ≤ ${plan.options.sla.downtimeMs} ms`,
      );
      for (const n of session.notes) lines.push(`note: ${n}`);
      const runMany = async (config: MigrationConfig): Promise<RunRecord[]> => {
        const out: RunRecord[] = [];
        for (let i = 0; i < plan.repeat; i++) out.push(save(await session.migrate(config)));
        return out;
      };
      // kvm4nfv's side on its own guest when it has devices QEMU's defaults must not get (a balloon, hugepages).
      const withKvm4nfvGuest = async (fn: (s: MigrationSession) => Promise<void>) => {
        if (plain || plan.mode === "sweep") return fn(session);
        return withMigrationSession(
          { ...plan.options, guest: plan.guest, onProgress: log },
          async (own: MigrationSession) => {
            for (const n of own.notes)
              if (!session.notes.includes(n)) lines.push(`note (kvm4nfv's guest): ${n}`);
            await fn(own);
          },
        );
      };
      await withKvm4nfvGuest(async (own) => {
        if (plan.mode === "single") {
          const rs: RunRecord[] = [];
          for (let i = 0; i < plan.repeat; i++) rs.push(await kvm4nfvRun(own));
          for (const r of rs) lines.push(report.formatRun(r, `run ${r.id}`));
          exitCode = worstExit(rs);
        } else if (plan.mode === "compare") {
          // Interleave defaults and kvm4nfv so drift in the machine's load hits both sides alike.
          const a: RunRecord[] = [];
          const b: RunRecord[] = [];
          for (let i = 0; i < plan.repeat; i++) {
            a.push(save(await session.migrate(QEMU_DEFAULTS)));
            b.push(await kvm4nfvRun(own));
          }
          lines.push(report.formatComparison(a, b));
          if (plan.adaptiveDowntime)
            lines.push(
              `kvm4nfv's downtime limits, run by run: ${seen.map((o) => `${o.limitMs} ms`).join(", ")}`,
            );
          exitCode = worstExit(b);
        } else {
          const entries = [];
          for (const config of sweepMatrix(plan.limits)) {
            entries.push({ name: config.name, why: config.why, runs: await runMany(config) });
          }
          lines.push(report.formatSweep(entries));
          const best = report.recommend(entries).best;
          const bestConfig = sweepMatrix(plan.limits).find((c) => c.name === best?.name);
          if (bestConfig?.caps.multifd && plan.options.workload.kind === "idle") {
            lines.push(
              "caution: multifd won on an idle guest; repeat the sweep with --workload dirty:RATE before adopting " +
                "it (with QEMU 7.2, dirtying guests often arrived dead on the destination).",
            );
          }
          exitCode = best ? 0 : 1;
        }
      });
    });
  } finally {
    store.close();
  }
  const ids = runs.map((r) => r.id).join(", ");
  lines.push(`stored run${runs.length > 1 ? "s" : ""} ${ids} in ${store.path}`);
  const output = flags.json ? JSON.stringify({ runs }, null, 2) : lines.join("\n");
  return { output, exitCode, notes: [], runs };
}

function worstExit(runs: RunRecord[]): number {
  if (runs.some((r) => r.verdict.status === "error")) return 4;
  if (runs.some((r) => r.verdict.status === "fail")) return 1;
  return 0;
}
