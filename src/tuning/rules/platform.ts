/**
 * The physical platform (seed 003 §2.1.1 BIOS Setup, §2.2.1 Platform Configuration): C-states, P-states and
 * turbo, Hyper-Threading, legacy USB / Port 60/64 emulation, SMI. Inside a VM the hypervisor owns all of
 * these, so they are n/a there (and always n/a for the guest role). Items the OS cannot see (legacy USB, port
 * 60/64 emulation, SMI) are `unknown` on bare metal with the BIOS step to check.
 */
import { subtract } from "../../host/parse/cpulist.js";
import { PATHS } from "../../host/paths.js";
import {
  cmdlineRemedy,
  cpus,
  fail,
  onlineCpus,
  P,
  param,
  paramEvidence,
  pass,
  physical,
  SRC,
  unknown,
  warn,
  x86Only,
} from "./helpers.js";
import type { HwlatEvidence, Rule, RuleContext } from "./types.js";

/** CPUs whose frequency policy matters: the RT CPUs, or all online CPUs when no RT set is known. */
function policyCpus(ctx: RuleContext): number[] {
  return ctx.rtCpus.length > 0 ? ctx.rtCpus : onlineCpus(ctx.host);
}

const cstates: Rule = {
  id: "platform.power-management.cstates",
  area: "platform",
  title: "Deep C-states disabled (BIOS or processor.max_cstate/intel_idle.max_cstate)",
  roles: ["host", "guest"],
  source: `${SRC.platform("Power management")}; ${SRC.bios}`,
  check(ctx) {
    const expected =
      "no C-state deeper than C1: idle=poll, or intel_idle.max_cstate=0 processor.max_cstate=1";
    return physical(ctx, expected, () => {
      const { host } = ctx;
      const driver = host.runtime.cpuidle.driver;
      const cpuidleOff = param(host, "cpuidle.off");
      if (host.cpu.arch !== null && host.cpu.arch !== "x86") {
        // processor.max_cstate, intel_idle and idle=poll are x86's; elsewhere cpuidle.off=1 keeps CPUs out of
        // deep idle states.
        const evidence = `${P.cpuidle}: ${driver ?? "missing"}; ${paramEvidence(host, "cpuidle.off")}`;
        const want =
          "no cpuidle state deeper than the shallowest: cpuidle.off=1, or deep states off in firmware";
        if (driver === "none" || cpuidleOff === "1") return pass(evidence, want);
        const remedy = cmdlineRemedy("cpuidle.off=1", "host");
        if (driver === null || cpuidleOff === null) return unknown(evidence, want, remedy, true);
        return warn(evidence, want, remedy, true);
      }
      const maxC = param(host, "processor.max_cstate");
      const intelMax = param(host, "intel_idle.max_cstate");
      const idle = param(host, "idle");
      const evidence =
        host.kernel.cmdline === null
          ? `${P.cpuidle}: ${driver ?? "missing"}; ${P.cmdline}: unreadable`
          : `${P.cpuidle}: ${driver ?? "missing"}; ${P.cmdline}: ` +
            `processor.max_cstate=${maxC ?? "absent"} intel_idle.max_cstate=${intelMax ?? "absent"} idle=${idle ?? "absent"}`;
      const intel = host.cpu.vendor === "GenuineIntel";
      const limited =
        idle === "poll" ||
        driver === "none" ||
        (maxC !== null &&
          maxC !== undefined &&
          Number(maxC) <= 1 &&
          (!intel || intelMax === "0" || driver !== "intel_idle"));
      if (limited) return pass(evidence, expected);
      const params = intel ? "processor.max_cstate=1 intel_idle.max_cstate=0" : "processor.max_cstate=1";
      const remedy = `in the BIOS set CPU C-State, C1E Autopromote, Processor C3/C6 to Disabled, or ${cmdlineRemedy(params, "host")}`;
      // Less information never gives a stronger verdict: an unreadable cmdline may well hold the limits.
      if (host.kernel.cmdline === null) return unknown(evidence, expected, remedy, true);
      if (driver === null && maxC === undefined) return unknown(evidence, expected, remedy, true);
      return warn(evidence, expected, remedy, true);
    });
  },
};

const pstates: Rule = {
  id: "platform.power-management.pstates",
  area: "platform",
  title: "P-states pinned: governor performance (SpeedStep off)",
  roles: ["host", "guest"],
  source: `${SRC.platform("Power management")}; ${SRC.bios} (CPU Power and Performance <Performance>)`,
  check(ctx) {
    const expected = "scaling_governor performance on the RT CPUs, or frequency scaling off in the BIOS";
    return physical(ctx, expected, () => {
      const { driver, governors, pstateStatus } = ctx.host.runtime.cpufreq;
      const wanted = policyCpus(ctx);
      const slow = wanted.filter(
        (c) => governors[String(c)] !== undefined && governors[String(c)] !== "performance",
      );
      const seen = Object.entries(governors);
      const govs = [...new Set(seen.map(([, g]) => g))].join(",") || "none";
      const evidence = `${P.cpufreq}: ${govs} (driver ${driver ?? "none"}${pstateStatus ? `, pstate status ${pstateStatus}` : ""})`;
      const remedy =
        `set the governor: for g in ${PATHS.scalingGovernor}; do echo performance > $g; done ` +
        "(persist with tuned or cpupower), or in the BIOS set CPU Power and Performance <Performance> and disable Enhanced SpeedStep";
      if (seen.length === 0) {
        // No cpufreq at all: the BIOS (or intel_pstate=disable without a driver) fixes the frequency.
        return unknown(
          `${evidence}: no cpufreq policy visible`,
          expected,
          "check the BIOS: EIST/SpeedStep disabled",
          true,
        );
      }
      if (slow.length === 0) return pass(evidence, expected);
      return warn(`${evidence}: CPUs ${cpus(slow)} not on performance`, expected, remedy, false);
    });
  },
};

const turbo: Rule = {
  id: "platform.power-management.turbo",
  area: "platform",
  title: "Turbo Boost disabled",
  roles: ["host", "guest"],
  source: `${SRC.platform("Power management")}`,
  check(ctx) {
    const expected = "turbo/boost off (intel_pstate/no_turbo=1 or cpufreq/boost=0, or off in the BIOS)";
    return physical(ctx, expected, () => {
      const t = ctx.host.runtime.cpufreq.turbo;
      const evidence = `/sys/devices/system/cpu/{intel_pstate/no_turbo,cpufreq/boost}: turbo ${t === null ? "unknown" : t ? "on" : "off"}`;
      const remedy =
        `echo 1 > ${PATHS.intelNoTurbo} (intel_pstate) or echo 0 > ${PATHS.cpufreqBoost}, ` +
        "or disable Turbo Boost in the BIOS";
      if (t === null) return unknown(evidence, expected, remedy, true);
      if (!t) return pass(evidence, expected);
      return warn(evidence, expected, remedy, false);
    });
  },
};

const hyperthreading: Rule = {
  id: "platform.hyperthreading",
  area: "platform",
  title: "Hyper-Threading off, or RT CPUs' siblings not shared with others",
  roles: ["host", "guest"],
  source: `${SRC.platform("Hyper-Threading")}; ${SRC.bios}`,
  check(ctx) {
    const expected = "SMT off (BIOS or nosmt), or every sibling of an RT CPU also reserved for RT";
    return physical(ctx, expected, () => {
      const { smtControl, smtActive, threadsPerCore } = ctx.host.topology;
      const evidence = `${P.smt}: ${smtControl ?? "missing"}; active ${smtActive ?? "unknown"}; ${threadsPerCore} thread(s) per core`;
      const off =
        smtActive === false ||
        ["off", "forceoff", "notsupported"].includes(smtControl ?? "") ||
        threadsPerCore === 1;
      // No smt/ files and no topology read at all (no sibling list, no core id): one thread per core is only the
      // reader's default, not a fact.
      const nothingRead =
        smtActive === null && smtControl === null && ctx.host.topology.cpus.every((c) => c.core === null);
      if (nothingRead || threadsPerCore < 1) return unknown(`${evidence} (no topology read)`, expected);
      if (off) return pass(evidence, expected);
      const remedy = `disable Intel(R) Hyper-Threading in the BIOS, or ${cmdlineRemedy("nosmt", "host")}`;
      if (ctx.rtCpus.length === 0) {
        // Without a readable cmdline the RT set (and whether it owns whole cores) is unknown.
        if (ctx.host.kernel.cmdline === null && ctx.rtCpusSource === "none") {
          return unknown(`${evidence}; RT CPU set unknown (${P.cmdline} unreadable)`, expected, remedy, true);
        }
        return fail(`${evidence}; no RT CPU set`, expected, remedy, true);
      }
      const shared: number[] = [];
      for (const c of ctx.rtCpus) {
        const sib = ctx.host.topology.cpus.find((e) => e.cpu === c)?.siblings ?? [];
        shared.push(...subtract(sib, ctx.rtCpus));
      }
      if (shared.length === 0)
        return pass(`${evidence}; RT CPUs ${cpus(ctx.rtCpus)} own whole cores`, expected);
      return fail(
        `${evidence}; siblings ${cpus(shared)} of RT CPUs are left to other work`,
        expected,
        `${remedy}, or add the siblings to the RT set: --cpus ${cpus([...ctx.rtCpus, ...shared])}`,
        true,
      );
    });
  },
};

/** Firmware settings no OS interface shows. */
function biosOnly(id: string, title: string, source: string, step: string, x86 = true): Rule {
  return {
    id,
    area: "platform",
    title,
    roles: ["host", "guest"],
    source,
    check(ctx) {
      const expected = step;
      const check = () =>
        unknown(
          "not visible from the OS (firmware setting)",
          expected,
          `check the BIOS setup: ${step}`,
          true,
        );
      // Legacy USB hand-off, port 60/64 emulation and SMM are PC firmware: other architectures have none.
      return physical(ctx, expected, () => (x86 ? x86Only(ctx, title, expected, check) : check()));
    },
  };
}

const legacyUsb = biosOnly(
  "platform.legacy-usb",
  "Legacy USB Support disabled",
  `${SRC.platform("Legacy USB Support/Port 60/64 Emulation")}; ${SRC.bios}`,
  "Legacy USB Support <Disabled>",
);
const port6064 = biosOnly(
  "platform.port-60-64-emulation",
  "Port 60/64 Emulation disabled",
  `${SRC.platform("Legacy USB Support/Port 60/64 Emulation")}; ${SRC.bios}`,
  "Port 60/64 Emulation <Disabled>",
);
const smiBios = biosOnly(
  "platform.smi",
  "SMIs minimised (no OS switch; vendor BIOS options only)",
  SRC.platform("SMI"),
  "any vendor option that reduces SMIs disabled; measure what is left with hwlatdetect (apt-get install rt-tests)",
);

function hwlatSeen(m: HwlatEvidence): string {
  const where = [
    m.node ? `node ${m.node}` : m.hostname,
    m.where === "guest" ? "in the RT guest" : null,
    m.accelerator,
  ]
    .filter(Boolean)
    .join(", ");
  const over = m.thresholdUs !== null ? ` over ${m.thresholdUs} µs` : " over the threshold";
  return `hwlatdetect run ${m.runId} (${m.startedAt}${where ? `, ${where}` : ""}): max ${m.maxUs} µs, ${m.overThreshold} of ${m.samples} samples${over}`;
}

/**
 * No OS file shows SMIs, but hwlatdetect measures what they cost (KVM4NFV: there is no simple way to disable
 * them, measuring is the answer). With a stored run of this machine's host (check --evidence-from STORE) the
 * BIOS-only `unknown` becomes a verdict: no sample over the threshold passes; samples over it warn, or fail
 * when the run broke its SLA. Where the rule is n/a (a VM, the guest role) the run is shown, not judged.
 */
const smi: Rule = {
  ...smiBios,
  check(ctx) {
    const v = smiBios.check(ctx);
    const m = ctx.measured?.hwlat;
    if (!m) return v;
    const seen = hwlatSeen(m);
    if (v.level !== "unknown") return { ...v, evidence: `${v.evidence}; ${seen}` };
    if (m.where !== "host") {
      return { ...v, evidence: `${v.evidence}; ${seen} — measured in a guest, not this machine's firmware` };
    }
    if (m.overThreshold === 0 && m.status !== "fail") return pass(seen, v.expected);
    const remedy = `latency the OS did not cause (SMIs, firmware): ${v.remedy ?? "check the BIOS setup"}; then run kvm4nfv test hwlat again`;
    return m.status === "fail" ? fail(seen, v.expected, remedy, true) : warn(seen, v.expected, remedy, true);
  },
};

export const platformRules: Rule[] = [cstates, pstates, turbo, hyperthreading, legacyUsb, port6064, smi];
