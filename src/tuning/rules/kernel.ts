/**
 * The kernel build (seed 003 §2.1.2 "Kernel Parameter": the opnfv.config; §2.2.2 "Tickless", "RCU_NOCB"):
 * PREEMPT_RT, NO_HZ_FULL, RCU_NOCB_CPU, CPU_ISOLATION, HIGH_RES_TIMERS and HZ. A config option that cannot be
 * read is `unknown`, never a failure.
 */
import { configOpt, fail, pass, SRC, unknown, warn } from "./helpers.js";
import type { Rule } from "./types.js";

const RT_KERNEL =
  "kvm4nfv kernel plan -o rt.json && kvm4nfv kernel apply rt.json --yes (the distribution's PREEMPT_RT kernel: " +
  "Debian linux-image-rt-amd64, RHEL-like kernel-rt), reboot into it, then kvm4nfv kernel check rt.json";

function configEvidence(source: string | null, name: string, value: string | null): string {
  return value === null
    ? "kernel config not found (/boot/config-$(uname -r), /proc/config.gz)"
    : `${source}: ${name}=${value}`;
}

const preemptRt: Rule = {
  id: "kernel.preempt-rt",
  area: "kernel",
  title: "PREEMPT_RT kernel running",
  roles: ["host", "guest"],
  source: `${SRC.kernelConfig}; kvm4nfv-original: host-setup0.sh installs the RT kernel`,
  check(ctx) {
    const k = ctx.host.kernel;
    const expected = "a PREEMPT_RT kernel (CONFIG_PREEMPT_RT=y or PREEMPT_RT_FULL on old kernels)";
    const rt = configOpt(ctx.host, "CONFIG_PREEMPT_RT");
    const rtFull = configOpt(ctx.host, "CONFIG_PREEMPT_RT_FULL");
    const parts = [
      `/sys/kernel/realtime + /proc/version: ${k.realtime === null ? "unknown" : k.realtime ? "realtime" : "not realtime"}`,
      `release ${k.release ?? "unknown"}`,
    ];
    if (rt !== null)
      parts.push(`${k.configSource}: CONFIG_PREEMPT_RT=${rt}, CONFIG_PREEMPT_RT_FULL=${rtFull}`);
    const evidence = parts.join("; ");
    const byConfig = rt === null ? null : rt === "y" || rtFull === "y";
    const realtime = k.realtime ?? byConfig;
    if (realtime === null) return unknown(evidence, expected, RT_KERNEL, true);
    if (realtime) return pass(evidence, expected);
    return fail(evidence, expected, RT_KERNEL, true);
  },
};

function configRule(id: string, option: string, title: string, source: string, why: string): Rule {
  return {
    id,
    area: "kernel",
    title,
    roles: ["host", "guest"],
    source,
    check(ctx) {
      const v = configOpt(ctx.host, option);
      const evidence = configEvidence(ctx.host.kernel.configSource, option, v);
      const expected = `${option}=y`;
      if (v === null) return unknown(evidence, expected);
      if (v === "y") return pass(evidence, expected);
      return fail(
        evidence,
        expected,
        `use a kernel built with ${option}=y (${why}), e.g. ${RT_KERNEL}`,
        true,
      );
    },
  };
}

const noHzFull = configRule(
  "kernel.no-hz-full",
  "CONFIG_NO_HZ_FULL",
  "Full tickless support built in (CONFIG_NO_HZ_FULL)",
  SRC.os("Tickless"),
  "without it nohz_full= is silently ignored",
);
const rcuNocb = configRule(
  "kernel.rcu-nocb-cpu",
  "CONFIG_RCU_NOCB_CPU",
  "RCU callback offload built in (CONFIG_RCU_NOCB_CPU)",
  SRC.os("RCU_NOCB"),
  "without it rcu_nocbs= is ignored",
);
const cpuIsolation = configRule(
  "kernel.cpu-isolation",
  "CONFIG_CPU_ISOLATION",
  "CPU isolation built in (CONFIG_CPU_ISOLATION)",
  SRC.os("CPU isolation"),
  "isolcpus= and housekeeping need it",
);
const hrTimers = configRule(
  "kernel.high-res-timers",
  "CONFIG_HIGH_RES_TIMERS",
  "High-resolution timers (CONFIG_HIGH_RES_TIMERS)",
  SRC.kernelConfig,
  "timer wake-ups are otherwise rounded to the tick",
);

const hz: Rule = {
  id: "kernel.hz",
  area: "kernel",
  title: "Tick rate (CONFIG_HZ) suits RT housekeeping",
  roles: ["host", "guest"],
  source: SRC.kernelConfig,
  check(ctx) {
    const v = configOpt(ctx.host, "CONFIG_HZ");
    const evidence = configEvidence(ctx.host.kernel.configSource, "CONFIG_HZ", v);
    const expected = "CONFIG_HZ=1000 (as RT kernels commonly ship)";
    if (v === null || v === "n" || !/^\d+$/.test(v)) return unknown(evidence, expected);
    if (Number(v) >= 1000) return pass(evidence, expected);
    // nohz_full CPUs barely tick at all; the rate matters for housekeeping and for CPUs not in nohz_full.
    return warn(
      evidence,
      expected,
      "use a kernel built with CONFIG_HZ_1000=y (matters most for CPUs outside nohz_full)",
      true,
    );
  },
};

export const kernelRules: Rule[] = [preemptRt, noHzFull, rcuNocb, cpuIsolation, hrTimers, hz];
