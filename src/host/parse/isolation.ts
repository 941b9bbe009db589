/**
 * The CPU-isolation boot parameters read the way the kernel reads them, so that the audit says what the next
 * boot will really do (kernel/sched/isolation.c, kernel/rcu/tree_nocb.h, kernel/irq/irqdesc.c):
 *
 * - `isolcpus=[flag,]...<cpulist>`: leading alphabetic words are flags. `nohz` (tick/kernel noise, as
 *   nohz_full), `domain` (out of the scheduler domains: what "isolated" means) and `managed_irq` are known; an
 *   unknown word of letters and `_` is skipped ("Skipped unknown flag"), any other character makes the kernel
 *   ignore the whole parameter ("Invalid flag"). No flag at all means `domain`. With flags, only what they name
 *   is isolated: `isolcpus=managed_irq,2-5` leaves 2-5 in the scheduler domains.
 * - `nohz_full=<cpulist>`: a list the kernel cannot parse is ignored ("incorrect CPU range").
 * - `rcu_nocbs[=<cpulist>]`: bare, no CPU is offloaded at boot; a list it cannot parse offloads every CPU
 *   ("rcu_nocbs= bad CPU range, all CPUs set").
 * - `irqaffinity=<cpulist>`: the boot CPU is always added ("Set at least the boot cpu").
 */
import { type KernelCpuList, parseKernelCpuList } from "./cpulist.js";

export type IsolcpusFlag = "nohz" | "domain" | "managed_irq";

export interface Isolcpus {
  /** The value exactly as written on the cmdline. */
  written: string;
  /** Flags as written, in order (known and skipped ones). */
  flags: string[];
  /** Unknown flags the kernel skips. */
  skipped: string[];
  /** What the kernel isolates: the named flags, or `domain` alone when none is given. */
  effective: IsolcpusFlag[];
  /** The CPU list after the flags, parsed; not ok when the kernel ignores the parameter. */
  cpus: KernelCpuList;
}

const KNOWN: readonly IsolcpusFlag[] = ["nohz", "domain", "managed_irq"];

export function parseIsolcpus(value: string, lastCpu: number | null): Isolcpus {
  const flags: string[] = [];
  const skipped: string[] = [];
  let rest = value;
  // Flags are words that start with a letter and end at a comma, as the kernel's isalpha() loop reads them.
  while (/^[A-Za-z]/.test(rest)) {
    const comma = rest.indexOf(",");
    const word = comma < 0 ? rest : rest.slice(0, comma);
    if (!/^[A-Za-z_]+$/.test(word)) {
      return {
        written: value,
        flags: [...flags, word],
        skipped,
        effective: [],
        cpus: { ok: false, reason: `invalid flag "${word}": the kernel ignores the whole parameter` },
      };
    }
    flags.push(word);
    if (!(KNOWN as readonly string[]).includes(word) || comma < 0) skipped.push(word);
    rest = comma < 0 ? "" : rest.slice(comma + 1);
  }
  const named = KNOWN.filter((f) => flags.includes(f) && !skipped.includes(f));
  const effective: IsolcpusFlag[] = named.length === 0 ? ["domain"] : named;
  const cpus = parseKernelCpuList(rest, lastCpu);
  return { written: value, flags, skipped, effective, cpus };
}

/** nohz_full: the list, or why the kernel ignores it. */
export function parseNohzFull(value: string, lastCpu: number | null): KernelCpuList {
  return parseKernelCpuList(value, lastCpu);
}

/**
 * rcu_nocbs: `value` is "" for the bare flag. The offloaded CPUs at boot, with a note when the kernel's
 * reading differs from the text (a bad list offloads every CPU).
 */
export function parseRcuNocbs(
  value: string,
  possible: readonly number[] | null,
): { cpus: number[] | null; note: string | null } {
  if (value === "") return { cpus: [], note: "bare rcu_nocbs: no CPU is offloaded at boot" };
  const last = possible && possible.length > 0 ? Math.max(...possible) : null;
  const r = parseKernelCpuList(value, last);
  if (r.ok) return { cpus: r.cpus, note: null };
  if (r.unknownLast) return { cpus: null, note: r.reason };
  return {
    cpus: possible && possible.length > 0 ? [...possible] : null,
    note: `${r.reason}: the kernel offloads every CPU instead ("bad CPU range, all CPUs set")`,
  };
}

/** irqaffinity: the default IRQ affinity the kernel sets from it (the boot CPU, normally 0, always added). */
export function parseIrqaffinity(value: string, lastCpu: number | null, bootCpu = 0): KernelCpuList {
  const r = parseKernelCpuList(value, lastCpu);
  if (!r.ok) return r;
  return { ok: true, cpus: [...new Set([...r.cpus, bootCpu])].sort((a, b) => a - b) };
}
