/**
 * Attacks 5 and 6 together: the crash loop. A real `kvm4nfv apply --yes` on a snapshot copy is SIGKILLed at a
 * random point — half-way through a journal append, after an entry is durable but before its write, between a
 * config file's temp write and its rename, after a write, or at a random moment from outside — then revert runs.
 * After every round the tree is identical to before, modes and owners included (etc/default/grub is 0666
 * 1234:5678, apply runs under umask 077), and no grub.kvm4nfv-tmp is left. Rounds are bounded by time (CI).
 */
import { spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runRevert } from "../../src/tuning/apply/revert.js";
import { hashTree, type Scratch, scratch } from "../tuning/apply/tree.js";
import { BIN, cli } from "./cli.js";

const BUDGET_MS = Number(process.env.KVM4NFV_CRASH_LOOP_MS ?? 45_000);
const MAX_ROUNDS = 40;
let s: Scratch;
afterAll(() => s?.cleanup());

const POINTS = ["journal-torn", "journal-synced", "config-tmp", "after-write", "outside"] as const;

function applyKilled(point: (typeof POINTS)[number], n: number): Promise<NodeJS.Signals | null> {
  const env = { ...process.env, ...(point === "outside" ? {} : { KVM4NFV_TEST_CRASH: `${point}:${n}` }) };
  return new Promise((resolve) => {
    const child = spawn(
      "sh",
      [
        "-c",
        'umask 077 && exec node "$0" "$@"',
        BIN,
        "apply",
        s.plan,
        "--root",
        s.root,
        "--yes",
        "--journal",
        s.journal,
      ],
      {
        env,
        stdio: "ignore",
      },
    );
    if (point === "outside") setTimeout(() => child.kill("SIGKILL"), n);
    child.on("exit", (_code, signal) => resolve(signal));
  });
}

describe("crash loop: SIGKILL at random points of apply --yes, then revert", () => {
  it("leaves the tree identical (bytes, modes, owners) after every round", async () => {
    s = scratch();
    const grub = join(s.root, "etc/default/grub");
    chmodSync(grub, 0o666);
    chownSync(grub, 1234, 5678);
    const before = hashTree(s.root, { meta: true });
    const started = Date.now();
    const results: string[] = [];
    let killed = 0;
    for (let round = 0; round < MAX_ROUNDS && Date.now() - started < BUDGET_MS; round++) {
      const point = POINTS[Math.floor(Math.random() * POINTS.length)]!;
      const n =
        point === "outside" ? 200 + Math.floor(Math.random() * 1500) : 1 + Math.floor(Math.random() * 45);
      const signal = await applyKilled(point, n);
      if (signal === "SIGKILL") killed++;
      if (existsSync(s.journal)) await runRevert({ root: s.root, journal: s.journal });
      expect(existsSync(`${grub}.kvm4nfv-tmp`)).toBe(false);
      const after = hashTree(s.root, { meta: true });
      expect({ round, point, n, diff: Object.entries(after).filter(([k, v]) => before[k] !== v) }).toEqual({
        round,
        point,
        n,
        diff: [],
      });
      expect(Object.keys(after).length).toBe(Object.keys(before).length);
      results.push(`${point}:${n}:${signal ?? "exit"}`);
    }
    // a full apply and revert under umask 077 keep the mode too
    const full = cli(["apply", s.plan, "--root", s.root, "--yes", "--journal", s.journal], { umask: "077" });
    expect(full.status).toBe(0);
    const r = cli(["revert", "--root", s.root, "--journal", s.journal], { umask: "077" });
    expect(r.status).toBe(0);
    expect(hashTree(s.root, { meta: true })).toEqual(before);
    console.log(
      `crash loop: ${results.length} rounds, ${killed} killed mid-apply, tree identical after each`,
    );
    expect(results.length).toBeGreaterThanOrEqual(5);
    expect(killed).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
