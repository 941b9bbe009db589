/**
 * CPU isolation, tickless and RCU offload (seed 003 §2.2.2 "CPU isolation", "Tickless", "RCU_NOCB", "NUMA
 * configuration"): isolcpus, nohz_full and rcu_nocbs must each name the RT CPUs, agree with each other, leave a
 * housekeeping CPU, and actually be in effect — nohz_full is silently ignored by a kernel built without
 * CONFIG_NO_HZ_FULL, a known pain point, so the running kernel's view is checked too.
 */
import { formatCpuList, formatCpuMask, intersect, sameCpus, subtract } from "../../host/parse/cpulist.js";
import {
  cmdlineRemedy,
  configOpt,
  cpus,
  fail,
  housekeeping,
  isolcpusParam,
  na,
  noRtSet,
  onlineCpus,
  P,
  paramCpus,
  paramCpusNote,
  paramEvidence,
  pass,
  rtNodes,
  SRC,
  unknown,
  warn,
} from "./helpers.js";
import type { Rule, RuleContext, Verdict } from "./types.js";

const BOTH = ["host", "guest"] as const;

/** isolcpus / nohz_full / rcu_nocbs on the cmdline must cover the RT set. */
function cmdlineCovers(
  ctx: RuleContext,
  key: string,
  extra?: (v: number[], ev: string) => Verdict | null,
  want: string = cpus(ctx.rtCpus),
): Verdict {
  if (ctx.rtCpus.length === 0) return noRtSet(ctx, `${key}=<the RT CPUs> on the kernel cmdline`, key);
  const expected = `${key}=${want} on the kernel cmdline`;
  const remedy = cmdlineRemedy(`${key}=${want}`, ctx.role);
  const v = paramCpus(ctx.host, key);
  const note = paramCpusNote(ctx.host, key);
  const ev = paramEvidence(ctx.host, key) + (note === null ? "" : ` (${note})`);
  if (v === null) return unknown(ev, expected);
  if (v === undefined) return fail(ev, expected, remedy, true);
  if (v === "malformed") return fail(`${ev}: malformed, the kernel ignores it`, expected, remedy, true);
  const missing = subtract(ctx.rtCpus, v);
  if (missing.length > 0) {
    return fail(`${ev}: RT CPUs ${cpus(missing)} not included`, expected, remedy, true);
  }
  return extra?.(v, ev) ?? pass(ev, expected);
}

const isolcpus: Rule = {
  id: "os.cpu-isolation.isolcpus",
  area: "os",
  title: "RT CPUs isolated from the scheduler (isolcpus)",
  roles: BOTH,
  source: SRC.os("CPU isolation"),
  check(ctx) {
    const spec = isolcpusParam(ctx.host);
    // Keep the flags the user wrote, and make sure the remedy names `domain` (the flag that isolates).
    const flags = spec ? spec.flags.filter((f) => !spec.skipped.includes(f)) : [];
    const fixFlags = flags.length > 0 && !flags.includes("domain") ? [...flags, "domain"] : flags;
    const want = [...fixFlags, cpus(ctx.rtCpus)].join(",");
    return cmdlineCovers(
      ctx,
      "isolcpus",
      (_v, ev) => {
        const expected = `isolcpus=${want} on the kernel cmdline (no flag, or the domain flag)`;
        if (spec && !spec.effective.includes("domain")) {
          return fail(
            `${ev}: flags ${spec.effective.join(",")} only — without "domain" the kernel leaves these CPUs in the scheduler domains`,
            expected,
            cmdlineRemedy(`isolcpus=${want}`, ctx.role),
            true,
          );
        }
        // The cmdline is what the next boot does; /sys/.../isolated is what this boot did.
        const iso = ctx.host.runtime.isolated;
        if (iso !== null && subtract(ctx.rtCpus, iso).length > 0) {
          return fail(
            `${ev}; but ${P.isolated}: ${cpus(iso)}`,
            expected,
            "the running kernel did not apply isolcpus: reboot with the cmdline (check it is in /proc/cmdline)",
            true,
          );
        }
        return pass(iso === null ? ev : `${ev}; ${P.isolated}: ${cpus(iso)}`, expected);
      },
      want,
    );
  },
};

const nohzFull: Rule = {
  id: "os.tickless.nohz-full",
  area: "os",
  title: "Tick stopped on RT CPUs (nohz_full)",
  roles: BOTH,
  source: SRC.os("Tickless"),
  check(ctx) {
    const v = cmdlineCovers(ctx, "nohz_full");
    if (v.level !== "fail") return v;
    // isolcpus=nohz,<list> is the kernel's other spelling of nohz_full=<list>.
    const spec = isolcpusParam(ctx.host);
    if (
      spec?.effective.includes("nohz") &&
      spec.cpus.ok &&
      subtract(ctx.rtCpus, spec.cpus.cpus).length === 0
    ) {
      return pass(
        `${paramEvidence(ctx.host, "isolcpus")} (the nohz flag stops the tick as nohz_full does)`,
        v.expected,
      );
    }
    return v;
  },
};

const nohzEffective: Rule = {
  id: "os.tickless.effective",
  area: "os",
  title: "nohz_full in effect in the running kernel (CONFIG_NO_HZ_FULL)",
  roles: BOTH,
  source: `${SRC.os("Tickless")}; tuning-anchors: pain point "nohz_full silently ignored"`,
  check(ctx) {
    const cfg = configOpt(ctx.host, "CONFIG_NO_HZ_FULL");
    const runtime = ctx.host.runtime.nohzFull;
    const expected = `${P.nohzFull} lists the RT CPUs ${cpus(ctx.rtCpus)}`;
    const cfgEv = cfg === null ? "kernel config not found" : `CONFIG_NO_HZ_FULL=${cfg}`;
    const rebuild =
      "install a kernel built with CONFIG_NO_HZ_FULL=y (e.g. apt-get install linux-image-rt-amd64) and reboot";
    if (cfg === "n") {
      return fail(
        `${ctx.host.kernel.configSource}: CONFIG_NO_HZ_FULL=n, so nohz_full is silently ignored; ${paramEvidence(ctx.host, "nohz_full")}`,
        "a kernel with CONFIG_NO_HZ_FULL=y",
        rebuild,
        true,
      );
    }
    if (ctx.rtCpus.length === 0) return na("no RT CPU set: nothing to compare", expected);
    if (runtime === null) {
      return unknown(`${P.nohzFull}: missing; ${cfgEv}`, expected, rebuild, true);
    }
    const missing = subtract(ctx.rtCpus, runtime);
    if (missing.length === 0) return pass(`${P.nohzFull}: ${cpus(runtime)}`, expected);
    const requested = paramCpus(ctx.host, "nohz_full");
    const asked = Array.isArray(requested) && subtract(ctx.rtCpus, requested).length === 0;
    return fail(
      `${P.nohzFull}: ${cpus(runtime)}; ${paramEvidence(ctx.host, "nohz_full")}; ${cfgEv}`,
      expected,
      asked
        ? "the cmdline asks for it but the running kernel ignored it: reboot, and check dmesg for 'NO_HZ: Full dynticks'"
        : cmdlineRemedy(`nohz_full=${cpus(ctx.rtCpus)}`, ctx.role),
      true,
    );
  },
};

const rcuNocbs: Rule = {
  id: "os.rcu-nocbs",
  area: "os",
  title: "RCU callbacks offloaded from RT CPUs (rcu_nocbs, CONFIG_RCU_NOCB_CPU)",
  roles: BOTH,
  source: SRC.os("RCU_NOCB"),
  check: (ctx) =>
    cmdlineCovers(ctx, "rcu_nocbs", (_v, ev) => {
      const cfg = configOpt(ctx.host, "CONFIG_RCU_NOCB_CPU");
      const expected = `rcu_nocbs=${cpus(ctx.rtCpus)} and CONFIG_RCU_NOCB_CPU=y`;
      if (cfg === "n") {
        return fail(
          `${ev}; CONFIG_RCU_NOCB_CPU=n in ${ctx.host.kernel.configSource}: rcu_nocbs is ignored`,
          expected,
          "install a kernel built with CONFIG_RCU_NOCB_CPU=y (e.g. apt-get install linux-image-rt-amd64) and reboot",
          true,
        );
      }
      const full = cfg === null ? `${ev}; kernel config not found` : `${ev}; CONFIG_RCU_NOCB_CPU=${cfg}`;
      if (paramCpusNote(ctx.host, "rcu_nocbs") !== null) {
        // A list the kernel could not parse offloads every CPU: the RT CPUs are covered, by accident.
        return warn(full, expected, cmdlineRemedy(`rcu_nocbs=${cpus(ctx.rtCpus)}`, ctx.role), true);
      }
      return pass(full, expected);
    }),
};

const consistency: Rule = {
  id: "os.cpu-isolation.consistency",
  area: "os",
  title: "isolcpus, nohz_full and rcu_nocbs name the same CPUs",
  roles: BOTH,
  source: `${SRC.os("CPU isolation")}; ${SRC.bootLine}`,
  check(ctx) {
    const keys = ["isolcpus", "nohz_full", "rcu_nocbs"] as const;
    const sets = keys.map((k) => ({ k, v: paramCpus(ctx.host, k) }));
    const present = sets.filter((s): s is { k: (typeof keys)[number]; v: number[] } => Array.isArray(s.v));
    // As written (flags, N), with the CPUs the kernel reads when that differs from the text.
    const ev = sets.map((s) => {
      if (!Array.isArray(s.v)) return `${s.k} ${s.v ?? "absent"}`;
      const written = ctx.host.kernel.params[s.k] ?? "";
      return written === cpus(s.v) ? `${s.k}=${written}` : `${s.k}=${written} (CPUs ${cpus(s.v)})`;
    });
    const evidence = `${P.cmdline}: ${ev.join(", ")}`;
    const target = ctx.rtCpus.length > 0 ? ctx.rtCpus : present[0]?.v;
    const expected = `all three equal to the RT set ${cpus(ctx.rtCpus)}`;
    if (sets.some((s) => s.v === null)) return unknown(evidence, expected);
    // Absent or missing parameters are the other rules' failures; this rule only compares what is there.
    if (present.length === 0 || target === undefined) return na(`${evidence}: nothing to compare`, expected);
    const differing = present.filter((s) => !sameCpus(s.v, target));
    if (differing.length === 0) return pass(evidence, expected);
    const want = cpus(target);
    return fail(
      `${evidence}: ${differing.map((d) => d.k).join(", ")} differ from ${want}`,
      expected,
      cmdlineRemedy(`isolcpus=${want} nohz_full=${want} rcu_nocbs=${want}`, ctx.role),
      true,
    );
  },
};

const housekeepingCpu: Rule = {
  id: "os.cpu-isolation.housekeeping",
  area: "os",
  title: "Housekeeping CPUs left for the OS (CPU 0 not isolated)",
  roles: BOTH,
  source: `${SRC.os("CPU isolation")}; tuning-anchors: PerformanceProfile cpu.reserved`,
  check(ctx) {
    const taken = [...ctx.rtCpus];
    for (const k of ["isolcpus", "nohz_full"]) {
      const v = paramCpus(ctx.host, k);
      if (Array.isArray(v)) taken.push(...v);
    }
    const online = onlineCpus(ctx.host);
    const hk = subtract(online, taken);
    const evidence = `online ${cpus(online)}; RT/isolated ${cpus(taken)}; housekeeping ${cpus(hk)}`;
    const expected = "at least one whole core, including CPU 0, left for housekeeping";
    if (online.length === 0) return unknown(`${evidence} (online CPUs unknown)`, expected);
    const remedy = "take CPU 0 (and its siblings) out of the RT set and out of isolcpus/nohz_full/rcu_nocbs";
    if (hk.length === 0) return fail(evidence, expected, remedy, true);
    if (!hk.includes(0)) return warn(evidence, expected, remedy, true);
    return pass(evidence, expected);
  },
};

const numaLocality: Rule = {
  id: "os.numa-locality",
  area: "os",
  title: "RT CPUs on one NUMA node",
  roles: BOTH,
  source: SRC.os("NUMA configuration"),
  check(ctx) {
    const expected = "all RT CPUs (and their memory and NICs) on one NUMA node";
    if (ctx.rtCpus.length === 0) return na("no RT CPU set: nothing to place", expected);
    const nodes = rtNodes(ctx);
    const nics = ctx.host.runtime.net
      .filter((n) => n.numaNode !== null && n.numaNode >= 0)
      .map((n) => `${n.iface} node ${n.numaNode}`);
    const evidence =
      `/sys/devices/system/node: RT CPUs ${cpus(ctx.rtCpus)} on node(s) ${nodes.join(",") || "unknown"}` +
      (nics.length > 0 ? `; NICs: ${nics.join(", ")}` : "");
    if (nodes.length === 0) return unknown(evidence, expected);
    if (nodes.length === 1) return pass(evidence, expected);
    const first = ctx.host.topology.numaNodes.find((n) => n.id === nodes[nodes.length - 1]);
    const eg = first?.cpus
      ? ` e.g. node ${first.id}: --cpus ${formatCpuList(subtract(first.cpus, [0]))}`
      : "";
    return fail(evidence, expected, `choose the RT CPUs from a single NUMA node:${eg}`, true);
  },
};

const workqueue: Rule = {
  id: "os.workqueue.cpumask",
  area: "os",
  title: "Unbound workqueues kept on housekeeping CPUs",
  roles: BOTH,
  source: SRC.tuned,
  check(ctx) {
    const hk = housekeeping(ctx);
    const expected = `${P.workqueue} = housekeeping CPUs ${cpus(hk)}`;
    if (ctx.rtCpus.length === 0) return na("no RT CPU set: nothing to keep workqueues off", expected);
    const { cpumask, writebackCpumask } = ctx.host.runtime.workqueue;
    if (cpumask === null) return unknown(`${P.workqueue}: missing`, expected);
    // Compared as CPU sets (the reader parsed the masks), so leading zeros or comma groups never matter.
    const bad = intersect(cpumask, ctx.rtCpus);
    const wbBad = writebackCpumask === null ? [] : intersect(writebackCpumask, ctx.rtCpus);
    const evidence =
      `${P.workqueue}: ${cpus(cpumask)}` +
      (writebackCpumask === null ? "" : `; writeback/cpumask: ${cpus(writebackCpumask)}`);
    if (bad.length === 0 && wbBad.length === 0) return pass(evidence, expected);
    const mask = formatCpuMask(hk);
    return warn(
      `${evidence}: RT CPUs ${cpus([...bad, ...wbBad])} included`,
      expected,
      `echo ${mask} > ${P.workqueue}; echo ${mask} > ${P.writeback}`,
      false,
    );
  },
};

export const isolationRules: Rule[] = [
  isolcpus,
  nohzFull,
  nohzEffective,
  rcuNocbs,
  consistency,
  housekeepingCpu,
  numaLocality,
  workqueue,
];
