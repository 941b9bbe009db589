/**
 * Choosing the real-time (isolated) CPUs: whole cores only, one NUMA node, CPU 0 and one core per node kept for the
 * kernel. The seeds isolated "NUMA node1 CPUs" (host-config numa_node=1) and kept node 0 for everything else; the
 * Performance Profile Creator works the same way (whole cores, NUMA cell by cell, odd counts rejected with SMT).
 */
import { InputError, UsageError } from "../errors.js";
import type { Host } from "../host/model.js";
import { formatCpuList } from "../host/parse/cpulist.js";

export interface CpuLayout {
  online: number[];
  /** node id → online CPUs */
  nodes: Map<number, number[]>;
  /** cpu → the CPUs of its core (itself included), online only */
  coreOf: Map<number, number[]>;
  threadsPerCore: number;
}

export interface CpuChoice {
  node: number;
  isolated: number[];
  housekeeping: number[];
}

export function cpuLayout(host: Host): CpuLayout {
  const topo = host.topology;
  let online = [...topo.online];
  if (online.length === 0) online = topo.cpus.filter((c) => c.online).map((c) => c.cpu);
  online.sort((a, b) => a - b);
  if (online.length === 0) {
    throw new InputError("BAD_SNAPSHOT", "the machine's online CPUs are unknown: cannot plan CPU isolation");
  }
  const onlineSet = new Set(online);
  const nodes = new Map<number, number[]>();
  for (const n of topo.numaNodes) {
    const cpus = (n.cpus ?? []).filter((c) => onlineSet.has(c));
    if (cpus.length > 0) nodes.set(n.id, cpus);
  }
  // A CPU the node lists do not place may still carry its own node (cpuN/nodeM); one with neither is refused:
  // RT CPUs and hugepages are never put on a node assumed for them.
  const placed = new Set([...nodes.values()].flat());
  const unknownNode: number[] = [];
  for (const c of online.filter((x) => !placed.has(x))) {
    const id = topo.cpus.find((e) => e.cpu === c)?.node;
    if (id === null || id === undefined) {
      unknownNode.push(c);
      continue;
    }
    nodes.set(
      id,
      [...(nodes.get(id) ?? []), c].sort((a, b) => a - b),
    );
  }
  if (unknownNode.length > 0) {
    throw new InputError(
      "BAD_SNAPSHOT",
      `the NUMA node of CPU ${formatCpuList(unknownNode)} is unknown (no /sys/devices/system/node/node*/cpulist, ` +
        "cpumap or cpuN/nodeM link places it): kvm4nfv will not place real-time CPUs or hugepages on an assumed node",
      "plan on the machine itself, or on a snapshot that includes /sys/devices/system/node (kvm4nfv inspect --save DIR)",
    );
  }
  const coreOf = new Map<number, number[]>();
  let threadsPerCore = 1;
  for (const c of online) {
    const entry = topo.cpus.find((e) => e.cpu === c);
    const sibs = (entry?.siblings ?? []).filter((s) => onlineSet.has(s));
    const core = [...new Set([c, ...sibs])].sort((a, b) => a - b);
    coreOf.set(c, core);
    threadsPerCore = Math.max(threadsPerCore, core.length);
  }
  return { online, nodes, coreOf, threadsPerCore };
}

/** CPU 0's core plus the first core of every node: the kernel, IRQs and the emulator need somewhere to run. */
export function reservedCpus(layout: CpuLayout): number[] {
  const reserved = new Set<number>(layout.coreOf.get(layout.online[0]!) ?? [layout.online[0]!]);
  for (const cpus of layout.nodes.values())
    for (const c of layout.coreOf.get(cpus[0]!) ?? []) reserved.add(c);
  return [...reserved].sort((a, b) => a - b);
}

function freeOn(layout: CpuLayout, node: number, reserved: Set<number>): number[] {
  return (layout.nodes.get(node) ?? []).filter((c) => !reserved.has(c));
}

function nodeOf(layout: CpuLayout, cpu: number): number | undefined {
  for (const [id, cpus] of layout.nodes) if (cpus.includes(cpu)) return id;
  return undefined;
}

function rest(layout: CpuLayout, isolated: number[]): number[] {
  const iso = new Set(isolated);
  return layout.online.filter((c) => !iso.has(c));
}

export function chooseCpus(
  host: Host,
  opts: { rtCpus?: number; cpus?: number[]; numaNode?: number },
): CpuChoice {
  const layout = cpuLayout(host);
  const reserved = reservedCpus(layout);
  const reservedSet = new Set(reserved);
  const nodeIds = [...layout.nodes.keys()].sort((a, b) => a - b);
  if (opts.numaNode !== undefined && !layout.nodes.has(opts.numaNode)) {
    throw new UsageError(
      `--numa-node ${opts.numaNode}: this machine has no such NUMA node (nodes: ${nodeIds.join(", ")})`,
    );
  }
  if ((opts.rtCpus === undefined) === (opts.cpus === undefined)) {
    throw new UsageError("give exactly one of --rt-cpus N or --cpus LIST");
  }
  if (opts.cpus !== undefined) return explicit(layout, opts.cpus, reservedSet, opts.numaNode);

  const n = opts.rtCpus!;
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--rt-cpus ${n}: expected a positive whole number`);
  const node = opts.numaNode ?? bestNode(layout, reservedSet);
  const free = freeOn(layout, node, reservedSet);
  if (layout.threadsPerCore > 1 && n % layout.threadsPerCore !== 0) {
    throw new UsageError(
      `--rt-cpus ${n}: SMT is on (${layout.threadsPerCore} threads per core), so the count must be a multiple of ` +
        `${layout.threadsPerCore}: a real-time CPU must not share its core with a non-real-time one`,
    );
  }
  if (free.length === 0) {
    throw new UsageError(`NUMA node ${node} has no CPU left after housekeeping (${formatCpuList(reserved)})`);
  }
  if (n > free.length) {
    throw new UsageError(
      `--rt-cpus ${n}: NUMA node ${node} has only ${free.length} CPUs (${formatCpuList(free)}) left after ` +
        `housekeeping CPUs ${formatCpuList(reserved)}`,
    );
  }
  // Take whole cores from the top of the node: the node's low CPUs stay with housekeeping, so both sets stay
  // contiguous ranges, as in the seeds' host_isolcpus.
  const cores: number[][] = [];
  const seen = new Set<number>();
  for (const c of [...free].reverse()) {
    if (seen.has(c)) continue;
    const core = layout.coreOf.get(c) ?? [c];
    for (const s of core) seen.add(s);
    if (core.every((s) => !reservedSet.has(s))) cores.push(core);
  }
  const isolated: number[] = [];
  for (const core of cores) {
    if (isolated.length >= n) break;
    isolated.push(...core);
  }
  if (isolated.length !== n) {
    throw new UsageError(`--rt-cpus ${n}: NUMA node ${node} cannot give ${n} CPUs as whole cores`);
  }
  isolated.sort((a, b) => a - b);
  return { node, isolated, housekeeping: rest(layout, isolated) };
}

/** Most free CPUs after housekeeping; ties go to the highest node id (the seeds used node 1 of 2). */
function bestNode(layout: CpuLayout, reserved: Set<number>): number {
  let best = -1;
  let bestFree = -1;
  for (const id of [...layout.nodes.keys()].sort((a, b) => a - b)) {
    const free = freeOn(layout, id, reserved).length;
    if (free >= bestFree) {
      best = id;
      bestFree = free;
    }
  }
  return best;
}

function explicit(layout: CpuLayout, cpus: number[], reserved: Set<number>, numaNode?: number): CpuChoice {
  if (cpus.length === 0) {
    throw new UsageError(
      "--cpus is empty: there must be at least one real-time CPU (never a bare isolcpus=)",
    );
  }
  const online = new Set(layout.online);
  const offline = cpus.filter((c) => !online.has(c));
  if (offline.length > 0) {
    throw new UsageError(`--cpus: CPU ${formatCpuList(offline)} is not an online CPU of this machine`);
  }
  const chosen = new Set(cpus);
  for (const c of cpus) {
    const core = layout.coreOf.get(c) ?? [c];
    const missing = core.filter((s) => !chosen.has(s));
    if (missing.length > 0) {
      throw new UsageError(
        `--cpus splits the core of CPU ${c} (siblings ${formatCpuList(core)}): add ${formatCpuList(missing)} or ` +
          `leave the whole core out`,
      );
    }
  }
  const kept = cpus.filter((c) => reserved.has(c));
  if (kept.length > 0) {
    throw new UsageError(
      `--cpus includes ${formatCpuList(kept)}, which stay housekeeping (CPU 0's core and the first core of ` +
        `every NUMA node: ${formatCpuList([...reserved])})`,
    );
  }
  const nodes = new Set(cpus.map((c) => nodeOf(layout, c)));
  if (nodes.size > 1) {
    throw new UsageError(
      `--cpus spans NUMA nodes ${[...nodes].join(" and ")}: real-time CPUs and the guest's memory must be on one node`,
    );
  }
  const node = [...nodes][0] ?? 0;
  if (numaNode !== undefined && node !== numaNode) {
    throw new UsageError(
      `--cpus ${formatCpuList(cpus)} is on NUMA node ${node}, not --numa-node ${numaNode}`,
    );
  }
  const isolated = [...chosen].sort((a, b) => a - b);
  return { node, isolated, housekeeping: rest(layout, isolated) };
}
