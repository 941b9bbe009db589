/**
 * Parsers for `kvm4nfv test migration` flags. Pure functions: each turns one flag's text into a typed value or
 * throws a UsageError naming the flag and the accepted form (exit 2), so the CLI never starts a QEMU with a
 * value it misread.
 */

import { UsageError } from "../../errors.js";
import { parseDuration, parsePositiveInt as positiveInt } from "../../units.js";

/**
 * Migration capabilities of QEMU 7.2 (Debian 12) and 10.0 (bookworm-backports), from query-migrate-capabilities.
 * A run sets only those the running QEMU lists, and refuses to turn on one it lacks ("compress" and "block" are gone
 * since 9.1; "mapped-ram", "switchover-ack" and "dirty-limit" are new).
 */
export const KNOWN_CAPS = [
  "xbzrle",
  "rdma-pin-all",
  "auto-converge",
  "zero-blocks",
  "compress",
  "events",
  "postcopy-ram",
  "x-colo",
  "release-ram",
  "block",
  "return-path",
  "pause-before-switchover",
  "multifd",
  "dirty-bitmaps",
  "postcopy-blocktime",
  "late-block-activate",
  "x-ignore-shared",
  "validate-uuid",
  "background-snapshot",
  "zero-copy-send",
  "postcopy-preempt",
  "switchover-ack",
  "dirty-limit",
  "mapped-ram",
] as const;
export type Cap = (typeof KNOWN_CAPS)[number];

/** Parameters accepted by --params, with the kind of value each takes. */
const PARAM_KINDS: Record<string, "int" | "bytes" | "ms" | "bandwidth" | "string"> = {
  "max-bandwidth": "bandwidth",
  "downtime-limit": "ms",
  "multifd-channels": "int",
  "xbzrle-cache-size": "bytes",
  "cpu-throttle-initial": "int",
  "cpu-throttle-increment": "int",
  "cpu-throttle-tailslow": "string",
  "max-cpu-throttle": "int",
  "compress-level": "int",
  "compress-threads": "int",
  "decompress-threads": "int",
  "compress-wait-thread": "string",
  "throttle-trigger-threshold": "int",
  "announce-initial": "ms",
  "announce-max": "ms",
  "announce-rounds": "int",
  "announce-step": "ms",
  "max-postcopy-bandwidth": "bandwidth",
  "x-checkpoint-delay": "ms",
  "multifd-compression": "string",
  "multifd-zlib-level": "int",
  "multifd-zstd-level": "int",
  // QEMU 9.0+
  "zero-page-detection": "string",
  "avail-switchover-bandwidth": "bandwidth",
  "vcpu-dirty-limit": "int",
};

export type MigrationParams = Record<string, number | string | boolean>;

const BIT_UNITS: Record<string, number> = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
const BIN_UNITS: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/**
 * Bandwidth → bytes per second, QEMU's max-bandwidth unit. Bits are decimal network units ("10Gbit",
 * "10Gbps", "100Mbit" = 1.25e9 / 12.5e6 B/s); bytes are binary ("1G", "512M", "128MiB", "1GiB/s" = 2^30 B/s),
 * as QEMU's own size suffixes are. A bare number is bytes per second.
 */
export function parseBandwidth(text: string, flag = "--bandwidth"): number {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(bit|bits|bps|b|ib|i?b\/s|\/s)?$/i.exec(t);
  if (!m) {
    throw new UsageError(
      `${flag}: cannot read "${text}" as a bandwidth`,
      "use e.g. 10Gbit, 2.5Gbps, 1G (GiB/s), 512M, 128MiB/s or plain bytes/s",
    );
  }
  const value = Number(m[1]);
  const prefix = (m[2] ?? "").toLowerCase();
  const unit = (m[3] ?? "").toLowerCase();
  const isBits = unit === "bit" || unit === "bits" || unit === "bps";
  const bytes = isBits ? (value * (BIT_UNITS[prefix] ?? 1)) / 8 : value * (BIN_UNITS[prefix] ?? 1);
  if (!(bytes >= 1) || !Number.isFinite(bytes)) throw new UsageError(`${flag}: bandwidth must be > 0`);
  return Math.round(bytes);
}

/** Duration → milliseconds for migration limits: a bare number is milliseconds, fractions are kept (500us). */
export function parseDurationMs(text: string, flag = "duration"): number {
  return parseDuration(text, flag, { bareUnit: "ms", fractional: true });
}

/** Memory size → MiB: "8G", "512M", "512MiB", "1.5G"; a bare number is MiB. */
export function parseMemoryMiB(text: string, flag = "--memory"): number {
  const m = /^(\d+(?:\.\d+)?)\s*([mgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: cannot read "${text}" as a size`, "use e.g. 512M, 8G");
  const unit = (m[2] || "m").toLowerCase();
  const mib = Number(m[1]) * (unit === "g" ? 1024 : unit === "t" ? 1024 * 1024 : 1);
  if (!Number.isInteger(mib) || mib < 128) {
    throw new UsageError(`${flag}: guest memory must be a whole number of MiB, at least 128M (got ${text})`);
  }
  return mib;
}

export interface Sla {
  totalMs: number;
  downtimeMs: number;
  /** Optional extra limits. */
  setupMs?: number;
  guestDowntimeMs?: number;
}

/** The seeds' requirement: total < 2 s, downtime < 10 ms. */
export const DEFAULT_SLA: Sla = { totalMs: 2000, downtimeMs: 10 };

const SLA_KEYS: Record<string, keyof Sla> = {
  total: "totalMs",
  downtime: "downtimeMs",
  setup: "setupMs",
  "guest-downtime": "guestDowntimeMs",
  guest_downtime: "guestDowntimeMs",
};

/** "total=2s,downtime=10ms[,setup=500ms][,guest-downtime=50ms]" → Sla (keys given replace the defaults). */
export function parseSla(text: string): Sla {
  const sla: Sla = { ...DEFAULT_SLA };
  for (const part of splitList(text)) {
    const [k, v] = part.split("=", 2).map((s) => s.trim());
    const key = k ? SLA_KEYS[k] : undefined;
    if (!key || !v) {
      throw new UsageError(
        `--sla: cannot read "${part}"`,
        "use key=duration with keys total, downtime, setup, guest-downtime (e.g. total=2s,downtime=10ms)",
      );
    }
    sla[key] = parseDurationMs(v, `--sla ${k}`);
  }
  return sla;
}

/** "multifd,return-path,-xbzrle" → { multifd: true, "return-path": true, xbzrle: false }. */
export function parseCaps(text: string): Partial<Record<Cap, boolean>> {
  const caps: Partial<Record<Cap, boolean>> = {};
  for (const raw of splitList(text)) {
    let name = raw;
    let state = true;
    if (name.startsWith("-") || name.startsWith("!")) {
      state = false;
      name = name.slice(1);
    } else if (name.startsWith("+")) name = name.slice(1);
    const eq = /^([\w-]+)=(on|off|true|false)$/.exec(name);
    if (eq) {
      name = eq[1] ?? name;
      state = eq[2] === "on" || eq[2] === "true";
    }
    if (!(KNOWN_CAPS as readonly string[]).includes(name)) {
      throw new UsageError(
        `--caps: unknown migration capability "${name}"`,
        `QEMU 7.2 and 10.0 know: ${KNOWN_CAPS.join(", ")}`,
      );
    }
    caps[name as Cap] = state;
  }
  return caps;
}

/** "multifd-channels=4,downtime-limit=10ms,max-bandwidth=10Gbit" → QEMU migrate-set-parameters values. */
export function parseParams(text: string): MigrationParams {
  const params: MigrationParams = {};
  for (const part of splitList(text)) {
    const [k, v] = part.split("=", 2).map((s) => s.trim());
    const kind = k ? PARAM_KINDS[k] : undefined;
    if (!k || !kind || v === undefined || v === "") {
      throw new UsageError(
        `--params: cannot read "${part}"`,
        `use name=value with names ${Object.keys(PARAM_KINDS).join(", ")}`,
      );
    }
    params[k] = convertParam(k, kind, v);
  }
  return params;
}

function convertParam(name: string, kind: string, v: string): number | string | boolean {
  switch (kind) {
    case "int": {
      if (!/^\d+$/.test(v)) throw new UsageError(`--params ${name}: expected a whole number, got "${v}"`);
      return Number(v);
    }
    case "ms":
      return Math.round(parseDurationMs(v, `--params ${name}`));
    case "bandwidth":
      return parseBandwidth(v, `--params ${name}`);
    case "bytes":
      return parseMemoryMiB(v, `--params ${name}`) * 2 ** 20;
    default:
      if (v === "on" || v === "true") return true;
      if (v === "off" || v === "false") return false;
      return v;
  }
}

export type Workload = { kind: "idle" } | { kind: "dirty"; rateMiBs: number; wssMiB: number | null };

/** "idle" | "dirty:512" | "dirty:512M/s" | "dirty:512,wss=1G" (rate in MiB/s; working set default chosen later). */
export function parseWorkload(text: string): Workload {
  const t = text.trim();
  if (t === "idle") return { kind: "idle" };
  const m = /^dirty:(\d+(?:\.\d+)?)\s*(?:mib\/s|m\/s|mib|m)?(?:,wss=(\S+))?$/i.exec(t);
  if (!m) {
    throw new UsageError(
      `--workload: cannot read "${text}"`,
      "use idle or dirty:RATE (MiB/s), optionally dirty:RATE,wss=SIZE (e.g. dirty:512,wss=1G)",
    );
  }
  const rate = Number(m[1]);
  if (!(rate > 0)) throw new UsageError("--workload: the dirty rate must be > 0 MiB/s");
  return { kind: "dirty", rateMiBs: rate, wssMiB: m[2] ? parseMemoryMiB(m[2], "--workload wss") : null };
}

export function parsePositiveInt(text: string, flag: string, max = 1000): number {
  return positiveInt(text, flag, [1, max]);
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Human form of a bytes/s figure for output: "10 Gbit/s (1.25 GB/s)". */
export function formatBandwidth(bytesPerSec: number): string {
  const bits = bytesPerSec * 8;
  if (bits >= 1e9) return `${+(bits / 1e9).toFixed(2)} Gbit/s`;
  return `${+(bits / 1e6).toFixed(1)} Mbit/s`;
}

/** "--guest free-page-hint,hugepages" | "plain" → what kvm4nfv's guest should have. */
export function parseGuest(text: string): { freePageHint: boolean; hugepages: boolean } {
  const shape = { freePageHint: false, hugepages: false };
  for (const part of splitList(text)) {
    if (part === "free-page-hint") shape.freePageHint = true;
    else if (part === "hugepages") shape.hugepages = true;
    else if (part !== "plain") {
      throw new UsageError(
        `--guest: unknown "${part}"`,
        "use free-page-hint, hugepages (comma-separated) or plain",
      );
    }
  }
  return shape;
}
