/**
 * `run daily|verify --with forwarding`: the job's forwarding step for real (short) and its flags. The step is
 * phy2phy and pvp over testpmd at 64 and 1518 bytes, each an RFC 2544 search then latency at half the rate
 * found: this file is also the suite's PVP throughput run (one TCG guest boot; QEMU 10 from
 * scripts/qemu-backports.sh, as pvp.test.ts). No figure is asserted (TCG, a shared machine).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runForwardingStep } from "../../../src/measure/forwarding/job.js";
import { parseTestpmdForwardStats } from "../../../src/measure/forwarding/testpmd.js";
import { renderReport } from "../../../src/report/html.js";
import { openStore } from "../../../src/results/store.js";
import { runRecordSchema } from "../../../src/schema/run.js";
import { canForward, hugepages, leftovers, vhostQemus } from "./leftovers.js";

const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-fw-job-"));
const savedQemu = process.env.KVM4NFV_QEMU;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (savedQemu === undefined) delete process.env.KVM4NFV_QEMU;
  else process.env.KVM4NFV_QEMU = savedQemu;
});

describe("run --with forwarding", () => {
  it.each([
    [["run", "daily", "--with", "nope"], '--with: unknown step "nope"'],
    [["run", "daily", "--forwarding-sla", "avg=10"], "--forwarding-sla needs --with forwarding"],
    [["run", "daily", "--with", "forwarding", "--forwarding-sla", "throughput=many"], "is not a frame rate"],
  ])("refuses %j before anything starts (exit 2)", (args, message) => {
    const r = spawnSync("node", ["bin/kvm4nfv.js", ...args, "--store", join(dir, "bad.db")], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it.skipIf(!canForward)(
    "the step: phy2phy and pvp (RT guest) over testpmd at 64 and 1518 bytes, throughput searched, latency at half of it, stored with the job, SLA applied, in the report side by side",
    async () => {
      process.env.KVM4NFV_QEMU = execFileSync("bash", ["scripts/qemu-backports.sh"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
      expect(leftovers()).toEqual([]);
      const before = hugepages();
      const store = openStore(join(dir, "job.db"));
      const lines: string[] = [];
      let runs: Awaited<ReturnType<typeof runForwardingStep>> = [];
      try {
        runs = await runForwardingStep({
          job: "daily",
          durationS: 1,
          sla: "throughput=1",
          store,
          say: (l) => lines.push(l),
        });
        expect(runs.map((r) => [r.label, r.metrics.frameSize])).toEqual([
          ["phy2phy_tput", 64],
          ["phy2phy_tput", 1518],
          ["pvp_tput", 64],
          ["pvp_tput", 1518],
        ]);
        for (const r of runs) {
          expect(runRecordSchema.safeParse(JSON.parse(JSON.stringify(r))).success).toBe(true);
          expect(r.params).toMatchObject({ job: "daily", switch: "testpmd", rate: "rfc2544-search" });
          expect(store.getRun(r.id!).label).toBe(r.label);
          const tput = Number(r.metrics.throughputPps);
          // The search ran: the generator's maximum first, then probes, unless nothing was lost even there.
          if (r.metrics.limitedBy === "device") expect(Number(r.metrics.trials)).toBeGreaterThan(1);
          const trials = JSON.parse(r.raw["trials.json"]!) as { lost: number; offeredPps: number }[];
          expect(trials).toHaveLength(Number(r.metrics.trials));
          // The figure is a loss-free trial's rate, and no loss-free trial offered more.
          const clean = trials.filter((t) => t.lost === 0).map((t) => t.offeredPps);
          expect(tput).toBeCloseTo(clean.length ? Math.max(...clean) : 0, 2);
          if (tput > 0) {
            // Latency at the share of the rate found (50 %), every sampled message in the histogram.
            expect(Number(r.metrics.latencyRatePps)).toBeCloseTo(tput * 0.5, 0);
            expect(r.cpus[0]?.samples).toBeGreaterThan(0);
          }
          // throughput=1 fps: met whenever a loss-free rate was found at all.
          expect(r.verdict.status).toBe(tput >= 1 ? "pass" : "fail");
        }
        const pvp = runs.filter((r) => r.label === "pvp_tput");
        for (const r of pvp) {
          expect(r.params).toMatchObject({
            topology: "pvp",
            vnfForwarder: expect.stringMatching(/^kernel: Linux bridge/),
          });
          expect(String(r.params.vnf)).toMatch(/^RT guest ×1 \(\S+-rt-amd64, (TCG|KVM), 1 vCPU, 256 MiB/);
          expect(String(r.params.ports)).toMatch(/2 vhost-user ports \(DPDK net_vhost/);
          expect(r.environment.toolVersions.qemu).toMatch(/^10\./);
          expect(r.raw["vnf0-console.txt"]).toMatch(/bridge br0 ports: eth0 eth1/);
          // testpmd carried frames on all four ports (both taps and both vhost-user ports).
          const stats = parseTestpmdForwardStats(r.raw["testpmd.log"]!);
          expect(stats.map((s) => s.port)).toEqual([0, 1, 2, 3]);
          for (const s of stats) expect(s.rxPackets).toBeGreaterThan(0);
        }
        // Some pvp frame size found a zero-loss rate, so latency through the guest is stored.
        expect(pvp.some((r) => Number(r.metrics.throughputPps) > 0 && (r.cpus[0]?.samples ?? 0) > 0)).toBe(
          true,
        );
        expect(lines[0]).toMatch(/phy2phy and pvp over testpmd/);
      } finally {
        store.close();
      }
      expect(leftovers()).toEqual([]);
      expect(vhostQemus()).toEqual([]);
      expect(hugepages()).toBe(before);
      // The report: one column per configuration (phy2phy, pvp), a throughput row per frame size.
      const html = renderReport(runs);
      const section = html.slice(html.indexOf('id="forwarding"'));
      const header = /<thead><tr><th>frame \(B\)<\/th>(.*?)<\/tr><\/thead>/.exec(section)?.[1] ?? "";
      expect(header).toMatch(/phy2phy_tput · testpmd.*<\/th><th>pvp_tput · testpmd/);
      for (const f of [64, 1518]) {
        const row = new RegExp(`<tr><th>${f}</th>((?:<td>.*?</td>){2})</tr>`).exec(section)?.[1] ?? "";
        const cells = row.match(/<td>.*?<\/td>/g) ?? [];
        expect(cells).toHaveLength(2);
        expect(cells[1]).toContain(
          `${Math.round(Number(runs[f === 64 ? 2 : 3]!.metrics.throughputPps)).toLocaleString("en-US")}`,
        );
      }
    },
    600_000,
  );
});
