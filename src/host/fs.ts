/**
 * The filesystem seam: the machine is read (and, for apply, written) through a HostFs rooted at the live "/"
 * or at a snapshot directory that mirrors it. Later an SSH transport implements the same interface.
 *
 * Reads never throw: a missing or unreadable file is `undefined`, and the fact built from it is "unknown".
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
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

export class RootFs implements HostFs {
  readonly root: string;
  readonly live: boolean;

  constructor(root = "/") {
    this.root = resolve(root);
    this.live = this.root === "/";
  }

  resolve(path: string): string {
    // Never let a machine path escape the root ("/../../etc" stays inside the snapshot).
    const normalized = resolve("/", path);
    return this.live ? normalized : join(this.root, normalized);
  }

  read(path: string): string | undefined {
    try {
      const buf = readFileSync(this.resolve(path));
      return path.endsWith(".gz") ? gunzipSync(buf).toString("utf8") : buf.toString("utf8");
    } catch {
      return undefined;
    }
  }

  list(path: string): string[] | undefined {
    try {
      return readdirSync(this.resolve(path));
    } catch {
      return undefined;
    }
  }

  readlink(path: string): string | undefined {
    try {
      return readlinkSync(this.resolve(path));
    } catch {
      return undefined;
    }
  }

  exists(path: string): boolean {
    return existsSync(this.resolve(path));
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
