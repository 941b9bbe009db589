/** `kvm4nfv plan` end to end on the snapshots: output on stdout, and bad input as one line with exit 2. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = join(import.meta.dirname, "../../bin/kvm4nfv.js");
const BASELINE = join(import.meta.dirname, "../fixtures/snapshots/baseline-untuned");
const cli = (...args: string[]) => spawnSync("node", [BIN, "plan", ...args], { encoding: "utf8" });

describe("kvm4nfv plan", () => {
  it("prints the JSON plan for the baseline snapshot", () => {
    const r = cli("--role", "host", "--root", BASELINE, "--rt-cpus", "16");
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.cpus.isolated).toBe("20-35");
    expect(doc.cpus.housekeeping).toBe("0-19");
  });

  it("prints the command line with --emit cmdline", () => {
    const r = cli("--role", "host", "--root", BASELINE, "--cpus", "30-35", "--emit", "cmdline");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^isolcpus=managed_irq,domain,30-35 nohz=on nohz_full=30-35 /);
  });

  it.each([
    [["--rt-cpus", "abc"], '--rt-cpus "abc": expected a whole number'],
    [["--rt-cpus", "18"], "--rt-cpus 18: NUMA node 1 has only 17 CPUs"],
    [["--rt-cpus", "4", "--numa-node", "7"], "--numa-node 7: this machine has no such NUMA node"],
    [["--cpus", "11-15,31-35"], "--cpus spans NUMA nodes 0 and 1"],
    [["--cpus", ""], "--cpus is empty"],
    [["--rt-cpus", "2", "--emit", "xml"], "--emit xml: unknown format"],
    [["--rt-cpus", "2", "--hugepages", "3M:1"], 'hugepage size "3M": x86 offers 2M and 1G'],
  ])("refuses %j with one line and exit 2", (args, message) => {
    const r = cli("--role", "host", "--root", BASELINE, ...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });
});
