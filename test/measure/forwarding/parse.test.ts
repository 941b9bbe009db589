/** The parsers against real captures (test/fixtures/forwarding/README.md names each one's origin and reading). */
import { describe, expect, it } from "vitest";
import {
  parseSockperfFullLog,
  parseSockperfLatency,
  parseSockperfThroughput,
  parseSockperfVersion,
} from "../../../src/measure/forwarding/sockperf.js";
import {
  parseDpdkVersion,
  parseTestpmdForwardStats,
  testpmdArgv,
} from "../../../src/measure/forwarding/testpmd.js";
import { fwFixture } from "./fixtures.js";

describe("sockperf 3.7 latency summaries", () => {
  it("ping-pong through testpmd: every figure as printed", () => {
    const s = parseSockperfLatency(fwFixture("sockperf-3.7-ping-pong-testpmd-io.txt"));
    expect(s).toMatchObject({
      sentMessages: 28783,
      receivedMessages: 28782,
      validSent: 22173,
      validReceived: 22173,
      avgUs: 34.918,
      stdDevUs: 141.193,
      dropped: 0,
      observations: 22173,
      maxUs: 4480.716,
      minUs: 12.979,
      // The "test was performed using the following parameters" line goes to the --full-log file, not stdout.
      parameters: null,
    });
    expect(s.percentiles["99.990"]).toBe(3736.197);
    expect(s.percentiles["50.000"]).toBe(20.29);
    expect(Object.keys(s.percentiles)).toHaveLength(8);
  });

  it("under-load through OVS-DPDK with drops (the red ANSI line)", () => {
    const s = parseSockperfLatency(fwFixture("sockperf-3.7-under-load-ovs-dpdk-drops.txt"));
    expect(s).toMatchObject({
      sentMessages: 20005,
      receivedMessages: 83,
      dropped: 82,
      observations: 72,
      avgUs: 8213.743,
    });
    expect(s.maxUs).toBe(26096.342);
    expect(s.minUs).toBe(27.08);
  });

  it("under-load written by kvm4nfv's own run", () => {
    const s = parseSockperfLatency(fwFixture("sockperf-3.7-under-load-testpmd-64.txt"));
    expect(s).toMatchObject({
      avgUs: 5573.362,
      minUs: 18.567,
      maxUs: 17612.475,
      observations: 1078,
      dropped: 0,
    });
  });

  it("a truncated output is an error naming what is missing", () => {
    const text = fwFixture("sockperf-3.7-ping-pong-testpmd-io.txt").split("<MAX>")[0]!;
    expect(() => parseSockperfLatency(text)).toThrow(/no <MAX> observation/);
  });

  it("the version", () => {
    expect(parseSockperfVersion(fwFixture("sockperf-3.7-under-load-bridge-64.txt"))).toBe("3.7");
  });
});

describe("sockperf throughput and --full-log", () => {
  it("messages sent and the rate", () => {
    expect(parseSockperfThroughput(fwFixture("sockperf-3.7-throughput-testpmd-64.txt"))).toEqual({
      sentMessages: 199235,
      seconds: 1,
      messageRate: 199142,
    });
  });

  it("a full log has one latency per observation of its summary", () => {
    const samples = parseSockperfFullLog(fwFixture("sockperf-3.7-under-load-full-log-veth.csv"));
    const summary = parseSockperfLatency(fwFixture("sockperf-3.7-under-load-full-log-veth.txt"));
    expect(samples).toHaveLength(summary.observations);
    expect(Math.max(...samples)).toBeCloseTo(summary.maxUs, 2);
    expect(Math.min(...samples)).toBeCloseTo(summary.minUs, 2);
    const avg = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(avg).toBeCloseTo(summary.avgUs, 2);
  });

  it("a file without the header is refused", () => {
    expect(() => parseSockperfFullLog("1, 2, 3, 4\n")).toThrow(/header/);
  });
});

describe("testpmd", () => {
  it("forward statistics per port and the DPDK version", () => {
    const log = fwFixture("dpdk-testpmd-22.11.11-io-two-net_tap.log");
    expect(parseTestpmdForwardStats(log)).toEqual([
      { port: 0, rxPackets: 105528, rxDropped: 0, txPackets: 12482, txDropped: 0 },
      { port: 1, rxPackets: 12482, rxDropped: 0, txPackets: 105528, txDropped: 0 },
    ]);
    expect(parseDpdkVersion(log)).toBe("22.11.11");
  });

  it("argv: lcores main first, pinned forwarding cores, mac peers only in mac mode", () => {
    const base = {
      mainLcore: 0,
      forwardLcores: [1],
      filePrefix: "kvm4nfv-x",
      hugeDir: "/tmp/h",
      memoryMiB: 64,
      ports: [
        { vdev: "net_tap0,iface=a", peerMac: "02:00:00:00:00:0a" },
        { vdev: "net_tap1,iface=b", peerMac: "02:00:00:00:00:0b" },
      ],
    };
    const io = testpmdArgv({ ...base, mode: "io" });
    expect(io.slice(0, 4)).toEqual(["-l", "0,1", "--main-lcore", "0"]);
    expect(io).toContain("--forward-mode=io");
    expect(io).toContain("--nb-cores=1");
    expect(io.join(" ")).not.toContain("eth-peer");
    const mac = testpmdArgv({ ...base, mode: "mac" });
    expect(mac.slice(mac.indexOf("--"))).toContain("--eth-peer=1,02:00:00:00:00:0b");
  });
});
