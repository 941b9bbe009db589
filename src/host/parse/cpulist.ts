/**
 * CPU lists ("0-3,8,10-11") and hex CPU masks ("00000000,0000ff0f") — the kernel's two spellings of a CPU set.
 * This is the project's only parser for either; everything else converts through here.
 */
import { InputError } from "../../errors.js";

/** The kernel's largest CONFIG_NR_CPUS (x86 MAXSMP): no CPU number is above it, and nothing loops to 2^32. */
export const MAX_CPU = 8191;

/** Parse a kernel cpulist strictly. Empty (or only whitespace) means the empty set. Result is sorted, unique. */
export function parseCpuList(text: string, what = "cpulist"): number[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const out = new Set<number>();
  for (const part of trimmed.split(",")) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?$/.exec(part.trim());
    if (!m) throw bad(what, text, part === "" ? "an empty element" : `"${part}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw bad(what, text, `the range "${part}" goes backwards`);
    if (hi > MAX_CPU)
      throw bad(what, text, `CPU ${hi} is above ${MAX_CPU}, the most a Linux kernel supports`);
    // The kernel's "a-b:used/group" form: in each group of `group` CPUs, the first `used`.
    const used = m[3] === undefined ? 1 : Number(m[3]);
    const group = m[4] === undefined ? 1 : Number(m[4]);
    if (group === 0 || used > group) throw bad(what, text, `"${part}" has an impossible stride`);
    for (let base = lo; base <= hi; base += group) {
      for (let k = 0; k < used && base + k <= hi; k++) out.add(base + k);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** What the kernel makes of a cmdline CPU list: the CPUs, or why it rejects (or cannot be read). */
export type KernelCpuList =
  | { ok: true; cpus: number[] }
  | {
      ok: false;
      reason: string /** true when the list is fine but "N"/"all" needs the last CPU, unknown here */;
      unknownLast?: boolean;
    };

/**
 * A cpulist as the kernel's bitmap_parselist() reads a boot parameter (Documentation/admin-guide/
 * kernel-parameters.rst "cpu lists"): comma-separated `a`, `a-b` and `a-b:used/group`, where any number may be
 * `N` (the last CPU, nr_cpu_ids - 1) and the case-insensitive group name `all` means `0-N`.
 * `lastCpu` is the highest possible CPU (null when unknown). Never throws: the host is audited, not trusted.
 */
export function parseKernelCpuList(text: string, lastCpu: number | null): KernelCpuList {
  const t = text.trim();
  if (t === "") return { ok: false, reason: "an empty CPU list" };
  const out = new Set<number>();
  let needsLast = false;
  const num = (s: string): number | null => {
    if (s === "N") {
      needsLast = true;
      return lastCpu;
    }
    return /^\d+$/.test(s) ? Number(s) : Number.NaN;
  };
  for (const part of t.split(",")) {
    const m = /^(all|[0-9]+|N)(?:-([0-9]+|N))?(?::([0-9]+)\/([0-9]+))?$/i.exec(part);
    if (!m || (m[2] !== undefined && /^all$/i.test(m[1]!))) {
      return {
        ok: false,
        reason: part === "" ? "an empty element" : `"${part}" is not a CPU, range or group`,
      };
    }
    let lo: number | null;
    let hi: number | null;
    if (/^all$/i.test(m[1]!)) {
      needsLast = true;
      lo = 0;
      hi = lastCpu;
    } else {
      if (m[1] === "n") return { ok: false, reason: `"${part}": only a capital N means the last CPU` };
      lo = num(m[1]!);
      hi = m[2] === undefined ? lo : num(m[2]);
    }
    if (lo === null || hi === null) continue;
    if (Number.isNaN(lo) || Number.isNaN(hi))
      return { ok: false, reason: `"${part}" is not a CPU, range or group` };
    if (hi < lo) return { ok: false, reason: `the range "${part}" goes backwards` };
    const used = m[3] === undefined ? 1 : Number(m[3]);
    const group = m[4] === undefined ? 1 : Number(m[4]);
    if (group === 0 || used === 0 || used > group)
      return { ok: false, reason: `"${part}" has an impossible group` };
    for (let base = lo; base <= hi; base += group) {
      for (let k = 0; k < used && base + k <= hi; k++) out.add(base + k);
    }
  }
  if (needsLast && lastCpu === null) {
    return {
      ok: false,
      reason: '"N"/"all" name the last CPU, and the possible CPUs are unknown',
      unknownLast: true,
    };
  }
  return { ok: true, cpus: [...out].sort((a, b) => a - b) };
}

function bad(what: string, text: string, detail: string): InputError {
  return new InputError(
    "BAD_CPULIST",
    `malformed ${what} "${text}": ${detail}`,
    'expected CPU numbers and ascending ranges separated by commas, e.g. "2-5,8"',
  );
}

/** Format a set of CPUs as the shortest kernel cpulist ("0-3,8"). */
export function formatCpuList(cpus: Iterable<number>): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i]!;
    parts.push(start === end ? `${start}` : `${start}-${end}`);
    i++;
  }
  return parts.join(",");
}

/**
 * Parse a hex CPU mask as the kernel prints it: 32-bit groups separated by commas, most significant first,
 * any number of leading zeros ("00000000,00000003" and "3" are the same set).
 */
export function parseCpuMask(text: string, what = "CPU mask"): number[] {
  const cleaned = text.trim().replace(/^0x/i, "");
  if (cleaned === "") return [];
  const groups = cleaned.split(",");
  const cpus: number[] = [];
  let bitBase = 0;
  for (let g = groups.length - 1; g >= 0; g--) {
    const group = groups[g]!;
    if (!/^[0-9a-fA-F]+$/.test(group)) {
      throw new InputError(
        "BAD_INPUT",
        `malformed ${what} "${text}"`,
        'expected hex digits, e.g. "ff" or "0000,000f"',
      );
    }
    // Groups are 32 bits when comma-separated; a single long group is read nibble by nibble.
    const width = groups.length > 1 ? 32 : group.length * 4;
    for (let n = 0; n < group.length; n++) {
      const nibble = Number.parseInt(group[group.length - 1 - n]!, 16);
      for (let b = 0; b < 4; b++) if (nibble & (1 << b)) cpus.push(bitBase + n * 4 + b);
    }
    bitBase += width;
  }
  return cpus.sort((a, b) => a - b);
}

/** Format a set of CPUs as a kernel hex mask with 32-bit comma groups ("ff,00000000"), no leading zero groups. */
export function formatCpuMask(cpus: Iterable<number>): string {
  const list = [...new Set(cpus)];
  if (list.length === 0) return "0";
  const max = Math.max(...list);
  const groups: number[] = new Array(Math.floor(max / 32) + 1).fill(0);
  for (const c of list) groups[Math.floor(c / 32)]! |= 1 << (c % 32);
  const hex = groups.reverse().map((g, i) => {
    const h = (g >>> 0).toString(16);
    return i === 0 ? h : h.padStart(8, "0");
  });
  return hex.join(",");
}

/** Same set? (order and duplicates ignored) */
export function sameCpus(a: readonly number[], b: readonly number[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size !== sb.size) return false;
  for (const x of sa) if (!sb.has(x)) return false;
  return true;
}

export function intersect(a: readonly number[], b: readonly number[]): number[] {
  const sb = new Set(b);
  return a.filter((x) => sb.has(x));
}

export function subtract(a: readonly number[], b: readonly number[]): number[] {
  const sb = new Set(b);
  return a.filter((x) => !sb.has(x));
}
