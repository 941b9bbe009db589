/** `kvm4nfv guest …` end to end through the built CLI: usage errors are one line and exit 2, before any boot. */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/kvm4nfv.js", ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("kvm4nfv guest run: bad input", () => {
  it("an impossible vCPU pin is one line, exit 2", () => {
    const r = cli("guest", "run", "--cpus", "0:4096");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^kvm4nfv: cannot pin vCPU 0 to CPU 4096: the host has CPUs [\d,-]+$/);
    expect(r.stdout).toBe("");
  });

  it("an unknown accelerator is refused by the flag parser, exit 2", () => {
    const r = cli("guest", "run", "--accel", "xen");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("argument 'xen' is invalid. Allowed choices are auto, kvm, tcg.");
  });

  it("a malformed cpulist names the flag, exit 2", () => {
    const r = cli("guest", "run", "--housekeeping", "1-0");
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--housekeeping");
  });

  it("two FIFO vCPUs on one CPU are refused with a hint", () => {
    const r = cli("guest", "run", "--cpus", "0:0,1:0", "--fifo", "10");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      "kvm4nfv: vCPUs 0 and 1 are both pinned to CPU 0 with SCHED_FIFO: one would starve the other " +
        "(give each FIFO vCPU its own host CPU, or drop the FIFO priority)",
    );
  });
});
