/**
 * The write seam for apply/revert: real paths in, node:fs underneath. Tests replace it to make one write fail the
 * way sysfs does (EIO for a managed IRQ, EINVAL for a rejected value, EACCES).
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

export interface WriteIo {
  /** Exact bytes, or undefined when the file does not exist. */
  readBytes(realPath: string): Buffer | undefined;
  /** A kernel file: one write() of the whole value, no temp file (sysfs takes a value per write). */
  writeKernel(realPath: string, data: Buffer | string): void;
  /** A config file: temp file, fsync, rename — a crash leaves the old or the new file, never half of one. */
  writeConfig(realPath: string, data: Buffer | string): void;
  unlink(realPath: string): void;
  mkdir(realPath: string): void;
  rmdir(realPath: string): void;
  exists(realPath: string): boolean;
}

export const nodeIo: WriteIo = {
  readBytes(p) {
    try {
      return readFileSync(p);
    } catch {
      return undefined;
    }
  },
  writeKernel(p, data) {
    const fd = openSync(p, "w");
    try {
      writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    } finally {
      closeSync(fd);
    }
  },
  writeConfig(p, data) {
    let mode = 0o644;
    try {
      mode = statSync(p).mode & 0o7777;
    } catch {
      // a new file
    }
    const tmp = `${p}.kvm4nfv-tmp`;
    const fd = openSync(tmp, "w", mode);
    try {
      writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, p);
    const dfd = openSync(dirname(p), "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  },
  unlink(p) {
    unlinkSync(p);
  },
  mkdir(p) {
    mkdirSync(p);
  },
  rmdir(p) {
    rmdirSync(p);
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
