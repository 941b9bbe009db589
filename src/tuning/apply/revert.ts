/**
 * `kvm4nfv revert`: put back every value the journal recorded, newest first, byte for byte (a file that did not exist
 * is removed, a directory apply created is removed when empty). Works after a crash mid-apply: every entry was
 * synced before its write, so the journal covers at least everything that changed. A file that is not a kvm4nfv
 * journal, or one made on another machine, is refused before anything is written.
 */
import { InputError, Kvm4nfvError } from "../../errors.js";
import { type Exec, realExec } from "../../exec.js";
import type { HostFs } from "../../host/fs.js";
import { sriovEntryLabel, undoSriovEntry } from "../../sriov/provision.js";
import { fingerprintOf, openMachineRoot } from "../rtkernel/run-in.js";
import {
  describeKernelAction,
  isKernelAction,
  refuseRemovingRunningKernel,
  undoKernelAction,
} from "../rtkernel/undo.js";
import { fingerprintMismatch, journalPath, regenerateBootloader, requireRoot } from "./apply.js";
import { grubbyRestoreArgv } from "./grubby.js";
import { type FileMeta, nodeIo, removeTemp, type WriteIo } from "./io.js";
import { archiveJournal, type IntentEntry, type JournalEntry, readJournal, sha256 } from "./journal.js";
import { MOUNT_TARGETS, PLAN_TARGETS, targetProblem } from "./targets.js";
import { isKernelPath } from "./values.js";

export interface RevertOptions {
  root?: string;
  journal?: string;
  io?: WriteIo;
  exec?: Exec;
  isRoot?: boolean;
  /** for tests: a machine view (see ApplyOptions.fs) */
  fs?: HostFs;
}

export interface RevertReport {
  restored: string[];
  unchanged: number;
  archived: string;
  notes: string[];
}

export async function runRevert(options: RevertOptions): Promise<RevertReport> {
  // a snapshot, or a system root the kernel apply ran in (src/tuning/rtkernel)
  const fs = options.fs ?? openMachineRoot(options.root);
  const io = options.io ?? nodeIo;
  const exec = options.exec ?? realExec;
  const path = journalPath(fs, options.journal);
  const { header, entries, intents, sriov } = readJournal(path);
  const mismatch = fingerprintMismatch(header.machine, fingerprintOf(fs));
  if (mismatch !== null) {
    throw new InputError("BAD_INPUT", `${path} was written on another machine (${mismatch}): refused`);
  }
  requireRoot(fs, options.isRoot, "revert");
  // Everything is checked before the first write: paths are targets, resolve inside the root, and no file holds
  // what apply wrote without an entry saying what was there before.
  const real = resolveAll(path, entries, intents, fs);
  checkIntents(path, intents, entries, (p) => io.readBytes(real.get(p) ?? fs.resolve(p)));
  refuseRemovingRunningKernel(fs, entries);
  const report: RevertReport = { restored: [], unchanged: 0, archived: "", notes: [] };
  const newestFirst = [...entries, ...sriov].sort((a, b) => b.seq - a.seq);
  let grubTouched = false;
  // services reread their configuration: restart them after every file is back, not when their entry comes up
  const services = newestFirst.flatMap((e) =>
    e.kind === "action" && e.action === "service" ? [e.target] : [],
  );
  for (const e of newestFirst) {
    if (e.kind === "action" && e.action === "service") continue;
    if (e.kind === "sriov-vfs" || e.kind === "pci-driver") {
      try {
        if (undoSriovEntry(e, fs, io)) report.restored.push(sriovEntryLabel(e));
        else report.unchanged += 1;
      } catch (err) {
        throw new Kvm4nfvError(
          "TOOL_FAILED",
          `restoring ${sriovEntryLabel(e)} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; ` +
            "the journal is kept, fix the cause and run revert again",
        );
      }
      continue;
    }
    try {
      // the RT kernel's package and boot default (src/tuning/rtkernel): inside the root apply ran in
      const kernel = isKernelAction(e);
      if (
        kernel
          ? await undoKernelAction(e, fs.live ? undefined : fs.root, exec)
          : await undo(e, (p) => real.get(p) ?? fs.resolve(p), fs.live, io, exec)
      ) {
        report.restored.push(
          kernel
            ? describeKernelAction(e)
            : e.kind === "sched"
              ? `${e.comm} (pid ${e.pid})`
              : e.kind === "action"
                ? e.action === "grubby"
                  ? `boot entry ${e.target} (grubby)`
                  : `unmounted ${e.target}`
                : e.path,
        );
        if (e.kind === "file" && e.path === "/etc/default/grub") grubTouched = true;
      } else {
        report.unchanged += 1;
      }
    } catch (err) {
      const where = e.kind === "sched" ? `${e.comm} (pid ${e.pid})` : e.kind === "action" ? e.target : e.path;
      throw new Kvm4nfvError(
        "TOOL_FAILED",
        `restoring ${where} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; ` +
          "the journal is kept, fix the cause and run revert again",
      );
    }
  }
  if (fs.live) {
    for (const name of new Set(services)) {
      const active = await exec.run("systemctl", ["-q", "is-active", name], { allowFailure: true });
      if (active.exitCode === 0) {
        await exec.run("systemctl", ["restart", name], { allowFailure: true });
        report.restored.push(`${name} (restarted)`);
      }
    }
  }
  // grubby entries were given back their own arguments one by one: nothing to regenerate there
  const grubby = entries.some((e) => e.kind === "action" && e.action === "grubby");
  if (grubTouched && !grubby) {
    report.notes.push(fs.live ? await regenerateBootloader(exec) : "bootloader not regenerated under --root");
  }
  report.archived = archiveJournal(path);
  return report;
}

/** Every path of the journal: a plan target (or a directory above one), resolved inside the root. */
function resolveAll(
  journal: string,
  entries: JournalEntry[],
  intents: IntentEntry[],
  fs: HostFs,
): Map<string, string> {
  checkJournalPaths(journal, entries, intents);
  const real = new Map<string, string>();
  for (const e of entries) if (e.kind === "file" || e.kind === "mkdir") real.set(e.path, fs.resolve(e.path));
  return real;
}

/**
 * Refuse a journal naming a path that is not a plan target (or a directory above one): nothing written. A
 * directory counts as "above" a file the run intended to write, too: apply journals the intent, then each
 * directory it creates, then the file, so a kill between a directory and its file leaves a journal whose mkdir
 * has only the intent below it (the crash-loop test hit it).
 */
export function checkJournalPaths(
  journal: string,
  entries: JournalEntry[],
  intents: IntentEntry[] = [],
): void {
  const files = [
    ...entries.flatMap((e) => (e.kind === "file" ? [e.path] : [])),
    ...intents.flatMap((i) =>
      i.writes.map((w) => w.path).filter((p) => targetProblem(p, PLAN_TARGETS) === null),
    ),
  ];
  const mounts = entries.flatMap((e) => (e.kind === "action" && e.action === "mount" ? [e.target] : []));
  for (const e of entries) {
    if (e.kind === "action" && e.action === "mount") {
      const why = targetProblem(e.target, MOUNT_TARGETS);
      if (why !== null) throw refusedPath(journal, e.seq, e.target, why);
    }
    if (e.kind !== "file" && e.kind !== "mkdir") continue;
    const why =
      e.kind === "file"
        ? targetProblem(e.path, PLAN_TARGETS)
        : [...files, ...mounts].some((p) => p === e.path || p.startsWith(`${e.path}/`))
          ? targetProblem(e.path, [/^(\/[\w.-]+)+$/])
          : "is not a directory above a journaled file or mount point";
    if (why !== null) throw refusedPath(journal, e.seq, e.path, why);
  }
}

function refusedPath(journal: string, seq: number, path: string, why: string): InputError {
  return new InputError(
    "BAD_INPUT",
    `${journal} entry ${seq}: ${JSON.stringify(path)} ${why}: refused, nothing written`,
  );
}

/**
 * A file that now holds exactly what an apply run intended to write, with no entry for it, was written after its
 * entry: the entry is gone, so the journal was cut short after the crash it would otherwise look like. (A planned
 * write always changes the file, so a file not yet written never holds the new bytes.)
 */
export function checkIntents(
  journal: string,
  intents: IntentEntry[],
  entries: JournalEntry[],
  readBytes: (path: string) => Buffer | undefined,
): void {
  const journaled = new Set(entries.flatMap((e) => (e.kind === "file" ? [e.path] : [])));
  for (const intent of intents) {
    for (const w of intent.writes) {
      if (journaled.has(w.path) || targetProblem(w.path) !== null) continue;
      const now = readBytes(w.path);
      if (now !== undefined && sha256(now) === w.sha256) {
        throw new InputError(
          "BAD_INPUT",
          `${journal} is incomplete: ${w.path} holds what apply wrote (intent in entry ${intent.seq}) but no entry ` +
            "records what was there before (the journal was cut short); refused, nothing written",
          "the journal cannot be trusted: restore from the files' backups",
        );
      }
    }
  }
}

/** Undo one entry; false when there was nothing to undo (already the recorded state). */
async function undo(
  e: JournalEntry,
  resolve: (p: string) => string,
  live: boolean,
  io: WriteIo,
  exec: Exec,
): Promise<boolean> {
  if (e.kind === "sched") {
    if (!live) return false;
    const prio = String(e.oldPriority);
    const args =
      e.oldPolicy === 1 ? ["-f", "-p", prio] : e.oldPolicy === 2 ? ["-r", "-p", prio] : ["-o", "-p", "0"];
    const r = await exec.run("chrt", [...args, String(e.pid)], { allowFailure: true });
    // a thread that is gone has nothing to restore
    return r.exitCode === 0;
  }
  if (e.kind === "action") {
    // mounts and grubby entries reach here (services are restarted at the end)
    if (!live) return false;
    if (e.action === "grubby") {
      for (const argv of grubbyRestoreArgv({ kernel: e.target, args: e.old ?? "" }, e.added ?? "")) {
        await exec.run("grubby", argv);
      }
      return true;
    }
    const r = await exec.run("umount", [e.target], { allowFailure: true });
    return r.exitCode === 0;
  }
  const real = resolve(e.path);
  if (e.kind === "mkdir") {
    if (!io.exists(real)) return false;
    try {
      io.rmdir(real);
    } catch (err) {
      // something else now lives there too: leave it
      if ((err as NodeJS.ErrnoException).code === "ENOTEMPTY") return false;
      throw err;
    }
    return true;
  }
  const kernel = isKernelPath(e.path);
  // a crash between a config file's temp write and its rename leaves the temp file: it is ours, remove it
  const removedTemp = !kernel && removeTemp(real);
  const current = io.readBytes(real);
  if (!e.existed) {
    if (current === undefined) return removedTemp;
    io.unlink(real);
    return true;
  }
  const old = Buffer.from(e.old ?? "", "base64");
  const meta: FileMeta | undefined =
    e.mode !== undefined && e.uid !== undefined && e.gid !== undefined
      ? { mode: e.mode, uid: e.uid, gid: e.gid }
      : undefined;
  if (current?.equals(old)) {
    const now = io.meta(real);
    if (meta === undefined || now === undefined || sameMeta(now, meta)) return removedTemp;
    io.setMeta(real, meta);
    return true;
  }
  // A live kernel file takes a value, not the listing it prints ("always madvise [never]" → "never").
  if (kernel && live && e.restore !== undefined) io.writeKernel(real, `${e.restore}\n`);
  else if (kernel) io.writeKernel(real, old);
  else io.writeConfig(real, old, meta);
  return true;
}

function sameMeta(a: FileMeta, b: FileMeta): boolean {
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;
}

export function formatRevertReport(r: RevertReport): string {
  const lines = r.restored.map((p) => `restored ${p}`);
  if (r.unchanged > 0) lines.push(`${r.unchanged} recorded value(s) were already back`);
  lines.push(...r.notes, `journal archived as ${r.archived}`);
  return `${lines.join("\n")}\n`;
}
