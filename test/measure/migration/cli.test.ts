import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

function cli(...args: string[]) {
  return spawnSync("node", ["bin/kvm4nfv.js", "test", "migration", ...args], { encoding: "utf8" });
}

describe("kvm4nfv test migration: bad input", () => {
  it.each([
    [["--bandwidth", "fast"], /--bandwidth: cannot read "fast"/],
    [["--downtime-limit", "soon"], /--downtime-limit "soon" is not a duration/],
    [["--sla", "latency=1ms"], /--sla: cannot read "latency=1ms"/],
    [["--caps", "warp"], /unknown migration capability "warp"/],
    [["--params", "multifd-channels=many"], /whole number/],
    [["--memory", "lots"], /--memory: cannot read "lots"/],
    [["--workload", "busy"], /--workload: cannot read "busy"/],
    [["--repeat", "0"], /--repeat/],
    [["--sweep", "--compare-defaults"], /exclusive/],
    [["--accel", "hvf"], /hvf/],
  ])("%j → one line, exit 2, no QEMU started", (args, message) => {
    const r = cli(...args);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });
});
