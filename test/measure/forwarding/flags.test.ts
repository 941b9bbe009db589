/** Flags → options (every bad value exits 2 before anything is built), the refusals, and the stored records. */
import { cpSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openHostFs } from "../../../src/host/fs.js";
import {
  optionsFromFlags,
  parseForwardingSla,
  parseFrameSizes,
  parseRate,
  refusal,
} from "../../../src/measure/forwarding/options.js";
import { judge, latencyCpuResult, vsperfName } from "../../../src/measure/forwarding/record.js";
import { hugepagesFor } from "../../../src/measure/forwarding/session.js";
import { parseSockperfFullLog, parseSockperfLatency } from "../../../src/measure/forwarding/sockperf.js";
import { chooseVf } from "../../../src/measure/forwarding/sriov-vf.js";
import { ovsChainFlows, testpmdChain } from "../../../src/measure/forwarding/switches.js";
import { testpmdArgv } from "../../../src/measure/forwarding/testpmd.js";
import { vhostUserArgs, vnfSpec } from "../../../src/measure/forwarding/vnf.js";
import { totalSamples } from "../../../src/measure/stats.js";
import { buildQemuArgv } from "../../../src/vm/argv.js";
import { fwFixture } from "./fixtures.js";

const X710 = join(import.meta.dirname, "../../fixtures/snapshots/sriov-x710-provisioned");
const X710_UNTUNED = join(import.meta.dirname, "../../fixtures/snapshots/sriov-x710-untuned");

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

  it("sriov on a real host's snapshot before provisioning (X710, no VFs): no VF, exit 3", () => {
    const e = refusal(optionsFromFlags({ switch: "sriov" }, 2), X710_UNTUNED);
    expect(e?.exitCode).toBe(3);
    expect(e?.message).toMatch(/this host has no SR-IOV virtual function/);
  });

  it("sriov on the provisioned snapshot: the builder takes the VF on vfio-pci, and says why it cannot run", () => {
    const choice = chooseVf(openHostFs(X710));
    // The VFs on iavf are passed over: only a VF whose whole IOMMU group is on vfio-pci can go to a guest.
    expect(choice.vf.driver).toBe("vfio-pci");
    expect(choice.vf.pciAddress).toBe("0000:86:02.4");
    expect(choice.qemuArgs).toEqual(["-device", "vfio-pci,host=0000:86:02.4,id=vnf0vf"]);
    const e = refusal(optionsFromFlags({ switch: "sriov" }, 2), X710);
    expect(e?.exitCode).toBe(3);
    expect(e?.message).toMatch(
      /VF 0000:86:02\.4 of ens2f0 is ready for the guest \(-device vfio-pci,host=0000:86:02\.4/,
    );
    expect(e?.message).toMatch(/cannot reach the VF's wire/);
  });

  it("sriov with VFs, none on vfio-pci (the provisioned snapshot with those VFs back on iavf): refused, naming one", () => {
    const copy = join(root, "x710");
    cpSync(X710, copy, { recursive: true, verbatimSymlinks: true });
    const parent = join(copy, "sys/devices/pci0000:85/0000:85:02.0");
    for (const dev of readdirSync(parent)) {
      const driver = join(parent, dev, "driver");
      if (!readlinkSync(driver, { encoding: "utf8" }).endsWith("/vfio-pci")) continue;
      rmSync(driver);
      symlinkSync("../../../../bus/pci/drivers/iavf", driver);
    }
    const e = refusal(optionsFromFlags({ switch: "sriov" }, 2), copy);
    expect(e?.exitCode).toBe(3);
    expect(e?.message).toMatch(
      /VF\(s\) but none ready for the guest: 0000:86:02\.0 of ens2f0 is not bound to vfio-pci/,
    );
  });

  it("pvp and pvvp are built (no refusal), but not over the bare-metal bridge nor with mac forwarding", () => {
    expect(refusal(optionsFromFlags({ topology: "pvp" }, 2))).toBeNull();
    expect(refusal(optionsFromFlags({ topology: "pvvp", switch: "ovs-dpdk" }, 2))).toBeNull();
    expect(refusal(optionsFromFlags({}, 2))).toBeNull();
    expect(refusal(optionsFromFlags({ topology: "pvp", switch: "none" }, 2))?.message).toMatch(
      /no guest in its path/,
    );
    expect(refusal(optionsFromFlags({ topology: "pvp", fwdMode: "mac" }, 2))?.exitCode).toBe(2);
  });
});

describe("chains", () => {
  const end = (c: string) => ({ ns: `n${c}`, ifname: `i${c}`, ip: "", mac: `m${c}` });
  it("testpmd's ports in paired order: tap A, each guest's two vhost-user ports, tap B", () => {
    const ports = testpmdChain({ a: end("a"), b: end("b"), stateDir: "/s", guests: 2 }).map((p) => p.vdev);
    expect(ports).toEqual([
      "net_tap0,iface=ia",
      "net_vhost0,iface=/s/vhu00.sock,queues=1",
      "net_vhost1,iface=/s/vhu01.sock,queues=1",
      "net_vhost2,iface=/s/vhu10.sock,queues=1",
      "net_vhost3,iface=/s/vhu11.sock,queues=1",
      "net_tap1,iface=ib",
    ]);
    // mac forwarding writes a peer only for the generator's ends
    const argv = testpmdArgv({
      mainLcore: 0,
      forwardLcores: [1],
      filePrefix: "p",
      hugeDir: "/h",
      memoryMiB: 64,
      ports: testpmdChain({ a: end("a"), b: end("b"), stateDir: "/s", guests: 1 }),
      mode: "mac",
    });
    expect(argv.filter((a) => a.startsWith("--eth-peer"))).toEqual(["--eth-peer=0,ma", "--eth-peer=3,mb"]);
  });

  it("OVS flows along the chain (VSPERF's phy2phy, pvp, pvvp)", () => {
    expect(ovsChainFlows(0)).toEqual(["in_port=1,actions=output:2", "in_port=2,actions=output:1"]);
    expect(ovsChainFlows(1)).toEqual([
      "in_port=1,actions=output:3",
      "in_port=3,actions=output:1",
      "in_port=4,actions=output:2",
      "in_port=2,actions=output:4",
    ]);
    expect(ovsChainFlows(2)).toContain("in_port=4,actions=output:5");
    expect(ovsChainFlows(2)).toContain("in_port=6,actions=output:2");
  });

  it("the VNF guest's QEMU arguments: vhost-user netdevs (QEMU the server for OVS), memory shared on hugetlbfs", () => {
    const ports = [
      { socket: "/s/vhu00.sock", mac: "52:54:00:4b:00:00" },
      { socket: "/s/vhu01.sock", mac: "52:54:00:4b:00:01" },
    ];
    expect(vhostUserArgs(0, ports, false).slice(0, 6)).toEqual([
      "-chardev",
      "socket,id=vnf0p0c,path=/s/vhu00.sock",
      "-netdev",
      "vhost-user,id=vnf0p0n,chardev=vnf0p0c",
      "-device",
      "virtio-net-pci,netdev=vnf0p0n,mac=52:54:00:4b:00:00",
    ]);
    expect(vhostUserArgs(0, ports, true)[1]).toBe("socket,id=vnf0p0c,path=/s/vhu00.sock,server=on,wait=off");
    const images = { kernel: "/k", initrd: "/i" } as Parameters<typeof vnfSpec>[0];
    const argv = buildQemuArgv(
      vnfSpec(images, { hugeDir: "/h", cpu: 0 }, "/i2"),
      "tcg",
      {
        qmpSocket: "/q",
        consoleLog: "/c",
        outputFile: "/o",
      },
      { name: "n", paused: true },
    );
    expect(argv).toContain("memory-backend-file,id=mem,size=256M,mem-path=/h,share=on,prealloc=on");
    expect(hugepagesFor("testpmd", 1)).toBe(64 + 128);
    expect(hugepagesFor("ovs-dpdk", 2)).toBe(288 + 256);
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
