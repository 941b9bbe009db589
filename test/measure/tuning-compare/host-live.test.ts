/**
 * The host half of the tuning comparison on a copy of a real snapshot (the dev-vm tree, this machine's kind): both
 * profiles reduced to their live settings, applied the way the benchmark applies them (kvm4nfv's journaled apply
 * and revert; tuned's save/apply/restore scripts run by a real sh), and the touched-file snapshot that proves the
 * tree is back exactly. tuned's profile comes from tuned's own loader; thread priorities are left out (a test
 * never chrt's real threads).
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openHostFs } from "../../../src/host/fs.js";
import { readHost } from "../../../src/host/read.js";
import {
  diffSnapshots,
  liveIo,
  liveOnlyPlan,
  snapshot,
  touchedPaths,
  tunedIrqWrites,
} from "../../../src/measure/tuning-compare/host-live.js";
import {
  applyScript,
  type ResolvedProfile,
  restoreScript,
  tunedLiveSettings,
} from "../../../src/measure/tuning-compare/tuned-live.js";
import { runApply } from "../../../src/tuning/apply/apply.js";
import { runRevert } from "../../../src/tuning/apply/revert.js";
import { emitJson } from "../../../src/tuning/emit/json.js";
import { derivePlan } from "../../../src/tuning/plan.js";
import { SNAPSHOTS } from "../../tuning/apply/tree.js";

const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-tuned-host-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the host half's live profiles", () => {
  const root = join(dir, "root");
  cpSync(join(SNAPSHOTS, "dev-vm"), root, { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root, "etc/default"), { recursive: true });
  const fs = openHostFs(root);
  const host = readHost(fs);
  const cpus = [Math.max(...host.topology.online)];
  const full = derivePlan(host, { role: "host", cpus });
  const live = liveOnlyPlan(full);
  const resolved = JSON.parse(
    execFileSync(
      "/usr/bin/python3",
      [
        join(import.meta.dirname, "../../../bench/tuning-vs-tuned-resolve.py"),
        "realtime-virtual-host",
        "0-1",
        "1",
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    ),
  ) as { units: ResolvedProfile };
  const tuned = tunedLiveSettings(resolved.units);
  tuned.writes.push(...tunedIrqWrites(resolved.units, host.topology.online));

  it("keeps only kvm4nfv's live kernel writes and thread priorities, and says what it left out", () => {
    expect(live.plan.runtime.length).toBeGreaterThan(5);
    for (const i of live.plan.runtime) {
      expect(
        i.kind === "sched" || (i.kind === "write" && /^\/(proc|sys)\//.test(i.path)),
        JSON.stringify(i),
      ).toBe(true);
    }
    expect(live.plan.runtime.some((i) => i.kind === "write" && i.path.endsWith("nr_hugepages"))).toBe(false);
    // the command line stays (the plan file needs one) but apply never sees a bootloader file
    expect(live.plan.cmdline).toEqual(full.cmdline);
    expect(live.left.join("\n")).toContain("/etc/sysctl.d/90-kvm4nfv.conf: not a live kernel setting");
    expect(live.left.join("\n")).toMatch(/kernel command line \(\d+ parameters\): boot-time/);
    expect(full.runtime.length - live.plan.runtime.length).toBe(live.left.length - 1);
    // a file the kernel keeps read-only (a module parameter without a write bit) is left out, and said so
    const first = live.plan.runtime.find((i) => i.kind === "write");
    const ro = liveOnlyPlan(full, (p) => p !== (first as { path: string }).path);
    expect(ro.plan.runtime).not.toContain(first);
    expect(ro.left).toContain(`${(first as { path: string }).path}: read-only on this kernel`);
  });

  it("moves tuned's IRQs off its isolated_cores as tuned's scheduler plugin does", () => {
    expect(resolved.units.scheduler?.isolated_cores).toBe("1");
    expect(tunedIrqWrites(resolved.units, [0, 1])).toEqual([
      { path: "/proc/irq/*/smp_affinity_list", value: "0", unit: "scheduler" },
      { path: "/proc/irq/default_smp_affinity", value: "1", unit: "scheduler" },
    ]);
    expect(tunedIrqWrites({ scheduler: { isolated_cores: "0-3" } }, [0, 1, 2, 3])).toEqual([]);
    expect(tunedIrqWrites({}, [0, 1])).toEqual([]);
  });

  it("applies and restores both on the snapshot copy, and the snapshot of the touched files proves it", async () => {
    const planFile = join(dir, "plan.json");
    writeFileSync(planFile, emitJson(live.plan));
    const journal = join(dir, "journal.json");
    const paths = touchedPaths(live.plan, tuned);
    expect(paths).toContain("/proc/irq/*/smp_affinity_list");
    const before = snapshot(fs, paths);
    expect(Object.keys(before.files).length).toBeGreaterThan(10);

    writeFileSync(join(root, "etc/default/grub"), 'GRUB_CMDLINE_LINUX="quiet"\n');
    const grubBefore = readFileSync(join(root, "etc/default/grub"), "utf8");
    const r = await runApply({ plan: planFile, root, yes: true, journal, io: liveIo(fs) });
    expect(r.changes.length).toBeGreaterThan(0);
    expect(r.changes.join("\n")).not.toContain("grub");
    expect(readFileSync(join(root, "etc/default/grub"), "utf8")).toBe(grubBefore);
    const kvm = diffSnapshots(before, snapshot(fs, paths));
    expect(kvm.some((l) => l.startsWith("/proc/sys/kernel/sched_rt_runtime_us:"))).toBe(true);
    await runRevert({ root, journal });
    expect(diffSnapshots(before, snapshot(fs, paths))).toEqual([]);

    const save = join(dir, "save");
    const applied = execFileSync("sh", ["-c", applyScript({ ...tuned, kthreads: [] }, save, root)], {
      encoding: "utf8",
    });
    expect(applied).toContain("KVM4NFV-END");
    const changed = diffSnapshots(before, snapshot(fs, paths));
    expect(changed.some((l) => /^\/proc\/irq\/\d+\/smp_affinity_list: "[^"]*" → "0"$/.test(l))).toBe(true);
    execFileSync("sh", ["-c", restoreScript(save)], { encoding: "utf8" });
    expect(diffSnapshots(before, snapshot(fs, paths))).toEqual([]);
  });

  it("names a file that did not come back, and ignores threads that ended or pids reused", () => {
    const a = {
      files: { "/x": "1\n" },
      threads: { "7": "ksoftirqd/0 1 2", "8": "kworker 0 0", "9": "a 0 0" },
    };
    const b = { files: { "/x": "0\n" }, threads: { "7": "ksoftirqd/0 0 0", "9": "b 1 5" } };
    expect(diffSnapshots(a, b)).toEqual([
      '/x: "1\\n" → "0\\n"',
      "thread 7: ksoftirqd/0 1 2 → ksoftirqd/0 0 0",
    ]);
  });
});
