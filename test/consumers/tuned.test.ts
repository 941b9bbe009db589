/**
 * The tuned profile, resolved by tuned itself: Debian's tuned 2.20 profile loader (python3 `tuned` modules: Locator,
 * Loader, Merger, Variables, and the bootloader plugin's own cmdline merge) loads the emitted profile on top of the
 * stock realtime-virtual-host/-guest chain from /usr/lib/tuned. Nothing is applied and no daemon starts; see
 * tuned-resolve.py for the two machine reads it redirects (online CPUs → the plan's machine, /etc/tuned includes →
 * a temp dir holding a stale user setting).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatCpuList } from "../../src/host/parse/cpulist.js";
import { emitTunedFiles, planSysctls, tunedProfileName } from "../../src/tuning/emit/tuned.js";
import { derivePlan } from "../../src/tuning/plan.js";
import { formatCmdline } from "../../src/tuning/plan-cmdline.js";
import type { Plan } from "../../src/tuning/plan-types.js";
import { baseline, devVm } from "../helpers/host.js";

const PY = "/usr/bin/python3"; // Debian's python, where the tuned package installs its modules
const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-tuned-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// What a user may have left in /etc/tuned: the stock variables files with someone else's cores.
const etcTuned = join(tmp, "etc-tuned");
mkdirSync(etcTuned);
for (const name of ["realtime", "realtime-virtual-host", "realtime-virtual-guest"]) {
  writeFileSync(join(etcTuned, `${name}-variables.conf`), "isolated_cores=1\nisolate_managed_irq=N\n");
}

interface Resolved {
  error?: string;
  isolated_cores: string;
  cmdline: string;
  sysctl: Record<string, string>;
  sysfs: Record<string, string>;
  irqbalance: Record<string, string>;
  scheduler_isolated_cores: string;
  errors: string[];
}

function resolve(name: string, files: Record<string, string>, online: string): Resolved {
  const dir = mkdtempSync(join(tmp, "profiles-"));
  mkdirSync(join(dir, name));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, name, file), content);
  const out = execFileSync(PY, [join(import.meta.dirname, "tuned-resolve.py"), dir, name, online, etcTuned], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"], // tuned logs INFO lines on stderr
  });
  return JSON.parse(out) as Resolved;
}

const online = (plan: Plan) => `0-${plan.machine.cpus - 1}`;
const words = (s: string) => s.split(/\s+/).filter(Boolean).sort();

const cases: Array<[string, Plan]> = [
  ["host (baseline: 2 × E5-2699 v3)", derivePlan(baseline(), { role: "host", rtCpus: 16 })],
  ["guest (the dev VM's 2 vCPUs)", derivePlan(devVm(), { role: "guest", rtCpus: 1 })],
];

describe.each(cases)("tuned resolves the emitted profile: %s", (_, plan) => {
  const r = resolve(tunedProfileName(plan), emitTunedFiles(plan), online(plan));

  it("loads without an assertion failing or an error logged", () => {
    expect(r.error).toBeUndefined();
    expect(r.errors).toEqual([]);
  });

  it("isolates exactly the plan's CPUs, whatever /etc/tuned's variables file says", () => {
    expect(r.isolated_cores).toBe(formatCpuList(plan.isolated));
    expect(r.scheduler_isolated_cores).toBe(formatCpuList(plan.isolated));
    expect(r.irqbalance.banned_cpus).toBe(formatCpuList(plan.isolated));
  });

  it("renders exactly the plan's kernel command line", () => {
    expect(words(r.cmdline)).toEqual(words(formatCmdline(plan.cmdline)));
  });

  it("sets exactly the plan's sysctls", () => {
    expect(r.sysctl).toEqual(planSysctls(plan));
    expect(Object.keys(r.sysctl)).toContain("kernel.sched_rt_runtime_us");
  });

  it("keeps the stock profile's run-time parts, computed for the plan's CPUs", () => {
    // realtime's workqueue mask is the complement of isolated_cores over the online CPUs: the plan's housekeeping
    const mask = BigInt(`0x${r.sysfs["/sys/devices/virtual/workqueue/cpumask"]!.replaceAll(",", "")}`);
    const expected = plan.housekeeping.reduce((m, c) => m | (1n << BigInt(c)), 0n);
    expect(mask).toBe(expected);
  });
});

describe("what `plan --emit tuned -o DIR` writes for the baseline snapshot", () => {
  it("resolves to the same CPUs, command line and sysctls as the plan JSON says", () => {
    const root = join(import.meta.dirname, "../fixtures/snapshots/baseline-untuned");
    const args = ["bin/kvm4nfv.js", "plan", "--role", "host", "--rt-cpus", "16", "--root", root];
    const doc = JSON.parse(execFileSync("node", args, { encoding: "utf8" }));
    const dir = join(tmp, "cli", "kvm4nfv-rt-host");
    execFileSync("node", [...args, "--emit", "tuned", "-o", dir], { encoding: "utf8" });
    const out = execFileSync(
      PY,
      [join(import.meta.dirname, "tuned-resolve.py"), join(tmp, "cli"), "kvm4nfv-rt-host", "0-35", etcTuned],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    const r = JSON.parse(out) as Resolved;
    expect(r.errors).toEqual([]);
    expect(r.isolated_cores).toBe(doc.cpus.isolated);
    expect(words(r.cmdline)).toEqual(words(doc.cmdline));
    const sysctls = Object.fromEntries(
      doc.runtime
        .filter((i: { kind: string; path: string }) => i.kind === "write" && i.path.startsWith("/proc/sys/"))
        .map((i: { path: string; value: string }) => [i.path.slice(10).replaceAll("/", "."), i.value]),
    );
    expect(r.sysctl).toEqual(sysctls);
  });
});

describe("the defect this replaces", () => {
  it("a variables file beside the profile is never read: tuned takes /etc/tuned's cores", () => {
    const plan = cases[0]![1];
    const files = {
      "tuned.conf": "[main]\ninclude=realtime-virtual-host\n",
      "realtime-virtual-host-variables.conf": `isolated_cores=${formatCpuList(plan.isolated)}\n`,
    };
    const r = resolve("old-style", files, online(plan));
    expect(r.isolated_cores).toBe("1");
    expect(r.cmdline).toContain("nohz_full=1 ");
  });
});
