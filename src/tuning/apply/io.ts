/**
 * The write seam for apply/revert: real paths in (already resolved inside the root by HostFs.resolve), node:fs
 * underneath. Tests replace it to make one write fail the way sysfs does (EIO for a managed IRQ, EINVAL for a
 * rejected value, EACCES).
 *
 * Every open refuses a symlink in the last component (O_NOFOLLOW: the path was resolved, a link there now is a
 * swap) and never blocks (O_NONBLOCK: a FIFO planted in a snapshot answers at once and is refused).
 *
 * The directories above it are not walked again by path either: the parent is opened one component at a time,
 * each with O_DIRECTORY|O_NOFOLLOW through the previous one's /proc/self/fd entry (openat(2) without openat: the
 * kernel jumps to the open directory itself, it does not re-read the path), and the file is opened, renamed,
 * created or removed through the parent's entry. A directory swapped for a symlink between resolve and write is
 * refused there, never followed out of --root.
 */
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname } from "node:path";
import { InputError, Kvm4nfvError } from "../../errors.js";
import { READ_LIMITS, readBounded } from "../../host/fs.js";
import { crashPoint } from "./crash.js";

/** What revert must give back besides the bytes. */
export interface FileMeta {
  /** permission bits (incl. setuid/setgid/sticky) */
  mode: number;
  uid: number;
  gid: number;
}

/** The temp file a config write goes through; revert and the next apply remove a crash's leftover. */
export function tempPathOf(realPath: string): string {
  return `${realPath}.kvm4nfv-tmp`;
}

export interface WriteIo {
  /** Exact bytes, or undefined when the file does not exist. Non-regular or oversized files are refused. */
  readBytes(realPath: string): Buffer | undefined;
  /** Mode and owner of a regular file, or undefined when it does not exist. */
  meta(realPath: string): FileMeta | undefined;
  /** A kernel file: one write() of the whole value, no temp file (sysfs takes a value per write). */
  writeKernel(realPath: string, data: Buffer | string): void;
  /**
   * A config file: temp file, fsync, rename — a crash leaves the old or the new file, never half of one. The new
   * file gets `meta` (revert), else the old file's mode and owner, else 0644; the umask never changes it.
   */
  writeConfig(realPath: string, data: Buffer | string, meta?: FileMeta): void;
  /** chmod/chown a file whose bytes are already right (revert after a mode change). */
  setMeta(realPath: string, meta: FileMeta): void;
  unlink(realPath: string): void;
  mkdir(realPath: string): void;
  rmdir(realPath: string): void;
  exists(realPath: string): boolean;
}

const WRITE_NOFOLLOW = constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

const FD_DIR = "/proc/self/fd";
// Without a /proc (never on a Linux host kvm4nfv runs on) the paths are used as they are.
const HAVE_FD_DIR = existsSync(FD_DIR);
const DIR_NOFOLLOW = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Open directory `dir` (a resolved real path: it holds no symlink) one component at a time, each O_NOFOLLOW,
 * through the previous component's /proc/self/fd entry. A component that is now a symlink or a file is refused.
 */
function openDirNoFollow(dir: string, forPath: string): number {
  let fd = openSync("/", DIR_NOFOLLOW);
  const walked: string[] = [];
  try {
    for (const comp of dir.split("/").filter((c) => c !== "")) {
      walked.push(comp);
      let next: number;
      try {
        next = openSync(`${FD_DIR}/${fd}/${comp}`, DIR_NOFOLLOW);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ELOOP" || code === "ENOTDIR") {
          throw new InputError(
            "BAD_INPUT",
            `${forPath}: /${walked.join("/")} is no longer a directory (a symlink or a file took its place after the path was resolved): refused, nothing written`,
          );
        }
        throw err;
      }
      closeSync(fd);
      fd = next;
    }
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * Run `f` with the path of `p`'s last component as seen through its parent's open directory (and that
 * directory's fd, for fsync): every later open, rename or unlink of it goes to the directory that was checked.
 */
function inParent<T>(p: string, f: (at: (name: string) => string, dirFd: number | undefined) => T): T {
  if (!HAVE_FD_DIR) return f((name) => `${dirname(p)}/${name}`, undefined);
  const dfd = openDirNoFollow(dirname(p), p);
  try {
    return f((name) => `${FD_DIR}/${dfd}/${name}`, dfd);
  } finally {
    closeSync(dfd);
  }
}

function refuseNonRegular(fd: number, p: string): void {
  const st = fstatSync(fd);
  if (!st.isFile()) throw new InputError("BAD_INPUT", `${p} is not a regular file: refused, nothing written`);
}

function fsyncDir(dir: string): void {
  const dfd = openSync(dir, "r");
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

function removeIfPresent(p: string): void {
  try {
    lstatSync(p);
  } catch {
    return;
  }
  unlinkSync(p);
}

export const nodeIo: WriteIo = {
  readBytes(p) {
    try {
      return readBounded(p, READ_LIMITS.default, { noFollow: true, directoryIsMissing: true, expectReal: p });
    } catch (err) {
      if (err instanceof Kvm4nfvError) throw err;
      if ((err as NodeJS.ErrnoException).code === "ELOOP") {
        throw new InputError("BAD_INPUT", `${p} became a symlink after it was resolved: refused`);
      }
      return undefined;
    }
  },
  meta(p) {
    try {
      const st = lstatSync(p);
      return st.isFile() ? { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid } : undefined;
    } catch {
      return undefined;
    }
  },
  writeKernel(p, data) {
    // kernel files are never created: O_CREAT only matters for a snapshot, where the file exists too
    inParent(p, (at) => {
      const fd = openSync(at(basename(p)), constants.O_WRONLY | constants.O_TRUNC | WRITE_NOFOLLOW);
      try {
        refuseNonRegular(fd, p);
        writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
      } finally {
        closeSync(fd);
      }
    });
  },
  writeConfig(p, data, meta) {
    inParent(p, (at, dirFd) => writeConfigAt(p, at, dirFd, data, meta));
  },
  setMeta(p, meta) {
    inParent(p, (at) => {
      const here = at(basename(p));
      const st = lstatSync(here);
      if (!st.isFile()) throw new InputError("BAD_INPUT", `${p} is not a regular file: refused`);
      const fd = openSync(here, constants.O_RDONLY | WRITE_NOFOLLOW);
      try {
        if ((st.mode & 0o7777) !== meta.mode) fchmodSync(fd, meta.mode);
        if (st.uid !== meta.uid || st.gid !== meta.gid) fchownSync(fd, meta.uid, meta.gid);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    });
  },
  unlink(p) {
    inParent(p, (at) => unlinkSync(at(basename(p))));
  },
  mkdir(p) {
    inParent(p, (at) => mkdirSync(at(basename(p))));
  },
  rmdir(p) {
    inParent(p, (at) => rmdirSync(at(basename(p))));
  },
  exists(p) {
    try {
      statSync(p);
      return true;
    } catch {
      return false;
    }
  },
};

/** writeConfig through the parent directory `at` names (see inParent). */
function writeConfigAt(
  p: string,
  at: (name: string) => string,
  dirFd: number | undefined,
  data: Buffer | string,
  meta: FileMeta | undefined,
): void {
  const here = at(basename(p));
  let old: FileMeta | undefined;
  try {
    const st = lstatSync(here);
    if (!st.isFile())
      throw new InputError("BAD_INPUT", `${p} is not a regular file: refused, nothing written`);
    old = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (err) {
    if (err instanceof Kvm4nfvError) throw err;
    // a new file
  }
  const want = meta ?? old;
  const tmp = at(basename(tempPathOf(p)));
  removeIfPresent(tmp); // a crash's leftover, or something planted there: never written through
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | WRITE_NOFOLLOW, 0o600);
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    // explicit, so the umask never decides a config file's mode
    fchmodSync(fd, want?.mode ?? 0o644);
    if (want !== undefined) {
      const now = fstatSync(fd);
      if (now.uid !== want.uid || now.gid !== want.gid) fchownSync(fd, want.uid, want.gid);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    removeIfPresent(tmp);
    throw err;
  }
  closeSync(fd);
  crashPoint("config-tmp", true);
  renameSync(tmp, here);
  if (dirFd === undefined) fsyncDir(dirname(p));
  else fsyncSync(dirFd);
}

/** Remove a config write's leftover temp file (after a crash between its write and its rename). */
export function removeTemp(realPath: string): boolean {
  try {
    return inParent(realPath, (at) => {
      const tmp = at(basename(tempPathOf(realPath)));
      try {
        const st = lstatSync(tmp);
        if (!st.isFile() && !st.isSymbolicLink()) return false;
      } catch {
        return false;
      }
      unlinkSync(tmp);
      return true;
    });
  } catch (err) {
    // its directory is gone: no leftover to remove
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
