/**
 * CPU features (seed 003 §2.1.1 "CPU Features": TSC-deadline timer, invariant TSC, posted interrupts) and the
 * KVM side of the host (virt-host-validate's /dev/kvm and vmx/svm; tuned realtime-virtual-host's kvm module
 * parameters). CPU features stay meaningful inside a VM (the guest needs QEMU to pass them through), so unlike
 * the platform rules they are not n/a there.
 */
import type { Host } from "../../host/model.js";
import { PATHS } from "../../host/paths.js";
import { fail, inVm, isOff, kvmParam, P, pass, SRC, unknown, warn, x86Only } from "./helpers.js";
import type { Rule, RuleContext, Verdict } from "./types.js";

function flagEvidence(host: Host, flags: string[]): string {
  if (host.cpu.flags.length === 0) return `${P.cpuinfo}: flags missing`;
  return `${P.cpuinfo} flags: ${flags.map((f) => `${f} ${host.cpu.flags.includes(f) ? "present" : "absent"}`).join(", ")}`;
}

/** A CPU feature that helps latency: warn when absent, with the fix that fits where we run. */
function featureRule(
  id: string,
  title: string,
  flags: string[],
  qemuFlag: string,
  pick: (h: Host) => boolean | null,
): Rule {
  return {
    id,
    area: "cpu",
    title,
    roles: ["host", "guest"],
    source: SRC.cpuFeatures,
    check: (ctx) =>
      x86Only(ctx, flags.join(" + "), `${flags.join(" + ")} present`, () => {
        const v = pick(ctx.host);
        const evidence = flagEvidence(ctx.host, flags);
        const expected = `${flags.join(" + ")} present`;
        if (v === null || ctx.host.cpu.flags.length === 0) return unknown(evidence, expected);
        if (v) return pass(evidence, expected);
        const remedy =
          ctx.role === "guest" || inVm(ctx.host)
            ? `start the VM with QEMU -cpu host,${qemuFlag} (the original KVM4NFV guest did)`
            : "the processor lacks it: use a platform that has it (the baseline Xeon E5-2699 v3 does)";
        return warn(evidence, expected, remedy, true);
      }),
  };
}

const tscDeadline = featureRule(
  "cpu.tsc-deadline-timer",
  "TSC-deadline timer available",
  ["tsc_deadline_timer"],
  "+tsc-deadline",
  (h) => h.cpu.features.tscDeadlineTimer,
);
const invariantTsc = featureRule(
  "cpu.invariant-tsc",
  "Invariant TSC (constant_tsc + nonstop_tsc)",
  ["constant_tsc", "nonstop_tsc"],
  "+invtsc",
  (h) => h.cpu.features.invariantTsc,
);

const virtualization: Rule = {
  id: "cpu.virtualization",
  area: "cpu",
  title: "Hardware virtualization with second-level paging (vmx/svm + ept/npt)",
  roles: ["host"],
  source: `${SRC.vhv}; ${SRC.bios} (Intel(R) Virtualization Technology <Enabled>)`,
  check: (ctx) =>
    x86Only(ctx, "VT-x/AMD-V (vmx/svm)", "vmx+ept (Intel) or svm+npt (AMD)", () => {
      const f = ctx.host.cpu.features;
      const evidence = flagEvidence(ctx.host, ["vmx", "svm", "ept", "npt"]);
      const expected = "vmx+ept (Intel) or svm+npt (AMD)";
      if (ctx.host.cpu.flags.length === 0) return unknown(evidence, expected);
      const hw = f.vmx === true || f.svm === true;
      if (hw && f.secondLevelPaging === true) return pass(evidence, expected);
      const where = inVm(ctx.host)
        ? "enable nested virtualization on the outer hypervisor (kvm_intel nested=1 / kvm_amd nested=1, -cpu host)"
        : "enable Intel(R) Virtualization Technology (VT-x) / AMD-V (SVM) in the BIOS";
      if (!hw && ctx.host.runtime.kvm.devKvm === true) {
        return warn(
          `${evidence}; /dev/kvm present without vmx/svm (e.g. PVM): latency is not representative`,
          expected,
          where,
          true,
        );
      }
      if (!hw) return fail(evidence, expected, where, true);
      return warn(`${evidence}: no second-level paging, every guest page fault exits`, expected, where, true);
    }),
};

const apicv: Rule = {
  id: "cpu.apicv",
  area: "cpu",
  title: "APICv / posted interrupts (AVIC on AMD) enabled in KVM",
  roles: ["host"],
  source: `${SRC.cpuFeatures} (posted interrupts)`,
  check: (ctx) =>
    x86Only(ctx, "APICv/AVIC", "kvm_intel enable_apicv=1 / kvm_amd avic=1", () => {
      const f = ctx.host.cpu.features;
      const amd = ctx.host.cpu.vendor === "AuthenticAMD";
      const param = amd ? "kvm_amd avic" : "kvm_intel enable_apicv";
      const evidence =
        `${P.kvmParams}: ${param} ${f.apicv === null ? "unknown (module not loaded?)" : f.apicv ? "on" : "off"}` +
        (f.postedInterrupts === null ? "" : `; posted interrupts ${f.postedInterrupts ? "on" : "off"}`);
      const expected = `${param}=1`;
      const remedy = `echo 'options ${param}=1' > ${PATHS.modprobeConf} and reload the module with no VM running (needs APICv/AVIC hardware)`;
      if (f.apicv === null) return unknown(evidence, expected, remedy, true);
      if (f.apicv) return pass(evidence, expected);
      return warn(evidence, expected, remedy, true);
    }),
};

const devKvm: Rule = {
  id: "virt.kvm-device",
  area: "virt",
  title: "/dev/kvm present",
  roles: ["host"],
  source: SRC.vhv,
  check(ctx) {
    const v = ctx.host.runtime.kvm.devKvm;
    const evidence = `/dev/kvm: ${v === null ? "unknown" : v ? "present" : "absent"}`;
    const expected = "/dev/kvm present";
    const mod = ctx.host.cpu.vendor === "AuthenticAMD" ? "kvm_amd" : "kvm_intel";
    if (v === null) return unknown(evidence, expected);
    if (v) return pass(evidence, expected);
    return fail(evidence, expected, `modprobe ${mod}; if it refuses, enable VT-x/AMD-V in the BIOS`, false);
  },
};

/** A kvm module parameter tuned realtime-virtual-host sets; read-only ones need the module reloaded. */
function kvmParamRule(
  id: string,
  title: string,
  pick: (ctx: RuleContext) => { module: string; name: string; want: string },
  ok: (v: string) => boolean,
  runtimeWritable: boolean,
  note = "",
  x86 = true,
): Rule {
  return {
    id,
    area: "virt",
    title,
    roles: ["host"],
    source: SRC.tuned,
    check(ctx): Verdict {
      const { module, name, want } = pick(ctx);
      if (x86) {
        const gated = x86Only(ctx, `the ${module}.${name} parameter`, `${module}.${name}=${want}`, () =>
          pass("", ""),
        );
        if (gated.level === "n/a") return gated;
      }
      const v = kvmParam(ctx.host, name);
      const path = `/sys/module/${module}/parameters/${name}`;
      const evidence = `${path}: ${v ?? "missing (module not loaded?)"}`;
      const expected = `${module}.${name}=${want}`;
      if (v === null) return unknown(evidence, expected);
      if (ok(v)) return pass(evidence, expected);
      const persist = `echo 'options ${module} ${name}=${want}' > ${PATHS.modprobeConf}`;
      const remedy = runtimeWritable
        ? `echo ${want} > ${path}; persist: ${persist}${note}`
        : `${persist} and reload ${module} with no VM running (or reboot)${note}`;
      return warn(evidence, expected, remedy, !runtimeWritable);
    },
  };
}

const kvmclockSync = kvmParamRule(
  "virt.kvm.kvmclock-periodic-sync",
  "No periodic kvmclock sync (kvm.kvmclock_periodic_sync=0)",
  () => ({ module: "kvm", name: "kvmclock_periodic_sync", want: "0" }),
  isOff,
  false,
);
const nxHugePages = kvmParamRule(
  "virt.kvm.nx-huge-pages",
  "No NX hugepage splitting (kvm.nx_huge_pages off)",
  () => ({ module: "kvm", name: "nx_huge_pages", want: "off" }),
  isOff,
  true,
  " (only where the iTLB multihit mitigation is not needed: unaffected CPU or trusted guests)",
);
const pleGap = kvmParamRule(
  "virt.kvm.ple-gap",
  "Pause-loop exiting off (kvm_intel.ple_gap=0 / kvm_amd.pause_filter_count=0)",
  (ctx) =>
    ctx.host.cpu.vendor === "AuthenticAMD"
      ? { module: "kvm_amd", name: "pause_filter_count", want: "0" }
      : { module: "kvm_intel", name: "ple_gap", want: "0" },
  (v) => v.trim() === "0",
  false,
);
const haltPoll = kvmParamRule(
  "virt.kvm.halt-poll-ns",
  "No host-side halt polling (kvm.halt_poll_ns=0): the RT guest polls itself",
  () => ({ module: "kvm", name: "halt_poll_ns", want: "0" }),
  // The seeds' guest runs idle=poll and never halts; host polling for halted vCPUs only burns the CPU time
  // the housekeeping side needs, and matches what `kvm4nfv plan` writes.
  (v) => v.trim() === "0",
  true,
  "",
  false, // halt_poll_ns is generic KVM: every architecture has it
);

export const cpuVirtRules: Rule[] = [
  tscDeadline,
  invariantTsc,
  virtualization,
  apicv,
  devKvm,
  kvmclockSync,
  nxHugePages,
  pleGap,
  haltPoll,
];
