/**
 * Attack 1, the race: a directory on a path swapped for a symlink AFTER kvm4nfv resolved the path inside --root
 * and BEFORE it opens the file (an attacker owning part of a snapshot copy, winning the window). The resolve
 * walk cannot see it; the open must: writes open the parent one component at a time with O_NOFOLLOW through
 * /proc/self/fd (apply/io.ts), reads check the open file's /proc/self/fd link against the resolved path
 * (host/fs.ts). Each case swaps the directory at the exact moment of the race — inside the write seam, just
 * before the real write — and checks that nothing outside changed.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { openHostFs } from "../../src/host/fs.js";
import { runApply } from "../../src/tuning/apply/apply.js";
import { nodeIo, removeTemp, type WriteIo } from "../../src/tuning/apply/io.js";
import { hashTree, type Scratch, scratch } from "../tuning/apply/tree.js";

let s: Scratch | undefined;
let outside: string | undefined;
afterEach(() => {
  s?.cleanup();
  if (outside) rmSync(outside, { recursive: true, force: true });
  s = outside = undefined;
});

/** An outside directory holding `names`, each "precious\n". */
function victimDir(...names: string[]): string {
  outside = mkdtempSync(join(tmpdir(), "kvm4nfv-victim-"));
  for (const n of names) writeFileSync(join(outside, n), "precious\n");
  return outside;
}

/** Move `dir` aside and put a symlink to `to` in its place: the swap an attacker makes in the window. */
function swap(dir: string, to: string): void {
  renameSync(dir, `${dir}.moved`);
  symlinkSync(to, dir);
}

describe("a directory swapped for a symlink between resolve and open", () => {
  it("writeKernel: proc/sys/kernel swapped after the path resolved writes nothing outside", () => {
    s = scratch();
    const fs = openHostFs(s.root);
    const real = fs.resolve("/proc/sys/kernel/watchdog"); // resolved inside the root, as apply does
    const out = victimDir("watchdog");
    swap(join(s.root, "proc/sys/kernel"), out);
    expect(() => nodeIo.writeKernel(real, "0\n")).toThrow(InputError);
    expect(() => nodeIo.writeKernel(real, "0\n")).toThrow(/proc\/sys\/kernel is no longer a directory/);
    expect(readFileSync(join(out, "watchdog"), "utf8")).toBe("precious\n");
  });

  it("writeConfig, setMeta, unlink, mkdir, rmdir and the temp-file clean-up: etc/default swapped, outside untouched", () => {
    s = scratch();
    const fs = openHostFs(s.root);
    const grub = fs.resolve("/etc/default/grub");
    const out = victimDir("grub", "grub.kvm4nfv-tmp", "irqbalance");
    mkdirSync(join(out, "sub"));
    swap(join(s.root, "etc/default"), out);
    const before = hashTree(out, { meta: true });
    expect(() => nodeIo.writeConfig(grub, "GRUB_CMDLINE_LINUX=pwned\n")).toThrow(/no longer a directory/);
    expect(() => nodeIo.setMeta(grub, { mode: 0o777, uid: 0, gid: 0 })).toThrow(/no longer a directory/);
    const dir = dirname(grub);
    expect(() => nodeIo.unlink(join(dir, "irqbalance"))).toThrow(/no longer a directory/);
    expect(() => nodeIo.mkdir(join(dir, "new.d"))).toThrow(/no longer a directory/);
    expect(() => nodeIo.rmdir(join(dir, "sub"))).toThrow(/no longer a directory/);
    expect(() => removeTemp(grub)).toThrow(/no longer a directory/);
    expect(() => nodeIo.readBytes(grub)).toThrow(/swapped for a symlink/);
    expect(hashTree(out, { meta: true })).toEqual(before);
  });

  it("a real apply --yes whose etc/default is swapped at the moment of its grub write refuses it, outside untouched", async () => {
    s = scratch();
    const out = victimDir("grub");
    const before = hashTree(out, { meta: true });
    const root = s.root;
    let swapped = false;
    // The write seam is the real one; the attacker wins the race right before the config write reaches it.
    const racing: WriteIo = {
      ...nodeIo,
      writeConfig(p, data, meta) {
        if (!swapped && p.endsWith("/etc/default/grub")) {
          swap(join(root, "etc/default"), out);
          swapped = true;
        }
        nodeIo.writeConfig(p, data, meta);
      },
    };
    await expect(runApply({ plan: s.plan, root, yes: true, journal: s.journal, io: racing })).rejects.toThrow(
      /etc\/default is no longer a directory/,
    );
    expect(swapped).toBe(true);
    expect(hashTree(out, { meta: true })).toEqual(before);
  });

  it("reads: a snapshot directory swapped after it was walked is refused, no outside content read", () => {
    s = scratch();
    const fs = openHostFs(s.root);
    expect(fs.read("/proc/cmdline")).toBeDefined(); // walks (and remembers) /proc
    const out = victimDir("cmdline");
    writeFileSync(join(out, "cmdline"), "SECRET outside content\n");
    swap(join(s.root, "proc"), out);
    expect(() => fs.read("/proc/cmdline")).toThrow(/swapped for a symlink\): refused/);
    // a fresh reader walks again and refuses the link that leaves the root
    expect(() => openHostFs(s!.root).read("/proc/cmdline")).toThrow(/leaves the root: refused/);
  });

  it("a --root given through a symlink still reads and writes (the walk starts at the root's real path)", () => {
    s = scratch();
    const alias = join(s.dir, "alias");
    symlinkSync(s.root, alias);
    const fs = openHostFs(alias);
    expect(fs.read("/proc/cmdline")).toBe(readFileSync(join(s.root, "proc/cmdline"), "utf8"));
    nodeIo.writeKernel(fs.resolve("/proc/sys/kernel/watchdog"), "0\n");
    expect(readFileSync(join(s.root, "proc/sys/kernel/watchdog"), "utf8")).toBe("0\n");
  });
});
