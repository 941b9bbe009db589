/**
 * Reading a node in one round trip. A POSIX sh reader (dash, bash or busybox ash on the node; only printf,
 * cat and readlink) expands the patterns of src/host/files.ts there and prints one framed stream:
 *
 *   <B> F <path>\n<exact bytes>\n<B> <cat status>\n      a file
 *   <B> L <path>\n(d|f)<name>/ ...\n<B> 0\n             a directory listing (names cannot hold "/")
 *   <B> K <path>\n<readlink output>\n<B> 0\n            a symlink target
 *   <B> E <path>\n(d|f)\n<B> 0\n                        something that exists
 *
 * <B> is a random boundary drawn for each call, so no file content can end a frame early. What the node does
 * not have is simply absent: the same parsers then see "missing" and report "unknown", as locally.
 * FetchedFs serves the result through the HostFs interface, so readHost, check and the rest run unchanged.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { gunzipSync } from "node:zlib";
import { Kvm4nfvError } from "../errors.js";
import { type FileSpec, HOST_FILES } from "../host/files.js";
import type { HostFs } from "../host/fs.js";
import type { SshSession } from "./ssh.js";

export interface Fetched {
  files: Map<string, Buffer>;
  lists: Map<string, Array<{ name: string; dir: boolean }>>;
  links: Map<string, string>;
  exists: Map<string, "d" | "f">;
}

/** A glob pattern as sh words: glob characters stay unquoted, everything else is quoted. */
function shPattern(pattern: string): string {
  if (!/^[A-Za-z0-9_/.*:[\]{}-]+$/.test(pattern)) throw new Error(`unsafe file pattern ${pattern}`);
  return pattern.replace("{release}", '"$rel"');
}

const FN = { read: "r", list: "l", link: "k", exists: "e" } as const;

/** The reader script for a list of patterns (exported for the tests and for --list-files users). */
export function readerScript(specs: readonly FileSpec[], boundary: string, root = ""): string {
  if (root !== "" && !/^(\/[A-Za-z0-9_.-]+)+$/.test(root)) throw new Error(`unsafe node root ${root}`);
  const lines = [
    `B=${boundary}`,
    `rel=; read -r rel < ${root}/proc/sys/kernel/osrelease 2>/dev/null`,
    // Most kernel files are one line: read with the shell's own `read` (no fork: on a TCG guest each cat costs
    // tens of ms). Anything else (several lines, no final newline, empty, an error) goes through cat (c).
    `r() { for f in "$@"; do [ -f "$f" ] && [ -r "$f" ] || continue; a=; b=; if { IFS= read -r a && ! IFS= read -r b && [ -z "$b" ]; } < "$f" 2>/dev/null; then printf '%s F %s\\n%s\\n\\n%s 0\\n' "$B" "$f" "$a" "$B"; else c "$f"; fi; done; }`,
    `c() { for f in "$@"; do [ -f "$f" ] && [ -r "$f" ] || continue; printf '%s F %s\\n' "$B" "$f"; cat "$f" 2>/dev/null; printf '\\n%s %s\\n' "$B" "$?"; done; }`,
    `l() { for d in "$@"; do [ -d "$d" ] || continue; printf '%s L %s\\n' "$B" "$d"; for x in "$d"/* "$d"/.[!.]* "$d"/..?*; do [ -e "$x" ] || [ -L "$x" ] || continue; if [ -d "$x" ]; then printf 'd%s/' "\${x##*/}"; else printf 'f%s/' "\${x##*/}"; fi; done; printf '\\n%s 0\\n' "$B"; done; }`,
    `k() { for f in "$@"; do [ -L "$f" ] || continue; printf '%s K %s\\n' "$B" "$f"; readlink "$f"; printf '\\n%s 0\\n' "$B"; done; }`,
    `e() { for f in "$@"; do [ -e "$f" ] || [ -L "$f" ] || continue; t=f; [ -d "$f" ] && t=d; printf '%s E %s\\n%s\\n%s 0\\n' "$B" "$f" "$t" "$B"; done; }`,
  ];
  // The shell's read drops NUL bytes: only kernel-made text (/proc, /sys, never a *.gz) takes the fast path.
  const fast = (p: string) => /^\/(proc|sys)\//.test(p) && !p.endsWith(".gz");
  for (const s of specs)
    lines.push(`${s.kind === "read" && !fast(s.pattern) ? "c" : FN[s.kind]} ${root}${shPattern(s.pattern)}`);
  lines.push("exit 0", "");
  return lines.join("\n");
}

export function parseReaderStream(stream: Buffer, boundary: string, root = ""): Fetched {
  const out: Fetched = { files: new Map(), lists: new Map(), links: new Map(), exists: new Map() };
  const head = Buffer.from(`${boundary} `);
  const tail = Buffer.from(`\n${boundary} `);
  let pos = 0;
  while (pos < stream.length) {
    if (stream.compare(head, 0, head.length, pos, pos + head.length) !== 0) {
      throw new Kvm4nfvError("BAD_TOOL_OUTPUT", "the node's reader sent an unframed stream");
    }
    const nl = stream.indexOf(10, pos);
    const header = stream.subarray(pos + head.length, nl).toString("utf8");
    const kind = header[0];
    const named = posix.resolve("/", header.slice(2));
    // under a root every path the reader prints is inside it: the machine path is what follows
    const path = root !== "" && named.startsWith(`${root}/`) ? named.slice(root.length) : named;
    const end = stream.indexOf(tail, nl + 1);
    if (nl < 0 || end < 0)
      throw new Kvm4nfvError("BAD_TOOL_OUTPUT", `the node's reader stream is cut off at ${path}`);
    const body = stream.subarray(nl + 1, end);
    const statusEnd = stream.indexOf(10, end + tail.length);
    const status = stream.subarray(end + tail.length, statusEnd < 0 ? undefined : statusEnd).toString();
    pos = statusEnd < 0 ? stream.length : statusEnd + 1;
    if (kind === "F") {
      if (status === "0") out.files.set(path, Buffer.from(body));
    } else if (kind === "L") {
      const names = body
        .toString("utf8")
        .split("/")
        .filter((n) => n.length > 1)
        .map((n) => ({ name: n.slice(1), dir: n[0] === "d" }));
      out.lists.set(path, names);
    } else if (kind === "K") out.links.set(path, body.toString("utf8").replace(/\n$/, ""));
    else if (kind === "E") out.exists.set(path, body.toString() === "d" ? "d" : "f");
  }
  return out;
}

/**
 * Fetch every pattern from the node: one SSH round trip. With `root` (a directory on the node holding a snapshot
 * copy, as --root locally; the pod tests' hook) every machine path is read under it.
 */
export async function fetchNode(
  session: SshSession,
  specs: readonly FileSpec[] = HOST_FILES,
  root = "",
): Promise<FetchedFs> {
  const boundary = `KVM4NFV-${randomBytes(16).toString("hex")}`;
  const r = await session.runRaw(["sh", "-s"], readerScript(specs, boundary, root));
  if (r.exitCode !== 0) {
    throw new Kvm4nfvError(
      "TOOL_FAILED",
      `node ${session.node.name}: the reader exited ${r.exitCode}: ${r.stderr.trim().split("\n").pop() ?? ""}`,
    );
  }
  return new FetchedFs(`${session.node.name}:${root || "/"}`, parseReaderStream(r.stdout, boundary, root));
}

/** The last .gz file unpacked (bytes and text), shared by every node of one command. */
let lastGunzip: { gz: Buffer; text: string } | undefined;

/** A node as fetched, behind the HostFs interface. Not live: nothing runs locally against it. */
export class FetchedFs implements HostFs {
  readonly root: string;
  readonly live: boolean = false;
  readonly data: Fetched;
  /** Paths asked for that the fetch did not cover or the node lacks (for the coverage test and --debug). */
  readonly misses = new Set<string>();
  private materialized: string | undefined;

  constructor(root: string, data: Fetched) {
    this.root = root;
    this.data = data;
  }

  private entry(path: string): { name: string; dir: boolean } | undefined {
    return this.data.lists.get(posix.dirname(path))?.find((e) => e.name === posix.basename(path));
  }

  read(path: string): string | undefined {
    const p = posix.resolve("/", path);
    const buf = this.data.files.get(p);
    if (buf === undefined) {
      this.misses.add(p);
      return undefined;
    }
    if (!p.endsWith(".gz")) return buf.toString("utf8");
    // the nodes of a pod mostly run one kernel: its /proc/config.gz is unpacked once for all of them
    if (lastGunzip?.gz.equals(buf)) return lastGunzip.text;
    try {
      const text = gunzipSync(buf).toString("utf8");
      lastGunzip = { gz: buf, text };
      return text;
    } catch {
      return undefined;
    }
  }

  list(path: string): string[] | undefined {
    const names = this.data.lists.get(posix.resolve("/", path));
    return names?.map((e) => e.name);
  }

  readlink(path: string): string | undefined {
    return this.data.links.get(posix.resolve("/", path));
  }

  exists(path: string): boolean {
    const p = posix.resolve("/", path);
    return (
      this.data.files.has(p) ||
      this.data.lists.has(p) ||
      this.data.links.has(p) ||
      this.data.exists.has(p) ||
      this.entry(p) !== undefined
    );
  }

  /**
   * A real path for a machine path: the fetched tree written to a private temporary directory on first use
   * (snapshot capture copies *.gz files and asks which entries are directories through it).
   */
  resolve(path: string): string {
    if (!this.materialized) this.materialized = this.materialize();
    return join(this.materialized, posix.resolve("/", path));
  }

  private materialize(): string {
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-node-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const at = (p: string) => join(dir, p);
    for (const [p, names] of this.data.lists) {
      mkdirSync(at(p), { recursive: true });
      for (const e of names) if (e.dir) mkdirSync(at(posix.join(p, e.name)), { recursive: true });
    }
    for (const [p, t] of this.data.exists) {
      if (t === "d") mkdirSync(at(p), { recursive: true });
      else {
        mkdirSync(dirname(at(p)), { recursive: true });
        writeFileSync(at(p), "");
      }
    }
    for (const [p, buf] of this.data.files) {
      mkdirSync(dirname(at(p)), { recursive: true });
      writeFileSync(at(p), buf);
    }
    return dir;
  }

  dispose(): void {
    if (this.materialized) rmSync(this.materialized, { recursive: true, force: true });
    this.materialized = undefined;
  }
}
