import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { Kvm4nfvError, UsageError } from "../../src/errors.js";
import type { Exec, RunResult } from "../../src/exec.js";
import { RootFs } from "../../src/host/fs.js";
import type { CyclictestFeatures } from "../../src/measure/environment.js";
import { parseSla } from "../../src/measure/sla.js";
import { chooseCpus, planTimerTest, runTimerTest } from "../../src/measure/timer.js";
import { fakeExec as sharedFakeExec } from "../helpers/exec.js";
import { fixture } from "./fixtures.js";

function snapshot(files: Record<string, string>): RootFs {
  const root = mkdtempSync(join(tmpdir(), "kvm4nfv-snap-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return new RootFs(root);
}

const V240: CyclictestFeatures = {
  version: "2.40",
  json: true,
  mainAffinity: true,
  nanosleepFlag: false,
  tracemark: true,
};

describe("choosing the measured CPUs", () => {
  it("takes --cpus, else isolated, else the last online CPU", () => {
    const fs = snapshot({
      "sys/devices/system/cpu/online": "0-7\n",
      "sys/devices/system/cpu/isolated": "2-3,6\n",
    });
    expect(chooseCpus(fs, [5, 4]).cpus).toEqual([4, 5]);
    expect(chooseCpus(fs).cpus).toEqual([2, 3, 6]);
    const plain = snapshot({
      "sys/devices/system/cpu/online": "0-3\n",
      "sys/devices/system/cpu/isolated": "\n",
    });
    expect(chooseCpus(plain)).toEqual({ cpus: [3], online: [0, 1, 2, 3] });
  });

  it("refuses offline CPUs", () => {
    const fs = snapshot({ "sys/devices/system/cpu/online": "0-1\n" });
    expect(() => chooseCpus(fs, [4])).toThrow("--cpus 4: CPU 4 is not online");
  });
});

describe("the cyclictest command line", () => {
  it("asks for -q only in the guest, where no one watches the live lines", () => {
    const sets = { cpus: [1], online: [0, 1] };
    expect(planTimerTest({ durationMs: 1000 }, V240, sets, "/x").args).not.toContain("-q");
    expect(planTimerTest({ durationMs: 1000, where: "guest" }, V240, sets, "/x").args).toContain("-q");
  });

  const sets = { cpus: [2, 3], online: [0, 1, 2, 3] };
  it("follows the seeds: -m -p 99 -i 1000, one thread per CPU, histogram, -D, main thread on housekeeping", () => {
    const plan = planTimerTest({ durationMs: 10_000 }, V240, sets, "/tmp/x.json");
    expect(plan.args).toEqual([
      "-m",
      "-p",
      "99",
      "-i",
      "1000",
      "-t",
      "2",
      "-a",
      "2-3",
      "-h",
      "1000",
      "--mainaffinity=0-1",
      "-D",
      "10",
      "--json=/tmp/x.json",
    ]);
    expect(plan.housekeeping).toEqual([0, 1]);
  });

  it("passes -n only to cyclictest builds that take it, breaktrace with tracemark, loops for sub-second runs", () => {
    const old: CyclictestFeatures = {
      version: "1.00",
      json: false,
      mainAffinity: false,
      nanosleepFlag: true,
      tracemark: false,
    };
    const plan = planTimerTest({ durationMs: 500, breaktraceUs: 80, intervalUs: 250 }, old, sets, "/x");
    expect(plan.args).toEqual([
      "-m",
      "-n",
      "-p",
      "99",
      "-i",
      "250",
      "-t",
      "2",
      "-a",
      "2-3",
      "-h",
      "1000",
      "-l",
      "2000",
      "-b",
      "80",
    ]);
    expect(planTimerTest({ loops: 100, breaktraceUs: 80 }, V240, sets, "/x").args).toContain("--tracemark");
  });

  it("widens the histogram to the SLA and refuses a narrower explicit one", () => {
    expect(planTimerTest({ sla: parseSla("max=5000") }, V240, sets, "/x").histogramUs).toBe(5000);
    expect(() => planTimerTest({ sla: parseSla("max=5000"), histogramUs: 200 }, V240, sets, "/x")).toThrow(
      UsageError,
    );
  });
});

/** cyclictest answers with the canned result (streamed through start, as the host run reads it live). */
function fakeExec(cyclictest: Partial<RunResult>): Exec {
  return sharedFakeExec({
    answer: (_command, _file, args) =>
      args[0] === "--help"
        ? { stdout: "cyclictest V 2.40\n--json --mainaffinity --tracemark\n" }
        : cyclictest,
  });
}

describe("runTimerTest failures", () => {
  const fs = snapshot({ "sys/devices/system/cpu/online": "0-1\n" });
  it("explains missing RT priority as PERMISSION (exit 3)", async () => {
    const exec = fakeExec({ exitCode: 1, stderr: fixture("cyclictest-2.40-nonroot.stderr") });
    const err = await runTimerTest({ fs, durationMs: 1000 }, exec).catch((e) => e);
    expect(err).toBeInstanceOf(Kvm4nfvError);
    expect(err.code).toBe("PERMISSION");
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe("cyclictest could not get real-time scheduling (SCHED_FIFO) or lock its memory");
  });

  it("reports other failures with cyclictest's last line", async () => {
    const exec = fakeExec({ exitCode: 1, stderr: "cyclictest: invalid option -- 'n'\n" });
    await expect(runTimerTest({ fs, durationMs: 1000 }, exec)).rejects.toThrow(
      /exited with 1: cyclictest: invalid option/,
    );
  });

  it("builds the record from the text histogram when there is no JSON", async () => {
    const exec = fakeExec({ stdout: fixture("cyclictest-2.40-1thread-hist.txt") });
    const run = await runTimerTest(
      { fs, durationMs: 3000, histogramUs: 200, sla: parseSla("max=100") },
      exec,
    );
    expect(run.cpus[0]).toMatchObject({ cpu: 1, minUs: 6, avgUs: 27, maxUs: 1458, samples: 2999 });
    expect(run.verdict.summary).toBe("SLA broken: max 1458 µs > 100 µs on CPU 1");
  });
});
