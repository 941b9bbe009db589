/**
 * `kernel plan` against this machine's real apt metadata and the really downloaded package (apt-get download +
 * dpkg-deb -x, cached in $XDG_CACHE_HOME/kvm4nfv/rtkernel so a second run fetches nothing); a plan for another
 * distribution refused before anything runs; the dnf side (no dnf here) through the fake Exec: argv, journal,
 * and revert giving grubby its old default back.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RootFs } from "../../../src/host/fs.js";
import { runRevert } from "../../../src/tuning/apply/revert.js";
import { runRtKernelApply } from "../../../src/tuning/rtkernel/apply.js";
import { makeRtKernelPlan, type RtKernelPlan } from "../../../src/tuning/rtkernel/plan.js";
import { fakeExec } from "../../helpers/exec.js";

const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-rtk-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const haveApt = existsSync("/usr/bin/apt-cache") && existsSync("/etc/debian_version");

describe.skipIf(!haveApt)("kernel plan on this Debian machine (real apt metadata, real package)", () => {
  it("names Debian's RT kernel, the one apt's meta package pins, and judges its config", {
    timeout: 900_000,
  }, async () => {
    const plan = await makeRtKernelPlan();
    // what apt itself says, asked separately
    const depends = execFileSync("apt-cache", ["depends", "linux-image-rt-amd64"], { encoding: "utf8" });
    const pinned = /Depends: (linux-image-\S+-rt-amd64)/.exec(depends)?.[1];
    expect(plan.package).toBe("linux-image-rt-amd64");
    expect(plan.kernelPackage).toBe(pinned);
    expect(plan.release).toBe(pinned!.replace(/^linux-image-/, ""));
    expect(plan.config?.source).toContain(`${plan.kernelPackage}_`);
    // Debian's RT build: every required item, HZ=250 where opnfv.config asks 1000
    expect(plan.config?.ok).toBe(true);
    expect(plan.config?.lacks).toEqual([]);
    expect(plan.config?.items.find((i) => i.option === "CONFIG_PREEMPT_RT")?.have).toBe("y");
    expect(plan.config?.items.find((i) => i.option === "CONFIG_TIMERLAT_TRACER")?.have).toBe("y");
    expect(plan.config?.differs.join()).toMatch(/^CONFIG_HZ=1000 \(have \d+/);
  });
});

function systemRoot(name: string, osRelease: string, rpm: boolean): string {
  const root = join(tmp, name);
  mkdirSync(join(root, "etc/default"), { recursive: true });
  mkdirSync(join(root, rpm ? "var/lib/rpm" : "var/lib/dpkg"), { recursive: true });
  if (!rpm) writeFileSync(join(root, "var/lib/dpkg/status"), "");
  writeFileSync(join(root, "etc/os-release"), osRelease);
  return root;
}

const rocky = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n';

describe("refusals", () => {
  it("a plan made for another distribution is refused before anything runs", async () => {
    const root = systemRoot("deb-vs-rocky", rocky, true);
    const plan: Partial<RtKernelPlan> = JSON.parse(
      readFileSync(new URL("./plan-debian.json", import.meta.url), "utf8"),
    );
    const file = join(tmp, "plan-debian.json");
    writeFileSync(file, JSON.stringify(plan));
    const exec = fakeExec();
    await expect(
      runRtKernelApply({ plan: file, fs: new RootFs(root), exec, yes: true, isRoot: true }),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/made for debian 12, this is rocky 9\.4: refused/),
    });
    expect(exec.calls).toEqual([]);
  });
  it("a file that is not a kernel plan is one line, exit 2", async () => {
    const file = join(tmp, "bad.json");
    writeFileSync(file, '{"kind":"kvm4nfv-plan"}');
    await expect(runRtKernelApply({ plan: file, exec: fakeExec() })).rejects.toMatchObject({ exitCode: 2 });
  });
});

describe("dnf (RHEL-like) through the fake Exec", () => {
  it("plan, apply --yes journals the old default, revert removes kernel-rt and restores it", async () => {
    const root = systemRoot("rocky", rocky, true);
    const installed = new Set<string>(["kernel"]);
    let def = "/boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64";
    const exec = fakeExec({
      answer: (cmd, _f, args) => {
        if (cmd.includes("repoquery"))
          return { stdout: "kernel-rt|5.14.0-427.13.1.el9_4|5.14.0|427.13.1.el9_4|x86_64\n" };
        if (cmd.includes("--default-kernel")) return { stdout: `${def}\n` };
        const set = args.find((a) => a.startsWith("--set-default="));
        if (set) def = set.slice("--set-default=".length);
        if (cmd.includes("dnf install -y kernel-rt")) installed.add("kernel-rt");
        if (cmd.includes("dnf remove -y kernel-rt")) installed.delete("kernel-rt");
        if (cmd.includes("rpm --root") && cmd.includes(" -q")) {
          const names = args.slice(args.indexOf("--qf") + 2);
          const asked = cmd.includes("-qa") ? [...installed] : names.filter((n) => installed.has(n));
          return { stdout: asked.map((n) => `${n}\n`).join(""), exitCode: asked.length > 0 ? 0 : 1 };
        }
        return {};
      },
    });
    const fs = new RootFs(root);
    // a root without proc/sys: its architecture is this machine's
    const plan = await makeRtKernelPlan({ fs, exec });
    expect(plan).toMatchObject({
      manager: "dnf",
      package: "kernel-rt",
      release: "5.14.0-427.13.1.el9_4.x86_64+rt",
    });
    expect(plan.config).toBeNull();
    const file = join(tmp, "plan-rocky.json");
    writeFileSync(file, JSON.stringify(plan));
    const dry = await runRtKernelApply({ plan: file, fs, exec });
    expect(dry.dryRun).toBe(true);
    expect(installed.has("kernel-rt")).toBe(false);
    const r = await runRtKernelApply({ plan: file, fs, exec, yes: true, isRoot: true });
    expect(r.rebootRequired).toBe(true);
    expect(exec.calls).toContain(`chroot ${root} dnf install -y kernel-rt`);
    expect(def).toBe("/boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64+rt");
    // a second apply finds nothing to do (resumable after the reboot)
    const again = await runRtKernelApply({ plan: file, fs, exec, yes: true, isRoot: true });
    expect(again.steps).toEqual([]);
    const rev = await runRevert({ fs, exec, isRoot: true });
    expect(rev.restored.join("\n")).toMatch(
      /default boot entry \/boot\/vmlinuz-5\.14\.0-427\.13\.1\.el9_4\.x86_64 \(grubby\)/,
    );
    expect(def).toBe("/boot/vmlinuz-5.14.0-427.13.1.el9_4.x86_64");
    expect([...installed]).toEqual(["kernel"]);
  });
});
