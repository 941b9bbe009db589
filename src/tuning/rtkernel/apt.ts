/**
 * Debian's RT kernel in apt's own metadata: the meta package linux-image-rt-<arch> depends on exactly one kernel
 * ("Depends: linux-image-6.1.0-57-rt-amd64 (= 6.1.192-3)"), whose name carries the release `uname -r` will print.
 * Pure parsers and argv here; plan.ts and apply.ts run them through src/exec.ts. A root other than / is reached
 * with apt's own `-o Dir=ROOT` (queries, downloads) and chroot (install, purge: maintainer scripts run inside).
 */

/** The Debian architecture of the kernel's ARCH name (host.arch); null where Debian ships no RT kernel. */
export function debianArch(kernelArch: string | null): string | null {
  if (kernelArch === "x86") return "amd64";
  if (kernelArch === "arm64") return "arm64";
  return null;
}

export function aptMetaPackage(debArch: string): string {
  return `linux-image-rt-${debArch}`;
}

/** deb822 stanzas of `apt-cache show` (continuation lines folded into their field). */
export function parseStanzas(text: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (Object.keys(cur).length > 0) out.push(cur);
      cur = {};
      last = undefined;
      continue;
    }
    if (/^\s/.test(line) && last !== undefined) {
      cur[last] += `\n${line.trim()}`;
      continue;
    }
    const m = /^([\w.-]+):\s?(.*)$/.exec(line);
    if (!m) continue;
    last = m[1]!;
    cur[last] = m[2]!;
  }
  if (Object.keys(cur).length > 0) out.push(cur);
  return out;
}

export interface AptKernel {
  meta: string;
  metaVersion: string;
  /** linux-image-6.1.0-57-rt-amd64 */
  kernelPackage: string;
  kernelVersion: string;
  /** 6.1.0-57-rt-amd64: what `uname -r` prints once booted */
  release: string;
}

/** The kernel the meta package's candidate pins, or a reason it cannot be told. */
export function kernelOfMeta(stanza: Record<string, string>, debArch: string): AptKernel | string {
  const meta = stanza.Package;
  const version = stanza.Version;
  if (meta === undefined || version === undefined) return "apt-cache gave no Package/Version";
  const re = new RegExp(`(?:^|,)\\s*(linux-image-([\\w.+-]+-rt-${debArch}))(?:\\s*\\(=\\s*([^)\\s]+)\\))?`);
  const dep = re.exec(stanza.Depends ?? "");
  if (!dep) return `${meta} ${version} depends on no linux-image-*-rt-${debArch}`;
  return {
    meta,
    metaVersion: version,
    kernelPackage: dep[1]!,
    kernelVersion: dep[3] ?? version,
    release: dep[2]!,
  };
}

/** `apt-cache show --no-all-versions PKG`: the candidate's stanza. */
export function aptCacheShowArgv(pkg: string, root?: string): string[] {
  return [...dirOption(root), "show", "--no-all-versions", pkg];
}

/** apt's own root option: sources, lists and dpkg status are read under ROOT. */
export function dirOption(root?: string): string[] {
  return root === undefined || root === "/" ? [] : ["-o", `Dir=${root}`];
}

/**
 * What `apt-get install -s` would newly install: its "Inst NAME (VERSION …)" lines. An upgrade ("Inst NAME [OLD]
 * (NEW …)") is left out: the package was there before, so revert must not remove it.
 */
export function parseSimulatedInstall(text: string): { name: string; version: string }[] {
  const out: { name: string; version: string }[] = [];
  for (const line of text.split("\n")) {
    const m = /^Inst (\S+) \((\S+)/.exec(line);
    if (m) out.push({ name: m[1]!.replace(/:\w+$/, ""), version: m[2]! });
  }
  return out;
}

/** dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n': names whose status is "ii" (installed). */
export function parseInstalled(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split("\n")) {
    const m = /^(\S+)\s+ii\s*$/.exec(line.trim());
    if (m) out.add(m[1]!.replace(/:\w+$/, ""));
  }
  return out;
}

export const DPKG_QUERY_FORMAT = "$" + "{Package} $" + "{db:Status-Abbrev}\n";
