/**
 * `kernel check` after the reboot, on a snapshot of a machine booted into the planned kernel, built from the real
 * package: the release and version banner come from the real vmlinuz's setup header (its kernel_version string,
 * as `uname -rv` prints them), the config is the package's own /boot/config-RELEASE. Then the same machine still
 * on a generic kernel, where check fails and says to reboot.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RootFs } from "../../../src/host/fs.js";
import { runRtKernelCheck } from "../../../src/tuning/rtkernel/check.js";
import { defaultRtCacheDir, makeRtKernelPlan } from "../../../src/tuning/rtkernel/plan.js";

const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-rtk-check-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const haveApt = existsSync("/usr/bin/apt-cache") && existsSync("/etc/debian_version");

function put(root: string, path: string, text: string | Buffer): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

describe.skipIf(!haveApt)("kernel check on a machine booted into the planned kernel", () => {
  it("passes for the real RT kernel's release, banner and config; fails for a generic one", {
    timeout: 900_000,
  }, async () => {
    const plan = await makeRtKernelPlan();
    const planFile = join(tmp, "plan.json");
    writeFileSync(planFile, JSON.stringify(plan));
    const deb = join(defaultRtCacheDir(), `${plan.kernelPackage}_${plan.kernelVersion}_${plan.arch}.deb`);
    const x = join(tmp, "x");
    execFileSync("dpkg-deb", ["-x", deb, x]);
    const image = readFileSync(join(x, "boot", `vmlinuz-${plan.release}`));
    // boot protocol: the setup header's kernel_version (offset 0x20e) points 0x200 bytes before the string
    const at = image.readUInt16LE(0x20e) + 0x200;
    const banner = image
      .subarray(at, at + 512)
      .toString("latin1")
      .split("\0")[0]!;
    expect(banner.startsWith(`${plan.release} `)).toBe(true);

    const root = join(tmp, "booted");
    put(root, "/etc/os-release", readFileSync("/etc/os-release"));
    put(root, "/proc/sys/kernel/osrelease", `${plan.release}\n`);
    put(root, "/sys/kernel/realtime", "1\n");
    put(root, "/proc/version", `Linux version ${banner}\n`);
    put(root, `/boot/config-${plan.release}`, readFileSync(join(x, "boot", `config-${plan.release}`)));
    const ok = runRtKernelCheck({ plan: planFile, fs: new RootFs(root) });
    expect(ok.lines.filter((l) => !l.startsWith("pass:"))).toEqual([]);
    expect(ok.ok).toBe(true);

    // still on the generic kernel: the release differs, no /sys/kernel/realtime, no PREEMPT_RT in uname -v
    put(root, "/proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
    rmSync(join(root, "sys/kernel/realtime"));
    put(
      root,
      "/proc/version",
      "Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1\n",
    );
    const bad = runRtKernelCheck({ plan: planFile, fs: new RootFs(root) });
    expect(bad.ok).toBe(false);
    expect(bad.lines[0]).toBe(`FAIL: running kernel 6.1.0-28-amd64, planned ${plan.release}`);
    expect(bad.lines).toContain("FAIL: uname -v: #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1");
    expect(bad.lines.at(-1)).toMatch(/^not booted into .* yet: reboot/);
  });
});
