/**
 * The one RT-CPU resolver: which CPUs are the real-time ones, for `check` (what to audit), `test timer` (what to
 * measure) and the guest timer (where vCPU 1 runs). Order: --cpus (validated against the online CPUs), then what
 * the machine says — the kernel cmdline's isolcpus / nohz_full and the running kernel's isolated set, in the order
 * the caller's policy prefers —, then the caller's fallback: none (check reports that) or the last online CPU
 * (a measurement must run somewhere).
 */
import { InputError, UsageError } from "../errors.js";
import type { HostFs } from "../host/fs.js";
import type { Host } from "../host/model.js";
import { parseCmdline } from "../host/parse/cmdline.js";
import { formatCpuList, parseCpuList, subtract } from "../host/parse/cpulist.js";
import { paramCpus } from "./rules/helpers.js";
import type { RtCpusSource } from "./rules/types.js";

/** What the resolver needs to know about a machine (from a Host, or three files read through a HostFs). */
export interface RtCpuFacts {
  /** online CPUs; empty when unknown */
  online: number[];
  /** /sys/devices/system/cpu/isolated: what this boot isolated; null when unreadable */
  isolated: number[] | null;
  kernel: Pick<Host["kernel"], "cmdline" | "params">;
  /** possible CPUs: what `N` means in a cmdline CPU list; empty when unknown */
  possible: number[];
}

export interface RtCpuPolicy {
  /** "cmdline": audit what the cmdline asks for (check); "running": measure what this boot isolated (timer) */
  prefer: "cmdline" | "running";
  fallback: "none" | "last-online";
}

export type ResolvedSource = RtCpusSource | "isolated" | "last-online";

export function rtFactsOf(host: Host): RtCpuFacts {
  const online =
    host.topology.online.length > 0
      ? host.topology.online
      : host.topology.cpus.filter((c) => c.online).map((c) => c.cpu);
  return { online, isolated: host.runtime.isolated, kernel: host.kernel, possible: host.topology.possible };
}

/** The three small files the resolver needs, for callers that do not read a whole Host (the timer test). */
export function readRtFacts(fs: HostFs): RtCpuFacts {
  const onlineText = fs.read("/sys/devices/system/cpu/online");
  const online = onlineText === undefined ? [] : parseCpuList(onlineText, "online CPU list");
  const isolatedText = fs.read("/sys/devices/system/cpu/isolated");
  const isolated =
    isolatedText === undefined || isolatedText.trim() === "(null)"
      ? isolatedText === undefined
        ? null
        : []
      : parseCpuList(isolatedText, "isolated CPU list");
  const cmdline = fs.read("/proc/cmdline")?.trim() ?? null;
  const possibleText = fs.read("/sys/devices/system/cpu/possible");
  return {
    online,
    isolated,
    kernel: { cmdline, params: cmdline === null ? {} : parseCmdline(cmdline).params },
    possible: possibleText === undefined ? [] : parseCpuList(possibleText, "possible CPU list"),
  };
}

/** --cpus as given (a cpulist string or parsed numbers), sorted, every CPU online. */
function requestedCpus(facts: RtCpuFacts, requested: string | readonly number[]): number[] {
  const list =
    typeof requested === "string"
      ? parseCpuList(requested, "--cpus")
      : [...new Set(requested)].sort((a, b) => a - b);
  if (list.length === 0) {
    throw new UsageError("--cpus is empty", "give the RT CPUs as a cpulist, e.g. --cpus 2-5");
  }
  const missing = facts.online.length === 0 ? [] : subtract(list, facts.online);
  if (missing.length > 0) {
    const given = typeof requested === "string" ? requested : formatCpuList(list);
    throw new InputError(
      "BAD_CPULIST",
      `--cpus ${given}: CPU ${formatCpuList(missing)} is not online ` +
        `(this machine has no online CPU ${formatCpuList(missing)}; online: ${formatCpuList(facts.online)})`,
    );
  }
  return list;
}

export function resolveRtCpus(
  facts: RtCpuFacts,
  requested: string | readonly number[] | undefined,
  policy: RtCpuPolicy,
): { rtCpus: number[]; rtCpusSource: ResolvedSource } {
  if (requested !== undefined && (typeof requested === "string" || requested.length > 0)) {
    return { rtCpus: requestedCpus(facts, requested), rtCpusSource: "--cpus" };
  }
  const fromCmdline = () => {
    for (const key of ["isolcpus", "nohz_full"] as const) {
      // the rules' reading of the cmdline (flags, N, all), on the few facts it needs
      const host = {
        kernel: facts.kernel,
        topology: { possible: facts.possible, online: facts.online, cpus: [] },
      } as unknown as Host;
      const v = paramCpus(host, key);
      if (Array.isArray(v) && v.length > 0) return { rtCpus: v, rtCpusSource: key };
    }
    return null;
  };
  const fromRunning = () =>
    facts.isolated !== null && facts.isolated.length > 0
      ? { rtCpus: facts.isolated, rtCpusSource: "isolated" as const }
      : null;
  const found = policy.prefer === "cmdline" ? fromCmdline() : (fromRunning() ?? fromCmdline());
  if (found !== null) return found;
  if (policy.fallback === "last-online") {
    const last = facts.online[facts.online.length - 1];
    if (last === undefined) throw new InputError("BAD_INPUT", "cannot read the online CPUs; pass --cpus");
    return { rtCpus: [last], rtCpusSource: "last-online" };
  }
  return { rtCpus: [], rtCpusSource: "none" };
}
