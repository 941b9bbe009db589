/**
 * The guest kernel's virtio-balloon driver for free-page hinting. Debian builds virtio, virtio_pci and
 * virtio_balloon as modules (CONFIG_VIRTIO_BALLOON=m), and the migration initramfs carries no modules, so the
 * driver and its dependencies are taken from the same kernel package the RT guest builder downloaded
 * (`apt-get download linux-image-<release>=<version>`, read from the image's manifest.json), or from the host's
 * /lib/modules/<release> when the kernel is the host's. Kept under the migration-guest cache per release.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { type Exec, realExec } from "../exec.js";
import { moduleDepends } from "./guest-build.js";
import { type GuestModules, guestCacheDir } from "./migration-guest.js";

export const BALLOON_MODULE = "virtio_balloon";
/** The PCI transport is no module dependency of the driver, yet without it no virtio device binds. */
const BALLOON_STACK = ["virtio_pci", BALLOON_MODULE];

/** Release and package version of a kernel: the RT guest builder's manifest beside it, else its file name. */
export function kernelIdentity(kernel: string): { release: string; version: string | null } | null {
  const manifest = join(dirname(kernel), "manifest.json");
  if (existsSync(manifest)) {
    try {
      const m = JSON.parse(readFileSync(manifest, "utf8")) as {
        kernelRelease?: string;
        packages?: Record<string, string>;
      };
      if (m.kernelRelease)
        return { release: m.kernelRelease, version: m.packages?.[`linux-image-${m.kernelRelease}`] ?? null };
    } catch {
      // unreadable manifest: fall through to the file name
    }
  }
  const fromName = /^vmlinuz-(.+)$/.exec(basename(kernel));
  return fromName?.[1] ? { release: fromName[1], version: null } : null;
}

/**
 * The modules `wanted` need, dependencies first, from a lib/modules/<release> tree. Returns null when the tree
 * lacks one of them (built in, or not this kernel's tree).
 */
export function resolveModules(
  modDir: string,
  wanted: readonly string[],
): { name: string; data: Buffer }[] | null {
  const index = new Map<string, string>();
  const walk = (rel: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(join(modDir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith(".ko")) index.set(e.name.slice(0, -3).replace(/-/g, "_"), r);
    }
  };
  walk("kernel/drivers");
  if (!wanted.every((w) => index.has(w))) return null;
  const order: string[] = [];
  const visit = (name: string, chain: string[]) => {
    const key = name.replace(/-/g, "_");
    const rel = index.get(key);
    if (!rel || order.includes(key) || chain.includes(key)) return;
    for (const dep of moduleDepends(readFileSync(join(modDir, rel)))) visit(dep, [...chain, key]);
    order.push(key);
  };
  for (const w of wanted) visit(w, []);
  return order.map((key) => ({ name: `${key}.ko`, data: readFileSync(join(modDir, index.get(key)!)) }));
}

/** The balloon driver's module set for `kernel`, fetched once per release; null with the reason when impossible. */
export async function balloonModules(
  kernel: string,
  exec: Exec = realExec,
): Promise<{ modules: GuestModules | null; why: string }> {
  const id = kernelIdentity(kernel);
  if (!id) return { modules: null, why: `cannot tell the release of ${kernel}` };
  const cache = join(guestCacheDir(), `modules-${id.release}`);
  const order = join(cache, "order");
  const load = (): GuestModules => ({
    release: id.release,
    files: readFileSync(order, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((name) => ({ name, data: readFileSync(join(cache, name)) })),
  });
  if (existsSync(order)) return { modules: load(), why: `cached for ${id.release}` };
  let found = existsSync(join("/lib/modules", id.release))
    ? resolveModules(join("/lib/modules", id.release), BALLOON_STACK)
    : null;
  let from = `/lib/modules/${id.release}`;
  if (!found && id.version) {
    const dl = mkdtempSync(join(tmpdir(), "kvm4nfv-mods-"));
    try {
      const pkg = `linux-image-${id.release}`;
      await exec.run("apt-get", ["download", `${pkg}=${id.version}`], { cwd: dl, timeoutMs: 600_000 });
      const deb = readdirSync(dl).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
      if (deb) {
        await exec.run("dpkg-deb", ["-x", join(dl, deb), join(dl, "x")], { timeoutMs: 300_000 });
        found = resolveModules(join(dl, "x", "lib", "modules", id.release), BALLOON_STACK);
        from = `${pkg} ${id.version}`;
      }
    } finally {
      rmSync(dl, { recursive: true, force: true });
    }
  }
  if (!found)
    return { modules: null, why: `no ${BALLOON_MODULE}.ko for ${id.release} (built in, or not found)` };
  mkdirSync(cache, { recursive: true });
  for (const f of found) writeFileSync(join(cache, f.name), f.data);
  writeFileSync(order, `${found.map((f) => f.name).join("\n")}\n`);
  return { modules: load(), why: `from ${from}` };
}
