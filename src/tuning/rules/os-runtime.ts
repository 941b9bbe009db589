/**
 * Timekeeping, idle and the run-time knobs. All but the clocksource rule are settings of the catalogue
 * (src/tuning/settings/): their verdicts come from each setting's desired value, comparison, level and remedy.
 * Timekeeping, idle and the run-time knobs (seed 003 §2.2.2 "TSC", "Idle", "Disable the RT throttling", the
 * guest boot line of §2.1.2, the original host-setup1/guest-setup1 sysctls, and what tuned
 * realtime-virtual-host/guest sets: watchdogs, timer_migration, vm.stat_interval, KSM, THP).
 */
import { auditProfile, settingRules } from "../settings/audit.js";
import { settingByKey } from "../settings/index.js";
import { fail, inVm, pass, SRC, unknown, x86Only } from "./helpers.js";
import type { Rule } from "./types.js";

const CLOCKSOURCE = settingByKey("clocksource.current");

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
    // arm64's arch_sys_counter, POWER's timebase, RISC-V's riscv_clocksource: no TSC to ask for there
    return x86Only(ctx, "the TSC clocksource", expected, () => {
      const evidence = `${CLOCKSOURCE.target}: ${current ?? "missing"} (available: ${available.join(" ") || "?"})`;
      if (current === null) return unknown(evidence, expected);
      if (ok.includes(current)) return pass(evidence, expected);
      return fail(evidence, expected, CLOCKSOURCE.remedy(auditProfile(ctx), "tsc"), CLOCKSOURCE.reboot);
    });
  },
};

/** The catalogue's rules by id (settings/*.ts holds their data). */
function fromCatalogue(id: string): Rule {
  const rule = settingRules().find((r) => r.id === id);
  if (rule === undefined) throw new Error(`no setting defines rule ${id}`);
  return rule;
}

export const runtimeRules: Rule[] = [
  fromCatalogue("os.tsc.reliable"),
  clocksource,
  ...[
    "os.idle",
    "os.mce",
    "os.rt-throttling",
    "os.watchdog",
    "os.watchdog.nmi",
    "os.timer-migration",
    "os.vmstat.stat-interval",
    "os.ksm",
    "os.thp",
  ].map(fromCatalogue),
];
