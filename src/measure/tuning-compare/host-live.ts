/**
 * The host half of bench/tuning-vs-tuned.mjs (`--where host`): both profiles reduced to what can be changed live
 * on this host and put back exactly afterwards, and the snapshot that proves it.
 *   kvm4nfv — `plan --role host` on this host's facts, only its live kernel writes (/proc, /sys) and kernel-thread
 *             priorities; applied by the journaled apply, undone by revert. Boot-time and persistent items are
 *             left out (the command line, /etc files, services, mounts, the 1 GiB hugepage reservation).
 *   tuned   — realtime-virtual-host through tuned's own loader (tunedLiveSettings), plus what tuned's scheduler
 *             plugin does with isolated_cores for IRQs: every IRQ and the default affinity to the housekeeping CPUs.
 * Every file either touches (globs expanded) and every thread's policy/priority are read before the first run and
 * after the last; the difference must be empty.
 */

import { statSync } from "node:fs";
import type { HostFs } from "../../host/fs.js";
import { formatCpuList, parseCpuList } from "../../host/parse/cpulist.js";
import { PATHS } from "../../host/paths.js";
import { expand, schedOf } from "../../tuning/apply/changes.js";
import { nodeIo, type WriteIo } from "../../tuning/apply/io.js";
import type { Plan, RuntimeItem } from "../../tuning/plan-types.js";
import type { LiveWrite, TunedLive } from "./tuned-live.js";

/** Paths that are kernel state changed by a write, not configuration on disk. */
const LIVE_PREFIXES = ["/proc/", "/sys/"];

/** The plan with only its live items, and one line per item left out with why. */
export function liveOnlyPlan(
  plan: Plan,
  /** false for a file this kernel will not let be written (a read-only module parameter): left out, said so */
  writable: (path: string) => boolean = () => true,
): { plan: Plan; left: string[] } {
  const left: string[] = [];
  const runtime: RuntimeItem[] = [];
  for (const item of plan.runtime) {
    if (item.kind === "sched") runtime.push(item);
    else if (item.kind === "write" && LIVE_PREFIXES.some((p) => item.path.startsWith(p))) {
      if (/\/nr_hugepages$/.test(item.path))
        left.push(`${item.path}: a memory reservation, not a latency setting`);
      else if (!writable(item.path)) left.push(`${item.path}: read-only on this kernel`);
      else runtime.push(item);
    } else {
      const what = "path" in item ? item.path : "name" in item ? `${item.kind} ${item.name}` : item.kind;
      left.push(`${what}: not a live kernel setting (persists or needs a reboot/service)`);
    }
  }
  if (plan.cmdline.length > 0)
    left.push(`kernel command line (${plan.cmdline.length} parameters): boot-time`);
  // the command line stays in the plan (its file needs one): liveIo hides the bootloader file from apply
  return { plan: { ...plan, runtime }, left };
}

/**
 * node:fs for a live-only apply: /etc/default/grub reads as absent, so apply plans no bootloader change (it says
 * "absent" among the skipped) whatever the plan's command line.
 */
export function liveIo(fs: HostFs): WriteIo {
  const grub = fs.resolve("/etc/default/grub");
  return { ...nodeIo, readBytes: (p) => (p === grub ? undefined : nodeIo.readBytes(p)) };
}

/**
 * tuned's scheduler plugin with isolated_cores moves every IRQ off the isolated CPUs (and sets the default
 * affinity): the same live files as kvm4nfv's IRQ items, valued from tuned's own isolated_cores.
 */
export function tunedIrqWrites(
  units: Record<string, Record<string, string>>,
  online: readonly number[],
): LiveWrite[] {
  const isolated = units.scheduler?.isolated_cores;
  if (!isolated) return [];
  const iso = new Set(parseCpuList(isolated));
  const hk = online.filter((c) => !iso.has(c));
  if (hk.length === 0) return [];
  const mask = hk.reduce((m, c) => m | (1n << BigInt(c)), 0n).toString(16);
  return [
    { path: PATHS.irqAffinityList, value: formatCpuList(hk), unit: "scheduler" },
    { path: PATHS.irqDefaultAffinity, value: mask, unit: "scheduler" },
  ];
}

/** For liveOnlyPlan on a live machine: some file the glob names has a write bit (sysfs refuses root otherwise). */
export function hasWriteBit(fs: HostFs, path: string): boolean {
  return expand(fs, path).some((p) => {
    try {
      return (statSync(fs.resolve(p)).mode & 0o222) !== 0;
    } catch {
      return false;
    }
  });
}

/** Every path either configuration writes (globs as given; the snapshot expands them). */
export function touchedPaths(plan: Plan, tuned: TunedLive): string[] {
  return [
    ...new Set([
      ...plan.runtime.flatMap((i) => (i.kind === "write" ? [i.path] : [])),
      ...tuned.writes.map((w) => w.path),
    ]),
  ].sort();
}

export interface Snapshot {
  files: Record<string, string>;
  /** pid → "comm policy priority" (kernel threads and processes alike; compared where both reads have the pid) */
  threads: Record<string, string>;
}

/** Read every touched file (globs expanded) and, on a live machine, every thread's policy and priority. */
export function snapshot(fs: HostFs, paths: readonly string[]): Snapshot {
  const files: Record<string, string> = {};
  for (const p of paths) for (const f of expand(fs, p)) files[f] = stateOf(fs.read(f));
  const threads: Record<string, string> = {};
  for (const pid of (fs.list("/proc") ?? []).filter((n) => /^\d+$/.test(n))) {
    const s = schedOf(fs.read(`/proc/${pid}/stat`) ?? "");
    if (s) threads[pid] = `${fs.read(`/proc/${pid}/comm`)?.trim() ?? "?"} ${s.policy} ${s.priority}`;
  }
  return { files, threads };
}

/**
 * A file's state: its text, except that a kernel choice file ("always [madvise] never") is its chosen word — the
 * kernel takes the word back and shows all choices again, a snapshot copy keeps the word.
 */
function stateOf(text: string | undefined): string {
  if (text === undefined) return "<unreadable>";
  const chosen = /^[^[\]\n]*\[([^\]]+)\][^[\]\n]*\n?$/.exec(text);
  return chosen ? `${chosen[1]}\n` : text;
}

/** What differs between two snapshots, one line each ("" lines never); empty means restored exactly. */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const f of new Set([...Object.keys(before.files), ...Object.keys(after.files)])) {
    const a = before.files[f];
    const b = after.files[f];
    if (a !== b) out.push(`${f}: ${JSON.stringify(a ?? "<absent>")} → ${JSON.stringify(b ?? "<absent>")}`);
  }
  for (const [pid, a] of Object.entries(before.threads)) {
    const b = after.threads[pid];
    // a thread that ended, or a pid reused by another command, says nothing about the restore
    if (b !== undefined && a.split(" ")[0] === b.split(" ")[0] && a !== b)
      out.push(`thread ${pid}: ${a} → ${b}`);
  }
  return out;
}
