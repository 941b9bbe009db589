/**
 * check --against PLAN.json and apply's read-back: on a temp copy of the untuned baseline, the plan's settings fail
 * before apply, pass after it (only the reboot is left), and a write the "kernel" does not keep is caught.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { openHostFs } from "../../../src/host/fs.js";
import { runApply } from "../../../src/tuning/apply/apply.js";
import { nodeIo, type WriteIo } from "../../../src/tuning/apply/io.js";
import { runCheckAgainst } from "../../../src/tuning/check.js";
import { type Scratch, scratch } from "../apply/tree.js";

let s: Scratch;
afterEach(() => s?.cleanup());

const cli = (...args: string[]) => spawnSync("node", ["bin/kvm4nfv.js", ...args], { encoding: "utf8" });

describe("check --against PLAN.json", () => {
  it("fails the plan's settings before apply and passes them after, leaving only the reboot", async () => {
    s = scratch("baseline-untuned", { role: "host", rtCpus: 16 });
    const before = await runCheckAgainst(openHostFs(s.root), { role: "host", plan: s.plan });
    expect(before.rtCpusSource).toBe("plan");
    expect(before.rtCpus).toHaveLength(16);
    const failing = before.findings.filter((f) => f.level === "fail").map((f) => f.id);
    expect(failing).toEqual(
      expect.arrayContaining([
        "plan.sysctl.kernel.sched_rt_runtime_us",
        "plan.sysctl.kernel.watchdog",
        "plan.irq.default-affinity",
        "plan.hugepages.node-pool",
        "plan.cmdline",
        "plan.bootloader",
      ]),
    );
    const irq = before.findings.find((f) => f.id === "plan.irq.affinity")!;
    expect(irq.level).toBe("warn"); // tolerated writes (managed IRQs) warn
    expect(irq.evidence).toMatch(/would change \/proc\/irq\/\d+\/smp_affinity_list: /);
    expect(irq.remedy).toBe(`kvm4nfv apply ${s.plan} --root ${s.root} --yes`);

    const applied = await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal });
    expect(applied.unverified).toEqual([]);

    const after = await runCheckAgainst(openHostFs(s.root), { role: "host", plan: s.plan });
    const open = after.findings.filter((f) => f.level === "fail" || f.level === "warn");
    expect(open.map((f) => f.id)).toEqual(["plan.cmdline"]);
    expect(open[0]!.rebootRequired).toBe(true);
    // thread priorities, services and mounts are live-only: said, not passed
    expect(after.findings.find((f) => f.id === "plan.kthread.ksoftirqd")!.level).toBe("n/a");
  });

  it("apply --yes reports a setting the kernel did not keep as NOT verified", async () => {
    s = scratch("baseline-untuned", { role: "host", rtCpus: 16 });
    // A kernel that finds fewer free 1G pages than asked: the pool ends at 1, the plan wants 2.
    const io: WriteIo = {
      ...nodeIo,
      writeKernel(p, data) {
        nodeIo.writeKernel(p, /node1\/hugepages\/hugepages-1048576kB\/nr_hugepages$/.test(p) ? "1\n" : data);
      },
    };
    const r = await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal, io });
    expect(r.unverified).toEqual([
      "/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages: 1 -> 2",
    ]);
  });

  it("runs from the CLI: exit 1 with plan.* findings, exit 2 for a plan of the other role", () => {
    s = scratch("baseline-untuned", { role: "host", rtCpus: 16 });
    const r = cli("check", "--role", "host", "--root", s.root, "--against", s.plan, "--format", "json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as { findings: { id: string }[]; rtCpusSource: string };
    expect(report.rtCpusSource).toBe("plan");
    expect(report.findings.every((f) => f.id.startsWith("plan."))).toBe(true);
    const wrong = cli("check", "--role", "guest", "--root", s.root, "--against", s.plan);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/is a plan for --role host, not guest/);
    writeFileSync(s.plan, "{}");
    expect(cli("check", "--role", "host", "--root", s.root, "--against", s.plan).status).toBe(2);
  });

  it("apply --yes from the CLI ends with the read-back and exit 0", () => {
    s = scratch("baseline-untuned", { role: "host", rtCpus: 16 });
    const r = cli("apply", s.plan, "--root", s.root, "--yes", "--journal", s.journal);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^verified: every planned setting reads back as planned$/m);
    expect(r.status).toBe(0);
  });
});
