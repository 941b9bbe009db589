/**
 * The filesystem seam: the machine is read (and, for apply, written) through a HostFs rooted at the live "/"
 * or at a snapshot directory that mirrors it. Later an SSH transport implements the same interface.
 *
 * Reads never throw for a missing or unreadable file (that is `undefined`, and the fact built from it is
 * "unknown"). They DO throw, naming the file, for what a hostile snapshot can plant: a symlink that leaves the root,
 * a FIFO/socket/device where the kernel gives a regular file, or a file far larger than any real one.
 */
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  statSync,
} from "node:fs";
import { join, posix, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { InputError } from "../errors.js";

export interface HostFs {
  /** Where this view of the machine comes from: "/" or the snapshot directory. */
  readonly root: string;
  /** True for the running machine (processes can be asked, tools can be run). */
  readonly live: boolean;
  /** File content as text, or undefined when missing/unreadable. Handles *.gz transparently. */
  read(path: string): string | undefined;
  /** Names in a directory (unsorted), or undefined when missing/unreadable. */
  list(path: string): string[] | undefined;
  /** Target of a symlink, or undefined. */
  readlink(path: string): string | undefined;
  exists(path: string): boolean;
  /** The real path on this machine for a machine path (for writers and for snapshot capture). */
  resolve(path: string): string;
}

const MiB = 1024 * 1024;

/**
 * The largest plausible size of each input. Real sysfs files are at most a page; /proc/cpuinfo is ~1.5 KiB a CPU and
 * /proc/interrupts ~21 KiB a CPU on a 112-CPU host (2.4 MB): the caps leave room for 8192 CPUs' worth of the common
 * ones and stop a planted 200 MB file before it costs seconds and hundreds of MB.
 */
export const READ_LIMITS = {
  default: 16 * MiB,
  interrupts: 64 * MiB,
  /** a decompressed /proc/config.gz (real ones are ~250 KiB) */
  gunzipped: 16 * MiB,
  /**
   * a tool output given to `results import`: a cyclictest --json of 1024 CPUs with 10000-bucket histograms is
   * ~60 MB (a real 4-CPU one with 1000 buckets is ~100 KB)
   */
  toolOutput: 128 * MiB,
} as const;

export function readLimitFor(path: string): number {
  return path === "/proc/interrupts" ? READ_LIMITS.interrupts : READ_LIMITS.default;
}

function kindOf(st: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isDirectory(): boolean;
}): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isDirectory()) return "a directory";
  return "not a regular file";
}

export interface BoundedReadOptions {
  /** the name the user knows the file by (default: the real path) */
  what?: string;
  /** a directory is `EISDIR` (an ordinary unreadable file) rather than a refusal */
  directoryIsMissing?: boolean;
  /** refuse a symlink as the last component (the caller resolved it already) */
  noFollow?: boolean;
  /**
   * The real path the open must have reached (a path resolved inside --root, its root's symlinks resolved too):
   * checked on the open file (/proc/self/fd), so a directory swapped for a symlink after the walk is refused
   * before a byte is read.
   */
  expectReal?: string;
}

/** Refuse an open file that is not where the walk said (a component swapped for a symlink since). */
function checkOpenedAt(fd: number, expected: string, what: string): void {
  let actual: string;
  try {
    actual = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return; // no /proc: nothing to check against
  }
  if (actual !== expected) {
    throw new InputError(
      "BAD_SNAPSHOT",
      `${what} led to ${actual} when opened, not to ${expected} where its path resolved (a directory on it was swapped for a symlink): refused`,
    );
  }
}

/**
 * Read a file that must be a regular one, without ever blocking and without reading more than `maxBytes`.
 * O_NONBLOCK makes a FIFO's open return at once (with no writer), fstat then refuses it; the size is capped by
 * counting what is read, never by stat (/proc and /sys files report size 0). Missing or unreadable: the errno
 * error is thrown as is (callers map it to "unknown"); refused: an InputError naming the file.
 */
export function readBounded(realPath: string, maxBytes: number, options: BoundedReadOptions = {}): Buffer {
  const what = options.what ?? realPath;
  const flags =
    constants.O_RDONLY |
    constants.O_NONBLOCK |
    constants.O_NOCTTY |
    (options.noFollow ? constants.O_NOFOLLOW : 0);
  const fd = openSync(realPath, flags);
  try {
    if (options.expectReal !== undefined) checkOpenedAt(fd, options.expectReal, what);
    const st = fstatSync(fd);
    if (!st.isFile()) {
      if (st.isDirectory() && options.directoryIsMissing) {
        throw Object.assign(new Error(`EISDIR: ${realPath}`), { code: "EISDIR" });
      }
      throw new InputError("BAD_INPUT", `${what} is ${kindOf(st)}, not a regular file: refused`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    // Every read lands in one shared scratch buffer and only what was read is copied out: a fresh buffer per
    // read (the first sized by stat, then 1 MiB for the read that finds the end) cost a 112-CPU host's ~8000
    // small files ~8 GB of allocations and a garbage collection every few files.
    for (;;) {
      const want = Math.min(SCRATCH_BYTES, maxBytes + 1 - total);
      const n = readSync(fd, scratch(), 0, want, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) {
        throw new InputError(
          "BAD_INPUT",
          `${what} is larger than ${formatBytes(maxBytes)}, more than any real one: refused`,
        );
      }
      chunks.push(Buffer.from(scratch().subarray(0, n)));
      // a file on disk (a snapshot's) holds what stat says, as readFileSync assumes; /proc and /sys files say
      // 0 or 4096 whatever they hold and are read to the end
      if (total === st.size) break;
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

const SCRATCH_BYTES = 1 * MiB;
let scratchBuffer: Buffer | undefined;
/** The one read buffer (reads are synchronous, so nothing else can hold it between a read and its copy). */
function scratch(): Buffer {
  scratchBuffer ??= Buffer.allocUnsafe(SCRATCH_BYTES);
  return scratchBuffer;
}

export function formatBytes(n: number): string {
  return n >= MiB && n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`;
}

/** Symlinks followed in one resolution before it is called a loop (the kernel's limit is 40). */
const MAX_LINKS = 40;

export interface ResolveOptions {
  /** Follow a symlink in the last component (default true: read or write the file it points to). */
  followLast?: boolean;
}

/**
 * Where machine path `path` lives under the real directory `root`, resolved component by component as the kernel
 * walks a path: every symlink is read and followed, and each one must stay inside the root. A relative target is
 * taken from the link's directory; an absolute target is followed only when it names a place inside the root's
 * real path. A link that leads out (`../../..` past the root, `/etc/passwd`) or loops is refused, naming the link.
 * Components that do not exist yet are appended as they are (apply creates them, inside the root).
 *
 * Under root "/" nothing can leave; the walk still runs so a writer lands on a symlink's target (a config file
 * that is a symlink stays one).
 */
export function resolveInRoot(root: string, path: string, options: ResolveOptions = {}): string {
  if (path.includes("\0"))
    throw new InputError("BAD_INPUT", `path ${JSON.stringify(path)} contains a NUL byte`);
  const base = root === "/" ? "" : root.replace(/\/+$/, "");
  // The path as given is a machine path: ".." clamps at "/" (a plan's paths are checked for ".." before this).
  const pending = posix
    .resolve("/", path)
    .split("/")
    .filter((c) => c !== "");
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const comp = pending.shift()!;
    if (comp === ".") continue;
    if (comp === "..") {
      // only symlink targets bring ".." here (the path itself was normalized)
      if (done.length === 0) {
        if (base === "") continue;
        throw escapes(root, path, "climbs above the root");
      }
      done.pop();
      continue;
    }
    const here = `${base}/${[...done, comp].join("/")}`;
    let isLink = false;
    try {
      isLink = lstatSync(here).isSymbolicLink();
    } catch {
      // does not exist (yet): nothing below it can be a symlink
      done.push(comp, ...pending.filter((c) => c !== "."));
      // a ".." after a missing component is resolved lexically, still never above the root
      return `${base}/${normalizeInside(root, path, done)}`.replace(/^$/, "/");
    }
    if (!isLink || (pending.length === 0 && options.followLast === false)) {
      done.push(comp);
      continue;
    }
    if (++links > MAX_LINKS)
      throw new InputError("BAD_INPUT", `${join(root, path)}: too many levels of symlinks (a loop): refused`);
    const target = readlinkSync(here);
    if (target.startsWith("/")) {
      const inside = base === "" ? target : insideRoot(base, target);
      if (inside === undefined) {
        throw escapes(root, path, `has a symlink ${here} -> ${target} that leaves the root`);
      }
      done.length = 0;
      pending.unshift(...inside.split("/").filter((c) => c !== ""));
    } else {
      pending.unshift(...target.split("/").filter((c) => c !== ""));
    }
  }
  return base === "" ? `/${done.join("/")}` : `${base}/${done.join("/")}`.replace(/\/$/, "");
}

/** `target` (absolute) relative to `base` when it lies inside it (its real path or the path as given). */
function insideRoot(base: string, target: string): string | undefined {
  const norm = posix.resolve(target);
  for (const b of new Set([base, safeRealpath(base)])) {
    if (norm === b) return "/";
    if (norm.startsWith(`${b}/`)) return norm.slice(b.length);
  }
  return undefined;
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function normalizeInside(root: string, path: string, comps: string[]): string {
  const out: string[] = [];
  for (const c of comps) {
    if (c === "..") {
      if (out.length === 0 && root !== "/") throw escapes(root, path, "climbs above the root");
      out.pop();
    } else if (c !== ".") out.push(c);
  }
  return out.join("/");
}

function escapes(root: string, path: string, why: string): InputError {
  return new InputError(
    "BAD_SNAPSHOT",
    `${join(root, path)} ${why}: refused (every path under --root ${root} must stay inside it)`,
  );
}

export class RootFs implements HostFs {
  readonly root: string;
  readonly live: boolean;

  /** The root with its own symlinks resolved: what an open file's /proc/self/fd link starts with. */
  private readonly rootReal: string;

  constructor(root = "/") {
    this.root = resolve(root);
    this.live = this.root === "/";
    this.rootReal = this.live ? "/" : safeRealpath(this.root);
  }

  /** The real path, contained in the root (throws an InputError for a symlink that leaves it). */
  resolve(path: string): string {
    // from the root's real path: what is returned holds no symlink at all, so a writer can walk it with
    // O_NOFOLLOW (apply/io.ts) and a reader can check it against the open file
    return resolveInRoot(this.rootReal, path);
  }

  /** A snapshot's directories already walked (path as given → real path inside the root), for where(). */
  private readonly dirs = new Map<string, string>();

  /**
   * For reads: the kernel resolves live paths itself; a snapshot's are walked and contained. The walk of each
   * directory is kept, so a big host's ~1000 files under a few directories cost one lstat each, not one per
   * component; a last component that is a symlink takes the whole walk again.
   */
  private where(path: string): string {
    const abs = posix.resolve("/", path);
    if (this.live) return abs;
    const here = this.inWalkedDir(abs);
    if (here === undefined) return this.resolve(abs);
    try {
      if (!lstatSync(here).isSymbolicLink()) return here;
    } catch {
      return here;
    }
    return this.resolve(abs);
  }

  /** A snapshot path's last component below its walked (contained) parent directory; undefined for "/". */
  private inWalkedDir(abs: string): string | undefined {
    const slash = abs.lastIndexOf("/");
    const name = abs.slice(slash + 1);
    if (name === "") return undefined;
    const real = this.walkedDir(abs.slice(0, slash) || "/");
    return `${real === "/" ? "" : real}/${name}`;
  }

  /**
   * A snapshot directory's real path, walked from its parent's (kept): one lstat for a directory whose parent
   * was walked before (a 112-CPU host's cpuN/cpufreq directories), the whole walk only through a symlink.
   */
  private walkedDir(dir: string): string {
    if (dir === "/") return this.rootReal;
    const known = this.dirs.get(dir);
    if (known !== undefined) return known;
    const slash = dir.lastIndexOf("/");
    const here = `${this.walkedDir(dir.slice(0, slash) || "/")}/${dir.slice(slash + 1)}`;
    let real = here;
    try {
      if (lstatSync(here).isSymbolicLink()) real = this.resolve(dir);
    } catch {
      // missing: resolved lexically, never kept (a directory created later is walked then)
      return this.resolve(dir);
    }
    // only a directory that exists now: one created later is walked then
    if (real === here || existsSync(real)) this.dirs.set(dir, real);
    return real;
  }

  /**
   * A snapshot file is opened O_NOFOLLOW below its walked directory (no lstat first): only when its last
   * component is a symlink (ELOOP) is the whole path walked and the link's contained target read. Live paths
   * are the kernel's own (/proc/self, …): opened as given.
   */
  private readReal(path: string): Buffer {
    const options = { what: this.shown(path), directoryIsMissing: true };
    const abs = posix.resolve("/", path);
    if (this.live) return readBounded(abs, readLimitFor(path), options);
    // the walk is checked on the open file (expectReal): a directory swapped for a symlink since is refused
    const here = this.inWalkedDir(abs);
    if (here !== undefined) {
      try {
        return readBounded(here, readLimitFor(path), { ...options, noFollow: true, expectReal: here });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ELOOP") throw err;
      }
    }
    const real = this.resolve(abs);
    return readBounded(real, readLimitFor(path), { ...options, expectReal: real });
  }

  private shown(path: string): string {
    return this.live ? posix.resolve("/", path) : join(this.root, posix.resolve("/", path));
  }

  read(path: string): string | undefined {
    let buf: Buffer;
    try {
      buf = this.readReal(path);
    } catch (err) {
      if (err instanceof InputError) throw err;
      return undefined;
    }
    if (!path.endsWith(".gz")) return buf.toString("utf8");
    try {
      return gunzipSync(buf, { maxOutputLength: READ_LIMITS.gunzipped }).toString("utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError) {
        throw new InputError(
          "BAD_INPUT",
          `${this.shown(path)} unpacks to more than ${formatBytes(READ_LIMITS.gunzipped)}: refused`,
        );
      }
      return undefined;
    }
  }

  list(path: string): string[] | undefined {
    const real = this.where(path);
    try {
      return readdirSync(real);
    } catch {
      return undefined;
    }
  }

  readlink(path: string): string | undefined {
    try {
      return readlinkSync(
        this.live ? posix.resolve("/", path) : resolveInRoot(this.rootReal, path, { followLast: false }),
      );
    } catch (err) {
      if (err instanceof InputError) throw err;
      return undefined;
    }
  }

  exists(path: string): boolean {
    const real = this.where(path);
    try {
      statSync(real);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Open the live machine (no root given) or a snapshot directory. A directory that is not a snapshot
 * (no proc/ or sys/ with CPU information) is refused with one clear line.
 */
export function openHostFs(root?: string): HostFs {
  if (root === undefined || resolve(root) === "/") return new RootFs("/");
  const dir = resolve(root);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new InputError("BAD_SNAPSHOT", `--root ${root}: no such directory`);
  }
  if (!isDir) throw new InputError("BAD_SNAPSHOT", `--root ${root}: not a directory`);
  const fs = new RootFs(dir);
  if (!fs.exists("/proc/cpuinfo") && !fs.exists("/sys/devices/system/cpu")) {
    throw new InputError(
      "BAD_SNAPSHOT",
      `--root ${root} is not a snapshot: it has neither proc/cpuinfo nor sys/devices/system/cpu`,
      "make one with: kvm4nfv inspect --save DIR",
    );
  }
  return fs;
}
