import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InputError, Kvm4nfvError } from "../../../src/errors.js";
import { runApply } from "../../../src/tuning/apply/apply.js";
import { nodeIo, type WriteIo } from "../../../src/tuning/apply/io.js";
import { JOURNAL_MAGIC, readJournal } from "../../../src/tuning/apply/journal.js";
import { runRevert } from "../../../src/tuning/apply/revert.js";
import { hashTree, liveLike, read, type Scratch, scratch } from "./tree.js";

let s: Scratch;
afterEach(() => s?.cleanup());

async function rejects(p: Promise<unknown>): Promise<Kvm4nfvError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(Kvm4nfvError);
    return err as Kvm4nfvError;
  }
  throw new Error("expected an error");
}

/** node:fs, except that writing `path` fails with `code` (as sysfs does). */
function failingIo(path: string, code: string): WriteIo {
  const fail = () => {
    throw Object.assign(new Error(`${code}: write`), { code });
  };
  return {
    ...nodeIo,
    writeKernel: (p, d) => (p.endsWith(path) ? fail() : nodeIo.writeKernel(p, d)),
    writeConfig: (p, d) => (p.endsWith(path) ? fail() : nodeIo.writeConfig(p, d)),
  };
}

describe("apply", () => {
  it("only shows the changes without --yes (path, old -> new) and writes nothing", async () => {
    s = scratch();
    const before = hashTree(s.root);
    const r = await runApply({ plan: s.plan, root: s.root, journal: s.journal });
    expect(r.dryRun).toBe(true);
    expect(r.changes).toContain("/proc/sys/kernel/sched_rt_runtime_us: 950000 -> -1");
    expect(r.changes).toContain("/proc/irq/24/smp_affinity_list: 24 -> 0-19");
    expect(r.changes).toContain(
      "/sys/kernel/mm/transparent_hugepage/enabled: [always] madvise never -> never",
    );
    expect(r.changes).toContain(
      "/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages: 0 -> 2",
    );
    expect(r.rebootRequired).toBe(true);
    expect(r.skipped.some((x) => x.startsWith("chrt ksoftirqd/*"))).toBe(true);
    expect(hashTree(s.root)).toEqual(before);
  });

  it("with --yes writes through the root, journals first, and a second apply changes nothing", async () => {
    s = scratch();
    const r = await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal });
    expect(r.changes.length).toBeGreaterThan(40);
    expect(read(s.root, "proc/sys/kernel/sched_rt_runtime_us")).toBe("-1\n");
    expect(read(s.root, "sys/devices/virtual/workqueue/cpumask")).toBe("fffff\n");
    expect(read(s.root, "sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages")).toBe(
      "2\n",
    );
    expect(read(s.root, "etc/default/irqbalance")).toContain("\nIRQBALANCE_BANNED_CPULIST=20-35\n");
    const grub = read(s.root, "etc/default/grub");
    expect(grub).toContain('GRUB_CMDLINE_LINUX="crashkernel=auto resume=/dev/mapper/rhel-swap');
    expect(grub).toContain("rhgb quiet isolcpus=managed_irq,domain,20-35 nohz=on");
    expect(grub).toContain("GRUB_TIMEOUT=5\n");
    expect(r.notes).toContain("bootloader not regenerated under --root (live machine only)");

    const lines = readFileSync(s.journal, "utf8").trim().split("\n");
    expect(JSON.parse(lines[0]!)).toMatchObject({ magic: JOURNAL_MAGIC, version: 2, machine: { cpus: 36 } });
    const { entries } = readJournal(s.journal);
    const wd = entries.find((e) => e.kind === "file" && e.path === "/proc/sys/kernel/watchdog");
    expect(wd).toMatchObject({ existed: true, old: Buffer.from("1\n").toString("base64"), new: "0\n" });
    expect(entries.some((e) => e.kind === "mkdir" && e.path === "/etc/sysctl.d")).toBe(true);

    const again = await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal });
    expect(again.changes).toEqual([]);
    expect(again.rebootRequired).toBe(true);
    expect(readJournal(s.journal).entries).toHaveLength(entries.length);
  });

  it("on the dev VM (guest role, no /etc at all) creates /etc once and revert removes it again", async () => {
    s = scratch("dev-vm", { role: "guest", rtCpus: 1 });
    const before = hashTree(s.root);
    const r = await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal });
    expect(r.changes).toContain("/etc/default/irqbalance: set IRQBALANCE_BANNED_CPULIST=1");
    expect(
      readJournal(s.journal)
        .entries.filter((e) => e.kind === "mkdir")
        .map((e) => e.path),
    ).toEqual(["/etc", "/etc/sysctl.d", "/etc/default"]);
    await runRevert({ root: s.root, journal: s.journal });
    expect(hashTree(s.root)).toEqual(before);
  });

  it("never shrinks a larger hugepage pool, and shows the grub change as the parameters it adds", async () => {
    s = scratch("baseline-tuned");
    const r = await runApply({ plan: s.plan, root: s.root, journal: s.journal });
    expect(r.changes.some((c) => c.includes("nr_hugepages"))).toBe(false);
    expect(r.changes).toContain(
      "/etc/default/grub: GRUB_CMDLINE_LINUX += isolcpus=managed_irq,domain,20-35 hugepages=2",
    );
  });

  it("keeps its journal under the root by default", async () => {
    s = scratch();
    const r = await runApply({ plan: s.plan, root: s.root, yes: true });
    expect(r.journal).toBe(join(s.root, "var/lib/kvm4nfv/journal.json"));
    await runRevert({ root: s.root });
  });

  it("refuses a plan made for another machine (exit 2) and a file that is not a plan", async () => {
    s = scratch();
    const other = scratch("dev-vm", { role: "guest", rtCpus: 1 });
    try {
      const e = await rejects(runApply({ plan: s.plan, root: other.root, yes: true }));
      expect(e).toBeInstanceOf(InputError);
      expect(e.exitCode).toBe(2);
      expect(e.message).toMatch(/made for another machine \(36 CPUs in the plan, 2 here\)/);
      const doc = JSON.parse(readFileSync(s.plan, "utf8"));
      doc.machine.model = "AMD EPYC 7B13";
      writeFileSync(s.plan, JSON.stringify(doc));
      expect((await rejects(runApply({ plan: s.plan, root: s.root }))).message).toMatch(
        /CPU "AMD EPYC 7B13"/,
      );
      writeFileSync(s.plan, '{"kind":"something-else"}');
      expect((await rejects(runApply({ plan: s.plan, root: s.root }))).message).toMatch(/not a kvm4nfv plan/);
      writeFileSync(s.plan, "{");
      expect((await rejects(runApply({ plan: s.plan, root: s.root }))).exitCode).toBe(2);
    } finally {
      other.cleanup();
    }
  });

  it("explains NOT_ROOT (exit 3) on the live machine without root, before reading or writing anything", async () => {
    s = scratch();
    // a live-claiming view of the temp copy: were the guard broken, the writes would still land in the copy
    const before = hashTree(s.root);
    const e = await rejects(runApply({ plan: s.plan, fs: liveLike(s.root), yes: true, isRoot: false }));
    expect(hashTree(s.root)).toEqual(before);
    expect(e.code).toBe("NOT_ROOT");
    expect(e.exitCode).toBe(3);
  });

  it("stops at a write the kernel refuses (path + errno), and revert restores what was written", async () => {
    s = scratch();
    const before = hashTree(s.root);
    const bad = "/sys/kernel/mm/transparent_hugepage/enabled";
    const e = await rejects(
      runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal, io: failingIo(bad, "EINVAL") }),
    );
    expect(e.message).toBe(`writing ${bad} failed: EINVAL; apply stopped there`);
    expect(e.exitCode).toBe(4);
    // what came before was written, what comes after was not
    expect(read(s.root, "proc/sys/kernel/watchdog")).toBe("0\n");
    expect(read(s.root, "sys/kernel/mm/ksm/run")).toBe("1\n");
    await runRevert({ root: s.root, journal: s.journal });
    expect(hashTree(s.root)).toEqual(before);
  });

  it("reports EACCES as a permission problem (exit 3)", async () => {
    s = scratch();
    const e = await rejects(
      runApply({
        plan: s.plan,
        root: s.root,
        yes: true,
        journal: s.journal,
        io: failingIo("/proc/sys/kernel/watchdog", "EACCES"),
      }),
    );
    expect(e.code).toBe("PERMISSION");
    expect(e.message).toMatch(/watchdog failed: EACCES/);
  });

  it("skips (does not fail on) an IRQ whose affinity the kernel manages (EIO)", async () => {
    s = scratch();
    const r = await runApply({
      plan: s.plan,
      root: s.root,
      yes: true,
      journal: s.journal,
      io: failingIo("/proc/irq/56/smp_affinity_list", "EIO"),
    });
    expect(r.tolerated).toEqual([
      "/proc/irq/56/smp_affinity_list: EIO (the kernel keeps this IRQ's affinity)",
    ]);
    expect(r.changes.some((c) => c.startsWith("/proc/irq/56/"))).toBe(false);
    expect(read(s.root, "proc/irq/57/smp_affinity_list")).toBe("0-19\n");
    expect(read(s.root, "sys/kernel/mm/ksm/run")).toBe("2\n");
  });
});
