/**
 * A minimal cpio "newc" writer — the initramfs format the kernel unpacks. Written here (rather than piping
 * through cpio(1)) so the archive is byte-for-byte reproducible (fixed mtimes/inodes, sorted order): the
 * guest cache key and the per-run job archive both rely on that.
 */

export type CpioEntry =
  | { type: "dir"; path: string; mode?: number }
  | { type: "file"; path: string; data: Buffer | string; mode?: number }
  | { type: "symlink"; path: string; target: string }
  /** Device node: the kernel needs /dev/console in the archive to give /init its stdin/stdout. */
  | { type: "chardev"; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function pad4(len: number): Buffer {
  return Buffer.alloc((4 - (len % 4)) % 4);
}

function record(
  ino: number,
  mode: number,
  name: string,
  data: Buffer,
  rdev: [number, number] = [0, 0],
): Buffer[] {
  const nameBuf = Buffer.from(`${name}\0`, "utf8");
  const header =
    "070701" +
    [
      ino,
      mode,
      0,
      0,
      (mode & 0o170000) === S_IFDIR ? 2 : 1,
      0,
      data.length,
      0,
      0,
      rdev[0],
      rdev[1],
      nameBuf.length,
      0,
    ]
      .map(hex8)
      .join("");
  const head = Buffer.concat([Buffer.from(header, "ascii"), nameBuf]);
  return [head, pad4(head.length), data, pad4(data.length)];
}

/** Build an uncompressed newc archive. Paths are relative to the root ("bin/sh", not "/bin/sh"). */
export function buildCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, "");
    if (e.type === "dir") parts.push(...record(ino++, S_IFDIR | (e.mode ?? 0o755), name, Buffer.alloc(0)));
    else if (e.type === "file") {
      const data = typeof e.data === "string" ? Buffer.from(e.data, "utf8") : e.data;
      parts.push(...record(ino++, S_IFREG | (e.mode ?? 0o644), name, data));
    } else if (e.type === "chardev") {
      parts.push(...record(ino++, S_IFCHR | (e.mode ?? 0o600), name, Buffer.alloc(0), [e.major, e.minor]));
    } else parts.push(...record(ino++, S_IFLNK | 0o777, name, Buffer.from(e.target, "utf8")));
  }
  parts.push(...record(0, 0, "TRAILER!!!", Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/**
 * Append an uncompressed cpio to a (possibly compressed) initramfs. The kernel unpacks concatenated archives
 * in order; an uncompressed member must start 4-byte aligned, and it skips the zero padding in between.
 */
export function appendCpio(initrd: Buffer, extra: Buffer): Buffer {
  return Buffer.concat([initrd, pad4(initrd.length), extra]);
}
