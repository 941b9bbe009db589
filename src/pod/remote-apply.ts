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
import { dirname, posix } from "node:path";
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
  JOURNAL_MAX_BYTES,
  JournalChain,
  type JournalEntry,
  type NewEntry,
  parseJournalText,
  type ReadJournal,
  sha256,
} from "../tuning/apply/journal.js";
import { type ApplyPlan, loadPlanFile } from "../tuning/apply/plan-file.js";
import { checkIntents, checkJournalPaths, type RevertReport } from "../tuning/apply/revert.js";
import { targetProblem } from "../tuning/apply/targets.js";
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

/**
 * Shell helpers the apply and revert scripts share. The journal's lines come finished (sealed on the jump host by
 * journal.ts, exactly as a local apply seals them): the node only appends each one and fsyncs, before the write it
 * describes. $J is the journal, $D its directory.
 */
const HELPERS = [
  // fsync files (coreutils and busybox sync take files), else everything
  'fs() { sync "$@" 2>/dev/null || sync; }',
  'j() { printf \'%s\\n\' "$1" >> "$J" && fs "$J" || { echo "KVM4NFV-FAIL journal cannot write $J"; exit 5; }; }',
  // a new journal: the header fsync'd under a temporary name, then linked into place (fails if one appeared)
  'jnew() { t="$J.kvm4nfv-tmp"; mkdir -p "$D" && rm -f "$t" && printf \'%s\\n\' "$1" > "$t" && fs "$t" && ln "$t" "$J" && rm -f "$t" && fs "$D" || { rm -f "$t"; echo "KVM4NFV-FAIL journal cannot create $J (did another apply start?)"; exit 5; }; }',
  // the journal is still the one read (its lines chain on from its last one)
  'jsize() { n=$(wc -c < "$J") && [ "$n" -eq "$1" ] || { echo "KVM4NFV-FAIL journal $J changed since it was read: run again"; exit 5; }; }',
  // drop a last line cut short by a crash (its write never happened) before appending after it
  'jcut() { t="$J.kvm4nfv-tmp"; head -c "$1" "$J" > "$t" && fs "$t" && mv "$t" "$J" && fs "$D" || { rm -f "$t"; echo "KVM4NFV-FAIL journal cannot drop the torn last line of $J"; exit 5; }; }',
  // a kernel file: one write of the value (through cat, which names the errno; the shells' printf does not)
  'wk() { if e=$( { printf "$3" | cat > "$2"; } 2>&1 ); then echo "KVM4NFV-OK $1"; else echo "KVM4NFV-FAIL $1 $e" | tr "\\n" " "; echo; [ -n "$4" ] && case "$e" in *"$4"*) return 0;; esac; exit 5; fi; }',
  // a config file: temp copy (mode kept), fsync, rename
  'wf() { t="$2.kvm4nfv-tmp"; if e=$( { { [ ! -e "$2" ] || cp -p "$2" "$t"; } && printf "$3" > "$t" && fs "$t" && mv "$t" "$2"; } 2>&1 ); then echo "KVM4NFV-OK $1"; else rm -f "$t"; echo "KVM4NFV-FAIL $1 $e" | tr "\\n" " "; echo; exit 5; fi; }',
  'p() { [ -n "$KVM4NFV_PAUSE" ] && sleep "$KVM4NFV_PAUSE"; return 0; }',
].join("\n");

function specsFor(journal: string | null, paths: string[], extra: FileSpec[] = []): FileSpec[] {
  const specs: FileSpec[] = [
    ...HOST_FILES,
    ...(journal === null ? [] : [{ kind: "read" as const, pattern: journal }]),
    ...extra,
  ];
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

interface NodeJournal extends ReadJournal {
  /** its size as read (the script checks it is still that before appending) */
  size: number;
  /** bytes up to its last whole line (what stays when a torn last line is dropped) */
  keep: number;
}

/** The node's journal verified with readJournal's own checks (parseJournalText), or null when it has none. */
function nodeJournal(fs: FetchedFs, node: string, journal: string): NodeJournal | null {
  const buf = fs.data.files.get(journal);
  if (buf === undefined) return null;
  try {
    if (buf.length > JOURNAL_MAX_BYTES)
      throw new InputError(
        "BAD_INPUT",
        `${journal} is over ${JOURNAL_MAX_BYTES} bytes: not a kvm4nfv journal`,
      );
    return {
      ...parseJournalText(buf.toString("utf8"), journal),
      size: buf.length,
      keep: buf.lastIndexOf(0x0a) + 1,
    };
  } catch (err) {
    if (err instanceof InputError)
      throw new InputError("BAD_INPUT", `node ${node}: ${err.message}`, err.hint);
    throw err;
  }
}

/** The journal lines that continue `existing` (or create the journal): script lines and the chain to seal with. */
function journalStart(existing: NodeJournal | null, machine: ReturnType<typeof machineFingerprint>) {
  if (existing === null) {
    const { chain, header } = JournalChain.create(machine);
    return { chain, lines: [`jnew ${shQuote(header)}`] };
  }
  return {
    chain: JournalChain.after(existing),
    lines: [`jsize ${existing.size}`, ...(existing.torn ? [`jcut ${existing.keep}`] : [])],
  };
}

/** Where the journal is and how to fetch it: under a test root, the default journal is inside it (as --root). */
function journalOf(option: string | undefined, root: string): string {
  return option ?? `${root}${DEFAULT_JOURNAL}`;
}

async function fetchJournal(session: SshSession, jpath: string): Promise<FetchedFs> {
  return fetchNode(session, [{ kind: "read", pattern: jpath }]);
}

interface ScriptResult {
  ok: Set<number>;
  failed: Map<number, string>;
  /** the journal could not be written (nothing after it was done) */
  journal: string | undefined;
  finished: boolean;
}

function parseScriptOutput(text: string): ScriptResult {
  const ok = new Set<number>();
  const failed = new Map<number, string>();
  let journal: string | undefined;
  for (const line of text.split("\n")) {
    const m = /^KVM4NFV-(OK|FAIL) (\S+) ?(.*)$/.exec(line);
    if (!m) continue;
    if (m[2] === "journal") journal = m[3] ?? "";
    else if (m[1] === "OK") ok.add(Number(m[2]));
    else failed.set(Number(m[2]), m[3] ?? "");
  }
  return { ok, failed, journal, finished: text.includes("KVM4NFV-END") };
}

export interface RemoteOptions {
  journal?: string | undefined;
  /**
   * Test hook: the node's machine is the snapshot copy under this directory on the node (as --root locally: every
   * path read and written is inside it, nothing is live there).
   */
  root?: string | undefined;
}

export async function remoteApply(
  session: SshSession,
  options: RemoteOptions & { plan: string; yes?: boolean | undefined; pauseS?: number },
): Promise<ApplyReport> {
  const node = session.node.name;
  const root = options.root ?? "";
  const jpath = journalOf(options.journal, root);
  const at = (path: string) => shQuote(`${root}${path}`);
  const plan = loadPlanFile(options.plan);
  const sched = plan.runtime.some((i) => i.kind === "sched");
  const specs = specsFor(
    root ? null : jpath,
    runtimePaths(plan.runtime),
    sched ? [{ kind: "read", pattern: "/proc/[0-9]*/stat" }] : [],
  );
  const fetched = await fetchNode(session, specs, root);
  const fs = root ? fetched : new LiveNodeFs(fetched.root, fetched.data);
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
      unverified: options.yes ? [] : null,
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
    const jfs = root ? await fetchJournal(session, jpath) : fs;
    const existing = nodeJournal(jfs, node, jpath);
    if (existing?.reverted)
      throw new InputError("BAD_INPUT", `node ${node}: ${jpath} was reverted already: move it aside`);
    if (existing && fingerprintMismatch(existing.header.machine, here) !== null) {
      throw new InputError("BAD_INPUT", `node ${node}: ${jpath} is the journal of another machine: refused`);
    }
    const start = journalStart(existing, here);
    const j = (e: NewEntry) => `j ${shQuote(start.chain.entry(e))}`;
    const lines = [
      `J=${shQuote(jpath)}`,
      `D=${shQuote(dirname(jpath))}`,
      HELPERS,
      ...(options.pauseS ? [`KVM4NFV_PAUSE=${options.pauseS}`] : []),
      ...start.lines,
      // what this run is about to write: revert tells a crash from a journal cut short afterwards by it
      j({
        kind: "intent",
        writes: planned.changes.flatMap((c) =>
          c.kind === "file" ? [{ path: c.path, sha256: sha256(c.next) }] : [],
        ),
      }),
    ];
    const made = new Set<string>();
    planned.changes.forEach((c, i) => {
      if (c.kind === "sched") {
        lines.push(
          j({
            kind: "sched",
            pid: c.pid,
            comm: c.comm,
            oldPolicy: c.oldPolicy,
            oldPriority: c.oldPriority,
            newPriority: c.priority,
          }),
        );
        lines.push(
          `if e=$(chrt -f -p ${c.priority} ${c.pid} 2>&1); then echo "KVM4NFV-OK ${i}"; else echo "KVM4NFV-FAIL ${i} $e" | tr "\\n" " "; echo; fi; p`,
        );
        return;
      }
      for (const d of c.mkdirs) {
        if (made.has(d)) continue;
        made.add(d);
        // the fetch found it missing: one that appeared since is not ours to journal (and later remove)
        lines.push(
          `[ -e ${at(d)} ] && { echo "KVM4NFV-FAIL ${i} ${d} appeared since it was read"; exit 5; }`,
          j({ kind: "mkdir", path: d }),
          `mkdir ${at(d)} || { echo "KVM4NFV-FAIL ${i} cannot mkdir ${d}"; exit 5; }`,
        );
      }
      lines.push(
        j({
          kind: "file",
          path: c.path,
          existed: c.old !== undefined,
          old: c.old === undefined ? null : c.old.toString("base64"),
          new: c.next,
          ...(c.restore === undefined ? {} : { restore: c.restore }),
        }),
      );
      const tolerate = (c.tolerate ?? []).map((t) => ERRNO_TEXT[t]).find(Boolean) ?? "";
      lines.push(
        `${c.kernel ? "wk" : "wf"} ${i} ${at(c.path)} ${shQuote(printfBytes(c.next))}${c.kernel ? ` ${shQuote(tolerate)}` : ""}; p`,
      );
    });
    const grub = planned.changes.some((c) => c.kind === "file" && c.path === "/etc/default/grub");
    if (grub && root) report.notes.push("bootloader not regenerated under a root (live machine only)");
    else if (grub) {
      lines.push(
        'if command -v update-grub >/dev/null 2>&1; then update-grub >/dev/null 2>&1 && echo "KVM4NFV-NOTE update-grub"; fi',
      );
    }
    lines.push("echo KVM4NFV-END", "");
    report.journal = `${node}:${jpath}`;
    let out: { exitCode: number; stdout: Buffer; stderr: string };
    try {
      // named after its journal (sh -s NAME JOURNAL): `ps` on the node shows which apply is running
      out = await session.runRaw(["sh", "-s", "kvm4nfv-apply", jpath], lines.join("\n"), 600_000);
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
    const kept = new Set<string>();
    for (const [i, c] of planned.changes.entries()) {
      const fail = r.failed.get(i);
      if (fail === undefined) {
        if (r.ok.has(i)) applied.push(c);
        continue;
      }
      const code = errnoFromText(fail);
      if (c.kind === "sched") report.notes.push(`chrt ${c.comm} (pid ${c.pid}) failed: ${fail.trim()}`);
      else if (c.tolerate?.includes(code)) {
        kept.add(c.path);
        report.tolerated.push(`${c.path}: ${code} (the kernel keeps this IRQ's affinity)`);
      } else {
        throw new Kvm4nfvError(
          code === "EACCES" || code === "EPERM" ? "PERMISSION" : "TOOL_FAILED",
          `node ${node}: writing ${c.path} failed: ${code === "EUNKNOWN" ? fail.trim() : code}; apply stopped there`,
          {
            hint: `kvm4nfv revert --node ${node} restores what was written`,
          },
        );
      }
    }
    if (r.journal !== undefined) {
      throw new Kvm4nfvError("TOOL_FAILED", `node ${node}: ${r.journal.trim()}; apply stopped there`, {
        hint: `whatever was written is in the node's journal: kvm4nfv revert --node ${node} undoes it`,
      });
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
    report.unverified = await readBack(session, specs, root, plan, options.plan, kept);
    return report;
  } finally {
    fs.dispose();
  }
}

/**
 * The revert script's line for one entry, and whether it restores something (it then prints KVM4NFV-OK i on
 * success, KVM4NFV-FAIL i on failure); null when the entry has nothing to do.
 */
/**
 * What apply's own dry run still finds to change on the node after the script (`check --against` the same plan,
 * one more reader round trip): local apply's read-back, so "applied" means "verified" on a node too. `kept` are
 * the tolerated writes (the kernel keeps those IRQs where they are).
 */
async function readBack(
  session: SshSession,
  specs: FileSpec[],
  root: string,
  plan: ApplyPlan,
  planPath: string,
  kept: ReadonlySet<string>,
): Promise<string[]> {
  const [{ auditAgainst }, fetched] = await Promise.all([
    import("../tuning/settings/against.js"),
    fetchNode(session, specs, root),
  ]);
  const fs = root ? fetched : new LiveNodeFs(fetched.root, fetched.data);
  try {
    return auditAgainst(fs, nodeIo, plan, planPath, kept).changes;
  } finally {
    fs.dispose();
  }
}

function restoreLine(
  e: JournalEntry,
  i: number,
  current: Buffer | undefined,
  at: (path: string) => string,
  live: boolean,
): { line: string; restores: boolean } | null {
  const restore = (line: string) => ({ line, restores: true });
  if (e.kind === "sched") {
    if (!live) return null;
    const args =
      e.oldPolicy === 1 ? `-f -p ${e.oldPriority}` : e.oldPolicy === 2 ? `-r -p ${e.oldPriority}` : "-o -p 0";
    // a thread that is gone has nothing to restore
    return restore(`if chrt ${args} ${e.pid} >/dev/null 2>&1; then echo "KVM4NFV-OK ${i}"; fi`);
  }
  if (e.kind === "action") return null;
  if (e.kind === "mkdir") return restore(`rmdir ${at(e.path)} 2>/dev/null && echo "KVM4NFV-OK ${i}"`);
  const kernel = isKernelPath(e.path);
  // a crash between a config file's temp write and its rename leaves the temp file: it is ours, remove it
  const temp = kernel ? "" : `rm -f ${at(`${e.path}.kvm4nfv-tmp`)}; `;
  if (!e.existed)
    return current === undefined ? null : restore(`${temp}rm -f ${at(e.path)} && echo "KVM4NFV-OK ${i}"`);
  const old = Buffer.from(e.old ?? "", "base64");
  if (current?.equals(old)) return temp === "" ? null : { line: temp.trim(), restores: false };
  if (kernel) {
    // a live kernel file takes a value, not the listing it prints ("always madvise [never]" → "never")
    const value = live && e.restore !== undefined ? `${e.restore}\n` : old;
    return restore(`wk ${i} ${at(e.path)} ${shQuote(printfBytes(value))} ''`);
  }
  return restore(`${temp}wf ${i} ${at(e.path)} ${shQuote(printfBytes(old))}`);
}

export async function remoteRevert(session: SshSession, options: RemoteOptions = {}): Promise<RevertReport> {
  const node = session.node.name;
  const root = options.root ?? "";
  const jpath = journalOf(options.journal, root);
  const at = (path: string) => shQuote(`${root}${path}`);
  const first = await fetchNode(session, specsFor(root ? null : jpath, []), root);
  const here = machineFingerprint(readHost(first));
  const jfs = root ? await fetchJournal(session, jpath) : first;
  const journal = nodeJournal(jfs, node, jpath);
  first.dispose();
  if (!journal) throw new InputError("BAD_INPUT", `no journal on node ${node} (${jpath}): nothing to revert`);
  const named = `node ${node}: ${jpath}`;
  const mismatch = fingerprintMismatch(journal.header.machine, here);
  if (mismatch !== null)
    throw new InputError("BAD_INPUT", `${named} was written on another machine (${mismatch}): refused`);
  // the checks a local revert makes before its first write: every path a target, no write without its entry
  checkJournalPaths(named, journal.entries, journal.intents);
  const intended = journal.intents.flatMap((x) => x.writes.map((w) => w.path));
  const paths = [
    ...new Set([
      ...journal.entries.flatMap((e) => (e.kind === "file" ? [e.path] : [])),
      ...intended.filter((p) => targetProblem(p) === null),
    ]),
  ];
  const now =
    paths.length > 0
      ? await fetchNode(
          session,
          paths.map((pattern) => ({ kind: "read" as const, pattern })),
          root,
        )
      : undefined;
  checkIntents(named, journal.intents, journal.entries, (p) => now?.data.files.get(p));
  const newestFirst = [...journal.entries].sort((a, b) => b.seq - a.seq);
  const report: RevertReport = { restored: [], unchanged: 0, archived: "", notes: [] };
  const lines = [`J=${shQuote(jpath)}`, `D=${shQuote(dirname(jpath))}`, HELPERS, `jsize ${journal.size}`];
  const planned: Array<{ i: number; e: JournalEntry }> = [];
  newestFirst.forEach((e, i) => {
    if (e.kind === "action") {
      report.notes.push(
        `node ${node}: ${e.action} ${e.target} was not done by a remote apply; nothing to undo here`,
      );
      return;
    }
    const current = e.kind === "file" ? now?.data.files.get(e.path) : undefined;
    const step = restoreLine(e, i, current, at, root === "");
    if (step !== null) lines.push(step.line);
    if (step?.restores) planned.push({ i, e });
    else report.unchanged += 1;
  });
  now?.dispose();
  const archived = `${jpath}.reverted-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  // the reverted mark continues the chain (after a torn last line is dropped), as archiveJournal writes it
  if (journal.torn) lines.push(`jcut ${journal.keep}`);
  if (!journal.reverted) lines.push(`j ${shQuote(JournalChain.after(journal).reverted())}`);
  lines.push(
    `mv "$J" ${shQuote(archived)} && fs "$D" || { echo "KVM4NFV-FAIL journal cannot move $J aside"; exit 5; }`,
    "echo KVM4NFV-END",
    "",
  );
  const out = await session.runRaw(["sh", "-s", "kvm4nfv-revert", jpath], lines.join("\n"), 600_000);
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
  if (r.journal !== undefined)
    throw new Kvm4nfvError("TOOL_FAILED", `node ${node}: ${r.journal.trim()}; the journal is kept`);
  if (!r.finished)
    throw new Kvm4nfvError(
      "TOOL_FAILED",
      `node ${node}: revert did not finish; run it again (the journal is kept until it does)`,
    );
  report.archived = `${node}:${archived}`;
  return report;
}
