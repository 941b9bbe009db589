/**
 * `kvm4nfv kernel plan`: which PREEMPT_RT kernel package this machine's distribution ships, its version, and
 * whether its build configuration carries what KVM4NFV asks for — judged before anything is installed, from the
 * package itself (Debian: `apt-get download` + `dpkg-deb -x` into a cache outside the machine, only /boot/config-*
 * read). The plan file records the distribution, so apply refuses it on another one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { InputError, Kvm4nfvError } from "../../errors.js";
import { type Exec, realExec } from "../../exec.js";
import { type HostFs, openHostFs } from "../../host/fs.js";
import { readHost } from "../../host/read.js";
import { makeTempDir, removeTempDir } from "../../tempdir.js";
import {
  aptCacheShowArgv,
  aptMetaPackage,
  debianArch,
  dirOption,
  kernelOfMeta,
  parseStanzas,
} from "./apt.js";
import { type ConfigVerdict, judgeConfig, verdictLine } from "./config-verdict.js";
import { type Distro, distroLabel, readDistro } from "./distro.js";
import { dnfQueryArgv, parseDnfQuery, rpmArch } from "./dnf.js";
import { openMachineRoot } from "./run-in.js";

export const RT_PLAN_KIND = "kvm4nfv-rt-kernel-plan";

export interface RtKernelPlan {
  kind: typeof RT_PLAN_KIND;
  version: 1;
  distribution: { id: string; versionId: string | null; family: "debian" | "rhel" };
  /** the package manager's architecture (amd64, x86_64, …) */
  arch: string;
  manager: "apt" | "dnf";
  /** what apply installs: the meta package (Debian) or kernel-rt */
  package: string;
  packageVersion: string;
  /** the kernel package it brings (Debian: linux-image-6.1.0-57-rt-amd64) */
  kernelPackage: string;
  kernelVersion: string;
  /** what `uname -r` prints once booted into it */
  release: string;
  /** /boot/vmlinuz-RELEASE: the boot entry apply makes the default */
  kernelImage: string;
  /** the kernel running when planned: the fallback entry */
  running: string | null;
  config: ConfigVerdict | null;
  /** why config is null, or where it was read */
  configNote: string;
}

const pkgName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9+._-]*$/, "a package name");
const release = z.string().regex(/^[A-Za-z0-9][\w.+~-]*$/, "a kernel release");
const planSchema = z.object({
  kind: z.literal(RT_PLAN_KIND),
  version: z.literal(1),
  distribution: z.object({
    id: z.string(),
    versionId: z.string().nullable(),
    family: z.enum(["debian", "rhel"]),
  }),
  arch: z.string().regex(/^\w+$/),
  manager: z.enum(["apt", "dnf"]),
  package: pkgName,
  packageVersion: z.string(),
  kernelPackage: pkgName,
  kernelVersion: z.string(),
  release,
  kernelImage: z.string().regex(/^\/boot\/vmlinuz-[\w.+~-]+$/),
  running: z.string().nullable(),
  config: z.any().nullable(),
  configNote: z.string(),
});

export interface RtPlanOptions {
  root?: string;
  exec?: Exec;
  /** where downloaded packages and their configs are kept (default $XDG_CACHE_HOME/kvm4nfv/rtkernel) */
  cacheDir?: string;
  fs?: HostFs;
}

export function defaultRtCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.trim() ? env.XDG_CACHE_HOME : join(homedir() || tmpdir(), ".cache");
  return join(base, "kvm4nfv", "rtkernel");
}

export async function makeRtKernelPlan(options: RtPlanOptions = {}): Promise<RtKernelPlan> {
  const fs = options.fs ?? openMachineRoot(options.root);
  const exec = options.exec ?? realExec;
  const distro = readDistro(fs);
  const host = readHost(fs);
  // a root without /proc (a chroot made with debootstrap) runs on this machine's CPUs
  const arch = host.cpu.arch ?? (fs.live ? null : readHost(openHostFs()).cpu.arch);
  if (distro.family === "debian") return aptPlan(exec, distro, arch, host.kernel.release, options);
  if (distro.family === "rhel") return dnfPlan(fs, exec, distro, arch, host.kernel.release, options.root);
  throw new InputError(
    "BAD_INPUT",
    `${distroLabel(distro)}: kvm4nfv knows no PREEMPT_RT kernel package for this distribution (Debian/Ubuntu: apt, RHEL-like: dnf)`,
  );
}

function base(distro: Distro) {
  return { id: distro.id, versionId: distro.versionId, family: distro.family as "debian" | "rhel" };
}

async function aptPlan(
  exec: Exec,
  distro: Distro,
  kernelArch: string | null,
  running: string | null,
  options: RtPlanOptions,
): Promise<RtKernelPlan> {
  const arch = debianArch(kernelArch);
  if (arch === null) {
    throw new InputError(
      "BAD_INPUT",
      `${distroLabel(distro)} on ${kernelArch ?? "an unknown architecture"}: Debian ships PREEMPT_RT kernels for amd64 and arm64 only`,
    );
  }
  const meta = aptMetaPackage(arch);
  const show = await exec.run("apt-cache", aptCacheShowArgv(meta, options.root), {
    timeoutMs: 120_000,
    allowFailure: true,
  });
  const stanza = parseStanzas(show.stdout)[0];
  if (show.exitCode !== 0 || stanza === undefined) {
    throw new Kvm4nfvError("TOOL_FAILED", `apt-cache knows no ${meta} on ${distroLabel(distro)}`, {
      hint: "run apt-get update (the package is in Debian's main archive since bookworm; Ubuntu's is in Ubuntu Pro)",
    });
  }
  const k = kernelOfMeta(stanza, arch);
  if (typeof k === "string") throw new Kvm4nfvError("BAD_TOOL_OUTPUT", k);
  const { config, note } = await debConfig(exec, options, k.kernelPackage, k.kernelVersion, arch, k.release);
  return {
    kind: RT_PLAN_KIND,
    version: 1,
    distribution: base(distro),
    arch,
    manager: "apt",
    package: k.meta,
    packageVersion: k.metaVersion,
    kernelPackage: k.kernelPackage,
    kernelVersion: k.kernelVersion,
    release: k.release,
    kernelImage: `/boot/vmlinuz-${k.release}`,
    running,
    config,
    configNote: note,
  };
}

/** The kernel package's /boot/config-RELEASE, from the cache or downloaded once (never installed). */
async function debConfig(
  exec: Exec,
  options: RtPlanOptions,
  pkg: string,
  version: string,
  arch: string,
  rel: string,
): Promise<{ config: ConfigVerdict; note: string }> {
  const cache = options.cacheDir ?? defaultRtCacheDir();
  mkdirSync(cache, { recursive: true });
  const stem = `${pkg}_${version.replace(/:/g, "%3a")}_${arch}`;
  const cfgFile = join(cache, `${stem}.config`);
  const source = `${stem}.deb:/boot/config-${rel}`;
  if (!existsSync(cfgFile)) {
    const deb = await ensureDeb(exec, options.root, cache, pkg, version, stem);
    const x = makeTempDir("rtkernel-x");
    try {
      await exec.run("dpkg-deb", ["-x", deb, x], { timeoutMs: 300_000 });
      const text = readFileSync(join(x, "boot", `config-${rel}`), "utf8");
      writeFileSync(`${cfgFile}.tmp`, text);
      renameSync(`${cfgFile}.tmp`, cfgFile);
    } catch (err) {
      if (err instanceof Kvm4nfvError) throw err;
      throw new Kvm4nfvError("TOOL_FAILED", `${stem}.deb has no /boot/config-${rel}`);
    } finally {
      removeTempDir(x);
    }
  }
  return {
    config: judgeConfig(readFileSync(cfgFile, "utf8"), source),
    note: `read ${source} (cached in ${cache})`,
  };
}

/** The .deb in the cache (downloaded with `apt-get download PKG=VERSION` when absent; a partial one never stays). */
export async function ensureDeb(
  exec: Exec,
  root: string | undefined,
  cache: string,
  pkg: string,
  version: string,
  stem: string,
): Promise<string> {
  const deb = join(cache, `${stem}.deb`);
  if (existsSync(deb)) return deb;
  const dl = makeTempDir("rtkernel-dl");
  try {
    await exec.run("apt-get", [...dirOption(root), "download", `${pkg}=${version}`], {
      cwd: dl,
      timeoutMs: 900_000,
    });
    const got = readdirSync(dl).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
    if (got === undefined) throw new Kvm4nfvError("TOOL_FAILED", `apt-get download left no ${pkg} .deb`);
    renameSync(join(dl, got), deb);
  } finally {
    removeTempDir(dl);
  }
  return deb;
}

async function dnfPlan(
  fs: HostFs,
  exec: Exec,
  distro: Distro,
  kernelArch: string | null,
  running: string | null,
  root: string | undefined,
): Promise<RtKernelPlan> {
  const arch = rpmArch(kernelArch);
  if (arch === null) {
    throw new InputError(
      "BAD_INPUT",
      `${distroLabel(distro)} on ${kernelArch ?? "an unknown architecture"}: kernel-rt is built for x86_64 and aarch64 only`,
    );
  }
  const installroot = root === undefined || root === "/" ? [] : [`--installroot=${root}`];
  const q = await exec.run("dnf", [...installroot, ...dnfQueryArgv(arch)], {
    timeoutMs: 300_000,
    allowFailure: true,
  });
  const k = parseDnfQuery(q.stdout);
  if (q.exitCode !== 0 || k === null) {
    throw new Kvm4nfvError("TOOL_FAILED", `dnf knows no kernel-rt for ${arch} on ${distroLabel(distro)}`, {
      hint: "enable the RT repository (RHEL: rhel-9-for-x86_64-rt-rpms; Alma/Rocky 9: dnf config-manager --set-enabled rt)",
    });
  }
  const installedConfig = fs.read(`/boot/config-${k.release}`);
  return {
    kind: RT_PLAN_KIND,
    version: 1,
    distribution: base(distro),
    arch,
    manager: "dnf",
    package: k.package,
    packageVersion: k.evr,
    kernelPackage: k.package,
    kernelVersion: k.evr,
    release: k.release,
    kernelImage: `/boot/vmlinuz-${k.release}`,
    running,
    config: installedConfig === undefined ? null : judgeConfig(installedConfig, `/boot/config-${k.release}`),
    configNote:
      installedConfig === undefined
        ? "not judged before install on dnf (kvm4nfv kernel check judges /boot/config-RELEASE once installed)"
        : `read /boot/config-${k.release}`,
  };
}

/** Read and validate a plan file; a file that is not one is one clear line (exit 2). */
export function loadRtKernelPlan(path: string): RtKernelPlan {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new InputError(
      "BAD_INPUT",
      `${path}: not a readable JSON file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const parsed = planSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      "BAD_INPUT",
      `${path}: not a kvm4nfv kernel plan (${issue?.path.join(".") || "top"}: ${issue?.message})`,
    );
  }
  return parsed.data as RtKernelPlan;
}

export function formatRtKernelPlan(p: RtKernelPlan): string {
  const lines = [
    `distribution: ${distroLabel(p.distribution)} (${p.distribution.family}, ${p.arch}, ${p.manager})`,
    `RT kernel package: ${p.package} ${p.packageVersion}` +
      (p.kernelPackage === p.package ? "" : ` -> ${p.kernelPackage} ${p.kernelVersion}`),
    `boots as: ${p.release} (${p.kernelImage})`,
    `running now: ${p.running ?? "unknown"} (stays installed as the fallback entry)`,
    p.config === null
      ? `config: unknown: ${p.configNote}`
      : `config (${p.config.source}): ${p.config.ok ? "OK" : "LACKING"}: ${verdictLine(p.config)}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** Write the plan JSON where -o says (through a temp file: never half a plan). */
export function writeRtKernelPlan(path: string, plan: RtKernelPlan): void {
  try {
    writeFileSync(`${path}.tmp`, `${JSON.stringify(plan, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  } catch (err) {
    rmSync(`${path}.tmp`, { force: true });
    throw new InputError(
      "BAD_INPUT",
      `-o ${path}: cannot write: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}
