/**
 * The rest of the seeds' BIOS list (seed 003 §2.1.1 "BIOS Setup"): what the OS can infer is checked (NUMA
 * Optimized shows as one node per socket, Cluster-on-Die as more nodes than sockets, Execute Disable as the
 * nx flag); what it cannot (memory RAS and scrubbing, TXT) is `unknown` with the setting to look for.
 * Like every platform rule: n/a for a guest or inside a VM.
 */
import { fail, P, pass, physical, SRC, unknown, warn, x86Only } from "./helpers.js";
import type { Rule, RuleContext } from "./types.js";

/** NUMA nodes that hold CPUs: a memory-only node (CXL, HBM, a POWER LPAR's) splits no socket. */
function cpuNodes(ctx: RuleContext): number {
  return ctx.host.topology.numaNodes.filter((n) => n.cpus === null || n.cpus.length > 0).length;
}

function nodeEvidence(ctx: RuleContext): string {
  const { sockets, numaNodes } = ctx.host.topology;
  const memOnly = numaNodes.length - cpuNodes(ctx);
  return (
    `/sys/devices/system/node: ${numaNodes.length} NUMA node(s)` +
    (memOnly > 0 ? ` (${memOnly} without CPUs)` : "") +
    ` on ${sockets} socket(s)`
  );
}

const numaOptimized: Rule = {
  id: "platform.bios.numa-optimized",
  area: "platform",
  title: "NUMA exposed to the OS (NUMA Optimized enabled)",
  roles: ["host", "guest"],
  source: `${SRC.bios} (NUMA Optimized <Enabled>); seed 003 §2.1.1 CPU Topology`,
  check(ctx) {
    const expected = "one NUMA node per socket at least";
    return physical(ctx, expected, () =>
      x86Only(ctx, "the NUMA Optimized BIOS setting", expected, () => {
        const { sockets, numaNodes } = ctx.host.topology;
        const evidence = nodeEvidence(ctx);
        if (sockets === 0 || numaNodes.length === 0) return unknown(evidence, expected);
        if (sockets > 1 && cpuNodes(ctx) < sockets) {
          return fail(
            `${evidence}: memory is interleaved across sockets`,
            expected,
            "in the BIOS set NUMA Optimized <Enabled> (memory interleaving off)",
            true,
          );
        }
        return pass(evidence, expected);
      }),
    );
  },
};

const clusterOnDie: Rule = {
  id: "platform.bios.cluster-on-die",
  area: "platform",
  title: "Cluster-on-Die / sub-NUMA clustering disabled",
  roles: ["host", "guest"],
  source: `${SRC.bios} (Cluster-on-Die <Disabled>)`,
  check(ctx) {
    const expected = "as many NUMA nodes as sockets";
    return physical(ctx, expected, () =>
      x86Only(ctx, "the Cluster-on-Die BIOS setting", expected, () => {
        const { sockets, numaNodes } = ctx.host.topology;
        const evidence = nodeEvidence(ctx);
        if (sockets === 0 || numaNodes.length === 0) return unknown(evidence, expected);
        if (cpuNodes(ctx) > sockets) {
          return warn(
            `${evidence}: each socket is split`,
            expected,
            "in the BIOS set Cluster-on-Die (or Sub-NUMA Clustering) <Disabled>, as the baseline platform did",
            true,
          );
        }
        return pass(evidence, expected);
      }),
    );
  },
};

const executeDisable: Rule = {
  id: "platform.bios.execute-disable",
  area: "platform",
  title: "Execute Disable Bit enabled (nx)",
  roles: ["host", "guest"],
  source: `${SRC.bios} (Execute Disable Bit <Enabled>)`,
  check(ctx) {
    const expected = "nx flag present";
    return physical(ctx, expected, () =>
      x86Only(ctx, "the Execute Disable (nx) flag", expected, () => {
        const flags = ctx.host.cpu.flags;
        if (flags.length === 0) return unknown(`${P.cpuinfo}: flags missing`, expected);
        const evidence = `${P.cpuinfo} flags: nx ${flags.includes("nx") ? "present" : "absent"}`;
        if (flags.includes("nx")) return pass(evidence, expected);
        return fail(evidence, expected, "in the BIOS set Execute Disable Bit <Enabled>", true);
      }),
    );
  },
};

function biosOnly(id: string, title: string, step: string, x86 = false): Rule {
  return {
    id,
    area: "platform",
    title,
    roles: ["host", "guest"],
    source: SRC.bios,
    check: (ctx) =>
      physical(ctx, step, () => {
        const check = () =>
          unknown("not visible from the OS (firmware setting)", step, `check the BIOS setup: ${step}`, true);
        return x86 ? x86Only(ctx, title, step, check) : check();
      }),
  };
}

const memoryRas = biosOnly(
  "platform.bios.memory-ras",
  "Memory RAS for performance (no patrol/demand scrub)",
  "Select Memory RAS <Maximum Performance>, Patrol Scrub <Disabled>, Demand Scrub <Disabled>, " +
    "Correctable Error <10>, Enhanced Error Containment Mode <Disabled>",
);
const txt = biosOnly(
  "platform.bios.txt",
  "Intel TXT disabled, all cores active",
  "Intel(R) TXT <Disabled>, Active Processor Cores <All>",
  true,
);

export const biosRules: Rule[] = [numaOptimized, clusterOnDie, executeDisable, memoryRas, txt];
