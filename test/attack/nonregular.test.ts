/**
 * Attack 2: files that are not regular files, or are far too large. A FIFO anywhere kvm4nfv reads used to block
 * every command until killed; /dev/zero given to `results import` grew to 7 GB. Each case now ends at once with
 * exit 2 and a line naming the file (the CLI runs under a hard time limit: a hang fails the test).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { openHostFs } from "../../src/host/fs.js";
import { readHost } from "../../src/host/read.js";
import { runApply } from "../../src/tuning/apply/apply.js";
import { hashTree, type Scratch, scratch } from "../tuning/apply/tree.js";
import { cli } from "./cli.js";

let s: Scratch;
afterEach(() => s?.cleanup());

function fifoAt(path: string): void {
  rmSync(path, { force: true });
  execFileSync("mkfifo", [path]);
}

describe("FIFOs where kvm4nfv reads", () => {
  it.each(["proc/cpuinfo", "proc/interrupts", "etc/default/grub"])(
    "check/inspect with a FIFO at %s: exit 2 at once",
    (at) => {
      s = scratch();
      fifoAt(join(s.root, at));
      // check reads /proc/interrupts only when an IRQ rule needs it; inspect reads every file
      const args = at === "proc/interrupts" ? ["inspect", "--json"] : ["check", "--role", "host"];
      const r = cli([...args, "--root", s.root], { timeoutMs: 20_000 });
      expect(r.signal).toBeNull();
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${join(s.root, at)} is a FIFO, not a regular file: refused`);
    },
  );

  it("apply with a FIFO at a kernel file it would write: refused before the first write", async () => {
    s = scratch();
    fifoAt(join(s.root, "proc/sys/kernel/watchdog"));
    const before = hashTree(s.root);
    await expect(runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal })).rejects.toThrow(
      /is a FIFO, not a regular file: refused/,
    );
    expect(hashTree(s.root)).toEqual(before);
  });

  it("a FIFO as the journal, the plan or an import file", () => {
    s = scratch();
    fifoAt(s.journal);
    const r = cli(["revert", "--root", s.root, "--journal", s.journal], { timeoutMs: 20_000 });
    expect([r.status, r.signal]).toEqual([2, null]);
    expect(r.stderr).toMatch(/journal\.json is a FIFO/);
    const plan = join(s.dir, "plan-fifo.json");
    fifoAt(plan);
    const a = cli(["apply", plan, "--root", s.root], { timeoutMs: 20_000 });
    expect([a.status, a.signal]).toEqual([2, null]);
    expect(a.stderr).toMatch(/plan-fifo\.json is a FIFO/);
    const imp = cli(["results", "import", plan, "--store", join(s.dir, "r.db")], { timeoutMs: 20_000 });
    expect([imp.status, imp.signal]).toEqual([2, null]);
    expect(imp.stderr).toMatch(/is a FIFO, not a regular file/);
  });

  it("results import /dev/zero is refused, not read", () => {
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-zero-"));
    try {
      const r = cli(["results", "import", "/dev/zero", "--store", join(dir, "r.db")], { timeoutMs: 20_000 });
      expect([r.status, r.signal]).toEqual([2, null]);
      expect(r.stderr).toContain("/dev/zero is a character device, not a regular file: refused");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("inputs far larger than any real one", () => {
  it("a 200 MB /proc/interrupts is refused by size, counted while reading (not by stat: /proc reports 0)", () => {
    s = scratch();
    truncateSync(join(s.root, "proc/interrupts"), 200 * 1024 * 1024); // sparse: no disk used
    // the IRQs are read when first asked for (check reads them only for its IRQ rules)
    expect(() => readHost(openHostFs(s.root)).runtime.irqs).toThrow(
      /proc\/interrupts is larger than 64 MiB.*refused/,
    );
  });

  it("a gzip bomb as /proc/config.gz is refused when it unpacks past 16 MiB", () => {
    s = scratch();
    rmSync(join(s.root, "boot"), { recursive: true, force: true }); // read /proc/config.gz, not /boot/config-*
    writeFileSync(join(s.root, "proc/config.gz"), gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x41)));
    expect(() => readHost(openHostFs(s.root))).toThrow(/config\.gz unpacks to more than 16 MiB: refused/);
  });

  it("a regular import file past the cap is refused naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-big-"));
    try {
      const big = join(dir, "huge.json");
      writeFileSync(big, "");
      truncateSync(big, 129 * 1024 * 1024);
      const r = cli(["results", "import", big, "--store", join(dir, "r.db")], { timeoutMs: 30_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${big} is larger than 128 MiB`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
