/**
 * `kvm4nfv apply PLAN.json`: dry run by default (each change as path: old -> new); with --yes every change is
 * journaled (fsync'd) and then written, through the root. A write the kernel refuses stops the apply with the path
 * and errno; `kvm4nfv revert` restores everything journaled so far. The bootloader is regenerated on a live
 * machine only.
 */
import { InputError, Kvm4nfvError } from "../../errors.js";
import { type Exec, realExec } from "../../exec.js";
import { type HostFs, openHostFs } from "../../host/fs.js";
import { readHost } from "../../host/read.js";
import { applySriovChange } from "../../sriov/provision.js";
import { machineFingerprint } from "../plan.js";
import type { MachineFingerprint } from "../plan-types.js";
import { type Change, describePlanned, missingDirsOf, planChanges } from "./changes.js";
import { crashPoint } from "./crash.js";
import { missingParams } from "./grub.js";
import { grubbyAddArgv, parseGrubbyInfo } from "./grubby.js";
import { nodeIo, type WriteIo } from "./io.js";
import { DEFAULT_JOURNAL, Journal, type NewEntry, readJournal, sha256 } from "./journal.js";
import { loadPlanFile } from "./plan-file.js";

export interface ApplyOptions {
  plan: string;
  root?: string;
  yes?: boolean;
  journal?: string;
  io?: WriteIo;
  exec?: Exec;
  /** for tests: pretend to be (or not be) root on a live machine */
  isRoot?: boolean;
  /** for tests: a machine view (e.g. a temp directory that claims to be live, with a fake Exec) */
  fs?: HostFs;
}

export interface ApplyReport {
  dryRun: boolean;
  changes: string[];
  tolerated: string[];
  skipped: string[];
  notes: string[];
  rebootRequired: boolean;
  missingParams: string[];
  journal: string | null;
  /**
   * After --yes: what apply's own dry run still finds to change (check --against the same plan), tolerated writes
   * left out; empty means "applied" is "verified". Null for a dry run.
   */
  unverified: string[] | null;
}

export function journalPath(fs: HostFs, journal?: string): string {
  return journal ?? fs.resolve(DEFAULT_JOURNAL);
}

export function fingerprintMismatch(plan: MachineFingerprint, here: MachineFingerprint): string | null {
  if (plan.cpus !== here.cpus) return `${plan.cpus} CPUs in the plan, ${here.cpus} here`;
  const a = JSON.stringify(plan.nodes);
  const b = JSON.stringify(here.nodes);
  if (a !== b) return `NUMA nodes ${a} in the plan, ${b} here`;
  if (plan.model !== null && here.model !== null && plan.model !== here.model) {
    return `CPU "${plan.model}" in the plan, "${here.model}" here`;
  }
  if (plan.threadsPerCore !== here.threadsPerCore) {
    return `${plan.threadsPerCore} threads per core in the plan, ${here.threadsPerCore} here`;
  }
  return null;
}

export function requireRoot(fs: HostFs, isRoot: boolean | undefined, what: string): void {
  const root = isRoot ?? process.getuid?.() === 0;
  if (fs.live && !root) {
    throw new Kvm4nfvError("NOT_ROOT", `${what} changes kernel settings of this machine and needs root`, {
      hint: "run it with sudo, or add --root DIR to work on a copy of a snapshot",
    });
  }
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? "EUNKNOWN";
}

function writeFailed(path: string, code: string, root: string | undefined): Kvm4nfvError {
  return new Kvm4nfvError(
    code === "EACCES" || code === "EPERM" ? "PERMISSION" : "TOOL_FAILED",
    `writing ${path} failed: ${code}; apply stopped there`,
    { hint: `kvm4nfv revert${root ? ` --root ${root}` : ""} restores what was written` },
  );
}

/** Test hook: die by SIGKILL after N writes, to prove revert works after a crash mid-apply. */
function killHook(): (() => void) | undefined {
  const n = Number(process.env.KVM4NFV_TEST_KILL_AFTER_WRITES ?? "");
  if (!Number.isInteger(n) || n <= 0) return undefined;
  let writes = 0;
  return () => {
    writes += 1;
    if (writes >= n) process.kill(process.pid, "SIGKILL");
  };
}

export async function runApply(options: ApplyOptions): Promise<ApplyReport> {
  const plan = loadPlanFile(options.plan);
  const fs = options.fs ?? openHostFs(options.root);
  const io = options.io ?? nodeIo;
  const exec = options.exec ?? realExec;
  // Root first: on a live machine without it nothing else is worth reading.
  if (options.yes) requireRoot(fs, options.isRoot, "apply --yes");
  const here = machineFingerprint(readHost(fs));
  const mismatch = fingerprintMismatch(plan.machine, here);
  if (mismatch !== null) {
    throw new InputError(
      "BAD_INPUT",
      `${options.plan} was made for another machine (${mismatch}): refused`,
      "make a plan on this machine with kvm4nfv plan",
    );
  }
  const planned = planChanges(fs, io, plan.runtime, plan.cmdline);
  const running = fs.read("/proc/cmdline") ?? "";
  const missing = missingParams(plan.cmdline, running);
  const report: ApplyReport = {
    dryRun: !options.yes,
    changes: describePlanned(planned, fs.live),
    tolerated: [],
    skipped: planned.skipped,
    notes: [],
    rebootRequired: missing.length > 0,
    missingParams: missing,
    journal: null,
    unverified: null,
  };
  if (!options.yes || (planned.changes.length === 0 && planned.sriov.length === 0)) {
    if (options.yes) {
      report.notes.push("nothing to change: the machine already matches the plan");
      report.unverified = [];
    }
    return report;
  }
  const path = journalPath(fs, options.journal);
  const journal = Journal.open(path, here);
  const journaled = readJournal(path).header.machine;
  if (fingerprintMismatch(journaled, here) !== null) {
    journal.close();
    throw new InputError("BAD_INPUT", `${path} is the journal of another machine: refused`);
  }
  report.journal = path;
  const killAfter = killHook();
  const afterWrite = () => {
    killAfter?.();
    crashPoint("after-write", true);
  };
  // what this run is about to write: revert tells a crash from a journal cut short afterwards by it
  const writes = planned.changes.flatMap((c) =>
    c.kind === "file" ? [{ path: c.path, sha256: sha256(c.next) }] : [],
  );
  try {
    journal.append({ kind: "intent", writes });
  } catch (err) {
    journal.close();
    throw err;
  }
  const tolerated = new Set<Change>();
  try {
    for (const c of planned.changes) {
      if (c.kind === "sched") {
        journal.append({
          kind: "sched",
          pid: c.pid,
          comm: c.comm,
          oldPolicy: c.oldPolicy,
          oldPriority: c.oldPriority,
          newPriority: c.priority,
        });
        const r = await exec.run("chrt", ["-f", "-p", String(c.priority), String(c.pid)], {
          allowFailure: true,
        });
        // a kernel thread cannot vanish, but a CPU can go offline with its threads: note it, go on
        if (r.exitCode !== 0) report.notes.push(`chrt ${c.comm} (pid ${c.pid}) failed: ${r.stderr.trim()}`);
        afterWrite();
        continue;
      }
      for (const d of c.mkdirs) {
        // an earlier change may have created it already (two new files under a new /etc)
        if (io.exists(fs.resolve(d))) continue;
        journal.append({ kind: "mkdir", path: d });
        try {
          io.mkdir(fs.resolve(d));
        } catch (err) {
          if (err instanceof Kvm4nfvError) throw err;
          throw writeFailed(d, errnoOf(err), options.root);
        }
      }
      const entry = {
        kind: "file" as const,
        path: c.path,
        existed: c.old !== undefined,
        old: c.old === undefined ? null : c.old.toString("base64"),
        new: c.next,
        ...(c.restore === undefined ? {} : { restore: c.restore }),
        ...(c.meta === undefined ? {} : { mode: c.meta.mode, uid: c.meta.uid, gid: c.meta.gid }),
      };
      journal.append(entry);
      try {
        if (c.kernel) io.writeKernel(c.real, c.next);
        else io.writeConfig(c.real, c.next);
      } catch (err) {
        // a refusal (a directory swapped for a symlink, a FIFO) already names the file and what was wrong
        if (err instanceof Kvm4nfvError) throw err;
        const code = errnoOf(err);
        if (c.tolerate?.includes(code)) {
          // The kernel keeps this one (a managed IRQ): skipped, not failed.
          tolerated.add(c);
          report.tolerated.push(`${c.path}: ${code} (the kernel keeps this IRQ's affinity)`);
          continue;
        }
        throw writeFailed(c.path, code, options.root);
      }
      afterWrite();
    }
    // after the files (sriov_drivers_autoprobe among them): VF counts, then the VFs' driver, in plan order
    for (const c of planned.sriov) {
      applySriovChange(c, {
        fs,
        io,
        journal: (e) => journal.append(e),
        notes: report.notes,
        root: options.root,
        afterWrite,
      });
    }
  } finally {
    journal.close();
  }
  report.changes = describePlanned(
    { ...planned, changes: planned.changes.filter((c) => !tolerated.has(c)) },
    fs.live,
  );
  await liveActions(fs, io, exec, planned.live, planned.changes, plan.cmdline, report, path);
  // Read everything back through the same comparison: "applied" means "verified".
  const { auditAgainst } = await import("../settings/against.js");
  const kept = new Set([...tolerated].map((c) => (c.kind === "file" ? c.path : c.comm)));
  report.unverified = auditAgainst(fs, io, plan, options.plan, kept).changes;
  return report;
}

async function liveActions(
  fs: HostFs,
  io: WriteIo,
  exec: Exec,
  live: ReturnType<typeof planChanges>["live"],
  changes: Change[],
  cmdline: string,
  report: ApplyReport,
  journalFile: string,
): Promise<void> {
  const grubChanged = changes.some((c) => c.kind === "file" && c.path === "/etc/default/grub");
  if (!fs.live) {
    if (grubChanged) report.notes.push("bootloader not regenerated under --root (live machine only)");
    return;
  }
  for (const item of live) {
    if (item.kind === "service") {
      const active = await exec.run("systemctl", ["-q", "is-active", item.name], { allowFailure: true });
      if (active.exitCode === 0) {
        appendEntries(journalFile, [{ kind: "action", action: "service", target: item.name }]);
        await exec.run("systemctl", [item.action, item.name]);
      }
    } else if (item.kind === "mount") {
      const mounted = await exec.run("mountpoint", ["-q", item.target], { allowFailure: true });
      if (mounted.exitCode !== 0) {
        // the mount point apply creates is journaled too, so revert removes it after the unmount
        const dirs = missingDirsOf(fs, io, item.target);
        appendEntries(journalFile, [
          ...dirs.map((path) => ({ kind: "mkdir" as const, path })),
          { kind: "action", action: "mount", target: item.target },
        ]);
        for (const d of dirs) io.mkdir(fs.resolve(d));
        await exec.run("mount", ["-t", item.fstype, "-o", item.options, "none", item.target]);
      }
    }
  }
  if (grubChanged) report.notes.push(await updateBootEntries(exec, cmdline, journalFile));
}

/** Journal entries appended (and synced) before the live action they describe. */
function appendEntries(journalFile: string, entries: NewEntry[]): void {
  const j = Journal.open(journalFile, readJournal(journalFile).header.machine);
  try {
    for (const e of entries) j.append(e);
  } finally {
    j.close();
  }
}

/**
 * Make the boot entries carry the planned cmdline: update-grub (Debian, Ubuntu) regenerates grub.cfg from
 * /etc/default/grub; grubby (Fedora, RHEL: BLS entries keep their own arguments) edits every entry, each one's
 * earlier arguments journaled first; grub2-mkconfig otherwise.
 */
async function updateBootEntries(exec: Exec, cmdline: string, journalFile: string): Promise<string> {
  if (exec.which("update-grub") || !exec.which("grubby")) return regenerateBootloader(exec);
  const info = await exec.run("grubby", ["--info=ALL"]);
  const entries = parseGrubbyInfo(info.stdout);
  appendEntries(
    journalFile,
    entries.map((e) => ({ kind: "action", action: "grubby", target: e.kernel, old: e.args, added: cmdline })),
  );
  await exec.run("grubby", grubbyAddArgv(cmdline));
  return `boot entries updated with grubby (${entries.length} kernel(s))`;
}

/** Regenerate grub.cfg from /etc/default/grub (apply without grubby, and revert). */
export async function regenerateBootloader(exec: Exec): Promise<string> {
  if (exec.which("update-grub")) {
    await exec.run("update-grub", []);
    return "bootloader regenerated with update-grub";
  }
  if (exec.which("grub2-mkconfig")) {
    await exec.run("grub2-mkconfig", ["-o", "/boot/grub2/grub.cfg"]);
    return "bootloader regenerated with grub2-mkconfig";
  }
  return "no update-grub, grubby or grub2-mkconfig found: regenerate your bootloader configuration";
}

export function formatApplyReport(r: ApplyReport): string {
  const lines: string[] = [];
  const verb = r.dryRun ? "would change" : "changed";
  for (const c of r.changes) lines.push(`${verb} ${c}`);
  for (const t of r.tolerated) lines.push(`skipped ${t}`);
  for (const s of r.skipped) lines.push(`skipped ${s}`);
  for (const n of r.notes) lines.push(n);
  if (r.changes.length === 0) lines.push("no change needed");
  if (r.dryRun && r.changes.length > 0)
    lines.push(`${r.changes.length} change(s); run again with --yes to apply`);
  if (r.journal) lines.push(`journal: ${r.journal} (undo with kvm4nfv revert)`);
  if (r.unverified !== null && r.unverified.length === 0 && !r.dryRun) {
    lines.push("verified: every planned setting reads back as planned");
  }
  for (const u of r.unverified ?? []) lines.push(`NOT verified: still ${u}`);
  if (r.rebootRequired) {
    lines.push(`reboot required: the running kernel command line lacks ${r.missingParams.join(" ")}`);
  }
  return `${lines.join("\n")}\n`;
}
