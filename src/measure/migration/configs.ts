/**
 * Named migration configurations: QEMU's defaults, kvm4nfv's choice, and the sweep matrix. A configuration is
 * only what differs from a fresh QEMU; the runner sets every managed capability and parameter explicitly on
 * both sides each run, so a reused guest never inherits the previous run's settings.
 */
import type { Cap, MigrationParams } from "./args.js";

export interface MigrationConfig {
  /** Short name used in tables and run labels ("qemu-defaults", "kvm4nfv", "bw+dl+multifd4"). */
  name: string;
  caps: Partial<Record<Cap, boolean>>;
  params: MigrationParams;
  /** One line saying what the configuration is for. */
  why: string;
  /**
   * With postcopy-ram: switch to postcopy once this many full precopy passes are done (0: at once, every page
   * then moves exactly once; default 1, after the first pass). The RAM still crosses the network either way.
   */
  postcopyAfterPasses?: number;
}

/** Capabilities the runner resets to off unless a configuration turns them on ("events" is always on). */
export const MANAGED_CAPS: readonly Cap[] = [
  "xbzrle",
  "auto-converge",
  "zero-blocks",
  "compress",
  "postcopy-ram",
  "release-ram",
  "return-path",
  "pause-before-switchover",
  "multifd",
  "late-block-activate",
  "validate-uuid",
  // the destination counts how long vCPUs waited for postcopy pages (the honest downtime of postcopy)
  "postcopy-blocktime",
  // QEMU 9.0+ (a QEMU that lacks one is simply not asked)
  "switchover-ack",
  "dirty-limit",
  "mapped-ram",
];

/** Parameters the runner resets to QEMU's defaults (read from a fresh destination) unless set. */
export const MANAGED_PARAMS: readonly string[] = [
  "max-bandwidth",
  "downtime-limit",
  "multifd-channels",
  "xbzrle-cache-size",
  "cpu-throttle-initial",
  "cpu-throttle-increment",
  "cpu-throttle-tailslow",
  "max-cpu-throttle",
  "max-postcopy-bandwidth",
  "announce-initial",
  "announce-max",
  "announce-rounds",
  "announce-step",
  "zero-page-detection",
  "avail-switchover-bandwidth",
];

export const QEMU_DEFAULTS: MigrationConfig = {
  name: "qemu-defaults",
  caps: {},
  params: {},
  why: "QEMU as shipped (7.2 and 10.0 alike): 128 MiB/s bandwidth cap, 300 ms downtime limit, single stream",
};

export interface Limits {
  /** max-bandwidth, bytes/s (the seeds' 10 Gbit/s link). */
  bandwidth: number;
  /** downtime-limit, ms. */
  downtimeLimitMs: number;
}

/**
 * kvm4nfv's choice for the seeds' target: their 10 Gbit/s bandwidth cap and 10 ms downtime limit, one
 * stream. Not multifd: on the 2-vCPU development machine its channel threads compete with the guest's, and it
 * was no faster (QEMU 7.2: about the same for an idle guest; QEMU 10.0: 15-20% slower idle and dirtying), while
 * on QEMU 7.2 dirtying guests it moved arrived dead on the destination. `--caps multifd` opts in.
 */
export function kvm4nfvConfig(limits: Limits, extra: Partial<MigrationConfig> = {}): MigrationConfig {
  return {
    name: "kvm4nfv",
    caps: { ...(extra.caps ?? {}) },
    params: {
      "max-bandwidth": limits.bandwidth,
      "downtime-limit": Math.round(limits.downtimeLimitMs),
      ...(extra.params ?? {}),
    },
    why: "KVM4NFV's 10 Gbit/s cap and 10 ms downtime limit, single stream",
  };
}

/**
 * kvm4nfv's way to converge a dirtying guest: postcopy (the destination runs and pulls what it lacks while the
 * rest streams), switched after `afterPasses` full precopy passes — 0 by default, as measured best: every page then
 * crosses the link once, where precopy first passes under a 512 MiB/s dirtier took seconds. postcopy-blocktime
 * makes the destination count its vCPUs' wait for pages, postcopy's downtime that STOP → RESUME does not show.
 */
export function withPostcopy(config: MigrationConfig, afterPasses = 0): MigrationConfig {
  return {
    ...config,
    caps: { ...config.caps, "postcopy-ram": true, "postcopy-blocktime": true },
    postcopyAfterPasses: afterPasses,
    why: `${config.why}; postcopy after ${afterPasses} pass${afterPasses === 1 ? "" : "es"}`,
  };
}

/** A configuration from --caps/--params alone (the user's explicit choice). */
export function userConfig(
  limits: Limits,
  caps: Partial<Record<Cap, boolean>>,
  params: MigrationParams,
): MigrationConfig {
  return {
    name: "custom",
    caps,
    params: {
      "max-bandwidth": limits.bandwidth,
      "downtime-limit": Math.round(limits.downtimeLimitMs),
      ...params,
    },
    why: "as given on the command line",
  };
}

/**
 * The sweep matrix: one knob at a time on top of "bandwidth cap + downtime limit", so each row's effect is
 * attributable. Postcopy is not combined with multifd (QEMU 7.2 refuses it).
 */
export function sweepMatrix(limits: Limits): MigrationConfig[] {
  const bw = limits.bandwidth;
  const dl = Math.round(limits.downtimeLimitMs);
  const base = { "max-bandwidth": bw, "downtime-limit": dl };
  const row = (name: string, caps: MigrationConfig["caps"], params: MigrationParams, why: string) => ({
    name,
    caps,
    params: { ...base, ...params },
    why,
  });
  return [
    QEMU_DEFAULTS,
    { name: "bw", caps: {}, params: { "max-bandwidth": bw }, why: "bandwidth cap only" },
    row("bw+dl", {}, {}, "bandwidth cap + downtime limit"),
    row("bw+dl+multifd2", { multifd: true }, { "multifd-channels": 2 }, "multifd, 2 channels"),
    row("bw+dl+multifd4", { multifd: true }, { "multifd-channels": 4 }, "multifd, 4 channels"),
    row(
      "bw+dl+multifd2+rp",
      { multifd: true, "return-path": true },
      { "multifd-channels": 2 },
      "multifd 2 + return path",
    ),
    row(
      "bw+dl+rp",
      { "return-path": true },
      {},
      "return path (destination acknowledges; downtime includes load)",
    ),
    row("bw+dl+xbzrle", { xbzrle: true }, {}, "XBZRLE delta compression of re-sent pages"),
    row("bw+dl+autoconv", { "auto-converge": true }, {}, "auto-converge (throttles the guest's vCPUs)"),
    row("bw+dl+postcopy", { "postcopy-ram": true }, {}, "postcopy after the first pass"),
  ];
}

/** What one kvm4nfv run asked for and got, for the headroom rule. */
export interface DowntimeObservation {
  limitMs: number;
  downtimeMs: number | null;
}

/**
 * The downtime-limit that keeps the worst run under the SLA, not only the median. QEMU switches over when what
 * is left fits the limit at its measured bandwidth, but the real downtime adds what the limit does not see:
 * stopping the vCPUs, the last dirty-bitmap sync, the device state, a busy host. So start at half the SLA and,
 * after every run, take the largest excess seen so far (downtime − limit) off the SLA: the limit never exceeds
 * half the SLA and never goes below QEMU's 1 ms. Pure.
 */
export function headroomDowntimeLimit(slaDowntimeMs: number, seen: readonly DowntimeObservation[]): number {
  const half = Math.max(1, Math.floor(slaDowntimeMs / 2));
  const excess = Math.max(
    0,
    ...seen.filter((o) => o.downtimeMs !== null).map((o) => (o.downtimeMs as number) - o.limitMs),
  );
  return Math.min(half, Math.max(1, Math.floor(slaDowntimeMs - excess)));
}
