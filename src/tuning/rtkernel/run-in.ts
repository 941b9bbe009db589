/**
 * Commands for a machine that may be a root directory: on the live machine they run as they are; for a root
 * (a chroot made with debootstrap, a disposable Debian root) they run inside it with chroot(8), so maintainer
 * scripts, update-initramfs and grubby see that root and never this machine.
 */
import { resolve } from "node:path";
import type { Exec, RunOptions, RunResult } from "../../exec.js";
import { type HostFs, openHostFs, RootFs } from "../../host/fs.js";
import { readHost } from "../../host/read.js";
import { machineFingerprint } from "../plan.js";
import type { MachineFingerprint } from "../plan-types.js";
import { DPKG_QUERY_FORMAT, parseInstalled } from "./apt.js";

export function inRoot(root: string | undefined, file: string, args: string[]): [string, string[]] {
  return root === undefined || root === "/" ? [file, args] : ["chroot", [root, file, ...args]];
}

export function runIn(
  exec: Exec,
  root: string | undefined,
  file: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const [f, a] = inRoot(root, file, args);
  return exec.run(f, a, options);
}

/** Non-interactive package manager runs: no debconf prompt can hang apply or revert. */
export const PKG_ENV = { DEBIAN_FRONTEND: "noninteractive", APT_LISTCHANGES_FRONTEND: "none" };

/** Which of `names` are installed (apt: dpkg status "ii" under the root; dnf: rpm -q). */
export async function installedOf(
  exec: Exec,
  root: string | undefined,
  manager: "apt" | "dnf",
  names: string[],
): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  if (manager === "apt") {
    const admindir = root === undefined || root === "/" ? [] : [`--admindir=${root}/var/lib/dpkg`];
    const r = await exec.run("dpkg-query", [...admindir, "-W", "-f", DPKG_QUERY_FORMAT, ...names], {
      allowFailure: true,
      timeoutMs: 60_000,
    });
    return parseInstalled(r.stdout);
  }
  const rootArg = root === undefined || root === "/" ? [] : ["--root", root];
  const r = await exec.run("rpm", [...rootArg, "-q", "--qf", "%{name}\\n", ...names], {
    allowFailure: true,
    timeoutMs: 60_000,
  });
  return new Set(
    r.stdout
      .split("\n")
      .filter((n) => names.includes(n.trim()))
      .map((n) => n.trim()),
  );
}

/** Everything installed (apt: dpkg status; dnf: rpm -qa), for what an install brought in beyond the prediction. */
export async function allInstalled(
  exec: Exec,
  root: string | undefined,
  manager: "apt" | "dnf",
): Promise<Set<string>> {
  if (manager === "apt") {
    const admindir = root === undefined || root === "/" ? [] : [`--admindir=${root}/var/lib/dpkg`];
    const r = await exec.run("dpkg-query", [...admindir, "-W", "-f", DPKG_QUERY_FORMAT], {
      timeoutMs: 60_000,
    });
    return parseInstalled(r.stdout);
  }
  const rootArg = root === undefined || root === "/" ? [] : ["--root", root];
  const r = await exec.run("rpm", [...rootArg, "-qa", "--qf", "%{name}\\n"], { timeoutMs: 60_000 });
  return new Set(
    r.stdout
      .split("\n")
      .map((n) => n.trim())
      .filter(Boolean),
  );
}

/**
 * The machine to work on: the live one, a snapshot (as everywhere), or a system root — a directory with its own
 * etc/os-release and package database (a chroot made with debootstrap), which has no proc/ or sys/ to snapshot.
 */
export function openMachineRoot(root?: string): HostFs {
  if (root !== undefined && resolve(root) !== "/") {
    const fs = new RootFs(resolve(root));
    const system =
      fs.exists("/etc/os-release") && (fs.exists("/var/lib/dpkg/status") || fs.exists("/var/lib/rpm"));
    if (system) return fs;
  }
  return openHostFs(root);
}

/**
 * The journal's machine identity. A system root without proc/ and sys/ (a chroot) runs on this machine's CPUs:
 * its identity is this machine's.
 */
export function fingerprintOf(fs: HostFs): MachineFingerprint {
  const chroot = !fs.live && !fs.exists("/proc/cpuinfo") && !fs.exists("/sys/devices/system/cpu");
  return machineFingerprint(readHost(chroot ? openHostFs() : fs));
}
