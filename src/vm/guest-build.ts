/**
 * Builds the real-time test guest: the Debian RT kernel (fetched with `apt-get download`, extracted with
 * `dpkg-deb -x`, never installed on the host) and an initramfs with busybox, cyclictest, oslat and stress-ng
 * plus their shared libraries and the virtio-serial modules. The result is cached under a key hashed from
 * every input (package versions, /init, kvm4nfv version), so it is rebuilt only when one of them changes.
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { Kvm4nfvError } from "../errors.js";
import { type Exec, realExec } from "../exec.js";
import { VERSION } from "../version.js";
import { buildCpio, type CpioEntry } from "./cpio.js";
import { INIT_SCRIPT } from "./guest-init.js";
import { addTraceTools, TRACE_PACKAGES } from "./guest-trace-tools.js";

/** Bump when the image layout changes in a way the other inputs do not capture. */
const FORMAT = 3;
const KERNEL_META = "linux-image-rt-amd64";
const TOOLS = ["cyclictest", "oslat", "stress-ng"] as const;
/** Host packages whose binaries go into the image (their versions are part of the cache key). */
const TOOL_PACKAGES = ["busybox-static", "rt-tests", "stress-ng"] as const;
/** The virtio-serial stack, leaf last; used only when the kernel builds them as modules. */
const WANTED_MODULES = ["virtio_pci", "virtio_console"];
/**
 * pod: the guest as an SSH node (kernel cmdline kvm4nfv.sshd=1, see guest-init.ts): Debian's dropbear (key-only),
 * util-linux's chrt (apply sets kernel-thread priorities; busybox has none), and virtio-net for user networking.
 */
const NODE_TOOLS = ["dropbear", "dropbearkey", "chrt"] as const;
const NODE_PACKAGES = ["dropbear-bin", "util-linux"] as const;
const NODE_MODULES = ["virtio_net"];
/** forwarding: the guest as PVP/PVVP VNF forwards between its two virtio-net devices with a kernel bridge. */
const VNF_MODULES = ["bridge"];

export interface GuestImages {
  dir: string;
  kernel: string;
  initrd: string;
  kernelRelease: string;
  /** Cache key (hash of the inputs). */
  key: string;
  /** True when the images came from the cache. */
  cached: boolean;
  /** Package → version of everything that went in. */
  packages: Record<string, string>;
  /** Kernel modules loaded by /init, in order (empty when built in). */
  modules: string[];
}

export interface BuildOptions {
  /** Cache root; default $XDG_CACHE_HOME/kvm4nfv/guest or ~/.cache/kvm4nfv/guest. */
  outDir?: string;
  exec?: Exec;
  onProgress?: (message: string) => void;
}

export function defaultGuestCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.trim() ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "kvm4nfv", "guest");
}

interface Inputs {
  kernelPackage: string;
  packages: Record<string, string>;
}

let realInputs: Promise<Inputs> | undefined;
function memoInputs(): Promise<Inputs> {
  if (!realInputs) {
    realInputs = resolveInputs(realExec).catch((e: unknown) => {
      realInputs = undefined; // a failure (apt not updated yet…) is not remembered
      throw e;
    });
  }
  return realInputs;
}

/** Ask apt/dpkg (cheap, no download) what would go into the image, to compute the cache key. */
async function resolveInputs(exec: Exec): Promise<Inputs> {
  // One apt-cache call (each loads the whole package cache: seconds on a busy host). The meta package pins
  // its kernel exactly: "Depends: linux-image-6.1.0-56-rt-amd64 (= 6.1.192-2)".
  const show = await exec.run("apt-cache", ["show", "--no-all-versions", KERNEL_META], { timeoutMs: 60_000 });
  const dep = /^Depends:.*?\b(linux-image-[\w.+-]+-rt-amd64)(?:\s*\(=\s*([^)\s]+)\))?/m.exec(show.stdout);
  if (!dep?.[1]) {
    throw new Kvm4nfvError("TOOL_FAILED", `apt-cache does not know which kernel ${KERNEL_META} depends on`, {
      hint: "run apt-get update",
    });
  }
  const kernelPackage = dep[1];
  const packages: Record<string, string> = {
    [KERNEL_META]: /^Version:\s*(\S+)/m.exec(show.stdout)?.[1] ?? "unknown",
  };
  if (dep[2]) packages[kernelPackage] = dep[2];
  else {
    const real = await exec.run("apt-cache", ["show", "--no-all-versions", kernelPackage], {
      timeoutMs: 60_000,
    });
    packages[kernelPackage] = /^Version:\s*(\S+)/m.exec(real.stdout)?.[1] ?? "unknown";
  }
  for (const pkg of [...TOOL_PACKAGES, ...TRACE_PACKAGES, ...NODE_PACKAGES]) {
    // A dpkg-query format string, not a template: "$" + "{Version}".
    const q = await exec.run("dpkg-query", ["-W", "-f", "$" + "{Version}", pkg], {
      timeoutMs: 30_000,
      allowFailure: true,
    });
    if (q.exitCode !== 0 || !q.stdout.trim()) {
      throw new Kvm4nfvError("TOOL_MISSING", `${pkg} is not installed (needed inside the guest image)`, {
        hint: `install ${pkg}: apt-get install ${pkg}`,
      });
    }
    packages[pkg] = q.stdout.trim();
  }
  return { kernelPackage, packages };
}

export function cacheKey(inputs: Inputs, initScript = INIT_SCRIPT): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ FORMAT, VERSION, inputs, initScript }));
  return h.digest("hex").slice(0, 16);
}

/** Return the cached guest images for the current inputs, building them first if needed. */
export async function ensureGuestImages(options: BuildOptions = {}): Promise<GuestImages> {
  const exec = options.exec ?? realExec;
  const progress = options.onProgress ?? (() => {});
  const root = options.outDir ?? defaultGuestCacheDir();
  // Package versions do not change under a running kvm4nfv: ask apt once per process (real exec only).
  let inputs: Inputs;
  try {
    inputs = exec === realExec ? await memoInputs() : await resolveInputs(exec);
  } catch (err) {
    // apt metadata gone (offline box, lists cleaned): an image already built is still good to use.
    const fallback =
      err instanceof Kvm4nfvError && err.code !== "TOOL_MISSING" ? await newestCached(root) : null;
    if (!fallback) throw err;
    progress(
      `cannot check package versions (${(err as Error).message}); using the cached guest ${fallback.key}`,
    );
    return fallback;
  }
  const key = cacheKey(inputs);
  const dir = join(root, key);
  const manifestPath = join(dir, "manifest.json");
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as Omit<GuestImages, "cached">;
    if (existsSync(manifest.kernel) && existsSync(manifest.initrd)) return { ...manifest, cached: true };
  }
  await mkdir(root, { recursive: true });
  // Build beside the final place and rename at the end: a crash never leaves a half image under the key.
  const work = await mkdtemp(join(root, `.build-${key}-`));
  const dl = await mkdtemp(join(tmpdir(), "kvm4nfv-deb-"));
  try {
    progress(`downloading ${inputs.kernelPackage} ${inputs.packages[inputs.kernelPackage]}`);
    await exec.run("apt-get", ["download", inputs.kernelPackage], { cwd: dl, timeoutMs: 600_000 });
    const deb = (await readdir(dl)).find(
      (f) => f.startsWith(`${inputs.kernelPackage}_`) && f.endsWith(".deb"),
    );
    if (!deb) throw new Kvm4nfvError("TOOL_FAILED", `apt-get download left no ${inputs.kernelPackage} .deb`);
    const x = join(dl, "x");
    await exec.run("dpkg-deb", ["-x", join(dl, deb), x], { timeoutMs: 300_000 });
    const vmlinuz = (await readdir(join(x, "boot"))).find((f) => f.startsWith("vmlinuz-"));
    if (!vmlinuz) throw new Kvm4nfvError("TOOL_FAILED", `${deb} contains no /boot/vmlinuz-*`);
    const kernelRelease = vmlinuz.slice("vmlinuz-".length);

    progress(`building the initramfs for ${kernelRelease}`);
    const config = await readFile(join(x, "boot", `config-${kernelRelease}`), "utf8").catch(() => "");
    const modules = await virtioModules(join(x, "lib", "modules", kernelRelease), config);
    const entries = await initramfsEntries(exec, join(x, "lib", "modules", kernelRelease), modules);
    const initrdData = gzipSync(buildCpio(entries), { level: 6 });

    const kernel = join(dir, "vmlinuz");
    const initrd = join(dir, "initrd.img");
    await writeFile(join(work, "vmlinuz"), await readFile(join(x, "boot", vmlinuz)));
    await writeFile(join(work, "initrd.img"), initrdData);
    const manifest: Omit<GuestImages, "cached"> = {
      dir,
      kernel,
      initrd,
      kernelRelease,
      key,
      packages: inputs.packages,
      modules,
    };
    await writeFile(join(work, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(work, dir);
    return { ...manifest, cached: false };
  } finally {
    await rm(dl, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

/** The most recently built image under `root`, if any. */
async function newestCached(root: string): Promise<GuestImages | null> {
  const found: Array<{ at: number; images: GuestImages }> = [];
  for (const key of await readdir(root).catch(() => [] as string[])) {
    const path = join(root, key, "manifest.json");
    try {
      const manifest = JSON.parse(await readFile(path, "utf8")) as Omit<GuestImages, "cached">;
      if (existsSync(manifest.kernel) && existsSync(manifest.initrd)) {
        found.push({ at: statSync(path).mtimeMs, images: { ...manifest, cached: true } });
      }
    } catch {
      // not an image directory (or a half-built one): skip
    }
  }
  found.sort((a, b) => b.at - a.at);
  return found[0]?.images ?? null;
}

/** The `depends=` field of a .ko's .modinfo section (NUL-separated key=value strings). */
export function moduleDepends(ko: Buffer): string[] {
  const at = ko.indexOf("\0depends=");
  if (at < 0) return [];
  const end = ko.indexOf(0, at + 1);
  const value = ko.subarray(at + "\0depends=".length, end < 0 ? undefined : end).toString("utf8");
  return value.split(",").filter(Boolean);
}

/**
 * Module files (relative to lib/modules/<release>) for virtio-serial, dependencies first. Empty when the
 * kernel has them built in (CONFIG_VIRTIO_CONSOLE=y and CONFIG_VIRTIO_PCI=y).
 */
async function virtioModules(modDir: string, config: string): Promise<string[]> {
  if (
    /^CONFIG_VIRTIO_CONSOLE=y$/m.test(config) &&
    /^CONFIG_VIRTIO_PCI=y$/m.test(config) &&
    /^CONFIG_VIRTIO_NET=y$/m.test(config) &&
    /^CONFIG_BRIDGE=y$/m.test(config)
  )
    return [];
  const index = new Map<string, string>(); // module name → relative path
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(modDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.name.endsWith(".ko")) index.set(e.name.slice(0, -3).replace(/-/g, "_"), r);
    }
  };
  await walk("kernel/drivers");
  // virtio_net needs failover, which lives under kernel/net
  if (existsSync(join(modDir, "kernel/net"))) await walk("kernel/net");
  const order: string[] = [];
  const visit = async (name: string, chain: string[]): Promise<void> => {
    const key = name.replace(/-/g, "_");
    if (order.includes(key) || chain.includes(key)) return;
    const rel = index.get(key);
    if (!rel) return; // built in, or not needed by this kernel
    for (const dep of moduleDepends(await readFile(join(modDir, rel)))) await visit(dep, [...chain, key]);
    order.push(key);
  };
  for (const m of [...WANTED_MODULES, ...NODE_MODULES, ...VNF_MODULES]) await visit(m, []);
  return order.map((m) => index.get(m) ?? m);
}

/** Shared objects a binary needs, from `ldd` output: "name => /path (addr)" and "/path (addr)". */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split("\n")) {
    const m = /=>\s*(\/\S+)\s*\(/.exec(line) ?? /^\s*(\/\S+)\s*\(/.exec(line);
    if (m?.[1] && !libs.includes(m[1])) libs.push(m[1]);
  }
  return libs;
}

async function initramfsEntries(exec: Exec, modDir: string, modules: string[]): Promise<CpioEntry[]> {
  const files = new Map<string, { data: Buffer; mode: number }>();
  const symlinks = new Map<string, string>();
  const busybox = exec.which("busybox");
  if (!busybox)
    throw new Kvm4nfvError("TOOL_MISSING", "busybox is not installed", {
      hint: "apt-get install busybox-static",
    });
  files.set("bin/busybox", { data: await readFile(busybox), mode: 0o755 });
  const applets = await exec.run(busybox, ["--list-full"], { timeoutMs: 10_000 });
  for (const path of applets.stdout.split("\n").map((s) => s.trim())) {
    if (path && path !== "bin/busybox") symlinks.set(path, "/bin/busybox");
  }
  for (const tool of TOOLS) {
    const path = exec.which(tool);
    if (!path) {
      throw new Kvm4nfvError("TOOL_MISSING", `${tool} is not installed (needed inside the guest image)`, {
        hint: `install ${tool === "stress-ng" ? "stress-ng" : "rt-tests"}: apt-get install ${tool === "stress-ng" ? "stress-ng" : "rt-tests"}`,
      });
    }
    files.set(`usr/bin/${tool}`, { data: await readFile(path), mode: 0o755 });
    symlinks.delete(`usr/bin/${tool}`);
    const ldd = await exec.run("ldd", [path], { timeoutMs: 30_000 });
    for (const lib of parseLdd(ldd.stdout)) {
      // readFile follows symlinks: the real library lands at the path the loader looks up.
      files.set(lib.replace(/^\//, ""), { data: await readFile(lib), mode: 0o755 });
    }
  }
  // rtla (timerlat, osnoise) and hwlatdetect with its Python (guest-trace-tools.ts): binaries + ldd's libraries.
  await addTraceTools(exec, files, async (path, imagePath) => {
    files.set(imagePath, { data: await readFile(path), mode: 0o755 });
    symlinks.delete(imagePath);
    const ldd = await exec.run("ldd", [path], { timeoutMs: 30_000 });
    for (const lib of parseLdd(ldd.stdout))
      files.set(lib.slice(1), { data: await readFile(lib), mode: 0o755 });
  });
  for (const tool of NODE_TOOLS) {
    const path = exec.which(tool);
    if (!path) {
      const pkg = tool === "chrt" ? "util-linux" : "dropbear-bin";
      throw new Kvm4nfvError("TOOL_MISSING", `${tool} is not installed (needed inside the guest image)`, {
        hint: `install ${pkg}: apt-get install ${pkg}`,
      });
    }
    files.set(`usr/bin/${tool}`, { data: await readFile(path), mode: 0o755 });
    symlinks.delete(`usr/bin/${tool}`);
    const ldd = await exec.run("ldd", [path], { timeoutMs: 30_000 });
    for (const lib of parseLdd(ldd.stdout))
      files.set(lib.replace(/^\//, ""), { data: await readFile(lib), mode: 0o755 });
  }
  // a root account for dropbear: home /root, shell /bin/sh (listed in /etc/shells, as dropbear requires)
  files.set("etc/passwd", { data: Buffer.from("root:x:0:0:root:/root:/bin/sh\n"), mode: 0o644 });
  files.set("etc/group", { data: Buffer.from("root:x:0:\n"), mode: 0o644 });
  files.set("etc/shells", { data: Buffer.from("/bin/sh\n"), mode: 0o644 });
  for (const rel of modules)
    files.set(`lib/modules/${rel}`, { data: await readFile(join(modDir, rel)), mode: 0o644 });
  files.set("etc/kvm4nfv/modules", { data: Buffer.from(modules.map((m) => `${m}\n`).join("")), mode: 0o644 });
  files.set("init", { data: Buffer.from(INIT_SCRIPT), mode: 0o755 });

  const dirs = new Set<string>(["dev", "proc", "sys", "tmp", "run", "out", "root", "kvm4nfv"]);
  for (const p of [...files.keys(), ...symlinks.keys()]) {
    for (let d = dirname(p); d !== "." && d !== "/"; d = dirname(d)) dirs.add(d);
  }
  const entries: CpioEntry[] = [...dirs].sort().map((path) => ({ type: "dir", path }));
  entries.push({ type: "chardev", path: "dev/console", major: 5, minor: 1 });
  entries.push({ type: "chardev", path: "dev/null", major: 1, minor: 3, mode: 0o666 });
  for (const path of [...files.keys()].sort()) {
    const f = files.get(path)!;
    entries.push({ type: "file", path, data: f.data, mode: f.mode });
  }
  for (const path of [...symlinks.keys()].sort()) {
    if (!files.has(path)) entries.push({ type: "symlink", path, target: symlinks.get(path)! });
  }
  return entries;
}
