/**
 * Attack 4: `kill -9` of a running kvm4nfv. Its children (stress-ng and cyclictest of a timer test; the QEMU of a
 * guest) used to keep running for a minute or for ever. Started through setpriv --pdeathsig KILL they die with it;
 * the temp directories it could not remove are removed by the next kvm4nfv that starts.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cli } from "./cli.js";

/** pids whose parent is `ppid`, with their comm. */
function childrenOf(ppid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const n of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${n}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid)
        out.push({ pid: Number(n), comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function killNineWhile(
  args: string[],
  wanted: RegExp,
  waitMs: number,
): Promise<{ pid: number; comm: string }[]> {
  const child = spawn("node", [BIN, ...args], { stdio: "ignore" });
  const deadline = Date.now() + waitMs;
  let kids: { pid: number; comm: string }[] = [];
  while (Date.now() < deadline) {
    kids = childrenOf(child.pid!).filter((k) => wanted.test(k.comm));
    if (kids.length > 0) break;
    await sleep(200);
  }
  // every descendant that exists now (stress-ng's workers too)
  const all = [...kids, ...kids.flatMap((k) => childrenOf(k.pid))];
  process.kill(child.pid!, "SIGKILL");
  await new Promise((r) => child.on("exit", r));
  expect(kids.length).toBeGreaterThan(0);
  return all;
}

describe("children die with a SIGKILLed kvm4nfv", () => {
  it("test timer --load cpu: stress-ng and cyclictest are gone within 2 s of kill -9; its temp dir is cleaned at the next start", async () => {
    const kids = await killNineWhile(
      [
        "test",
        "timer",
        "--duration",
        "60s",
        "--load",
        "cpu",
        "--cpus",
        "1",
        "--store",
        join(tmpdir(), "kvm4nfv-orphan-test.db"),
      ],
      /stress-ng|cyclictest/,
      20_000,
    );
    await sleep(2000);
    expect(kids.filter((k) => alive(k.pid))).toEqual([]);
    const stale = readdirSync(tmpdir()).filter(
      (n) => /^kvm4nfv-(stress|timer)-/.test(n) && existsSync(join(tmpdir(), n, ".kvm4nfv-owner")),
    );
    // the owners are read before the next start, which removes the directories of dead owners
    const owners = stale.map((n) => ({
      n,
      owner: readFileSync(join(tmpdir(), n, ".kvm4nfv-owner"), "utf8").split(" ")[0],
    }));
    expect(owners.length).toBeGreaterThan(0);
    cli(["--version"]);
    for (const { n, owner } of owners) {
      if (owner !== undefined && !existsSync(`/proc/${owner}`))
        expect(existsSync(join(tmpdir(), n))).toBe(false);
    }
  }, 60_000);

  it("guest run: the guest's QEMU is gone within 2 s of kill -9", async () => {
    const kids = await killNineWhile(
      ["guest", "run", "--accel", "tcg", "--", "sleep", "120"],
      /qemu-system/,
      40_000,
    );
    await sleep(2000);
    expect(kids.filter((k) => alive(k.pid))).toEqual([]);
  }, 90_000);
});
