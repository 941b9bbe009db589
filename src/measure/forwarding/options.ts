/**
 * `kvm4nfv test forwarding`'s flags → options (every bad value is a UsageError before anything is built) and the
 * refusals (SR-IOV: no VF, or no wire to it; PVP/PVVP over the bare-metal bridge). The handler that runs, stores
 * and formats is src/app/forwarding.ts; the `run --with forwarding` job step (job.ts) uses these too.
 */
import { availableParallelism } from "node:os";
import { Kvm4nfvError, UsageError } from "../../errors.js";
import { openHostFs } from "../../host/fs.js";
import { formatCpuList, parseCpuList } from "../../host/parse/cpulist.js";
import { parseDuration } from "../../units.js";
import { parseSla } from "../sla.js";
import { MAX_FRAME, MIN_FRAME } from "./generator.js";
import type { ForwardingSla } from "./record.js";
import type { ForwardingOptions, Topology } from "./session.js";
import { chooseVf, sriovCannotRun } from "./sriov-vf.js";
import type { SwitchKind } from "./switches.js";

export interface ForwardingFlags {
  topology?: string;
  switch?: string;
  frameSizes?: string;
  duration?: string;
  rate?: string;
  cpus?: string;
  fwdMode?: string;
  latencyAt?: string;
  maxTrials?: string;
  sla?: string;
  store?: string;
  root?: string;
  json?: boolean;
}

export const DEFAULT_FRAME_SIZES = [64, 128, 256, 512, 1024, 1280, 1518];
const TOPOLOGIES: readonly Topology[] = ["phy2phy", "pvp", "pvvp"];
const SWITCHES: readonly (SwitchKind | "sriov")[] = ["testpmd", "ovs-dpdk", "sriov", "none"];

export function parseFrameSizes(text: string): number[] {
  const sizes = text.split(",").map((s) => s.trim());
  const out: number[] = [];
  for (const s of sizes) {
    if (!/^\d+$/.test(s))
      throw new UsageError(`--frame-sizes: "${s}" is not a frame size`, "e.g. 64,512,1518");
    const n = Number(s);
    if (n < MIN_FRAME || n > MAX_FRAME) {
      throw new UsageError(
        `--frame-sizes: ${n} is outside ${MIN_FRAME}…${MAX_FRAME} bytes`,
        "Ethernet frames, FCS included",
      );
    }
    if (out.includes(n)) throw new UsageError(`--frame-sizes: ${n} given twice`);
    out.push(n);
  }
  return out;
}

/** "20000", "20k", "1.5M", optionally followed by fps or pps → frames per second. */
export function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*(?:fps|pps)?\s*$/.exec(text);
  const mult = m ? ({ "": 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 } as Record<string, number>)[m[2]!]! : 0;
  const v = m ? Number(m[1]) * mult : 0;
  if (!m || !(v >= 1))
    throw new UsageError(`--rate "${text}" is not a frame rate`, "e.g. 20000, 20k or 1.5Mpps");
  return v;
}

/** "50%" or "0.5" → 0.5. */
export function parseShare(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : Number.NaN;
  if (!(v > 0 && v <= 1))
    throw new UsageError(`--latency-at "${text}" is not a share of the throughput`, "e.g. 50% or 0.9");
  return v;
}

/** "throughput=20000,avg=100,p99=300": a zero-loss floor (fps) plus the timer SLA's latency limits (µs). */
export function parseForwardingSla(spec: string): ForwardingSla {
  const parts = spec.split(",");
  const rest: string[] = [];
  let minThroughputPps: number | undefined;
  for (const p of parts) {
    const m = /^\s*throughput\s*=\s*(.+)$/.exec(p);
    if (m) minThroughputPps = parseRate(m[1]!);
    else rest.push(p);
  }
  return {
    latency: rest.length ? parseSla(rest.join(",")) : [],
    ...(minThroughputPps !== undefined ? { minThroughputPps } : {}),
  };
}

export function optionsFromFlags(
  flags: ForwardingFlags,
  onlineCpus = availableParallelism(),
): ForwardingOptions & { sla?: ForwardingSla } {
  const topology = (flags.topology ?? "phy2phy") as Topology;
  if (!TOPOLOGIES.includes(topology))
    throw new UsageError(
      `--topology "${flags.topology}" is not a topology`,
      `expected ${TOPOLOGIES.join(", ")}`,
    );
  const sw = (flags.switch ?? "testpmd") as SwitchKind | "sriov";
  if (!SWITCHES.includes(sw))
    throw new UsageError(`--switch "${flags.switch}" is not a switch`, `expected ${SWITCHES.join(", ")}`);
  const frameSizes = flags.frameSizes ? parseFrameSizes(flags.frameSizes) : DEFAULT_FRAME_SIZES;
  const durationMs = parseDuration(flags.duration ?? "10s");
  const durationS = Math.max(1, Math.round(durationMs / 1000));
  const fwdMode = flags.fwdMode ?? "io";
  if (fwdMode !== "io" && fwdMode !== "mac") throw new UsageError(`--fwd-mode "${fwdMode}" is not io or mac`);
  if (flags.fwdMode && sw !== "testpmd") throw new UsageError("--fwd-mode applies to --switch testpmd only");
  const all = Array.from({ length: onlineCpus }, (_, i) => i);
  const pmdCpus = flags.cpus ? parseCpuList(flags.cpus, "--cpus") : [onlineCpus - 1];
  for (const c of pmdCpus)
    if (!all.includes(c)) throw new UsageError(`--cpus: CPU ${c} does not exist (CPUs 0-${onlineCpus - 1})`);
  const mainCpu = all.find((c) => !pmdCpus.includes(c));
  if (mainCpu === undefined) {
    throw new UsageError(
      `--cpus ${formatCpuList(pmdCpus)} leaves no CPU for the main lcore and the generator`,
      "leave at least one CPU out",
    );
  }
  const serverCpu = all.find((c) => !pmdCpus.includes(c) && c !== mainCpu) ?? mainCpu;
  const maxTrials = flags.maxTrials ? Number(flags.maxTrials) : 6;
  if (!Number.isInteger(maxTrials) || maxTrials < 1 || maxTrials > 30)
    throw new UsageError(`--max-trials "${flags.maxTrials}" is not 1…30`);
  return {
    topology,
    switch: sw as SwitchKind,
    frameSizes,
    durationS,
    ...(flags.rate ? { ratePps: parseRate(flags.rate) } : {}),
    latencyShare: parseShare(flags.latencyAt ?? "50%"),
    pmdCpus,
    mainCpu,
    serverCpu,
    fwdMode,
    maxTrials,
    ...(flags.sla ? { sla: parseForwardingSla(flags.sla) } : {}),
  };
}

/** Refuse what cannot run here, with the reason, before anything is built. */
export function refusal(o: ForwardingOptions, root = "/"): Kvm4nfvError | null {
  if ((o.switch as string) === "sriov") {
    // The builder takes the VF (whole IOMMU group on vfio-pci) and its guest argv; neither exists to run here.
    try {
      return sriovCannotRun(chooseVf(openHostFs(root)));
    } catch (err) {
      if (err instanceof Kvm4nfvError) return err;
      throw err;
    }
  }
  if (o.topology !== "phy2phy" && o.switch === "none") {
    return new UsageError(
      `--topology ${o.topology} --switch none: the bare-metal baseline has no guest in its path`,
      "use --switch testpmd or ovs-dpdk for pvp/pvvp",
    );
  }
  if (o.topology !== "phy2phy" && o.fwdMode === "mac") {
    return new UsageError(
      `--topology ${o.topology} --fwd-mode mac: the guest's bridge would take frames addressed to its own ports`,
      "use --fwd-mode io (the default)",
    );
  }
  return null;
}
