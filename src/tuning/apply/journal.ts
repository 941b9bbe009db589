/**
 * The apply journal: JSON lines, a header that says "this is a kvm4nfv journal" (magic, version, machine), then one
 * entry per change holding the exact old bytes. Each entry is appended and fsync'd — the file and its directory —
 * BEFORE the write it describes, so after a crash at any point `revert` knows every value that may have changed.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { InputError } from "../../errors.js";
import type { MachineFingerprint } from "../plan-types.js";

export const JOURNAL_MAGIC = "kvm4nfv-journal";
export const JOURNAL_VERSION = 1;
export const DEFAULT_JOURNAL = "/var/lib/kvm4nfv/journal.json";

export interface JournalHeader {
  magic: typeof JOURNAL_MAGIC;
  version: number;
  machine: MachineFingerprint;
  created: string;
}

/** A file that was changed: `old` is base64 of its exact bytes when it existed. */
export interface FileEntry {
  seq: number;
  kind: "file";
  path: string;
  existed: boolean;
  old: string | null;
  new: string;
  /** What to write back to a live kernel file when its bytes cannot be (THP "[never]" → "never"). */
  restore?: string;
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
  action: "mount" | "service" | "grubby";
  target: string;
  /** grubby: the entry's arguments before apply */
  old?: string;
  /** grubby: the parameters apply added */
  added?: string;
  time: string;
}

export type JournalEntry = FileEntry | DirEntry | SchedEntry | ActionEntry;
export type NewEntry =
  | Omit<FileEntry, "seq" | "time">
  | Omit<DirEntry, "seq" | "time">
  | Omit<SchedEntry, "seq" | "time">
  | Omit<ActionEntry, "seq" | "time">;

function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function isHeader(v: unknown): v is JournalHeader {
  const h = v as JournalHeader | null;
  return typeof h === "object" && h !== null && h.magic === JOURNAL_MAGIC && typeof h.version === "number";
}

/**
 * Read a journal. Anything that is not ours (no magic header) is refused before anything is written. A last line
 * cut short by a crash mid-append is dropped: its write never happened (the entry is synced before the write).
 */
export function readJournal(path: string): {
  header: JournalHeader;
  entries: JournalEntry[];
  reverted: boolean;
} {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InputError("BAD_INPUT", `no journal at ${path}: nothing to revert`);
  }
  const lines = text.split("\n");
  // Every complete line ends in "\n": the last element is "" or a line cut short by a crash, never an entry.
  const complete = lines.slice(0, -1);
  let header: unknown;
  try {
    header = JSON.parse(lines[0] ?? "");
  } catch {
    header = null;
  }
  if (!isHeader(header)) {
    throw new InputError(
      "BAD_INPUT",
      `${path} is not a kvm4nfv journal (no kvm4nfv-journal header): refused`,
    );
  }
  if (header.version !== JOURNAL_VERSION) {
    throw new InputError("BAD_INPUT", `${path}: journal version ${header.version} is not supported`);
  }
  const entries: JournalEntry[] = [];
  let reverted = false;
  for (const [i, line] of complete.slice(1).entries()) {
    if (line.trim() === "") continue;
    let v: { kind?: string; seq?: number; reverted?: string };
    try {
      v = JSON.parse(line);
    } catch {
      throw new InputError("BAD_INPUT", `${path} line ${i + 2} is not a journal entry: refused`);
    }
    if (v.reverted !== undefined) reverted = true;
    else if (v.kind === "file" || v.kind === "mkdir" || v.kind === "sched" || v.kind === "action") {
      entries.push(v as JournalEntry);
    } else throw new InputError("BAD_INPUT", `${path} line ${i + 2} is not a journal entry: refused`);
  }
  return { header, entries, reverted };
}

export class Journal {
  private fd: number;
  private seq: number;

  private constructor(
    readonly path: string,
    fd: number,
    seq: number,
  ) {
    this.fd = fd;
    this.seq = seq;
  }

  /** Open for appending: create with a header, or continue an existing (not yet reverted) journal of ours. */
  static open(path: string, machine: MachineFingerprint): Journal {
    if (existsSync(path)) {
      const { entries } = readJournal(path);
      const fd = openSync(path, "a");
      return new Journal(
        path,
        fd,
        entries.reduce((m, e) => Math.max(m, e.seq), 0),
      );
    }
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true });
    const fd = openSync(path, "wx");
    const header: JournalHeader = {
      magic: JOURNAL_MAGIC,
      version: JOURNAL_VERSION,
      machine,
      created: new Date().toISOString(),
    };
    const j = new Journal(path, fd, 0);
    j.writeLine(header);
    fsyncDir(dir);
    return j;
  }

  private writeLine(value: unknown): void {
    writeSync(this.fd, `${JSON.stringify(value)}\n`);
    fsyncSync(this.fd);
  }

  /** Durable before return: the entry and the directory holding the journal are on disk. */
  append(entry: NewEntry): void {
    this.seq += 1;
    this.writeLine({ seq: this.seq, ...entry, time: new Date().toISOString() });
    fsyncDir(dirname(this.path));
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Mark a journal reverted and move it aside, so the next revert finds nothing and the next apply starts afresh. */
export function archiveJournal(path: string): string {
  const fd = openSync(path, "a");
  try {
    writeSync(fd, `${JSON.stringify({ reverted: new Date().toISOString() })}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const archived = `${path}.reverted-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  renameSync(path, archived);
  fsyncDir(dirname(path));
  return archived;
}
