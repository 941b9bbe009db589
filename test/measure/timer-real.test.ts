/**
 * Real cyclictest and stress-ng runs (2 s each, one thread on the last CPU): what is stored must be exactly
 * what cyclictest printed, and no stress-ng may outlive the run.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { timerCommand } from "../../src/app/timer.js";
import { openStore } from "../../src/results/store.js";

function pgrep(args: string[]): string {
  try {
    return execFileSync("pgrep", args, { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

/** The per-thread figures as cyclictest printed them, read without kvm4nfv's parsers. */
function printed(json: string, stdout: string) {
  const j = JSON.parse(json) as {
    thread: Record<string, { min: number; avg: number; max: number; cycles: number; cpu: number }>;
  };
  const line = (label: string) => Number(new RegExp(`^# ${label}: (\\d+)`, "m").exec(stdout)![1]);
  return {
    json: j.thread["0"]!,
    text: {
      min: line("Min Latencies"),
      avg: line("Avg Latencies"),
      max: line("Max Latencies"),
      overflows: line("Histogram Overflows"),
    },
  };
}

const lastCpu = Number(
  execFileSync("cat", ["/sys/devices/system/cpu/online"], { encoding: "utf8" }).trim().split(/[-,]/).pop(),
);

describe("real cyclictest", () => {
  it("stores min/avg/max equal to what cyclictest printed", async () => {
    const store = join(mkdtempSync(join(tmpdir(), "kvm4nfv-store-")), "results.db");
    const outcome = await timerCommand({ cpus: String(lastCpu), duration: "2s", store, sla: "max=1000000" });
    expect(outcome.exitCode).toBe(0);
    const id = outcome.run.id!;
    expect(id).toBeGreaterThan(0);
    const s = openStore(store);
    const stored = s.getRun(id);
    s.close();
    const cyc = printed(stored.raw["cyclictest.json"]!, stored.raw["cyclictest.stdout"]!);
    const c = stored.cpus[0]!;
    expect(stored.cpus).toHaveLength(1);
    expect(c.cpu).toBe(lastCpu);
    expect([c.minUs, c.avgUs, c.maxUs, c.samples]).toEqual([
      cyc.json.min,
      cyc.json.avg,
      cyc.json.max,
      cyc.json.cycles,
    ]);
    expect([c.minUs, Math.floor(c.avgUs), c.maxUs, c.overflows]).toEqual([
      cyc.text.min,
      cyc.text.avg,
      cyc.text.max,
      cyc.text.overflows,
    ]);
    expect(c.samples).toBeGreaterThan(1000); // 2 s at 1 kHz, on a busy shared VM
    expect(c.percentiles.p50).toBeDefined();
    expect(stored.environment.toolVersions.cyclictest).toMatch(/^\d+\.\d+/);
    expect(stored.params.command).toContain(`-a ${lastCpu} -h 1000000 --mainaffinity`);
    expect(stored.verdict.status).toBe("pass");
    expect(pgrep(["-x", "cyclictest"])).toBe("");
  });

  it("with --load cpu leaves no stress-ng behind", async () => {
    const store = join(mkdtempSync(join(tmpdir(), "kvm4nfv-store-")), "results.db");
    const outcome = await timerCommand({
      cpus: String(lastCpu),
      duration: "2s",
      load: "cpu",
      store,
      json: true,
    });
    expect(outcome.run.params.load).toBe("cpu");
    expect(outcome.run.environment.toolVersions["stress-ng"]).toMatch(/^\d+\.\d+/);
    expect(outcome.run.raw["stress-ng.output"]).toContain("dispatching hogs");
    expect(JSON.parse(outcome.output).id).toBe(outcome.run.id);
    expect(pgrep(["-x", "stress-ng"])).toBe("");
    expect(pgrep(["stress-ng"])).toBe("");
    expect(pgrep(["-x", "cyclictest"])).toBe("");
  });
});
