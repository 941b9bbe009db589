/** `run daily|verify --with forwarding`: the job's forwarding step for real (short), and its flags. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runForwardingStep } from "../../../src/measure/forwarding/job.js";
import { openStore } from "../../../src/results/store.js";
import { canForward, leftovers } from "./leftovers.js";

const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-fw-job-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
    "the step: phy2phy over testpmd at 64 and 1518 bytes, stored with the job, SLA applied",
    async () => {
      const store = openStore(join(dir, "job.db"));
      const lines: string[] = [];
      try {
        const runs = await runForwardingStep({
          job: "daily",
          durationS: 1,
          sla: "throughput=1",
          store,
          say: (l) => lines.push(l),
        });
        expect(runs.map((r) => r.metrics.frameSize)).toEqual([64, 1518]);
        for (const r of runs) {
          expect(r.params).toMatchObject({ job: "daily", topology: "phy2phy", switch: "testpmd" });
          expect(store.getRun(r.id!).label).toBe("phy2phy_tput");
          // throughput=1 fps: met whenever a loss-free rate was found at all.
          expect(r.verdict.status).toBe(Number(r.metrics.throughputPps) >= 1 ? "pass" : "fail");
        }
        expect(lines[0]).toMatch(/pvp is not in the job step/);
      } finally {
        store.close();
      }
      expect(leftovers()).toEqual([]);
    },
    180_000,
  );
});
