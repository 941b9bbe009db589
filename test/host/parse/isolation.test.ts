/**
 * The isolation boot parameters as the kernel reads them (kernel/sched/isolation.c housekeeping_isolcpus_setup,
 * kernel/rcu/tree_nocb.h rcu_nocb_setup, kernel/irq/irqdesc.c irq_affinity_setup; the "cpu lists" grammar of
 * Documentation/admin-guide/kernel-parameters.txt, bitmap_parselist()).
 */
import { describe, expect, it } from "vitest";
import { parseKernelCpuList } from "../../../src/host/parse/cpulist.js";
import {
  parseIrqaffinity,
  parseIsolcpus,
  parseNohzFull,
  parseRcuNocbs,
} from "../../../src/host/parse/isolation.js";

const cpusOf = (r: ReturnType<typeof parseKernelCpuList>) => (r.ok ? r.cpus : r.reason);

describe("parseKernelCpuList: the kernel's cmdline cpulist grammar", () => {
  it("reads N as the last CPU and all as 0-N", () => {
    expect(cpusOf(parseKernelCpuList("2-N", 7))).toEqual([2, 3, 4, 5, 6, 7]);
    expect(cpusOf(parseKernelCpuList("N", 7))).toEqual([7]);
    expect(cpusOf(parseKernelCpuList("all", 3))).toEqual([0, 1, 2, 3]);
    expect(cpusOf(parseKernelCpuList("ALL", 1))).toEqual([0, 1]);
  });

  it("reads a-b:used/group as the kernel-parameters example does", () => {
    // "isolcpus=1,2,10-20,100-2000:2/25": 100,101,125,126,150,151,...
    const r = parseKernelCpuList("1,2,10-20,100-2000:2/25", 2047);
    expect(r.ok && r.cpus.slice(0, 17)).toEqual([
      1, 2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 100, 101, 125, 126,
    ]);
    // 77 groups of 25 from 100; the last (2000) is cut at the range end, as bitmap_set_region() cuts it.
    expect(r.ok && r.cpus.length).toBe(13 + 2 * 76 + 1);
    expect(cpusOf(parseKernelCpuList("0-N:1/2", 7))).toEqual([0, 2, 4, 6]);
  });

  it("cannot resolve N when the possible CPUs are unknown, and says so (not malformed)", () => {
    const r = parseKernelCpuList("1-N", null);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.unknownLast).toBe(true);
  });

  it("rejects what bitmap_parselist rejects", () => {
    for (const bad of ["5-2", "1,,2", "0-7:3/2", "0-7:1/0", "n", "abc", ""]) {
      expect(parseKernelCpuList(bad, 7).ok, bad).toBe(false);
    }
  });
});

describe("parseIsolcpus", () => {
  it("no flag means domain", () => {
    const r = parseIsolcpus("2-5", 7);
    expect(r.effective).toEqual(["domain"]);
    expect(cpusOf(r.cpus)).toEqual([2, 3, 4, 5]);
  });

  it("managed_irq alone isolates managed IRQs only: the CPUs stay in the scheduler domains", () => {
    const r = parseIsolcpus("managed_irq,0-4", 7);
    expect(r.flags).toEqual(["managed_irq"]);
    expect(r.effective).toEqual(["managed_irq"]);
    expect(r.effective).not.toContain("domain");
    expect(cpusOf(r.cpus)).toEqual([0, 1, 2, 3, 4]);
  });

  it("keeps every named flag; nohz is the tick isolation of nohz_full", () => {
    expect(parseIsolcpus("nohz,domain,managed_irq,2-N", 7).effective).toEqual([
      "nohz",
      "domain",
      "managed_irq",
    ]);
  });

  it("skips an unknown flag of letters and _, as the kernel does", () => {
    const r = parseIsolcpus("foo_bar,domain,3", 7);
    expect(r.skipped).toEqual(["foo_bar"]);
    expect(r.effective).toEqual(["domain"]);
    expect(cpusOf(r.cpus)).toEqual([3]);
  });

  it("an unknown-only flag list still defaults to domain (the kernel's `if (!flags)`)", () => {
    expect(parseIsolcpus("foo,3", 7).effective).toEqual(["domain"]);
  });

  it("an invalid flag character makes the kernel ignore the whole parameter", () => {
    const r = parseIsolcpus("dom4in,2-3", 7);
    expect(r.cpus.ok).toBe(false);
    expect(!r.cpus.ok && r.cpus.reason).toContain("invalid flag");
  });

  it("a flag without a CPU list isolates nothing", () => {
    expect(parseIsolcpus("domain", 7).cpus.ok).toBe(false);
  });
});

describe("nohz_full, rcu_nocbs, irqaffinity", () => {
  it("nohz_full: N and groups, a bad list is ignored", () => {
    expect(cpusOf(parseNohzFull("1-N", 3))).toEqual([1, 2, 3]);
    expect(parseNohzFull("3-1", 3).ok).toBe(false);
  });

  it("rcu_nocbs: bare offloads nothing at boot; a bad list offloads every CPU", () => {
    expect(parseRcuNocbs("", [0, 1, 2, 3]).cpus).toEqual([]);
    const bad = parseRcuNocbs("3-1", [0, 1, 2, 3]);
    expect(bad.cpus).toEqual([0, 1, 2, 3]);
    expect(bad.note).toContain("offloads every CPU");
    expect(parseRcuNocbs("2-N", [0, 1, 2, 3])).toEqual({ cpus: [2, 3], note: null });
  });

  it("irqaffinity: the boot CPU is always added", () => {
    expect(cpusOf(parseIrqaffinity("2-3", 7))).toEqual([0, 2, 3]);
  });
});
