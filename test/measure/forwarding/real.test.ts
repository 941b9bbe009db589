/**
 * End to end with the real parts: namespaces, hugepages, DPDK testpmd / OVS-DPDK / a Linux bridge, sockperf.
 * Short (1 s trials, two frame sizes at most) because PMDs busy-poll a CPU of a shared 2-vCPU machine. No
 * figure is asserted (the machine is shared); what is asserted is that the measurement happened, was stored
 * as measured, and that nothing — process, namespace, mount, state dir, hugepage — is left afterwards, on
 * success, failure, timeout and SIGINT.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { forwardingCommand } from "../../../src/app/forwarding.js";
import { parseTestpmdForwardStats } from "../../../src/measure/forwarding/testpmd.js";
import { totalSamples } from "../../../src/measure/stats.js";
import { renderReport } from "../../../src/report/html.js";
import { openStore } from "../../../src/results/store.js";
import { runRecordSchema } from "../../../src/schema/run.js";
import { canForward, hugepages, leftovers } from "./leftovers.js";

const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-fw-test-"));
const store = join(dir, "results.db");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!canForward)("test forwarding, for real", () => {
  let pagesBefore = 0;
  beforeEach(() => {
    expect(leftovers()).toEqual([]);
    pagesBefore = hugepages();
  });
  const clean = () => {
    expect(leftovers()).toEqual([]);
    expect(hugepages()).toBe(pagesBefore);
  };

  it("phy2phy over testpmd: RFC 2544 search and latency per frame size, stored, torn down", async () => {
    const lines: string[] = [];
    const out = await forwardingCommand(
      { frameSizes: "64,1518", duration: "1s", maxTrials: "4", store },
      (l) => lines.push(l),
    );
    clean();
    expect(out.runs).toHaveLength(2);
    expect(lines.some((l) => /reserved \d+ × 2 MiB hugepages/.test(l))).toBe(true);
    // The report's forwarding section, from these real runs: throughput per frame size, plots.
    const html = renderReport(out.runs);
    expect(html).toContain("Packet forwarding");
    expect(html).toMatch(/<th>64<\/th>[\s\S]*<th>1518<\/th>/);
    expect(html).toContain("zero-loss throughput (frames/s)");
    expect(html).toContain("sockperf ping-pong, 1 s");
    const s = openStore(store);
    try {
      for (const [i, frame] of [64, 1518].entries()) {
        const run = s.getRun(out.runs[i]!.id!);
        expect(run.type).toBe("forwarding");
        // What `results show --json` prints follows the published schema (docs/schema/run.json).
        expect(runRecordSchema.safeParse(JSON.parse(JSON.stringify(run))).success).toBe(true);
        expect(run.label).toBe("phy2phy_tput");
        expect(run.params).toMatchObject({
          topology: "phy2phy",
          switch: "testpmd",
          vnf: "none",
          frameSize: frame,
        });
        expect(String(run.params.ports)).toMatch(/^software ports: DPDK net_tap/);
        expect(run.environment.toolVersions).toMatchObject({ dpdk: "22.11.11", sockperf: "3.7" });
        expect(run.raw["sockperf-ping-pong.txt"]).toMatch(/ReceivedMessages=[1-9]/);
        expect(typeof run.metrics.pingPongAvgUs).toBe("number");
        const trials = JSON.parse(run.raw["trials.json"]!) as Array<{ sent: number; received: number }>;
        expect(trials.length).toBeGreaterThanOrEqual(1);
        expect(trials[0]!.sent).toBeGreaterThan(0);
        const c = run.cpus[0];
        if (!c) {
          // On a loaded machine the search may find no loss-free rate within its trials: stored as such.
          expect(run.metrics.throughputPps).toBe(0);
          expect(run.verdict.summary).toMatch(/no zero-loss rate found/);
          expect(trials.length).toBe(5);
          continue;
        }
        expect(Number(run.metrics.throughputPps)).toBeGreaterThan(0);
        // The latency distribution: every sample of sockperf's full log in the histogram.
        expect(c.histogram && totalSamples(c.histogram)).toBe(c.samples);
        expect(c.samples).toBeGreaterThan(0);
        expect(c.minUs).toBeLessThanOrEqual(c.avgUs);
        expect(run.metrics.latencyAvgUs).toBe(c.avgUs);
        // testpmd really forwarded: its own counters, printed as it stopped, saw the frames.
        const stats = parseTestpmdForwardStats(run.raw["testpmd.log"]!);
        expect(stats[0]!.rxPackets).toBeGreaterThan(trials[0]!.received / 2);
      }
    } finally {
      s.close();
    }
  }, 120_000);

  it("OVS-DPDK at a fixed rate (phy2phy_cont): its own ovsdb/vswitchd, PMD pinned, torn down", async () => {
    const out = await forwardingCommand({
      switch: "ovs-dpdk",
      frameSizes: "64",
      duration: "1s",
      rate: "2000",
      store,
    });
    clean();
    const run = out.runs[0]!;
    expect(run.label).toBe("phy2phy_cont");
    expect(run.params.rate).toBe(2000);
    expect(run.raw["ovs-pmd-rxq.txt"]).toMatch(/pmd thread numa_id 0 core_id 1:/);
    expect(run.raw["ovs-flows.txt"]).toMatch(/in_port=1 actions=output:2/);
    expect(run.raw["ovs-vswitchd.log"]).toMatch(/EAL ARGS: .*--file-prefix=kvm4nfv-/);
    expect(run.environment.toolVersions["ovs-vswitchd"]).toBe("3.1.0");
  }, 120_000);

  it("the bare-metal baseline (--switch none): a Linux bridge in its own namespace", async () => {
    const out = await forwardingCommand({
      switch: "none",
      frameSizes: "1518",
      duration: "1s",
      rate: "2000",
      store,
    });
    clean();
    expect(out.runs[0]!.params.ports).toMatch(/Linux bridge/);
    expect(out.runs[0]!.params.hugepages2M).toBe(0);
    expect(out.runs[0]!.raw["bridge-links.txt"]).toMatch(/master br0/);
  }, 60_000);

  it("a failure after the topology is built: torn down, nothing stored", async () => {
    await expect(
      forwardingCommand({ frameSizes: "64", duration: "1s", rate: "1000", store }, () => {}, {
        onPhase: (p) => {
          if (p === "built") throw new Error("injected failure");
        },
      }),
    ).rejects.toThrow("injected failure");
    clean();
  }, 60_000);

  it("a child's timeout (sockperf overruns its time): TIMEOUT, torn down", async () => {
    await expect(
      forwardingCommand({ frameSizes: "64", duration: "1s", rate: "1000", store }, () => {}, { graceS: 0 }),
    ).rejects.toMatchObject({ code: "TIMEOUT" });
    clean();
  }, 60_000);

  it("SIGINT to `kvm4nfv test forwarding` mid-run: exits 130, tears everything down", async () => {
    const child = spawn(
      process.execPath,
      ["bin/kvm4nfv.js", "test", "forwarding", "--frame-sizes", "64", "--duration", "2s", "--store", store],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const measuring = new Promise<void>((r) => {
      child.stderr.on("data", (d) => {
        stderr += String(d);
        if (/64 B: offered/.test(stderr)) r();
      });
    });
    await Promise.race([measuring, exited]);
    expect(stderr).toMatch(/64 B: offered/);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    clean();
  }, 120_000);
});
