/**
 * The apply journal: JSON lines, a header that says "this is a kvm4nfv journal" (magic, version, machine), then one
 * record per change holding the exact old bytes, mode and owner. Each record is appended and fsync'd — the file and
 * its directory — BEFORE the write it describes, so after a crash at any point `revert` knows every value that may
 * have changed.
 *
 * Self-verifying (version 2): every line ends in `"sum":"<sha256>"`, the hash of the previous line's sum and this
 * line's text, so the lines form a chain from the header (which carries the machine's identity) to the last
 * entry. Each apply run first records its intent (every path it is about to write, with the hash of the new
 * bytes), which lets revert tell a crash (the files not yet written still hold their old bytes) from a journal cut
 * short afterwards (a file holds what apply wrote but no entry says what was there before).
 *
 * Only one kind of damage is expected: the last line cut short by a crash mid-append (no final newline). It is
 * dropped: its write never happened. Anything else — a changed character, a missing or reordered line, a record
 * that is not one of ours — is refused before anything is written, naming the line and the entry.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { InputError, Kvm4nfvError } from "../../errors.js";
import { readBounded } from "../../host/fs.js";
import type { MachineFingerprint } from "../plan-types.js";
import { crashPoint } from "./crash.js";

export const JOURNAL_MAGIC = "kvm4nfv-journal";
export const JOURNAL_VERSION = 2;
export const DEFAULT_JOURNAL = "/var/lib/kvm4nfv/journal.json";
/** A journal holds old bytes of sysctls, IRQ masks and a few config files: tens of KB; far more is not ours. */
export const JOURNAL_MAX_BYTES = 64 * 1024 * 1024;

export interface JournalHeader {
  magic: typeof JOURNAL_MAGIC;
  version: number;
  machine: MachineFingerprint;
  created: string;
}

/** A file that was changed: `old` is base64 of its exact bytes when it existed, with its mode and owner. */
export interface FileEntry {
  seq: number;
  kind: "file";
  path: string;
  existed: boolean;
  old: string | null;
  new: string;
  /** What to write back to a live kernel file when its bytes cannot be (THP "[never]" → "never"). */
  restore?: string;
  /** permission bits, uid and gid of the file before apply (config files; absent for kernel files) */
  mode?: number;
  uid?: number;
  gid?: number;
  time: string;
}

/** A directory apply created (for a new file's parent): revert removes it when empty. */
export interface DirEntry {
  seq: number;
  kind: "mkdir";
  path: string;
  time: string;
}

/** A kernel thread's scheduling before apply changed it. */
export interface SchedEntry {
  seq: number;
  kind: "sched";
  pid: number;
  comm: string;
  oldPolicy: number;
  oldPriority: number;
  newPriority: number;
  time: string;
}

/**
 * A live-machine action: revert unmounts what apply mounted, restarts a service after its config is back, and gives
 * a grubby boot entry (target: its kernel) back its earlier values of the keys apply added.
 */
export interface ActionEntry {
  seq: number;
  kind: "action";
  action: "mount" | "service" | "grubby" | "package" | "boot-default";
  target: string;
  /** grubby: the entry's arguments before apply; boot-default: the default kernel before apply */
  old?: string;
  /** grubby: the parameters apply added */
  added?: string;
  /** package (src/tuning/rtkernel): the package manager, and the packages apply newly installed */
  manager?: "apt" | "dnf";
  packages?: string[];
  time: string;
}

/** What one apply run is about to write: path and sha256 of the new bytes. */
export interface IntentEntry {
  seq: number;
  kind: "intent";
  writes: { path: string; sha256: string }[];
  time: string;
}

/**
 * An SR-IOV PF's VF count before apply changed it (src/sriov/provision.ts): `old` is base64 of sriov_numvfs' exact
 * bytes. Revert writes 0 first when another nonzero count is enabled, as the kernel requires.
 */
export interface SriovVfsEntry {
  seq: number;
  kind: "sriov-vfs";
  pf: string;
  old: string;
  oldCount: number;
  count: number;
  time: string;
}

/**
 * A PCI function's driver and driver_override before apply rebound it (`driver` the one apply bound, null: only
 * recorded, because changing the VF count was about to destroy the VF). Revert binds it back to `oldDriver`.
 */
export interface PciDriverEntry {
  seq: number;
  kind: "pci-driver";
  device: string;
  /** the PF whose virtfnN this function is, and N (a VF's address is only found through its PF's link) */
  pf: string;
  vf: number;
  oldDriver: string | null;
  /** base64 of driver_override's exact bytes ("(null)\n" when unset) */
  oldOverride: string;
  driver: string | null;
  time: string;
}

export type JournalEntry = FileEntry | DirEntry | SchedEntry | ActionEntry;
/** Kept apart from JournalEntry (readJournal's `sriov`): only the local revert undoes them, merged by seq. */
export type SriovEntry = SriovVfsEntry | PciDriverEntry;
export type NewEntry =
  | Omit<SriovVfsEntry, "seq" | "time">
  | Omit<PciDriverEntry, "seq" | "time">
  | Omit<FileEntry, "seq" | "time">
  | Omit<DirEntry, "seq" | "time">
  | Omit<SchedEntry, "seq" | "time">
  | Omit<ActionEntry, "seq" | "time">
  | Omit<IntentEntry, "seq" | "time">;

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Strict base64 (what Buffer#toString("base64") writes): Buffer.from would silently skip anything else. */
export function isStrictBase64(text: string): boolean {
  return (
    /^[A-Za-z0-9+/]*={0,2}$/.test(text) &&
    text.length % 4 === 0 &&
    Buffer.from(text, "base64").toString("base64") === text
  );
}

const machinePath = z
  .string()
  .regex(/^\/[^\0]*$/, "an absolute path")
  .refine((p) => !p.split("/").some((c) => c === ".." || c === "."), "a path without . or .. components");
const seq = z.number().int().positive();
/** PCI functions and drivers of the SR-IOV entries: the paths revert builds from them stay under /sys/bus/pci */
const pciAddress = z.string().regex(/^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/, "a PCI address");
const driverName = z.string().regex(/^[\w.-]+$/, "a driver name");
const time = z.string();
const id = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);
const fileEntry = z
  .strictObject({
    seq,
    kind: z.literal("file"),
    path: machinePath,
    existed: z.boolean(),
    old: z.string().refine(isStrictBase64, "base64").nullable(),
    new: z.string(),
    restore: z.string().optional(),
    mode: z.number().int().min(0).max(0o7777).optional(),
    uid: id.optional(),
    gid: id.optional(),
    time,
  })
  .refine((e) => e.existed === (e.old !== null), "existed and old disagree");
const entrySchemas: Record<string, z.ZodType> = {
  file: fileEntry,
  mkdir: z.strictObject({ seq, kind: z.literal("mkdir"), path: machinePath, time }),
  sched: z.strictObject({
    seq,
    kind: z.literal("sched"),
    pid: z.number().int().positive(),
    comm: z.string(),
    oldPolicy: z.number().int().min(0).max(7),
    oldPriority: z.number().int().min(0).max(99),
    newPriority: z.number().int().min(1).max(99),
    time,
  }),
  action: z.strictObject({
    seq,
    kind: z.literal("action"),
    action: z.enum(["mount", "service", "grubby", "package", "boot-default"]),
    target: z.string().min(1),
    old: z.string().optional(),
    added: z.string().optional(),
    manager: z.enum(["apt", "dnf"]).optional(),
    // package names only (never an option: revert hands them to apt-get/dnf as arguments)
    packages: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9+._-]*$/)).optional(),
    time,
  }),
  "sriov-vfs": z.strictObject({
    seq,
    kind: z.literal("sriov-vfs"),
    pf: pciAddress,
    old: z.string().refine(isStrictBase64, "base64"),
    oldCount: z.number().int().min(0).max(65535),
    count: z.number().int().min(0).max(65535),
    time,
  }),
  "pci-driver": z.strictObject({
    seq,
    kind: z.literal("pci-driver"),
    device: pciAddress,
    pf: pciAddress,
    vf: z.number().int().min(0).max(65535),
    oldDriver: driverName.nullable(),
    oldOverride: z.string().refine(isStrictBase64, "base64"),
    driver: driverName.nullable(),
    time,
  }),
  intent: z.strictObject({
    seq,
    kind: z.literal("intent"),
    writes: z.array(z.strictObject({ path: machinePath, sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
    time,
  }),
};

/** The entry's schema by its kind, so a refusal names the field that is wrong. */
function checkEntry(
  value: unknown,
): { ok: true; entry: JournalEntry | IntentEntry | SriovEntry } | { ok: false; why: string } {
  const kind = (value as { kind?: unknown } | null)?.kind;
  const schema =
    typeof kind === "string" && Object.hasOwn(entrySchemas, kind) ? entrySchemas[kind] : undefined;
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return { ok: false, why: "it is not an object" };
  if (schema === undefined) return { ok: false, why: `kind ${JSON.stringify(kind)} is not a journal entry` };
  const parsed = schema.safeParse(value);
  return parsed.success
    ? { ok: true, entry: parsed.data as JournalEntry | IntentEntry | SriovEntry }
    : { ok: false, why: describeIssue(parsed.error) };
}
const headerSchema = z.strictObject({
  magic: z.literal(JOURNAL_MAGIC),
  version: z.literal(JOURNAL_VERSION),
  machine: z.strictObject({
    vendor: z.string().nullable(),
    model: z.string().nullable(),
    cpus: z.number().int(),
    nodes: z.record(z.string(), z.string()),
    threadsPerCore: z.number().int(),
  }),
  created: time,
});
const revertedSchema = z.strictObject({ reverted: time });

const SUM_SUFFIX = /,"sum":"([0-9a-f]{64})"\}$/;
const CHAIN_START = "kvm4nfv-journal-v2";

/** The line as written: the record's JSON with the chained sum as its last key. */
export function sealLine(record: object, prevSum: string): { line: string; sum: string } {
  const body = JSON.stringify(record);
  const sum = sha256(`${prevSum}\n${body}`);
  return { line: `${body.slice(0, -1)},"sum":"${sum}"}`, sum };
}

/** The record and its sum if the line is sealed with `prevSum`; otherwise why not. */
function unseal(line: string, prevSum: string): { value: unknown; sum: string } | string {
  const m = SUM_SUFFIX.exec(line);
  if (!m) return "it has no checksum";
  const body = `${line.slice(0, m.index)}}`;
  if (sha256(`${prevSum}\n${body}`) !== m[1])
    return "its checksum does not match (changed, or a line before it is missing)";
  try {
    return { value: JSON.parse(body), sum: m[1]! };
  } catch {
    return "it is not JSON";
  }
}

export interface ReadJournal {
  header: JournalHeader;
  entries: JournalEntry[];
  intents: IntentEntry[];
  /** SR-IOV VF counts and bindings (src/sriov/provision.ts) */
  sriov: SriovEntry[];
  reverted: boolean;
  /** a last line cut short by a crash was dropped */
  torn: boolean;
  /** the chain's last sum (appending continues from it) */
  lastSum: string;
  lastSeq: number;
}

function damaged(path: string, lineNo: number, what: string, why: string): InputError {
  return new InputError(
    "BAD_INPUT",
    `${path} line ${lineNo} (${what}) is damaged: ${why}; refused, nothing written`,
    "the journal cannot be trusted: restore from the files' backups, or move it aside to start afresh",
  );
}

/**
 * Read and verify a journal. Refuses (before anything is written) anything that is not a whole, unchanged kvm4nfv
 * journal but for a last line cut short by a crash, which is dropped.
 */
export function readJournal(path: string): ReadJournal {
  let text: string;
  try {
    text = readBounded(path, JOURNAL_MAX_BYTES).toString("utf8");
  } catch (err) {
    if (err instanceof Kvm4nfvError) throw err;
    throw new InputError("BAD_INPUT", `no journal at ${path}: nothing to revert`);
  }
  return parseJournalText(text, path);
}

/**
 * Verify a journal's text (read here, or fetched from a pod node): the checks readJournal makes, `path` naming it
 * in refusals.
 */
export function parseJournalText(text: string, path: string): ReadJournal {
  const lines = text.split("\n");
  // Every complete line ends in "\n": the last element is "" or a line cut short by a crash, never an entry.
  const torn = lines[lines.length - 1] !== "";
  const complete = lines.slice(0, -1);
  let first: unknown;
  try {
    first = JSON.parse((lines[0] ?? "").replace(SUM_SUFFIX, "}"));
  } catch {
    first = null;
  }
  if ((first as { magic?: unknown } | null)?.magic !== JOURNAL_MAGIC || complete.length === 0) {
    throw new InputError(
      "BAD_INPUT",
      `${path} is not a kvm4nfv journal (no kvm4nfv-journal header): refused`,
    );
  }
  const version = (first as { version?: unknown }).version;
  if (version !== JOURNAL_VERSION) {
    throw new InputError(
      "BAD_INPUT",
      `${path}: journal version ${String(version)} is not supported (this kvm4nfv reads version ${JOURNAL_VERSION})`,
      "revert it with the kvm4nfv that wrote it",
    );
  }
  const head = unseal(complete[0]!, CHAIN_START);
  if (typeof head === "string") throw damaged(path, 1, "the header", head);
  const header = headerSchema.safeParse(head.value);
  if (!header.success) throw damaged(path, 1, "the header", describeIssue(header.error));
  let sum = head.sum;
  let lastSeq = 0;
  const entries: JournalEntry[] = [];
  const intents: IntentEntry[] = [];
  const sriov: SriovEntry[] = [];
  let reverted = false;
  for (const [i, line] of complete.slice(1).entries()) {
    const lineNo = i + 2;
    const guess = /"seq":(\d+)/.exec(line)?.[1];
    const what = guess ? `entry ${guess}` : "an entry";
    if (reverted) throw damaged(path, lineNo, what, "it follows the reverted mark");
    const open = unseal(line, sum);
    if (typeof open === "string") throw damaged(path, lineNo, what, open);
    sum = open.sum;
    if (revertedSchema.safeParse(open.value).success) {
      reverted = true;
      continue;
    }
    const checked = checkEntry(open.value);
    if (!checked.ok) throw damaged(path, lineNo, what, checked.why);
    const e = checked.entry;
    if (e.seq !== lastSeq + 1)
      throw damaged(path, lineNo, `entry ${e.seq}`, `entry ${lastSeq + 1} was expected`);
    lastSeq = e.seq;
    if (e.kind === "intent") intents.push(e as IntentEntry);
    else if (e.kind === "sriov-vfs" || e.kind === "pci-driver") sriov.push(e as SriovEntry);
    else entries.push(e as JournalEntry);
  }
  return {
    header: header.data as JournalHeader,
    entries,
    intents,
    sriov,
    reverted,
    torn,
    lastSum: sum,
    lastSeq,
  };
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.join(".");
  return where ? `${where}: ${issue.message}` : issue.message;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The chain of sealed lines a journal is made of. Local apply, revert and the pod's remote apply (which builds the
 * lines here and has the node only append them) all seal through it, so every journal has one format.
 */
export class JournalChain {
  private constructor(
    private sum: string,
    private seq: number,
  ) {}

  /** A new journal: the chain and its first line, the header (no newline). */
  static create(machine: MachineFingerprint, now = new Date()): { chain: JournalChain; header: string } {
    const header: JournalHeader = {
      magic: JOURNAL_MAGIC,
      version: JOURNAL_VERSION,
      machine,
      created: now.toISOString(),
    };
    const { line, sum } = sealLine(header, CHAIN_START);
    return { chain: new JournalChain(sum, 0), header: line };
  }

  /** Continue after a verified journal (its torn last line, if any, dropped first). */
  static after(journal: Pick<ReadJournal, "lastSum" | "lastSeq">): JournalChain {
    return new JournalChain(journal.lastSum, journal.lastSeq);
  }

  /** The next entry's sealed line (no newline), numbered and timed. */
  entry(entry: NewEntry, now = new Date()): string {
    this.seq += 1;
    return this.seal({ seq: this.seq, ...entry, time: now.toISOString() });
  }

  /** The reverted mark: the journal's last line. */
  reverted(now = new Date()): string {
    return this.seal({ reverted: now.toISOString() });
  }

  private seal(record: object): string {
    const { line, sum } = sealLine(record, this.sum);
    this.sum = sum;
    return line;
  }
}

export class Journal {
  private fd: number;
  private chain: JournalChain;

  private constructor(
    readonly path: string,
    fd: number,
    chain: JournalChain,
  ) {
    this.fd = fd;
    this.chain = chain;
  }

  /** Open for appending: create with a header, or continue an existing (not yet reverted) journal of ours. */
  static open(path: string, machine: MachineFingerprint): Journal {
    if (existsSync(path)) {
      const j = readJournal(path);
      if (j.reverted) throw new InputError("BAD_INPUT", `${path} was reverted already: move it aside`);
      // a crash cut the last line: drop it (its write never happened) before appending after it
      if (j.torn) dropTornTail(path);
      const fd = openSync(path, "a");
      return new Journal(path, fd, JournalChain.after(j));
    }
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true });
    // The header is written and fsync'd under a temporary name and then linked into place, so a crash can never
    // leave a journal whose header is cut short (which revert would have to refuse): the journal either does not
    // exist yet — nothing was written to the machine — or starts with a whole header. link() fails with EEXIST
    // like "wx" would, if another apply got there first.
    const { chain, header } = JournalChain.create(machine);
    const tmp = `${path}.kvm4nfv-tmp`;
    rmSync(tmp, { force: true }); // left by a crash before the link: it never became the journal
    const tfd = openSync(tmp, "wx");
    try {
      writeSync(tfd, `${header}\n`);
      fsyncSync(tfd);
    } finally {
      closeSync(tfd);
    }
    linkSync(tmp, path);
    unlinkSync(tmp);
    fsyncDir(dir);
    return new Journal(path, openSync(path, "a"), chain);
  }

  private writeLine(line: string): void {
    const bytes = Buffer.from(`${line}\n`);
    // test hook: a crash in the middle of this append leaves a torn last line
    if (crashPoint("journal-torn")) {
      writeSync(this.fd, bytes.subarray(0, Math.max(1, bytes.length >> 1)));
      fsyncSync(this.fd);
      process.kill(process.pid, "SIGKILL");
    }
    writeSync(this.fd, bytes);
    fsyncSync(this.fd);
  }

  /** Durable before return: the entry and the directory holding the journal are on disk. */
  append(entry: NewEntry): void {
    this.writeLine(this.chain.entry(entry));
    fsyncDir(dirname(this.path));
    crashPoint("journal-synced", true);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Cut a torn last line off (its write never happened), so what is appended next continues the chain. */
function dropTornTail(path: string): void {
  const text = readBounded(path, JOURNAL_MAX_BYTES);
  const keep = text.lastIndexOf(0x0a) + 1;
  if (keep === text.length) return;
  const fd = openSync(path, "r+");
  try {
    ftruncateSync(fd, keep);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Mark a journal reverted and move it aside, so the next revert finds nothing and the next apply starts afresh. */
export function archiveJournal(path: string): string {
  const read = readJournal(path);
  if (read.torn) dropTornTail(path);
  const line = JournalChain.after(read).reverted();
  const fd = openSync(path, "a");
  try {
    writeSync(fd, `${line}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const archived = `${path}.reverted-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  renameSync(path, archived);
  fsyncDir(dirname(path));
  return archived;
}
