/**
 * The live-machine branches of apply/revert (kernel thread priorities, service restart, hugetlbfs mount, bootloader
 * regeneration) on a temp copy that claims to be live, with a fake Exec recording what would run. Paths still
 * resolve into the temp copy: the real machine is never touched.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runApply } from "../../../src/tuning/apply/apply.js";
import { schedOf } from "../../../src/tuning/apply/changes.js";
import { runRevert } from "../../../src/tuning/apply/revert.js";
import { type FakeExec, fakeExec as sharedFakeExec } from "../../helpers/exec.js";
import { liveLike, type Scratch, scratch } from "./tree.js";

let s: Scratch;
afterEach(() => s?.cleanup());

/** The shared fake Exec with this file's knobs: exit codes and stdout by command line, the tools installed. */
function fakeExec(
  exitCodes: Record<string, number> = {},
  tools: string[] = ["update-grub"],
  stdout: Record<string, string> = {},
): FakeExec {
  return sharedFakeExec({
    tools,
    answer: (command) => ({ exitCode: exitCodes[command] ?? 0, stdout: stdout[command] ?? "" }),
  });
}

/** /proc/PID/{comm,stat} of a kernel thread with the given policy and rt_priority (fields 41 and 40). */
function kthread(root: string, pid: number, comm: string, policy: number, prio: number): void {
  const dir = join(root, "proc", String(pid));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "comm"), `${comm}\n`);
  const fields = Array.from({ length: 50 }, () => "0");
  fields[40 - 3] = String(prio);
  fields[41 - 3] = String(policy);
  writeFileSync(join(dir, "stat"), `${pid} (${comm}) S ${fields.slice(1).join(" ")}\n`);
}

describe("apply/revert on a live machine (simulated)", () => {
  it("reads policy and priority from /proc/PID/stat", () => {
    expect(
      schedOf(
        "12 (rcuc/3) S 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 -5 0 1 0 36 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 3 4 1 0 0 0",
      ),
    ).toEqual({
      policy: 1,
      priority: 4,
    });
  });

  it("sets kthread priorities by PID, restarts irqbalance, mounts hugetlbfs, regenerates grub; revert undoes chrt and files", async () => {
    s = scratch();
    kthread(s.root, 3000, "ksoftirqd/20", 0, 0);
    kthread(s.root, 3001, "rcuc/20", 0, 0);
    kthread(s.root, 3002, "ktimers/20", 1, 2); // already as planned
    const fs = liveLike(s.root);
    const exec = fakeExec({ "mountpoint -q /mnt/hugetlbfs-1g": 1 });
    const r = await runApply({ plan: s.plan, fs, exec, yes: true, isRoot: true, journal: s.journal });
    expect(exec.calls).toEqual([
      "chrt -f -p 2 3000",
      "chrt -f -p 4 3001",
      "systemctl -q is-active irqbalance",
      "systemctl restart irqbalance",
      "mountpoint -q /mnt/hugetlbfs-1g",
      "mount -t hugetlbfs -o pagesize=1G none /mnt/hugetlbfs-1g",
      "update-grub",
    ]);
    expect(r.notes).toContain("bootloader regenerated with update-grub");
    // the mount point is made through the root, journaled, and gone again after revert
    const mountPoint = join(s.root, "mnt/hugetlbfs-1g");
    expect(existsSync(mountPoint)).toBe(true);

    exec.calls.length = 0;
    await runRevert({ fs, exec, isRoot: true, journal: s.journal });
    expect(exec.calls).toEqual([
      "umount /mnt/hugetlbfs-1g",
      "chrt -o -p 0 3001",
      "chrt -o -p 0 3000",
      // irqbalance rereads its restored banned-CPU list
      "systemctl -q is-active irqbalance",
      "systemctl restart irqbalance",
      "update-grub",
    ]);
    // a live kernel file takes the selected value back, not the listing it printed
    expect(readFileSync(join(s.root, "sys/kernel/mm/transparent_hugepage/enabled"), "utf8")).toBe("always\n");
    expect(readFileSync(join(s.root, "proc/sys/kernel/watchdog"), "utf8")).toBe("1\n");
    expect(existsSync(mountPoint)).toBe(false);
  });

  it("on a grubby machine (BLS entries) adds the cmdline to every entry and gives each its own values back", async () => {
    s = scratch();
    const fs = liveLike(s.root);
    // as RHEL 9's grubby prints it; the second entry already had its own isolcpus and idle=poll
    const info = [
      "index=0",
      'kernel="/boot/vmlinuz-5.14.0-362.8.1.el9_3.x86_64"',
      'args="ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M rd.lvm.lv=rhel/root"',
      'root="/dev/mapper/rhel-root"',
      'title="Red Hat Enterprise Linux (5.14.0-362.8.1.el9_3.x86_64) 9.3 (Plow)"',
      "index=1",
      'kernel="/boot/vmlinuz-5.14.0-284.11.1.el9_2.x86_64"',
      'args="ro isolcpus=1-3 idle=poll rd.lvm.lv=rhel/root"',
      'root="/dev/mapper/rhel-root"',
      "",
    ].join("\n");
    const exec = fakeExec({ "mountpoint -q /mnt/hugetlbfs-1g": 0 }, ["grubby", "grub2-mkconfig"], {
      "grubby --info=ALL": info,
    });
    const plan = JSON.parse(readFileSync(s.plan, "utf8")) as { cmdline: string };
    const r = await runApply({ plan: s.plan, fs, exec, yes: true, isRoot: true, journal: s.journal });
    expect(exec.calls.filter((c) => c.startsWith("grub"))).toEqual([
      "grubby --info=ALL",
      `grubby --update-kernel=ALL --args=${plan.cmdline}`,
    ]);
    expect(r.notes).toContain("boot entries updated with grubby (2 kernel(s))");

    exec.calls.length = 0;
    const back = await runRevert({ fs, exec, isRoot: true, journal: s.journal });
    const keys = [...new Set(plan.cmdline.split(" ").map((p) => p.split("=")[0]))].join(" ");
    expect(keys).toContain("isolcpus");
    // newest entry first; grub2-mkconfig is not run over entries grubby already put back
    expect(exec.calls.filter((c) => c.startsWith("grub"))).toEqual([
      `grubby --update-kernel=/boot/vmlinuz-5.14.0-284.11.1.el9_2.x86_64 --remove-args=${keys}`,
      "grubby --update-kernel=/boot/vmlinuz-5.14.0-284.11.1.el9_2.x86_64 --args=isolcpus=1-3 idle=poll",
      `grubby --update-kernel=/boot/vmlinuz-5.14.0-362.8.1.el9_3.x86_64 --remove-args=${keys}`,
    ]);
    expect(back.restored).toContain("boot entry /boot/vmlinuz-5.14.0-362.8.1.el9_3.x86_64 (grubby)");
  });
});
