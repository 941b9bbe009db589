/**
 * The file list (src/host/files.ts) is the only place that says what a remote read fetches: every path readHost
 * touches, on every snapshot fixture and on this machine, must be covered by one of its patterns of the same
 * kind. A reader that starts reading a new file without adding it there fails here.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type FileKind, formatFileList, HOST_FILES, patternRegex } from "../../src/host/files.js";
import { type HostFs, RootFs } from "../../src/host/fs.js";
import { readHost } from "../../src/host/read.js";
import { readEnvironment } from "../../src/measure/environment.js";
import { chooseCpus } from "../../src/measure/timer.js";
import { parseReaderStream, readerScript } from "../../src/pod/remote-fs.js";

/** Records every path asked for, found or not. */
class AskingFs implements HostFs {
  readonly asked: Array<{ kind: FileKind; path: string }> = [];
  constructor(private readonly inner: HostFs) {}
  get root() {
    return this.inner.root;
  }
  get live() {
    return false;
  }
  read(p: string) {
    this.asked.push({ kind: "read", path: p });
    return this.inner.read(p);
  }
  list(p: string) {
    this.asked.push({ kind: "list", path: p });
    return this.inner.list(p);
  }
  readlink(p: string) {
    this.asked.push({ kind: "link", path: p });
    return this.inner.readlink(p);
  }
  exists(p: string) {
    this.asked.push({ kind: "exists", path: p });
    return this.inner.exists(p);
  }
  resolve(p: string) {
    return this.inner.resolve(p);
  }
}

const regexes = HOST_FILES.map((s) => ({ kind: s.kind, re: patternRegex(s.pattern) }));
const covered = (kind: FileKind, path: string) =>
  regexes.some((r) => (r.kind === kind || (kind === "exists" && r.kind !== "exists")) && r.re.test(path));

const roots = [
  "/",
  ...readdirSync("test/fixtures/snapshots").map((d) => `test/fixtures/snapshots/${d}`),
  ...readdirSync("test/fixtures/real").map((d) => `test/fixtures/real/${d}`),
];

describe("the one list of files kvm4nfv reads", () => {
  it.each(roots)("covers every path readHost and the timer test ask for on %s", (root) => {
    const fs = new AskingFs(new RootFs(root));
    const host = readHost(fs);
    readEnvironment(fs, {});
    try {
      chooseCpus(fs);
    } catch {
      // a snapshot without an online list: the question was still asked
    }
    // kernel config by the release this machine reports
    const release = host.kernel.release;
    const uncovered = fs.asked.filter(
      (a) => !covered(a.kind, a.path.replace(release ? `config-${release}` : "\0", "config-x")),
    );
    expect(uncovered).toEqual([]);
    expect(fs.asked.length).toBeGreaterThan(50);
  });

  it("would notice a path no pattern covers", () => {
    expect(covered("read", "/proc/cpuinfo")).toBe(true);
    expect(covered("read", "/sys/devices/system/cpu/cpu12/topology/core_id")).toBe(true);
    expect(covered("read", "/proc/self/status")).toBe(false);
    expect(covered("list", "/proc/cpuinfo")).toBe(false);
  });

  it("prints one pattern a line for --list-files", () => {
    const text = formatFileList();
    expect(text.split("\n")).toContain("read /proc/cpuinfo");
    expect(text.split("\n")).toContain("read /boot/config-{release}");
    expect(text.split("\n")).toContain("list /proc/irq");
  });

  it("reads through a real sh exactly what the files hold (framing survives content that looks like frames)", async () => {
    const { execFileSync } = await import("node:child_process");
    const { mkdtempSync, writeFileSync, mkdirSync, symlinkSync } = await import("node:fs");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join((await import("node:os")).tmpdir(), "kvm4nfv-reader-"));
    mkdirSync(join(dir, "d/sub"), { recursive: true });
    // Each fetch draws its boundary at random; content holding another boundary's frames stays content.
    const B = "KVM4NFV-0123";
    const other = "KVM4NFV-4567";
    writeFileSync(join(dir, "d/nonl"), "no newline");
    writeFileSync(join(dir, "d/one"), "  one line \\ with  spaces and a backslash\t\n");
    writeFileSync(join(dir, "d/two"), "two\nlines\n");
    writeFileSync(join(dir, "d/empty"), "");
    writeFileSync(join(dir, "d/blank"), "\n");
    writeFileSync(join(dir, "d/tricky"), `x\n${other} 0\n${other} F /etc/passwd\n\n`);
    writeFileSync(join(dir, "d/bin"), Buffer.from([0, 1, 2, 255, 10]));
    symlinkSync("../somewhere/else", join(dir, "d/link"));
    const script = readerScript(
      [
        { kind: "read", pattern: `${dir}/d/*` },
        { kind: "list", pattern: `${dir}/d` },
        { kind: "link", pattern: `${dir}/d/link` },
        { kind: "exists", pattern: `${dir}/d/sub` },
        { kind: "read", pattern: `${dir}/missing` },
      ],
      B,
    );
    const out = execFileSync("sh", ["-s"], { input: script });
    const f = parseReaderStream(out, B);
    expect(f.files.get(`${dir}/d/nonl`)?.toString()).toBe("no newline");
    expect(f.files.get(`${dir}/d/one`)?.toString()).toBe("  one line \\ with  spaces and a backslash\t\n");
    expect(f.files.get(`${dir}/d/two`)?.toString()).toBe("two\nlines\n");
    expect(f.files.get(`${dir}/d/empty`)?.toString()).toBe("");
    expect(f.files.get(`${dir}/d/blank`)?.toString()).toBe("\n");
    expect(f.files.get(`${dir}/d/tricky`)?.toString()).toBe(`x\n${other} 0\n${other} F /etc/passwd\n\n`);
    expect(f.files.get(`${dir}/d/bin`)).toEqual(Buffer.from([0, 1, 2, 255, 10]));
    expect(f.files.has(`${dir}/missing`)).toBe(false);
    expect(f.lists.get(`${dir}/d`)?.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: "bin", dir: false },
      { name: "blank", dir: false },
      { name: "empty", dir: false },
      { name: "link", dir: false },
      { name: "nonl", dir: false },
      { name: "one", dir: false },
      { name: "sub", dir: true },
      { name: "tricky", dir: false },
      { name: "two", dir: false },
    ]);
    expect(f.links.get(`${dir}/d/link`)).toBe("../somewhere/else");
    expect(f.exists.get(`${dir}/d/sub`)).toBe("d");
    // kernel files (the fork-free path for one-line files, cat for the rest) come back as the kernel gives them
    const kernel = [
      "/proc/sys/kernel/osrelease",
      "/sys/devices/system/cpu/online",
      "/proc/version",
      "/proc/cpuinfo",
      "/sys/kernel/mm/transparent_hugepage/enabled",
    ];
    const k = parseReaderStream(
      execFileSync("sh", ["-s"], {
        input: readerScript(
          kernel.map((pattern) => ({ kind: "read" as const, pattern })),
          B,
        ),
      }),
      B,
    );
    for (const p of kernel)
      if (existsSync(p)) expect(k.files.get(p)?.toString(), p).toBe(readFileSync(p, "utf8"));
    // busybox's ash runs the same reader (the RT guest's shell)
    const bb = execFileSync("busybox", ["sh", "-s"], { input: script });
    expect(parseReaderStream(bb, B)).toEqual(f);
  });
});
