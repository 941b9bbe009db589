import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Kvm4nfvError } from "../../../src/errors.js";
import { runApply } from "../../../src/tuning/apply/apply.js";
import { readJournal } from "../../../src/tuning/apply/journal.js";
import { runRevert } from "../../../src/tuning/apply/revert.js";
import { hashTree, type Scratch, scratch } from "./tree.js";

const BIN = join(import.meta.dirname, "../../../bin/kvm4nfv.js");
let s: Scratch;
afterEach(() => s?.cleanup());

describe("revert", () => {
  it("restores every file byte for byte, removes created files and directories, archives the journal", async () => {
    s = scratch();
    const before = hashTree(s.root);
    await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal });
    expect(existsSync(join(s.root, "etc/sysctl.d/90-kvm4nfv.conf"))).toBe(true);
    const r = await runRevert({ root: s.root, journal: s.journal });
    expect(r.restored).toContain("/proc/sys/kernel/watchdog");
    expect(hashTree(s.root)).toEqual(before);
    expect(existsSync(s.journal)).toBe(false);
    expect(r.archived).toMatch(/journal\.json\.reverted-/);
    expect(readFileSync(r.archived, "utf8")).toMatch(/"reverted":/);
    // nothing left to revert
    await expect(runRevert({ root: s.root, journal: s.journal })).rejects.toThrow(/nothing to revert/);
  });

  it("refuses a journal that is not ours and writes nothing", async () => {
    s = scratch();
    await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal });
    const applied = hashTree(s.root);
    const foreign = join(s.dir, "foreign.json");
    writeFileSync(foreign, '{"path":"/proc/sys/kernel/watchdog","old":"MQo="}\n');
    const err = await runRevert({ root: s.root, journal: foreign }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Kvm4nfvError);
    expect((err as Kvm4nfvError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/is not a kvm4nfv journal/);
    expect(hashTree(s.root)).toEqual(applied);
  });

  it("completes from the journal after apply was SIGKILLed between two writes", async () => {
    s = scratch();
    const before = hashTree(s.root);
    const child = spawnSync(
      "node",
      [BIN, "apply", s.plan, "--root", s.root, "--yes", "--journal", s.journal],
      {
        encoding: "utf8",
        env: { ...process.env, KVM4NFV_TEST_KILL_AFTER_WRITES: "3" },
      },
    );
    expect(child.signal).toBe("SIGKILL");
    const { entries } = readJournal(s.journal);
    expect(entries).toHaveLength(3);
    // the first three sysctls changed, the fourth did not: the crash really was mid-apply
    expect(readFileSync(join(s.root, "proc/sys/kernel/sched_rt_runtime_us"), "utf8")).toBe("-1\n");
    expect(readFileSync(join(s.root, "proc/sys/kernel/timer_migration"), "utf8")).toBe("1\n");
    const r = spawnSync("node", [BIN, "revert", "--root", s.root, "--journal", s.journal], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("restored /proc/sys/kernel/sched_rt_runtime_us");
    expect(hashTree(s.root)).toEqual(before);
  });

  it("drops a last journal line cut short by a crash", async () => {
    s = scratch();
    const before = hashTree(s.root);
    await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal });
    writeFileSync(s.journal, `${readFileSync(s.journal, "utf8")}{"seq":999,"kind":"fi`);
    await runRevert({ root: s.root, journal: s.journal });
    expect(hashTree(s.root)).toEqual(before);
    expect(readdirSync(s.dir).some((n) => n.startsWith("journal.json.reverted-"))).toBe(true);
  });
});
