/**
 * Timekeeping, idle and the run-time knobs (seed 003 §2.2.2 "TSC", "Idle", "Disable the RT throttling", the
 * guest boot line of §2.1.2, the original host-setup1/guest-setup1 sysctls, and what tuned
 * realtime-virtual-host/guest sets: watchdogs, timer_migration, vm.stat_interval, KSM, THP).
 */
import type { Host } from "../../host/model.js";
import {
  cmdlineRemedy,
  fail,
  inVm,
  P,
  param,
  paramEvidence,
  pass,
  SRC,
  sysctlRemedy,
  unknown,
  warn,
} from "./helpers.js";
import type { Rule, RuleContext, Verdict } from "./types.js";

type SysctlName = keyof Host["runtime"]["sysctl"];

function sysctlEvidence(host: Host, name: SysctlName): string {
  const v = host.runtime.sysctl[name];
  return `${P.sysctl(name)}: ${v === null ? "missing" : v}`;
}

/** A cmdline flag the seeds' boot lines ask for; `level` is what its absence costs. */
function cmdlineFlag(ctx: RuleContext, key: string, value: string, level: "fail" | "warn"): Verdict {
  const expected = `${key}=${value} on the kernel cmdline`;
  const v = param(ctx.host, key);
  const ev = paramEvidence(ctx.host, key);
  if (v === null) return unknown(ev, expected);
  if (v === value) return pass(ev, expected);
  const remedy = cmdlineRemedy(`${key}=${value}`, ctx.role);
  return level === "fail" ? fail(ev, expected, remedy, true) : warn(ev, expected, remedy, true);
}

const tscReliable: Rule = {
  id: "os.tsc.reliable",
  area: "os",
  title: "TSC marked reliable (no clocksource watchdog)",
  roles: ["host", "guest"],
  source: `${SRC.os("TSC")}; ${SRC.bootLine}`,
  check(ctx) {
    const v = cmdlineFlag(ctx, "tsc", "reliable", "fail");
    // Marking a TSC reliable that is not invariant hides real drift: only a warning, and say why.
    if (v.level === "fail" && ctx.role === "host" && ctx.host.cpu.features.invariantTsc === false) {
      return {
        ...v,
        level: "warn",
        evidence: `${v.evidence}; CPU has no invariant TSC (constant_tsc+nonstop_tsc)`,
      };
    }
    return v;
  },
};

const clocksource: Rule = {
  id: "os.tsc.clocksource",
  area: "os",
  title: "Clocksource is the TSC (kvm-clock in a VM)",
  roles: ["host", "guest"],
  source: SRC.os("TSC"),
  check(ctx) {
    const { current, available } = ctx.host.runtime.clocksource;
    const vm = ctx.role === "guest" || inVm(ctx.host);
    const ok = vm ? ["tsc", "kvm-clock"] : ["tsc"];
    const expected = `current clocksource ${ok.join(" or ")}`;
    const evidence = `${P.clocksource}: ${current ?? "missing"} (available: ${available.join(" ") || "?"})`;
    if (current === null) return unknown(evidence, expected);
    if (ok.includes(current)) return pass(evidence, expected);
    return fail(
      evidence,
      expected,
      `echo tsc > ${P.clocksource}; persist with ${cmdlineRemedy("clocksource=tsc tsc=reliable", ctx.role)}`,
      false,
    );
  },
};

const idle: Rule = {
  id: "os.idle",
  area: "os",
  title: "Polling idle loop (idle=poll)",
  roles: ["host", "guest"],
  source: `${SRC.os("Idle")}; ${SRC.bootLine}`,
  // The guest boot line asks for it; on the host it trades power and turbo headroom for wake-up time.
  check: (ctx) => cmdlineFlag(ctx, "idle", "poll", ctx.role === "guest" ? "fail" : "warn"),
};

const mce: Rule = {
  id: "os.mce",
  area: "os",
  title: "Machine-check polling off in the guest (mce=off)",
  roles: ["guest"],
  source: SRC.bootLine,
  check: (ctx) => cmdlineFlag(ctx, "mce", "off", "fail"),
};

const rtThrottling: Rule = {
  id: "os.rt-throttling",
  area: "os",
  title: "RT throttling disabled (sched_rt_runtime_us=-1)",
  roles: ["host", "guest"],
  source: `${SRC.os("Disable the RT throttling")}; ${SRC.original}`,
  check(ctx) {
    const v = ctx.host.runtime.sysctl["kernel.sched_rt_runtime_us"];
    const ev = sysctlEvidence(ctx.host, "kernel.sched_rt_runtime_us");
    const expected = "kernel.sched_rt_runtime_us = -1";
    if (v === null) return unknown(ev, expected);
    if (v.trim() === "-1") return pass(ev, expected);
    return fail(ev, expected, sysctlRemedy("kernel.sched_rt_runtime_us", "-1"), false);
  },
};

const watchdog: Rule = {
  id: "os.watchdog",
  area: "os",
  title: "Soft/hard lockup watchdog off (kernel.watchdog=0)",
  roles: ["host", "guest"],
  source: `${SRC.original}; ${SRC.tuned}`,
  check(ctx) {
    const v = ctx.host.runtime.sysctl["kernel.watchdog"];
    const expected = "kernel.watchdog = 0 (or nowatchdog on the cmdline)";
    const ev = sysctlEvidence(ctx.host, "kernel.watchdog");
    if (v?.trim() === "0") return pass(ev, expected);
    if (param(ctx.host, "nowatchdog") !== undefined && param(ctx.host, "nowatchdog") !== null) {
      return pass(`${ev}; ${P.cmdline}: nowatchdog`, expected);
    }
    if (v === null) return unknown(ev, expected);
    return fail(ev, expected, sysctlRemedy("kernel.watchdog", "0"), false);
  },
};

const nmiWatchdog: Rule = {
  id: "os.watchdog.nmi",
  area: "os",
  title: "NMI watchdog off (kernel.nmi_watchdog=0)",
  roles: ["host", "guest"],
  source: `${SRC.original}; ${SRC.tuned}`,
  check(ctx) {
    const v = ctx.host.runtime.sysctl["kernel.nmi_watchdog"];
    const expected = "kernel.nmi_watchdog = 0 (or nmi_watchdog=0 on the cmdline)";
    const ev = sysctlEvidence(ctx.host, "kernel.nmi_watchdog");
    if (v?.trim() === "0" || param(ctx.host, "nmi_watchdog") === "0") {
      return pass(`${ev}; ${paramEvidence(ctx.host, "nmi_watchdog")}`, expected);
    }
    if (v === null) return unknown(ev, expected);
    return fail(ev, expected, sysctlRemedy("kernel.nmi_watchdog", "0"), false);
  },
};

const timerMigration: Rule = {
  id: "os.timer-migration",
  area: "os",
  title: "Timer migration off (kernel.timer_migration=0)",
  roles: ["host", "guest"],
  source: `${SRC.tuned}; kvm4nfv-original: guest-setup1.sh`,
  check(ctx) {
    const v = ctx.host.runtime.sysctl["kernel.timer_migration"];
    const ev = sysctlEvidence(ctx.host, "kernel.timer_migration");
    const expected = "kernel.timer_migration = 0";
    if (v === null) return unknown(ev, expected);
    if (v.trim() === "0") return pass(ev, expected);
    return warn(ev, expected, sysctlRemedy("kernel.timer_migration", "0"), false);
  },
};

const statInterval: Rule = {
  id: "os.vmstat.stat-interval",
  area: "os",
  title: "vmstat updates every 10 s or less often (vm.stat_interval>=10)",
  roles: ["host", "guest"],
  source: SRC.tuned,
  check(ctx) {
    const v = ctx.host.runtime.sysctl["vm.stat_interval"];
    const ev = sysctlEvidence(ctx.host, "vm.stat_interval");
    const expected = "vm.stat_interval >= 10";
    if (v === null || !/^\d+$/.test(v.trim())) return unknown(ev, expected);
    if (Number(v) >= 10) return pass(ev, expected);
    return warn(ev, expected, sysctlRemedy("vm.stat_interval", "10"), false);
  },
};

const ksm: Rule = {
  id: "os.ksm",
  area: "os",
  title: "KSM page merging off on the host",
  roles: ["host"],
  source: SRC.tuned,
  check(ctx) {
    const v = ctx.host.runtime.ksmRun;
    const ev = `${P.ksm}: ${v === null ? "missing (kernel without CONFIG_KSM?)" : v}`;
    const expected = `${P.ksm} = 0 or 2 (2 also unmerges pages already shared)`;
    if (v === null) return unknown(ev, expected);
    if (v === 0 || v === 2) return pass(ev, expected);
    return fail(ev, expected, `echo 2 > ${P.ksm}; systemctl disable --now ksm ksmtuned`, false);
  },
};

const thp: Rule = {
  id: "os.thp",
  area: "os",
  title: "Transparent hugepages not always on (no khugepaged compaction on RT CPUs)",
  roles: ["host", "guest"],
  source: "tuning-anchors: PerformanceProfile (THP never)",
  check(ctx) {
    const { enabled, defrag } = ctx.host.runtime.thp;
    const ev = `${P.thp}: ${enabled ?? "missing"}; defrag: ${defrag ?? "missing"}`;
    const expected = "transparent_hugepage never (or madvise)";
    if (enabled === null) return unknown(ev, expected);
    if (enabled === "never" || enabled === "madvise") return pass(ev, expected);
    return warn(
      ev,
      expected,
      `echo never > ${P.thp}; persist with ${cmdlineRemedy("transparent_hugepage=never", ctx.role)}`,
      false,
    );
  },
};

export const runtimeRules: Rule[] = [
  tscReliable,
  clocksource,
  idle,
  mce,
  rtThrottling,
  watchdog,
  nmiWatchdog,
  timerMigration,
  statInterval,
  ksm,
  thp,
];
