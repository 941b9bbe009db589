/**
 * Issue #11 §2 "Missing is unknown": a rule never gets a stronger verdict from less information. Each snapshot
 * tree is audited whole, then with one source taken away (the cmdline, the IOMMU groups, the boot config, the
 * NUMA nodes, …): no finding may turn into warn or fail where the whole tree gave pass, unknown or n/a — what
 * was not read cannot be what breaks a rule. (Found by this test: os.iommu warned and os.sriov.iommu failed
 * "intel_iommu=absent" on a host whose /proc/cmdline could not be read.)
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openHostFs } from "../../../src/host/fs.js";
import { readHost } from "../../../src/host/read.js";
import { runCheck } from "../../../src/tuning/check.js";

const SNAPSHOTS = "test/fixtures/snapshots";
const TREES = ["baseline-tuned", "dev-vm", "sriov-x710-provisioned"];
const TAKEN_AWAY = [
  "proc/cmdline",
  "sys/kernel/iommu_groups",
  "boot",
  "sys/devices/system/node",
  "proc/interrupts",
  "proc/sys/kernel",
  "sys/devices/system/cpu/cpuidle",
  "sys/kernel/mm/transparent_hugepage",
  "sys/module",
];

const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-lessinfo-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function levels(root: string): Map<string, string> {
  const report = runCheck(readHost(openHostFs(root)), { role: "host" });
  return new Map(report.findings.map((f) => [f.id, f.level]));
}

describe.each(TREES)("check --role host on %s with one source missing", (tree) => {
  const whole = levels(join(SNAPSHOTS, tree));
  it.each(TAKEN_AWAY)("without %s no finding turns into warn or fail", (gone) => {
    const root = join(tmp, `${tree}-${gone.replaceAll("/", "_")}`);
    cpSync(join(SNAPSHOTS, tree), root, { recursive: true, verbatimSymlinks: true });
    rmSync(join(root, gone), { recursive: true, force: true });
    const stronger = [...levels(root)]
      .filter(([id, now]) => {
        const before = whole.get(id);
        return (now === "warn" || now === "fail") && before !== now && before !== "fail";
      })
      .map(([id, now]) => `${id}: ${whole.get(id)} -> ${now}`);
    expect(stronger).toEqual([]);
  });
});
