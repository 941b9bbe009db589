/**
 * oslat: the command line, the record built from a real guest capture, and a real 2 s host run whose stored
 * figures must be exactly what oslat printed (read here without kvm4nfv's parser).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { oslatCommand, oslatOptionsFromFlags } from "../../../src/app/oslat.js";
import { assembleOslatRecord, planOslat } from "../../../src/measure/oslat/oslat.js";
import { parseSla } from "../../../src/measure/sla.js";
import { openStore } from "../../../src/results/store.js";

const RTLA = join(import.meta.dirname, "..", "..", "fixtures", "rtla");

function printedLine(stdout: string, label: string): number {
  return Number(new RegExp(`^\\s*${label}:\\s+(\\S+)`, "m").exec(stdout)![1]);
}

describe("oslat plan", () => {
  it("measures the CPUs, keeps its main thread on a housekeeping CPU, sizes buckets to the SLA", () => {
    const plan = planOslat(
      { durationMs: 5000, sla: parseSla("max=100") },
      { cpus: [2, 3], online: [0, 1, 2, 3] },
    );
    expect(plan.args).toEqual(["-c", "2-3", "-C", "0", "-D", "5", "-b", "102"]);
    expect(plan.housekeeping).toEqual([0, 1]);
    expect(planOslat({}, { cpus: [1], online: [0, 1] }).args).toContain("32");
  });

  it("refuses an SLA beyond oslat's histogram and a CPU set with no housekeeping left", () => {
    expect(() => planOslat({ sla: parseSla("max=5000") }, { cpus: [1], online: [0, 1] })).toThrow(
      /1024 buckets/,
    );
    expect(() => planOslat({}, { cpus: [0, 1], online: [0, 1] })).toThrow(/main thread/);
    expect(() => oslatOptionsFromFlags({ where: "moon" as "host" })).toThrow(/not a place/);
    expect(() => oslatOptionsFromFlags({ where: "host", accel: "tcg" })).toThrow(/guest only/);
  });
});

describe("oslat record from the real guest capture (rt-tests 2.40, TCG)", () => {
  it("keeps oslat's own min/avg/max and counts every bucket as a sample", () => {
    const stdout = readFileSync(join(RTLA, "oslat-2.40-guest-tcg.txt"), "utf8");
    const plan = planOslat({ durationMs: 5000 }, { cpus: [1], online: [0, 1] });
    const run = assembleOslatRecord({
      options: {},
      plan,
      load: "idle_idle",
      startedAt: "2026-12-01T21:20:00Z",
      environment: {
        hostname: "h",
        kernelRelease: null,
        kernelCmdline: null,
        cpuModel: null,
        realtimeKernel: false,
        toolVersions: {},
        where: "guest",
        accelerator: "tcg",
      },
      raw: {},
      output: { command: "oslat", exitCode: 0, stdout, stderr: "" },
    });
    expect(run.type).toBe("oslat");
    expect(run.cpus[0]).toMatchObject({ cpu: 1, minUs: 1, avgUs: 1.178, maxUs: 80068, overflows: 592 });
    const bucketSum = [...stdout.matchAll(/^\s*\d+ \(us\):\s+(\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
    expect(run.cpus[0]!.samples).toBe(bucketSum);
    expect(run.verdict.status).toBe("fail");
    expect(run.environment.toolVersions["oslat (guest)"]).toBe("2.40");
  });

  it("a failed oslat is an error naming the command, not a record", () => {
    const plan = planOslat({}, { cpus: [1], online: [0, 1] });
    expect(() =>
      assembleOslatRecord({
        options: {},
        plan,
        load: "idle",
        startedAt: "x",
        environment: {
          hostname: null,
          kernelRelease: null,
          kernelCmdline: null,
          cpuModel: null,
          realtimeKernel: null,
          toolVersions: {},
          where: "host",
        },
        raw: {},
        output: {
          command: "oslat -c 1",
          exitCode: 1,
          stdout: "",
          stderr: "sched_setaffinity: Invalid argument",
        },
      }),
    ).toThrow(/oslat -c 1 exited with 1: sched_setaffinity/);
  });
});

describe("oslat on this host (real, 2 s)", () => {
  const lastCpu = Number(readFileSync("/sys/devices/system/cpu/online", "utf8").trim().split(/[-,]/).pop());
  it.skipIf(lastCpu < 1)("stores exactly what oslat printed", async () => {
    const store = join(mkdtempSync(join(tmpdir(), "kvm4nfv-oslat-")), "r.db");
    const out = await oslatCommand({
      where: "host",
      cpus: String(lastCpu),
      duration: "2s",
      store,
      sla: "max=1000",
    });
    const stdout = out.run.raw["oslat.stdout"]!;
    const s = openStore(store);
    const back = s.getRun(out.run.id!)!;
    s.close();
    expect(back.type).toBe("oslat");
    expect(back.cpus[0]!.cpu).toBe(lastCpu);
    expect(back.cpus[0]!.minUs).toBe(printedLine(stdout, "Minimum"));
    expect(back.cpus[0]!.avgUs).toBe(printedLine(stdout, "Average"));
    expect(back.cpus[0]!.maxUs).toBe(printedLine(stdout, "Maximum"));
    expect(out.exitCode).toBe(back.verdict.status === "pass" ? 0 : 1);
    expect(out.output).toContain(`stored as run ${back.id}`);
    expect(execFileSync("sh", ["-c", "pgrep -x oslat || true"], { encoding: "utf8" }).trim()).toBe("");
  });
});
