/**
 * `kvm4nfv test migration`: flag strings → options (every bad value is a UsageError before any QEMU starts),
 * then one session that runs the chosen mode, stores each run as soon as it ends, and formats the result.
 * Exit: 0 SLA met (sweep: a configuration was recommended), 1 SLA broken, 4 a migration failed.
 */
import { UsageError } from "../../errors.js";
import type { RunRecord } from "../types.js";
import { checkGuestMemory } from "../units.js";
import {
  DEFAULT_SLA,
  formatBandwidth,
  parseBandwidth,
  parseCaps,
  parseDurationMs,
  parseGuest,
  parseMemoryMiB,
  parseParams,
  parsePositiveInt,
  parseSla,
  parseWorkload,
  type Sla,
} from "./args.js";
import {
  type DowntimeObservation,
  headroomDowntimeLimit,
  kvm4nfvConfig,
  type Limits,
  type MigrationConfig,
  QEMU_DEFAULTS,
  sweepMatrix,
} from "./configs.js";
import type { GuestShape, MigrationOptions, MigrationSession } from "./migration.js";

export interface MigrationFlags {
  memory?: string;
  workload?: string;
  bandwidth?: string;
  downtimeLimit?: string;
  caps?: string;
  params?: string;
  guest?: string;
  repeat?: string;
  sla?: string;
  accel?: string;
  kernel?: string;
  compareDefaults?: boolean;
  sweep?: boolean;
  store?: string;
  json?: boolean;
}

export type Mode = "single" | "compare" | "sweep";

export interface MigrationPlan {
  mode: Mode;
  options: MigrationOptions;
  limits: Limits;
  /** The configuration of a single run, and kvm4nfv's side of --compare-defaults. */
  config: MigrationConfig;
  repeat: number;
  /** kvm4nfv's guest (QEMU's defaults always run on a plain one). */
  guest: GuestShape;
  /** No --downtime-limit: kvm4nfv's limit follows the headroom rule (headroomDowntimeLimit). */
  adaptiveDowntime: boolean;
}

/** Parse and validate every flag; pure (no QEMU, no store). */
export function planFromFlags(flags: MigrationFlags): MigrationPlan {
  if (flags.compareDefaults && flags.sweep) {
    throw new UsageError(
      "--compare-defaults and --sweep are exclusive",
      "a sweep already includes QEMU's defaults",
    );
  }
  const accel = flags.accel ?? "auto";
  if (accel !== "auto" && accel !== "kvm" && accel !== "tcg") {
    throw new UsageError(`--accel "${accel}" is not an accelerator`, "expected auto, kvm or tcg");
  }
  const sla: Sla = flags.sla ? parseSla(flags.sla) : { ...DEFAULT_SLA };
  const adaptiveDowntime = flags.downtimeLimit === undefined;
  const limits: Limits = {
    bandwidth: parseBandwidth(flags.bandwidth ?? "10Gbit"),
    downtimeLimitMs: adaptiveDowntime
      ? headroomDowntimeLimit(sla.downtimeMs, [])
      : parseDurationMs(flags.downtimeLimit as string, "--downtime-limit"),
  };
  if (limits.downtimeLimitMs < 1) throw new UsageError("--downtime-limit must be at least 1ms (QEMU's unit)");
  const caps = flags.caps ? parseCaps(flags.caps) : {};
  const params = flags.params ? parseParams(flags.params) : {};
  if ((flags.caps || flags.params) && flags.sweep) {
    throw new UsageError("--caps/--params do not apply to --sweep", "the sweep sets its own matrix");
  }
  const config = kvm4nfvConfig(limits, { caps, params });
  if (flags.caps || flags.params) {
    config.name = "kvm4nfv+custom";
    config.why = `kvm4nfv's settings with ${[flags.caps, flags.params].filter(Boolean).join(" ")}`;
  }
  const memoryMiB = parseMemoryMiB(flags.memory ?? "8G");
  checkGuestMemory(memoryMiB);
  const workload = parseWorkload(flags.workload ?? "idle");
  if (workload.kind === "dirty" && (workload.wssMiB ?? 0) > memoryMiB - 128) {
    throw new UsageError(
      `--workload: a ${workload.wssMiB} MiB working set does not fit a ${memoryMiB} MiB guest`,
    );
  }
  const options: MigrationOptions = { memoryMiB, workload, accel, sla };
  if (flags.kernel) options.kernel = flags.kernel;
  const mode: Mode = flags.sweep ? "sweep" : flags.compareDefaults ? "compare" : "single";
  const guest = flags.guest ? parseGuest(flags.guest) : { freePageHint: false, hugepages: false };
  if (mode === "sweep" && (guest.freePageHint || guest.hugepages)) {
    throw new UsageError(
      "--guest does not apply to --sweep",
      "compare guests with --compare-defaults --guest …",
    );
  }
  return {
    mode,
    options,
    limits,
    config,
    repeat: parsePositiveInt(flags.repeat ?? "1", "--repeat", 100),
    guest,
    adaptiveDowntime,
  };
}

export interface MigrationOutcome {
  text: string;
  exitCode: number;
  runs: RunRecord[];
}

export async function migrationCommand(
  flags: MigrationFlags,
  log: (message: string) => void = () => {},
): Promise<MigrationOutcome> {
  const plan = planFromFlags(flags);
  const [{ openStore }, { withMigrationSession }, report] = await Promise.all([
    import("../../results/store.js"),
    import("./migration.js"),
    import("./report.js"),
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
  const text = flags.json ? JSON.stringify({ runs }, null, 2) : lines.join("\n");
  return { text, exitCode, runs };
}

function worstExit(runs: RunRecord[]): number {
  if (runs.some((r) => r.verdict.status === "error")) return 4;
  if (runs.some((r) => r.verdict.status === "fail")) return 1;
  return 0;
}
