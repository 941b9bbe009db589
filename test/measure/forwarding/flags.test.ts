/** Flags → options (every bad value exits 2 before anything is built), the refusals, and the stored records. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  findVirtualFunctions,
  optionsFromFlags,
  parseForwardingSla,
  parseFrameSizes,
  parseRate,
  refusal,
} from "../../../src/measure/forwarding/command.js";
import { judge, latencyCpuResult, vsperfName } from "../../../src/measure/forwarding/record.js";
import { parseSockperfFullLog, parseSockperfLatency } from "../../../src/measure/forwarding/sockperf.js";
import { totalSamples } from "../../../src/measure/stats.js";
import { fwFixture } from "./fixtures.js";

describe("flags", () => {
  it("defaults: phy2phy over testpmd, VSPERF's frame sizes, the last CPU for the PMD, CPU 0 housekeeping", () => {
    const o = optionsFromFlags({}, 2);
    expect(o).toMatchObject({
      topology: "phy2phy",
      switch: "testpmd",
      frameSizes: [64, 128, 256, 512, 1024, 1280, 1518],
      durationS: 10,
      pmdCpus: [1],
      mainCpu: 0,
      serverCpu: 0,
      fwdMode: "io",
      latencyShare: 0.5,
    });
    expect(o.ratePps).toBeUndefined();
  });

  it.each([
    [{ topology: "p2p" }, /--topology "p2p" is not a topology/],
    [{ switch: "vpp" }, /--switch "vpp" is not a switch/],
    [{ frameSizes: "64,9000" }, /9000 is outside 64…1518/],
    [{ frameSizes: "64,abc" }, /"abc" is not a frame size/],
    [{ frameSizes: "64,64" }, /64 given twice/],
    [{ cpus: "0-1" }, /leaves no CPU for the main lcore/],
    [{ cpus: "5" }, /CPU 5 does not exist/],
    [{ rate: "fast" }, /--rate "fast" is not a frame rate/],
    [{ latencyAt: "150%" }, /not a share/],
    [{ fwdMode: "mac", switch: "ovs-dpdk" }, /applies to --switch testpmd only/],
    [{ duration: "forever" }, /--duration "forever" is not a duration/],
    [{ sla: "throughput=lots" }, /not a frame rate/],
  ])("%o is refused", (flags, message) => {
    expect(() => optionsFromFlags(flags, 2)).toThrow(message);
  });

  it("on a 4-CPU host the generator's server gets its own housekeeping CPU", () => {
    expect(optionsFromFlags({ cpus: "2-3" }, 4)).toMatchObject({ pmdCpus: [2, 3], mainCpu: 0, serverCpu: 1 });
  });

  it("rates and SLAs", () => {
    expect(parseRate("20k")).toBe(20_000);
    expect(parseRate("1.5Mpps")).toBe(1_500_000);
    expect(parseFrameSizes("1518,64")).toEqual([1518, 64]);
    expect(parseForwardingSla("throughput=10kfps,avg=100,p99=300")).toEqual({
      minThroughputPps: 10_000,
      latency: [
        { metric: "avg", limitUs: 100 },
        { metric: "p99", limitUs: 300 },
      ],
    });
  });
});

describe("refusals", () => {
  const root = mkdtempSync(join(tmpdir(), "kvm4nfv-fw-sysfs-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("sriov without a VF: refused with the reason (exit 3)", () => {
    const o = optionsFromFlags({ switch: "sriov" }, 2);
    const e = refusal(o, root);
    expect(e?.message).toMatch(/no SR-IOV virtual function/);
    expect(e?.exitCode).toBe(3);
  });

  it("sriov with a VF (a snapshot tree with a physfn link, as the kernel's sysfs ABI has it): found, still refused", () => {
    const devices = join(root, "sys/bus/pci/devices");
    mkdirSync(join(devices, "0000:3b:00.0"), { recursive: true });
    mkdirSync(join(devices, "0000:3b:02.0"), { recursive: true });
    symlinkSync("../0000:3b:00.0", join(devices, "0000:3b:02.0", "physfn"));
    expect(findVirtualFunctions(root)).toEqual(["0000:3b:02.0"]);
    const e = refusal(optionsFromFlags({ switch: "sriov" }, 2), root);
    expect(e?.message).toMatch(
      /1 VF\(s\) found \(0000:3b:02.0\), but passing a VF to the RT guest is not implemented/,
    );
  });

  it("pvp is refused (not built yet); phy2phy is not", () => {
    expect(refusal(optionsFromFlags({ topology: "pvp" }, 2))?.message).toMatch(/not implemented/);
    expect(refusal(optionsFromFlags({}, 2))).toBeNull();
  });
});

describe("records", () => {
  const summary = parseSockperfLatency(fwFixture("sockperf-3.7-under-load-full-log-veth.txt"));
  const samplesUs = parseSockperfFullLog(fwFixture("sockperf-3.7-under-load-full-log-veth.csv"));
  const cpu = latencyCpuResult({ ratePps: 2000, summary, samplesUs, output: "", fullLog: "" }, 0);

  it("the latency distribution: every sample in the histogram, sockperf's own min/avg/max", () => {
    expect(cpu.histogram && totalSamples(cpu.histogram)).toBe(107);
    expect(cpu).toMatchObject({ minUs: 8.091, avgUs: 172.445, maxUs: 6318.145, samples: 107, overflows: 0 });
    // Nearest rank over 1 µs buckets rounded up: p50 is the 54th smallest sample, rounded up.
    const sorted = [...samplesUs].sort((a, b) => a - b);
    expect(cpu.percentiles.p50?.valueUs).toBe(Math.ceil(sorted[53]!));
    expect(cpu.percentiles.p99?.valueUs).toBe(Math.ceil(sorted[105]!));
  });

  it("SLA: throughput floor and latency limits", () => {
    expect(judge({ latency: [], minThroughputPps: 1000 }, [cpu], 5000).status).toBe("pass");
    expect(judge({ latency: [], minThroughputPps: 10_000 }, [cpu], 5000).summary).toMatch(
      /throughput 5000 < 10000 fps/,
    );
    expect(judge({ latency: [{ metric: "max", limitUs: 1000 }] }, [cpu], 5000).status).toBe("fail");
    expect(judge(undefined, [cpu], 5000)).toMatchObject({ status: "pass", summary: "no latency SLA set" });
  });

  it("VSPERF names", () => {
    expect(vsperfName("phy2phy", false)).toBe("phy2phy_tput");
    expect(vsperfName("pvp", true)).toBe("pvp_cont");
  });
});
