/**
 * A disposable Debian root for the kernel round trip: `debootstrap --variant=minbase` once (≈1.5 min), with the
 * same suites as this machine (bookworm, -updates, -security) and apt's lists fetched, kept as a tarball in
 * $XDG_CACHE_HOME/kvm4nfv/rtkernel; each test unpacks a fresh copy under /tmp. Packages apt downloaded into a root
 * are kept in the cache's debs/ and put back into the next root's apt archive, so the second run fetches nothing.
 */
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultRtCacheDir } from "../../../src/tuning/rtkernel/plan.js";

const SUITE = "bookworm";
const MIRROR = "http://deb.debian.org/debian";
const SOURCES = `Types: deb
URIs: ${MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

/** Debian's stock /etc/default/grub lines that matter here (grub2-common's template, bookworm). */
export const STOCK_GRUB = `# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=\`lsb_release -i -s 2> /dev/null || echo Debian\`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""
`;

export function rootTarball(cache = defaultRtCacheDir()): string {
  const tar = join(cache, `debootstrap-${SUITE}-minbase.tar`);
  if (existsSync(tar)) return tar;
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-debootstrap-"));
  try {
    execFileSync("debootstrap", ["--variant=minbase", SUITE, dir, MIRROR], {
      stdio: "ignore",
      timeout: 1_200_000,
    });
    rmSync(join(dir, "etc/apt/sources.list"), { force: true });
    writeFileSync(join(dir, "etc/apt/sources.list.d/debian.sources"), SOURCES);
    execFileSync("chroot", [dir, "apt-get", "update"], { stdio: "ignore", timeout: 600_000 });
    execFileSync("tar", ["-cf", `${tar}.tmp`, "-C", dir, "."], { timeout: 600_000 });
    renameSync(`${tar}.tmp`, tar);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tar;
}

/** A fresh root unpacked from the tarball, its apt archive seeded from the cache, with Debian's /etc/default/grub. */
export function freshRoot(cache = defaultRtCacheDir()): string {
  const tar = rootTarball(cache);
  const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-rtk-root-"));
  execFileSync("tar", ["-xf", tar, "-C", dir], { timeout: 600_000 });
  const debs = join(cache, "debs");
  const archive = join(dir, "var/cache/apt/archives");
  if (existsSync(debs)) for (const f of readdirSync(debs)) copyFileSync(join(debs, f), join(archive, f));
  // the kernel package kernel plan downloaded has apt's own archive name (PKG_VERSION_ARCH.deb)
  for (const f of readdirSync(cache)) if (f.endsWith(".deb")) copyFileSync(join(cache, f), join(archive, f));
  writeFileSync(join(dir, "etc/default/grub"), STOCK_GRUB);
  return dir;
}

/** Keep what apt downloaded into the root for the next run. */
export function keepDownloads(root: string, cache = defaultRtCacheDir()): void {
  const debs = join(cache, "debs");
  mkdirSync(debs, { recursive: true });
  const archive = join(root, "var/cache/apt/archives");
  for (const f of readdirSync(archive)) {
    if (f.endsWith(".deb") && !existsSync(join(debs, f))) copyFileSync(join(archive, f), join(debs, f));
  }
}
