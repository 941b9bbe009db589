/**
 * `kvm4nfv revert`: put back every value the journal recorded, newest first, byte for byte (a file that did not exist
 * is removed, a directory apply created is removed when empty). Works after a crash mid-apply: every entry was
 * synced before its write, so the journal covers at least everything that changed. A file that is not a kvm4nfv
 * journal, or one made on another machine, is refused before anything is written.
 */
import { InputError, Kvm4nfvError } from "../../errors.js";
import { type Exec, realExec } from "../../exec.js";
import { type HostFs, openHostFs } from "../../host/fs.js";
import { readHost } from "../../host/read.js";
import { machineFingerprint } from "../plan.js";
import { fingerprintMismatch, journalPath, regenerateBootloader, requireRoot } from "./apply.js";
import { grubbyRestoreArgv } from "./grubby.js";
import { nodeIo, type WriteIo } from "./io.js";
import { archiveJournal, type JournalEntry, readJournal } from "./journal.js";
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
  const fs = options.fs ?? openHostFs(options.root);
  const io = options.io ?? nodeIo;
  const exec = options.exec ?? realExec;
  const path = journalPath(fs, options.journal);
  const { header, entries } = readJournal(path);
  const mismatch = fingerprintMismatch(header.machine, machineFingerprint(readHost(fs)));
  if (mismatch !== null) {
    throw new InputError("BAD_INPUT", `${path} was written on another machine (${mismatch}): refused`);
  }
  requireRoot(fs, options.isRoot, "revert");
  const report: RevertReport = { restored: [], unchanged: 0, archived: "", notes: [] };
  const newestFirst = [...entries].sort((a, b) => b.seq - a.seq);
  let grubTouched = false;
  // services reread their configuration: restart them after every file is back, not when their entry comes up
  const services = newestFirst.flatMap((e) =>
    e.kind === "action" && e.action === "service" ? [e.target] : [],
  );
  for (const e of newestFirst) {
    if (e.kind === "action" && e.action === "service") continue;
    try {
      if (await undo(e, fs.resolve.bind(fs), fs.live, io, exec)) {
        report.restored.push(
          e.kind === "sched"
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
  const current = io.readBytes(real);
  if (!e.existed) {
    if (current === undefined) return false;
    io.unlink(real);
    return true;
  }
  const old = Buffer.from(e.old ?? "", "base64");
  if (current?.equals(old)) return false;
  const kernel = isKernelPath(e.path);
  // A live kernel file takes a value, not the listing it prints ("always madvise [never]" → "never").
  if (kernel && live && e.restore !== undefined) io.writeKernel(real, `${e.restore}\n`);
  else if (kernel) io.writeKernel(real, old);
  else io.writeConfig(real, old);
  return true;
}

export function formatRevertReport(r: RevertReport): string {
  const lines = r.restored.map((p) => `restored ${p}`);
  if (r.unchanged > 0) lines.push(`${r.unchanged} recorded value(s) were already back`);
  lines.push(...r.notes, `journal archived as ${r.archived}`);
  return `${lines.join("\n")}\n`;
}
