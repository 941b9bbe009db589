/**
 * `kvm4nfv kernel check PLAN.json`, after the reboot: is the running kernel the planned one, and is it PREEMPT_RT
 * (/sys/kernel/realtime reads 1; `uname -v`, the "#1 SMP PREEMPT_RT …" part of /proc/version, says PREEMPT_RT)?
 * Its installed /boot/config-RELEASE is judged too (on dnf, the first time it can be). Exit 1 when any fails.
 */
import type { HostFs } from "../../host/fs.js";
import { refuseOtherDistribution } from "./apply.js";
import { judgeConfig, verdictLine } from "./config-verdict.js";
import { loadRtKernelPlan } from "./plan.js";
import { openMachineRoot } from "./run-in.js";

export interface RtCheckResult {
  lines: string[];
  ok: boolean;
}

export function runRtKernelCheck(options: { plan: string; root?: string; fs?: HostFs }): RtCheckResult {
  const plan = loadRtKernelPlan(options.plan);
  const fs = options.fs ?? openMachineRoot(options.root);
  refuseOtherDistribution(plan, fs, options.plan);
  const lines: string[] = [];
  let ok = true;
  const verdict = (pass: boolean | null, text: string) => {
    if (pass === false) ok = false;
    lines.push(`${pass === null ? "unknown" : pass ? "pass" : "FAIL"}: ${text}`);
  };
  const release = fs.read("/proc/sys/kernel/osrelease")?.trim() ?? null;
  verdict(
    release === null ? null : release === plan.release,
    `running kernel ${release ?? "(unknown: no /proc/sys/kernel/osrelease)"}, planned ${plan.release}`,
  );
  const rtFile = fs.read("/sys/kernel/realtime")?.trim();
  verdict(rtFile === undefined ? null : rtFile === "1", `/sys/kernel/realtime: ${rtFile ?? "absent"}`);
  const version = fs.read("/proc/version")?.trim();
  // uname -v is the part after "(…) " of /proc/version: "#1 SMP PREEMPT_RT Debian 6.1.192-3 (2026-…)"
  const unameV = version === undefined ? undefined : (/\)\s+(#\d+.*)$/.exec(version)?.[1] ?? version);
  verdict(
    unameV === undefined ? null : /PREEMPT[_ ]RT/.test(unameV),
    `uname -v: ${unameV ?? "(unknown: no /proc/version)"}`,
  );
  const config = fs.read(`/boot/config-${plan.release}`);
  if (config === undefined) verdict(null, `/boot/config-${plan.release} not found`);
  else {
    const v = judgeConfig(config, `/boot/config-${plan.release}`);
    verdict(v.ok, `${v.source}: ${verdictLine(v)}`);
  }
  if (!ok && release !== null && release !== plan.release) {
    lines.push(
      `not booted into ${plan.release} yet: reboot (kvm4nfv kernel apply --yes ${options.plan} is safe to run again first)`,
    );
  }
  return { lines, ok };
}
