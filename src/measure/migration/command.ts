/**
 * `kvm4nfv test migration`'s flag strings → a plan (every bad value is a UsageError before any QEMU starts). The
 * handler that runs the plan's session, stores and formats is src/app/migration.ts; Yardstick's QemuMigrate uses
 * the plan too. (The file keeps its old name while migration work in flight merges; options.ts is its next name.)
 */
import { UsageError } from "../../errors.js";
import { checkGuestMemory } from "../../units.js";
import {
  DEFAULT_SLA,
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
  headroomDowntimeLimit,
  kvm4nfvConfig,
  type Limits,
  type MigrationConfig,
  withPostcopy,
} from "./configs.js";
import type { GuestShape, MigrationOptions } from "./migration.js";

export interface MigrationFlags {
  memory?: string;
  workload?: string;
  bandwidth?: string;
  downtimeLimit?: string;
  caps?: string;
  params?: string;
  guest?: string;
  repeat?: string;
  postcopyAfter?: string;
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
  applyPostcopy(config, flags.postcopyAfter, workload.kind === "dirty");
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

/**
 * A dirtying guest converges by switching to postcopy: at once by default (each page then crosses the link once;
 * the measured alternatives are in the README). --postcopy-after N waits N full precopy passes; never keeps precopy.
 */
function applyPostcopy(config: MigrationConfig, flag: string | undefined, dirty: boolean): void {
  if (flag === "never" || (flag === undefined && !dirty) || config.caps["postcopy-ram"] === false) return;
  if (flag !== undefined && !/^\d{1,3}$/.test(flag)) {
    throw new UsageError(`--postcopy-after: "${flag}" is not a number of passes`, "use 0, 1, 2… or never");
  }
  const n = flag === undefined ? 0 : Number(flag);
  Object.assign(config, withPostcopy(config, n));
}
