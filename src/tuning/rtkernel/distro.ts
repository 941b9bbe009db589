/**
 * Which distribution a machine runs, from os-release(5): the RT kernel package is the distribution's own
 * (Debian linux-image-rt-<arch>, RHEL-like kernel-rt), so the plan names the family and refuses another's.
 */
import { Kvm4nfvError } from "../../errors.js";
import type { HostFs } from "../../host/fs.js";

export type DistroFamily = "debian" | "rhel";

export interface Distro {
  id: string;
  idLike: string[];
  versionId: string | null;
  codename: string | null;
  prettyName: string | null;
  /** debian (Debian, Ubuntu, …) or rhel (RHEL, CentOS Stream, Alma, Rocky, Fedora); null for any other */
  family: DistroFamily | null;
}

/** os-release(5): KEY=value lines, values optionally quoted with " or ' (backslash escapes inside "…"). */
export function parseOsRelease(text: string): Distro {
  const kv: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!.trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, "$1");
    else if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1);
    kv[m[1]!] = v;
  }
  const id = (kv.ID ?? "linux").toLowerCase();
  const idLike = (kv.ID_LIKE ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  const all = [id, ...idLike];
  const family: DistroFamily | null = all.some((x) => x === "debian" || x === "ubuntu")
    ? "debian"
    : all.some((x) => ["rhel", "fedora", "centos"].includes(x))
      ? "rhel"
      : null;
  return {
    id,
    idLike,
    versionId: kv.VERSION_ID ?? null,
    codename: kv.VERSION_CODENAME ?? null,
    prettyName: kv.PRETTY_NAME ?? null,
    family,
  };
}

/** The machine's distribution (/etc/os-release, else /usr/lib/os-release); an environment error when neither is there. */
export function readDistro(fs: HostFs): Distro {
  const text = fs.read("/etc/os-release") ?? fs.read("/usr/lib/os-release");
  if (text === undefined) {
    throw new Kvm4nfvError(
      "BAD_SNAPSHOT",
      `no /etc/os-release under ${fs.root}: cannot tell the distribution`,
    );
  }
  return parseOsRelease(text);
}

/** "debian 12" — what a plan records and apply compares. */
export function distroLabel(d: Pick<Distro, "id" | "versionId">): string {
  return d.versionId === null ? d.id : `${d.id} ${d.versionId}`;
}
