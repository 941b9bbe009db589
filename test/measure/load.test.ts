import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { realExec } from "../../src/exec.js";
import { parseLoadKind, stressArgs, withLoad } from "../../src/measure/load.js";

/** This test process's stress-ng and its workers (other test files may run stress-ng of their own meanwhile). */
function ownStressPids(): number[] {
  const children = (parent: number): number[] => {
    try {
      // Not -x: the workers are named stress-ng-cpu, stress-ng-vm, …
      const out = execFileSync("pgrep", ["-P", String(parent), "stress-ng"], { encoding: "utf8" });
      return out.trim().split("\n").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const parents = children(process.pid);
  return [...parents, ...parents.flatMap(children)];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("stress-ng arguments (the seeds' stress_daily.sh loads)", () => {
  const base = { cpus: [0, 2, 3], durationMs: 10_000 };
  it("pins every load to the non-measured CPUs with a timeout backstop", () => {
    expect(stressArgs({ ...base, kind: "cpu" }, "/t")).toEqual([
      "--cpu",
      "3",
      "--taskset",
      "0,2-3",
      "--timeout",
      "70s",
    ]);
    expect(stressArgs({ ...base, kind: "memory" }, "/t")).toEqual([
      "--vm",
      "3",
      "--vm-bytes",
      "128M",
      "--taskset",
      "0,2-3",
      "--timeout",
      "70s",
    ]);
    expect(stressArgs({ ...base, kind: "io" }, "/t")).toEqual([
      "--io",
      "3",
      "--hdd",
      "3",
      "--hdd-bytes",
      "64M",
      "--temp-path",
      "/t",
      "--taskset",
      "0,2-3",
      "--timeout",
      "70s",
    ]);
    expect(stressArgs({ ...base, kind: "idle" }, "/t")).toEqual([]);
  });

  it("parses load names", () => {
    expect(parseLoadKind("memory")).toBe("memory");
    expect(() => parseLoadKind("gpu")).toThrow('--load "gpu" is not a load');
  });

  it("refuses a load when every CPU is measured", async () => {
    await expect(
      withLoad({ kind: "cpu", cpus: [], durationMs: 1000 }, realExec, async () => 1),
    ).rejects.toThrow(UsageError);
  });
});

describe("real stress-ng", () => {
  it("runs during fn and is gone afterwards, also when fn throws", async () => {
    let during: number[] = [];
    await expect(
      withLoad({ kind: "cpu", cpus: [0], durationMs: 1000 }, realExec, async (load) => {
        during = ownStressPids();
        expect(load?.command).toBe("stress-ng --cpu 1 --taskset 0 --timeout 61s");
        throw new Error("measurement failed");
      }),
    ).rejects.toThrow("measurement failed");
    expect(during.length).toBeGreaterThan(1); // stress-ng and at least one worker
    expect(during.filter(alive)).toEqual([]);
  });
});
