/** The one RT-CPU resolver: check's policy (the cmdline's intent, else none) and the timer's (this boot's isolated set, else the cmdline's, else the last online CPU). */
import { describe, expect, it } from "vitest";
import { type RtCpuFacts, resolveRtCpus } from "../../src/tuning/rt-cpus.js";

const facts = (cmdline: string, isolated: number[] | null): RtCpuFacts => {
  const params = Object.fromEntries(
    cmdline
      .split(" ")
      .filter((t) => t !== "")
      .map((t) => [t.split("=")[0]!, t.split("=")[1] ?? ""]),
  );
  const all = [0, 1, 2, 3, 4, 5, 6, 7];
  return { online: all, isolated, kernel: { cmdline, params }, possible: all };
};
const CHECK = { prefer: "cmdline", fallback: "none" } as const;
const TIMER = { prefer: "running", fallback: "last-online" } as const;

describe("resolveRtCpus", () => {
  it("takes --cpus first, sorted and validated against the online CPUs, under every policy", () => {
    for (const p of [CHECK, TIMER]) {
      expect(resolveRtCpus(facts("isolcpus=2-3", [2, 3]), [5, 4], p)).toEqual({
        rtCpus: [4, 5],
        rtCpusSource: "--cpus",
      });
      expect(resolveRtCpus(facts("", null), "6-7", p).rtCpus).toEqual([6, 7]);
      expect(() => resolveRtCpus(facts("", null), [9], p)).toThrow("--cpus 9: CPU 9 is not online");
      expect(() => resolveRtCpus(facts("", null), " ", p)).toThrow("--cpus is empty");
    }
  });

  it("check audits the cmdline's intent: isolcpus (flags stripped), then nohz_full, else none", () => {
    expect(resolveRtCpus(facts("isolcpus=managed_irq,domain,2-3", []), undefined, CHECK)).toEqual({
      rtCpus: [2, 3],
      rtCpusSource: "isolcpus",
    });
    expect(resolveRtCpus(facts("nohz_full=4-5", []), undefined, CHECK).rtCpusSource).toBe("nohz_full");
    expect(resolveRtCpus(facts("quiet", [6]), undefined, CHECK)).toEqual({
      rtCpus: [],
      rtCpusSource: "none",
    });
  });

  it("the timer measures what this boot isolated, then what the cmdline asks, else the last online CPU", () => {
    expect(resolveRtCpus(facts("isolcpus=2-3", [6]), undefined, TIMER)).toEqual({
      rtCpus: [6],
      rtCpusSource: "isolated",
    });
    // nohz_full alone isolates nothing in /sys/devices/system/cpu/isolated, but names the RT CPUs
    expect(resolveRtCpus(facts("nohz_full=4-5", []), undefined, TIMER).rtCpus).toEqual([4, 5]);
    expect(resolveRtCpus(facts("quiet", []), undefined, TIMER)).toEqual({
      rtCpus: [7],
      rtCpusSource: "last-online",
    });
  });
});
