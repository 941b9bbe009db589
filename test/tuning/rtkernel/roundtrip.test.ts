/**
 * The slow one: install Debian's RT kernel into a disposable Debian root (debootstrap, see debian-root.ts) with
 * kernel apply --yes, then kvm4nfv revert: the packages apply brought are gone, those that were there stay, and
 * /etc/default/grub is back byte for byte. Runs only as root with debootstrap installed (chroot needs both); never
 * touches this machine — its dpkg database and /etc/default/grub are compared before and after.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runRevert } from "../../../src/tuning/apply/revert.js";
import { runRtKernelApply } from "../../../src/tuning/rtkernel/apply.js";
import { parseInstalled } from "../../../src/tuning/rtkernel/apt.js";
import { grubDefault } from "../../../src/tuning/rtkernel/grub-default.js";
import { makeRtKernelPlan } from "../../../src/tuning/rtkernel/plan.js";
import { freshRoot, keepDownloads, STOCK_GRUB } from "./debian-root.js";

const isRoot = process.getuid?.() === 0;
const haveDebootstrap = existsSync("/usr/sbin/debootstrap");
const hash = (path: string) =>
  existsSync(path) ? createHash("sha256").update(readFileSync(path)).digest("hex") : "absent";

function installedIn(root: string): Set<string> {
  const out = execFileSync(
    "dpkg-query",
    [`--admindir=${root}/var/lib/dpkg`, "-W", "-f", "$" + "{Package} $" + "{db:Status-Abbrev}\n"],
    {
      encoding: "utf8",
    },
  );
  return parseInstalled(out);
}

let root: string | undefined;
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!isRoot || !haveDebootstrap)("RT kernel apply/revert in a disposable Debian root", () => {
  it("installs linux-image-rt-amd64, sets GRUB_DEFAULT, and revert removes only what it installed", {
    timeout: 1_800_000,
  }, async () => {
    const hostBefore = [hash("/var/lib/dpkg/status"), hash("/etc/default/grub")];
    root = freshRoot();
    const before = installedIn(root);
    const plan = await makeRtKernelPlan({ root });
    expect(plan.package).toBe("linux-image-rt-amd64");
    const planFile = join(root, "..", `${root.split("/").pop()}-plan.json`);
    writeFileSync(planFile, JSON.stringify(plan));
    try {
      // dry run: says what, changes nothing
      const dry = await runRtKernelApply({ plan: planFile, root });
      expect(dry.steps).toHaveLength(2);
      expect(installedIn(root)).toEqual(before);

      const r = await runRtKernelApply({ plan: planFile, root, yes: true });
      const after = installedIn(root);
      expect(after.has(plan.kernelPackage)).toBe(true);
      expect(after.has(plan.package)).toBe(true);
      expect(existsSync(join(root, plan.kernelImage))).toBe(true);
      const grub = readFileSync(join(root, "etc/default/grub"), "utf8");
      expect(grubDefault(grub)).toBe(
        `Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux ${plan.release}`,
      );
      expect(r.notes.join("\n")).toMatch(/reboot required: the machine boots .*-rt-amd64 next/);
      keepDownloads(root);

      const rev = await runRevert({ root });
      expect(rev.restored.join("\n")).toContain(`linux-image-rt-amd64: removed`);
      expect(readFileSync(join(root, "etc/default/grub"), "utf8")).toBe(STOCK_GRUB);
      expect(installedIn(root)).toEqual(before);
      expect(existsSync(join(root, plan.kernelImage))).toBe(false);
      expect([hash("/var/lib/dpkg/status"), hash("/etc/default/grub")]).toEqual(hostBefore);
    } finally {
      rmSync(planFile, { force: true });
    }
  });
});
