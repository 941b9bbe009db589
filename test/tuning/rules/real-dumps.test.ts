/**
 * The audit on real captures (util-linux's lscpu dumps, see test/fixtures/real/lscpu): x86-only items are n/a on
 * arm64, POWER and RISC-V, and a dump without /proc/cmdline, kernel config or run-time files never gets a
 * stronger verdict than what it shows: nothing that depends on those files passes, warns or fails.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openHostFs } from "../../../src/host/fs.js";
import { readHost } from "../../../src/host/read.js";
import { runCheck } from "../../../src/tuning/check.js";

const DIR = "test/fixtures/real/lscpu";
const DUMPS = readdirSync(DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

const X86_ONLY = [
  "cpu.tsc-deadline-timer",
  "cpu.invariant-tsc",
  "cpu.virtualization",
  "cpu.apicv",
  "platform.bios.execute-disable",
  "platform.bios.txt",
  "platform.legacy-usb",
  "platform.port-60-64-emulation",
  "platform.smi",
  "virt.kvm.kvmclock-periodic-sync",
  "virt.kvm.nx-huge-pages",
  "virt.kvm.ple-gap",
  "os.tsc.reliable",
  "os.tsc.clocksource",
  "os.idle",
];

/** Rules whose verdict needs the cmdline, the kernel config or run-time files none of these dumps has. */
const NEEDS_MISSING_FILES = [
  "platform.power-management.cstates",
  "kernel.preempt-rt",
  "kernel.no-hz-full",
  "os.cpu-isolation.isolcpus",
  "os.tickless.nohz-full",
  "os.rcu-nocbs",
  "os.iommu",
  "virt.kvm-device",
];

describe.each(DUMPS)("check --role host on the real dump %s", (name) => {
  const host = readHost(openHostFs(join(DIR, name)));
  const report = runCheck(host, { role: "host" });
  const level = (id: string) => report.findings.find((f) => f.id === id)?.level;

  it("marks the x86-only items n/a off x86, and checks them on x86", () => {
    for (const id of X86_ONLY) {
      const l = level(id);
      if (host.cpu.arch === "x86") expect(l, id).not.toBe("n/a");
      else expect(l, id).toBe("n/a");
    }
    if (host.cpu.arch !== "x86") {
      const f = report.findings.find((x) => x.id === "platform.bios.execute-disable")!;
      expect(f.evidence).toContain(`${host.cpu.arch} host`);
    }
  });

  it("says unknown, never pass/warn/fail, where the dump lacks the files a rule reads", () => {
    expect(host.kernel.cmdline).toBeNull();
    for (const id of NEEDS_MISSING_FILES) {
      const l = level(id);
      if (l === "n/a") continue; // os.iommu inside a VM
      expect(l, id).toBe("unknown");
    }
  });

  it("marks mce=off n/a off x86 in the guest role too (it is an x86-64 parameter)", () => {
    const guest = runCheck(host, { role: "guest" }).findings.find((f) => f.id === "os.mce")!;
    if (host.cpu.arch === "x86") expect(guest.level).not.toBe("n/a");
    else expect(guest.level).toBe("n/a");
  });

  it("gives no verdict on SMT sharing when the RT set cannot be known", () => {
    const l = level("platform.hyperthreading");
    if (host.topology.threadsPerCore > 1) expect(l).toBe("unknown");
    else expect(l).toBe("pass");
  });
});
