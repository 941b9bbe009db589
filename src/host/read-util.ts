/** Tolerant readers shared by read.ts and read-runtime.ts: a missing or malformed file is null, never a throw. */
import type { HostFs } from "./fs.js";
import { parseCpuList, parseCpuMask } from "./parse/cpulist.js";
import { int, value } from "./parse/sysfs.js";

/** A cpulist file. Empty and the old kernels' "(null)" mean the empty set; unreadable or malformed is null. */
export function readCpuList(fs: HostFs, path: string): number[] | null {
  return cpuListOrNull(fs.read(path));
}

export function cpuListOrNull(text: string | undefined): number[] | null {
  if (text === undefined) return null;
  const t = text.trim();
  if (t === "" || t === "(null)") return [];
  try {
    return parseCpuList(t);
  } catch {
    return null;
  }
}

/** A hex CPU mask file ("00000000,000fffff"). */
export function readCpuMask(fs: HostFs, path: string): number[] | null {
  return cpuMaskOrNull(fs.read(path));
}

export function cpuMaskOrNull(text: string | undefined): number[] | null {
  if (text === undefined) return null;
  try {
    return parseCpuMask(text);
  } catch {
    return null;
  }
}

export function readValue(fs: HostFs, path: string): string | null {
  return value(fs.read(path));
}

export function readInt(fs: HostFs, path: string): number | null {
  return int(fs.read(path));
}

/** Directory entries matching a pattern with one numeric capture, as numbers, sorted. */
export function listNumbered(fs: HostFs, dir: string, pattern: RegExp): number[] {
  const out: number[] = [];
  for (const name of fs.list(dir) ?? []) {
    const m = pattern.exec(name);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/** hugepages-<size>kB/{nr,free}_hugepages under a directory, keyed by the size in KiB. */
export function readHugepages(fs: HostFs, dir: string): Record<string, { total: number; free: number }> {
  const out: Record<string, { total: number; free: number }> = {};
  for (const size of listNumbered(fs, dir, /^hugepages-(\d+)kB$/)) {
    const d = `${dir}/hugepages-${size}kB`;
    out[String(size)] = {
      total: readInt(fs, `${d}/nr_hugepages`) ?? 0,
      free: readInt(fs, `${d}/free_hugepages`) ?? 0,
    };
  }
  return out;
}
