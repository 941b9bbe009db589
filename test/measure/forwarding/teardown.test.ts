/**
 * The leaks once seen under load (two namespaces and a hugetlbfs mount left by a job's forwarding step) and
 * what closes them: undo steps registered before their create, a teardown that undoes late creates, and the
 * ledger a later run sweeps when the owner died mid-teardown (SIGKILL).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { realExec } from "../../../src/exec.js";
import { addNamespace } from "../../../src/measure/forwarding/plumbing.js";
import { sweepActions } from "../../../src/measure/forwarding/session.js";
import {
  readLedger,
  STATE_PREFIX,
  type SweepActions,
  sweepStaleForwarding,
  Teardown,
} from "../../../src/measure/forwarding/teardown.js";
import { processStartTime } from "../../../src/tempdir.js";
import { canForward, hugepages, leftovers } from "./leftovers.js";

const scratch = mkdtempSync(join(tmpdir(), "kvm4nfv-fw-td-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A pid that existed and is gone now (a finished child). */
function deadPid(): number {
  const out = execFileSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(out.trim());
}

describe("Teardown", () => {
  it("a create that completes after teardown started is undone at once, and the next create is refused", async () => {
    const t = new Teardown();
    const undone: string[] = [];
    t.add("first", async () => {
      undone.push("first");
    });
    await t.run();
    expect(undone).toEqual(["first"]);
    // The build's await returned after the interrupt hook ran: its late step runs now, not never.
    t.add("late", async () => {
      undone.push("late");
    });
    await t.run();
    expect(undone).toEqual(["first", "late"]);
    expect(() => t.check("namespace x")).toThrow(/torn down before namespace x/);
  });

  it("steps added while it drains are undone too, newest first; a failing step does not stop the rest", async () => {
    const t = new Teardown();
    const undone: string[] = [];
    t.add("a", async () => {
      undone.push("a");
    });
    t.add("b", async () => {
      t.add("c (added mid-drain)", async () => {
        undone.push("c");
      });
      throw new Error("b broke");
    });
    const problems = await t.run();
    expect(undone).toEqual(["c", "a"]);
    expect(problems).toEqual(["b: b broke"]);
  });

  it("writes every create to the ledger of its state dir", () => {
    const dir = mkdtempSync(join(scratch, STATE_PREFIX));
    const t = new Teardown(dir);
    t.add("ns", async () => {}, { kind: "netns", name: "kvfzz" });
    t.add("no entry", async () => {});
    t.add("mount", async () => {}, { kind: "mount", path: "/x" });
    expect(readLedger(dir)).toEqual([
      { kind: "netns", name: "kvfzz" },
      { kind: "mount", path: "/x" },
    ]);
    void t.run();
  });
});

describe("sweepStaleForwarding", () => {
  const recording = (): SweepActions & { calls: string[] } => {
    const calls: string[] = [];
    return {
      calls,
      kill: (pid) => calls.push(`kill ${pid}`),
      delNetns: async (n) => {
        calls.push(`netns ${n}`);
      },
      umount: async (p) => {
        calls.push(`umount ${p}`);
      },
      giveBackHugepages: (_p, n) => calls.push(`hugepages ${n}`),
    };
  };

  it("undoes a dead owner's ledger newest first and removes its dir; a live owner's run is left alone", async () => {
    const root = mkdtempSync(join(scratch, "sweep-"));
    const dead = join(root, `${STATE_PREFIX}dead`);
    const live = join(root, `${STATE_PREFIX}live`);
    mkdirSync(dead);
    mkdirSync(live);
    writeFileSync(join(dead, "fwd-owner"), `${deadPid()} 1\n`);
    writeFileSync(join(live, "fwd-owner"), `${process.pid} ${processStartTime(process.pid)}\n`);
    // A pid entry whose start time does not match (the pid was reused): never killed.
    const ledger = [
      { kind: "hugepages", nrPath: "/nr", pages: 64 },
      { kind: "pid", pid: process.pid, start: "0" },
    ];
    writeFileSync(join(dead, "ledger"), `${ledger.map((e) => JSON.stringify(e)).join("\n")}\n{"kind":"ne`);
    writeFileSync(
      join(live, "ledger"),
      `${JSON.stringify({ kind: "hugepages", nrPath: "/nr", pages: 8 })}\n`,
    );
    const a = recording();
    const done = await sweepStaleForwarding(a, root);
    expect(a.calls).toEqual(["hugepages 64"]);
    expect(done).toEqual(["gave back 64 hugepages"]);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});

describe.skipIf(!canForward)("teardown for real", () => {
  it("a namespace whose create finishes after the teardown ran is deleted, not leaked", async () => {
    const name = `kvf${(process.pid % 100_000).toString(36)}r`;
    const t = new Teardown();
    // SIGTERM mid-build: the interrupt hook runs the teardown while `ip netns add` is still in flight.
    const building = addNamespace(realExec, t, name);
    const tearing = t.run();
    await building.catch(() => {});
    await tearing;
    await t.run();
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(name);
    // …and the build can go no further.
    await expect(addNamespace(realExec, t, `${name}2`)).rejects.toThrow(/torn down before/);
  });

  it("SIGKILL mid-run leaves the topology behind; the next run's sweep removes all of it", async () => {
    expect(leftovers()).toEqual([]);
    const pagesBefore = hugepages();
    const store = join(scratch, "results.db");
    const child = spawn(
      process.execPath,
      ["bin/kvm4nfv.js", "test", "forwarding", "--frame-sizes", "64", "--duration", "2s", "--store", store],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    const exited = new Promise<void>((r) => child.on("exit", () => r()));
    const measuring = new Promise<void>((r) => {
      child.stderr.on("data", (d) => {
        stderr += String(d);
        if (/64 B: offered/.test(stderr)) r();
      });
    });
    await Promise.race([measuring, exited]);
    expect(stderr).toMatch(/64 B: offered/);
    child.kill("SIGKILL");
    await exited;
    // Nothing could run in the killed process: namespaces, the mount, testpmd and the pages are still there.
    const left = leftovers();
    expect(left.some((l) => l.startsWith("namespace kvf"))).toBe(true);
    expect(left.some((l) => l.startsWith("mount "))).toBe(true);
    expect(hugepages()).toBeGreaterThan(pagesBefore);
    const done = await sweepStaleForwarding(sweepActions());
    expect(done.join("\n")).toMatch(/deleted namespace kvf/);
    expect(leftovers()).toEqual([]);
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toMatch(/^kvf/m);
    expect(hugepages()).toBe(pagesBefore);
  }, 120_000);
});
