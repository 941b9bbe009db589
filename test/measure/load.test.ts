import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { realExec } from "../../src/exec.js";
import { parseLoadKind, stressArgs, withLoad } from "../../src/measure/load.js";

function stressPids(): string {
  try {
    // Not -x: the workers are named stress-ng-cpu, stress-ng-vm, …
    return execFileSync("pgrep", ["stress-ng"], { encoding: "utf8" }).trim();
  } catch {
    return "";
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
    let during = "";
    await expect(
      withLoad({ kind: "cpu", cpus: [0], durationMs: 1000 }, realExec, async (load) => {
        during = stressPids();
        expect(load?.command).toBe("stress-ng --cpu 1 --taskset 0 --timeout 61s");
        throw new Error("measurement failed");
      }),
    ).rejects.toThrow("measurement failed");
    expect(during).not.toBe("");
    expect(stressPids()).toBe("");
  });
});
