/**
 * `inspect --save DIR`: capture exactly the files readHost reads into DIR, mirroring "/", so that
 * readHost(openHostFs(DIR)) gives the same Host as the machine did at capture time.
 *
 * A RecordingFs wraps the source HostFs and remembers every read, listing and existence check readHost makes;
 * the capture then writes those files (text as read; *.gz copied as-is), creates the listed directories, and
 * leaves empty placeholders for paths that were only tested for existence (/dev/kvm, ACPI tables).
 * Symlinks are not reproduced: /sys/class/net/X is written as a plain directory, which readHost also reads.
 * Everything is copied from what the source HostFs read (contained in its root, bounded, regular files only), never
 * by path: a symlink in a source snapshot that leaves it is refused by the read, so no outside content is captured.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { InputError, Kvm4nfvError } from "../errors.js";
import type { HostFs } from "./fs.js";
import type { Host } from "./model.js";
import { readHost } from "./read.js";

/** Marker that keeps a captured directory entry alive when the snapshot is committed or archived. */
export const KEEP_FILE = ".kvm4nfv-keep";

export class RecordingFs implements HostFs {
  readonly reads = new Map<string, string>();
  readonly lists = new Map<string, string[]>();
  readonly existing = new Set<string>();

  constructor(private readonly inner: HostFs) {}

  get root(): string {
    return this.inner.root;
  }

  get live(): boolean {
    return this.inner.live;
  }

  read(path: string): string | undefined {
    const text = this.inner.read(path);
    if (text !== undefined) this.reads.set(norm(path), text);
    return text;
  }

  list(path: string): string[] | undefined {
    const names = this.inner.list(path);
    if (names !== undefined) this.lists.set(norm(path), names);
    return names;
  }

  readlink(path: string): string | undefined {
    return this.inner.readlink(path);
  }

  exists(path: string): boolean {
    const yes = this.inner.exists(path);
    if (yes) this.existing.add(norm(path));
    return yes;
  }

  resolve(path: string): string {
    return this.inner.resolve(path);
  }
}

function norm(path: string): string {
  return resolve("/", path);
}

export interface SaveResult {
  dir: string;
  files: number;
  bytes: number;
  /** the Host as read while capturing (what the snapshot reproduces) */
  host: Host;
}

/** Capture `fs` (normally the live machine) into `dir`, which must not exist yet or be empty. */
export function saveSnapshot(fs: HostFs, dir: string): SaveResult {
  const out = resolve(dir);
  if (existsSync(out)) {
    let entries: string[];
    try {
      entries = statSync(out).isDirectory() ? readdirSync(out) : ["(file)"];
    } catch {
      entries = ["(unreadable)"];
    }
    if (entries.length > 0) {
      throw new InputError("BAD_INPUT", `--save ${dir}: already exists and is not an empty directory`);
    }
  }
  const rec = new RecordingFs(fs);
  const host = readHost(rec);
  JSON.stringify(host); // every lazily read part of the Host, read now, so the snapshot holds its files
  const target = (p: string) => join(out, p);
  let files = 0;
  let bytes = 0;
  try {
    mkdirSync(out, { recursive: true });
    let keptProcess = false;
    for (const [path, text] of rec.reads) {
      // Process names only answer "is irqbalance running?": one process plus any irqbalance give the same
      // answer as every /proc/<pid>/comm, without putting the whole process list into the snapshot.
      if (/^\/proc\/\d+\/comm$/.test(path)) {
        if (keptProcess && text.trim() !== "irqbalance") continue;
        keptProcess = true;
      }
      const to = target(path);
      mkdirSync(dirname(to), { recursive: true });
      // *.gz: the text as read, packed again (readHost unpacks it the same way)
      writeFileSync(to, path.endsWith(".gz") ? gzipSync(text) : text);
      files++;
      bytes += Buffer.byteLength(text);
    }
    for (const [path, names] of rec.lists) {
      mkdirSync(target(path), { recursive: true });
      // Directory entries matter where readHost counts them (iommu_groups) or lists them (nodes, IRQs);
      // /proc itself is skipped: its pid directories come with their comm files.
      if (path === "/proc") continue;
      for (const name of names) {
        const sub = `${path}/${name}`;
        if (!existsSync(target(sub)) && isDirIn(fs, sub)) {
          mkdirSync(target(sub), { recursive: true });
          // git and tar drop empty directories, and the entry is what readHost counts (IOMMU groups, NICs).
          writeFileSync(join(target(sub), KEEP_FILE), "");
        }
      }
    }
    for (const path of rec.existing) {
      if (existsSync(target(path))) continue;
      mkdirSync(dirname(target(path)), { recursive: true });
      if (isDirIn(fs, path)) mkdirSync(target(path), { recursive: true });
      else writeFileSync(target(path), ""); // a device node or a root-only table: presence is what counts
    }
  } catch (err) {
    if (err instanceof Kvm4nfvError) throw err;
    throw new InputError("BAD_INPUT", `--save ${dir}: cannot write the snapshot: ${(err as Error).message}`);
  }
  return { dir: out, files, bytes, host };
}

/** A directory inside the source's root (a listed entry whose symlink leaves the root is not one). */
function isDirIn(fs: HostFs, path: string): boolean {
  try {
    return statSync(fs.resolve(path)).isDirectory();
  } catch {
    return false;
  }
}
