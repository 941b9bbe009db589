/**
 * `apply --node N` and `revert --node N`: the node's own journal (/var/lib/kvm4nfv/journal.json, the same
 * format as a local apply's, so kvm4nfv on the node or any jump host can revert it).
 *
 * apply: one reader round trip fetches the node's facts, the plan's paths and the journal; the same
 * planChanges as locally decides what changes (a dry run stops there); then ONE sh script does every change
 * on the node in order, each as "append its journal entry, fsync the journal, then write". A connection that
 * drops mid-apply leaves a journal that covers every write made, so revert finishes it.
 * revert: fetch the journal and the journaled paths, restore newest first in one script, archive the journal.
 *
 * Run-time settings are done here: kernel files (sysctls, IRQ affinity, …), config files, kernel-thread
 * priorities (chrt). Service restarts and mounts are listed as notes for the node, not done remotely.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { InputError, Kvm4nfvError } from "../errors.js";
import { type FileSpec, HOST_FILES } from "../host/files.js";
import { readHost } from "../host/read.js";
import type { ApplyReport } from "../tuning/apply/apply.js";
import { fingerprintMismatch } from "../tuning/apply/apply.js";
import { type Change, describeChange, planChanges } from "../tuning/apply/changes.js";
import { missingParams } from "../tuning/apply/grub.js";
import { nodeIo } from "../tuning/apply/io.js";
import {
  DEFAULT_JOURNAL,
  JOURNAL_MAGIC,
  JOURNAL_VERSION,
  type JournalEntry,
  readJournal,
} from "../tuning/apply/journal.js";
import { loadPlanFile } from "../tuning/apply/plan-file.js";
import type { RevertReport } from "../tuning/apply/revert.js";
import { isKernelPath } from "../tuning/apply/values.js";
import { machineFingerprint } from "../tuning/plan.js";
import type { RuntimeItem } from "../tuning/plan-types.js";
import { shQuote } from "./quote.js";
import { FetchedFs, fetchNode } from "./remote-fs.js";
import type { SshSession } from "./ssh.js";

/** The node as fetched, but live: kernel threads can be re-prioritised there (planChanges asks). */
class LiveNodeFs extends FetchedFs {
  override readonly live = true;
}

/** Exact bytes as a printf format: safe characters as themselves, every other byte as \ooo. */
export function printfBytes(data: Buffer | string): string {
  const buf = typeof data === "string" ? Buffer.from(data) : data;
  let out = "";
  for (const b of buf) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9 ,._/:=+-]/.test(c) ? c : `\\${b.toString(8).padStart(3, "0")}`;
  }
  return out;
}

const ERRNO_TEXT: Record<string, string> = {
  EIO: "Input/output error",
  EINVAL: "Invalid argument",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EBUSY: "Device or resource busy",
};

export function errnoFromText(text: string): string {
  for (const [code, msg] of Object.entries(ERRNO_TEXT)) if (text.includes(msg)) return code;
  return "EUNKNOWN";
}

/** Shell helpers the apply and revert scripts share. */
const HELPERS = [
  // fsync the journal itself (coreutils and busybox sync take files), else everything
  'j() { printf \'%s\\n\' "$1" >> "$J" && { sync "$J" 2>/dev/null || sync; } || { echo "KVM4NFV-FAIL journal cannot write $J"; exit 5; }; }',
  // a kernel file: one write of the value (through cat, which names the errno; the shells' printf does not)
  'wk() { if e=$( { printf "$3" | cat > "$2"; } 2>&1 ); then echo "KVM4NFV-OK $1"; else echo "KVM4NFV-FAIL $1 $e" | tr "\\n" " "; echo; [ -n "$4" ] && case "$e" in *"$4"*) return 0;; esac; exit 5; fi; }',
  // a config file: temp copy (mode kept), fsync, rename
  'wc() { t="$2.kvm4nfv-tmp"; if e=$( { { [ ! -e "$2" ] || cp -p "$2" "$t"; } && printf "$3" > "$t" && { sync "$t" 2>/dev/null || sync; } && mv "$t" "$2"; } 2>&1 ); then echo "KVM4NFV-OK $1"; else rm -f "$t"; echo "KVM4NFV-FAIL $1 $e" | tr "\\n" " "; echo; exit 5; fi; }',
  'p() { [ -n "$KVM4NFV_PAUSE" ] && sleep "$KVM4NFV_PAUSE"; return 0; }',
].join("\n");

function specsFor(journal: string, paths: string[], extra: FileSpec[] = []): FileSpec[] {
  const specs: FileSpec[] = [...HOST_FILES, { kind: "read", pattern: journal }, ...extra];
  for (const path of paths) {
    specs.push({ kind: "read", pattern: path });
    const parts = path.split("/");
    const star = parts.findIndex((x) => x.includes("*"));
    if (star > 0) specs.push({ kind: "list", pattern: parts.slice(0, star).join("/") || "/" });
    for (let d = posix.dirname(path.replace(/\/[^/]*\*.*$/, "/x")); d !== "/"; d = posix.dirname(d)) {
      specs.push({ kind: "exists", pattern: d });
    }
  }
  return specs;
}

function runtimePaths(items: RuntimeItem[]): string[] {
  return items.flatMap((i) => ("path" in i ? [i.path] : []));
}

/** The node's journal as readJournal sees it (validated the same way as locally), or null. */
function nodeJournal(fs: FetchedFs, node: string, journal: string) {
  const text = fs.data.files.get(journal);
  if (text === undefined) return null;
  const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-journal-"));
  try {
    writeFileSync(join(dir, "journal.json"), text);
    try {
      return readJournal(join(dir, "journal.json"));
    } catch (err) {
      throw new InputError(
        "BAD_INPUT",
        `node ${node}: ${(err as Error).message.replace(join(dir, "journal.json"), journal)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ScriptResult {
  ok: Set<number>;
  failed: Map<number, string>;
  finished: boolean;
}

function parseScriptOutput(text: string): ScriptResult {
  const ok = new Set<number>();
  const failed = new Map<number, string>();
  for (const line of text.split("\n")) {
    const m = /^KVM4NFV-(OK|FAIL) (\S+) ?(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === "OK") ok.add(Number(m[2]));
    else failed.set(Number(m[2]), m[3] ?? "");
  }
  return { ok, failed, finished: text.includes("KVM4NFV-END") };
}

export async function remoteApply(
  session: SshSession,
  options: { plan: string; yes?: boolean | undefined; pauseS?: number; journal?: string | undefined },
): Promise<ApplyReport> {
  const node = session.node.name;
  const jpath = options.journal ?? DEFAULT_JOURNAL;
  const plan = loadPlanFile(options.plan);
  const sched = plan.runtime.some((i) => i.kind === "sched");
  const fetched = await fetchNode(
    session,
    specsFor(
      jpath,
      runtimePaths(plan.runtime),
      sched ? [{ kind: "read", pattern: "/proc/[0-9]*/stat" }] : [],
    ),
  );
  const fs = new LiveNodeFs(fetched.root, fetched.data);
  try {
    const here = machineFingerprint(readHost(fs));
    const mismatch = fingerprintMismatch(plan.machine, here);
    if (mismatch !== null) {
      throw new InputError(
        "BAD_INPUT",
        `${options.plan} was made for another machine than node ${node} (${mismatch}): refused`,
        `make a plan for it: kvm4nfv plan --node ${node}`,
      );
    }
    const planned = planChanges(fs, nodeIo, plan.runtime, plan.cmdline);
    const missing = missingParams(plan.cmdline, fs.read("/proc/cmdline") ?? "");
    const report: ApplyReport = {
      dryRun: !options.yes,
      changes: planned.changes.map(describeChange),
      tolerated: [],
      unverified: [],
      skipped: planned.skipped,
      notes: planned.live.map(
        (i) =>
          `on node ${node}, do by hand: ${i.kind === "service" ? `systemctl ${i.action} ${i.name}` : i.kind === "mount" ? `mount -t ${i.fstype} -o ${i.options} none ${i.target}` : i.kind}`,
      ),
      rebootRequired: missing.length > 0,
      missingParams: missing,
      journal: null,
    };
    if (!options.yes || planned.changes.length === 0) {
      if (options.yes) report.notes.push(`nothing to change: node ${node} already matches the plan`);
      return report;
    }
    const existing = nodeJournal(fs, node, jpath);
    if (existing && fingerprintMismatch(existing.header.machine, here) !== null) {
      throw new InputError("BAD_INPUT", `node ${node}: ${jpath} is the journal of another machine: refused`);
    }
    let seq = existing ? existing.entries.reduce((m, e) => Math.max(m, e.seq), 0) : 0;
    const entry = (e: object) =>
      shQuote(JSON.stringify({ seq: ++seq, ...e, time: new Date().toISOString() }));
    const lines = [
      `J=${shQuote(jpath)}`,
      HELPERS,
      ...(options.pauseS ? [`KVM4NFV_PAUSE=${options.pauseS}`] : []),
    ];
    if (!existing) {
      lines.push(`mkdir -p ${shQuote(dirname(jpath))}`);
      const header = {
        magic: JOURNAL_MAGIC,
        version: JOURNAL_VERSION,
        machine: here,
        created: new Date().toISOString(),
      };
      lines.push(`rm -f "$J"; j ${shQuote(JSON.stringify(header))}`);
    }
    const made = new Set<string>();
    planned.changes.forEach((c, i) => {
      if (c.kind === "sched") {
        lines.push(
          `j ${entry({ kind: "sched", pid: c.pid, comm: c.comm, oldPolicy: c.oldPolicy, oldPriority: c.oldPriority, newPriority: c.priority })}`,
        );
        lines.push(
          `if e=$(chrt -f -p ${c.priority} ${c.pid} 2>&1); then echo "KVM4NFV-OK ${i}"; else echo "KVM4NFV-FAIL ${i} $e" | tr "\\n" " "; echo; fi; p`,
        );
        return;
      }
      for (const d of c.mkdirs) {
        if (made.has(d)) continue;
        made.add(d);
        lines.push(
          `[ -d ${shQuote(d)} ] || { j ${entry({ kind: "mkdir", path: d })}; mkdir ${shQuote(d)} || { echo "KVM4NFV-FAIL ${i} cannot mkdir ${d}"; exit 5; }; }`,
        );
      }
      lines.push(
        `j ${entry({ kind: "file", path: c.path, existed: c.old !== undefined, old: c.old === undefined ? null : c.old.toString("base64"), new: c.next, ...(c.restore === undefined ? {} : { restore: c.restore }) })}`,
      );
      const tolerate = (c.tolerate ?? []).map((t) => ERRNO_TEXT[t]).find(Boolean) ?? "";
      lines.push(
        `${c.kernel ? "wk" : "wc"} ${i} ${shQuote(c.path)} ${shQuote(printfBytes(c.next))}${c.kernel ? ` ${shQuote(tolerate)}` : ""}; p`,
      );
    });
    if (planned.changes.some((c) => c.kind === "file" && c.path === "/etc/default/grub")) {
      lines.push(
        'if command -v update-grub >/dev/null 2>&1; then update-grub >/dev/null 2>&1 && echo "KVM4NFV-NOTE update-grub"; fi',
      );
    }
    lines.push("echo KVM4NFV-END", "");
    report.journal = `${node}:${jpath}`;
    let out: { exitCode: number; stdout: Buffer; stderr: string };
    try {
      out = await session.runRaw(["sh", "-s"], lines.join("\n"), 600_000);
    } catch (err) {
      throw new Kvm4nfvError(
        "TOOL_FAILED",
        `node ${node}: the connection was lost during apply: ${(err as Error).message}`,
        {
          hint: `every write made is in the node's journal: kvm4nfv revert --node ${node} undoes it`,
        },
      );
    }
    const r = parseScriptOutput(out.stdout.toString());
    const applied: Change[] = [];
    for (const [i, c] of planned.changes.entries()) {
      const fail = r.failed.get(i);
      if (fail === undefined) {
        if (r.ok.has(i)) applied.push(c);
        continue;
      }
      const code = errnoFromText(fail);
      if (c.kind === "sched") report.notes.push(`chrt ${c.comm} (pid ${c.pid}) failed: ${fail.trim()}`);
      else if (c.tolerate?.includes(code))
        report.tolerated.push(`${c.path}: ${code} (the kernel keeps this IRQ's affinity)`);
      else {
        throw new Kvm4nfvError(
          code === "EACCES" || code === "EPERM" ? "PERMISSION" : "TOOL_FAILED",
          `node ${node}: writing ${c.path} failed: ${code}; apply stopped there`,
          {
            hint: `kvm4nfv revert --node ${node} restores what was written`,
          },
        );
      }
    }
    if (!r.finished) {
      throw new Kvm4nfvError(
        "TOOL_FAILED",
        `node ${node}: apply did not finish (${out.stderr.trim().split("\n").pop() ?? `exit ${out.exitCode}`})`,
        {
          hint: `every write made is in the node's journal: kvm4nfv revert --node ${node} undoes it`,
        },
      );
    }
    if (out.stdout.includes("KVM4NFV-NOTE update-grub")) report.notes.push(`update-grub ran on node ${node}`);
    report.changes = applied.map(describeChange);
    return report;
  } finally {
    fs.dispose();
  }
}

function restoreLine(e: JournalEntry, i: number, current: Buffer | undefined): string | null {
  if (e.kind === "sched") {
    const args =
      e.oldPolicy === 1 ? `-f -p ${e.oldPriority}` : e.oldPolicy === 2 ? `-r -p ${e.oldPriority}` : "-o -p 0";
    // a thread that is gone has nothing to restore
    return `if chrt ${args} ${e.pid} >/dev/null 2>&1; then echo "KVM4NFV-OK ${i}"; fi`;
  }
  if (e.kind === "action") return null;
  if (e.kind === "mkdir") return `rmdir ${shQuote(e.path)} 2>/dev/null && echo "KVM4NFV-OK ${i}"`;
  if (!e.existed) return current === undefined ? null : `rm -f ${shQuote(e.path)} && echo "KVM4NFV-OK ${i}"`;
  const old = Buffer.from(e.old ?? "", "base64");
  if (current?.equals(old)) return null;
  if (isKernelPath(e.path)) {
    const value = e.restore !== undefined ? `${e.restore}\n` : old;
    return `wk ${i} ${shQuote(e.path)} ${shQuote(printfBytes(value))} ''`;
  }
  return `wc ${i} ${shQuote(e.path)} ${shQuote(printfBytes(old))}`;
}

export async function remoteRevert(
  session: SshSession,
  options: { journal?: string | undefined } = {},
): Promise<RevertReport> {
  const node = session.node.name;
  const jpath = options.journal ?? DEFAULT_JOURNAL;
  const first = await fetchNode(session, specsFor(jpath, []));
  const journal = nodeJournal(first, node, jpath);
  const here = machineFingerprint(readHost(first));
  first.dispose();
  if (!journal) throw new InputError("BAD_INPUT", `no journal on node ${node} (${jpath}): nothing to revert`);
  const mismatch = fingerprintMismatch(journal.header.machine, here);
  if (mismatch !== null)
    throw new InputError(
      "BAD_INPUT",
      `node ${node}: ${jpath} was written on another machine (${mismatch}): refused`,
    );
  const paths = [...new Set(journal.entries.flatMap((e) => (e.kind === "file" ? [e.path] : [])))];
  const now =
    paths.length > 0
      ? await fetchNode(
          session,
          paths.map((pattern) => ({ kind: "read" as const, pattern })),
        )
      : undefined;
  const newestFirst = [...journal.entries].sort((a, b) => b.seq - a.seq);
  const report: RevertReport = { restored: [], unchanged: 0, archived: "", notes: [] };
  const lines = [`J=${shQuote(jpath)}`, HELPERS];
  const planned: Array<{ i: number; e: JournalEntry }> = [];
  newestFirst.forEach((e, i) => {
    if (e.kind === "action") {
      report.notes.push(
        `node ${node}: ${e.action} ${e.target} was not done by a remote apply; nothing to undo here`,
      );
      return;
    }
    const line = restoreLine(e, i, e.kind === "file" ? now?.data.files.get(e.path) : undefined);
    if (line === null) report.unchanged += 1;
    else {
      lines.push(line);
      planned.push({ i, e });
    }
  });
  const archived = `${jpath}.reverted-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  lines.push(
    `j ${shQuote(JSON.stringify({ reverted: new Date().toISOString() }))}`,
    `mv "$J" ${shQuote(archived)} && sync`,
    "echo KVM4NFV-END",
    "",
  );
  const out = await session.runRaw(["sh", "-s"], lines.join("\n"), 600_000);
  const r = parseScriptOutput(out.stdout.toString());
  for (const { i, e } of planned) {
    const fail = r.failed.get(i);
    if (fail !== undefined) {
      throw new Kvm4nfvError(
        "TOOL_FAILED",
        `node ${node}: restoring ${"path" in e ? e.path : e.kind} failed: ${errnoFromText(fail)}; the journal is kept, fix the cause and run revert again`,
      );
    }
    if (r.ok.has(i))
      report.restored.push(
        e.kind === "sched" ? `${e.comm} (pid ${e.pid})` : e.kind === "action" ? e.target : e.path,
      );
    else report.unchanged += 1;
  }
  if (!r.finished)
    throw new Kvm4nfvError(
      "TOOL_FAILED",
      `node ${node}: revert did not finish; run it again (the journal is kept until it does)`,
    );
  report.archived = `${node}:${archived}`;
  return report;
}
