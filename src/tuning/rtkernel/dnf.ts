/**
 * RHEL-like RT kernels (RHEL/CentOS Stream/Alma/Rocky kernel-rt, from the RT or NFV repository; a subpackage of
 * kernel since RHEL 9.3). dnf is asked with a query format of our own (`--qf`), so what is parsed is what we asked
 * for, not dnf's human table, whose layout changes between dnf 4 and dnf5.
 */

export const DNF_PACKAGE = "kernel-rt";
/** name, epoch:version-release, arch — one line per package, fields split by "|" */
export const DNF_QUERY_FORMAT = "%{name}|%{evr}|%{version}|%{release}|%{arch}\\n";

export function dnfQueryArgv(arch: string): string[] {
  return ["repoquery", "--latest-limit=1", `--arch=${arch}`, "--qf", DNF_QUERY_FORMAT, DNF_PACKAGE];
}

export interface DnfKernel {
  package: string;
  evr: string;
  /** what `uname -r` prints once booted */
  release: string;
}

/** dnf's arch of the kernel's ARCH name; null where no kernel-rt is built. */
export function rpmArch(kernelArch: string | null): string | null {
  if (kernelArch === "x86") return "x86_64";
  if (kernelArch === "arm64") return "aarch64";
  return null;
}

/**
 * The newest kernel-rt of the repoquery output. Its `uname -r`: RHEL 8 releases carry ".rt" in the release
 * (4.18.0-553.rt7.342.el8_10.x86_64); RHEL 9.3+ builds kernel-rt from the kernel source and marks the release
 * with "+rt" after the arch (5.14.0-427.13.1.el9_4.x86_64+rt).
 */
export function parseDnfQuery(text: string): DnfKernel | null {
  for (const line of text.split("\n")) {
    const f = line.trim().split("|");
    if (f.length !== 5 || f[0] !== DNF_PACKAGE) continue;
    const [name, evr, version, release, arch] = f as [string, string, string, string, string];
    const base = `${version}-${release}.${arch}`;
    return { package: name, evr, release: /(^|\.)rt\d/.test(release) ? base : `${base}+rt` };
  }
  return null;
}
