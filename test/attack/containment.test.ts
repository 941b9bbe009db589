/**
 * Attack 1: writes and reads escaping --root. Each case plants what an attacker would in a snapshot copy (a symlink
 * out of it, a `..` in a plan) and shows kvm4nfv refusing it with one line, exit 2, nothing written anywhere.
 */
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { openHostFs, resolveInRoot } from "../../src/host/fs.js";
import { readHost } from "../../src/host/read.js";
import { saveSnapshot } from "../../src/host/snapshot.js";
import { runApply } from "../../src/tuning/apply/apply.js";
import { runRevert } from "../../src/tuning/apply/revert.js";
import { targetProblem } from "../../src/tuning/apply/targets.js";
import { hashTree, type Scratch, scratch } from "../tuning/apply/tree.js";
import { cli } from "./cli.js";

let s: Scratch;
let outside: string;
afterEach(() => {
  s?.cleanup();
  if (outside) rmSync(outside, { recursive: true, force: true });
});

function victim(): string {
  outside = mkdtempSync(join(tmpdir(), "kvm4nfv-victim-"));
  writeFileSync(join(outside, "file"), "precious\n");
  return join(outside, "file");
}

describe("symlinks that leave --root", () => {
  it("apply --yes refuses a kernel file linked outside (proc/sys/kernel/watchdog -> /outside) and writes nothing", () => {
    s = scratch();
    const target = victim();
    const link = join(s.root, "proc/sys/kernel/watchdog");
    rmSync(link);
    symlinkSync(target, link);
    const before = hashTree(s.root);
    const r = cli(["apply", s.plan, "--root", s.root, "--yes", "--journal", s.journal]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/proc\/sys\/kernel\/watchdog -> .* leaves the root: refused/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(target, "utf8")).toBe("precious\n");
    expect(hashTree(s.root)).toEqual(before);
  });

  it("refuses a linked etc/default and a linked var/lib/kvm4nfv (the journal's directory)", () => {
    s = scratch();
    victim();
    renameSync(join(s.root, "etc/default"), join(outside, "default"));
    symlinkSync(join(outside, "default"), join(s.root, "etc/default"));
    const grub = readFileSync(join(outside, "default/grub"), "utf8");
    const r = cli(["apply", s.plan, "--root", s.root, "--yes", "--journal", s.journal]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/etc\/default.* leaves the root: refused/);
    expect(readFileSync(join(outside, "default/grub"), "utf8")).toBe(grub);

    rmSync(join(s.root, "etc/default"));
    renameSync(join(outside, "default"), join(s.root, "etc/default"));
    mkdirSync(join(s.root, "var/lib"), { recursive: true });
    symlinkSync(outside, join(s.root, "var/lib/kvm4nfv"));
    const r2 = cli(["apply", s.plan, "--root", s.root, "--yes"]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/var\/lib\/kvm4nfv -> .* leaves the root/);
    expect(lstatSync(join(outside, "file")).isFile()).toBe(true);
    expect(() => lstatSync(join(outside, "journal.json"))).toThrow();
  });

  it("follows a symlink inside the root, and a config-file symlink stays a symlink through apply and revert", async () => {
    s = scratch();
    const grub = join(s.root, "etc/default/grub");
    renameSync(grub, join(s.root, "etc/default/grub.real"));
    symlinkSync("grub.real", grub);
    const before = hashTree(s.root);
    await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal });
    expect(lstatSync(grub).isSymbolicLink()).toBe(true);
    expect(readlinkSync(grub)).toBe("grub.real");
    expect(readFileSync(join(s.root, "etc/default/grub.real"), "utf8")).toContain("isolcpus=");
    await runRevert({ root: s.root, journal: s.journal });
    expect(lstatSync(grub).isSymbolicLink()).toBe(true);
    expect(hashTree(s.root)).toEqual(before);
  });

  it("inspect --save from a snapshot never copies outside content into the new snapshot", () => {
    s = scratch();
    const secret = victim();
    writeFileSync(secret, "SECRET-OUTSIDE\n");
    rmSync(join(s.root, "proc/cmdline"));
    symlinkSync(secret, join(s.root, "proc/cmdline"));
    const out = join(s.dir, "saved");
    expect(() => saveSnapshot(openHostFs(s.root), out)).toThrow(/proc\/cmdline -> .* leaves the root/);
    // a relative link climbing out is refused the same way
    rmSync(join(s.root, "proc/cmdline"));
    symlinkSync("../../../../../../../../../../.." + secret, join(s.root, "proc/cmdline"));
    const r = cli(["inspect", "--root", s.root, "--save", out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/climbs above the root|leaves the root/);
    let saved = "";
    try {
      saved = JSON.stringify(hashTree(out));
    } catch {
      // nothing saved at all
    }
    expect(saved).not.toContain(readFileSync(secret, "utf8"));
  });
});

describe("plan paths", () => {
  it("refuses a hand-edited plan path with .. and one that is not a plan target, before anything is written", () => {
    s = scratch();
    const before = hashTree(s.root);
    const plan = JSON.parse(readFileSync(s.plan, "utf8"));
    for (const path of [
      "/proc/sys/../../etc/passwd",
      "/etc/shadow",
      "/root/.ssh/authorized_keys",
      "/proc/sys//x",
    ]) {
      const edited = structuredClone(plan);
      const item = edited.runtime.find((i: { kind: string }) => i.kind === "write");
      item.path = path;
      writeFileSync(join(s.dir, "edited.json"), JSON.stringify(edited));
      const r = cli(["apply", join(s.dir, "edited.json"), "--root", s.root, "--yes", "--journal", s.journal]);
      expect({ path, status: r.status }).toEqual({ path, status: 2 });
      expect(r.stderr).toMatch(/refused, nothing written/);
    }
    expect(hashTree(s.root)).toEqual(before);
  });

  it("accepts every path the planner itself emits", () => {
    s = scratch();
    const plan = JSON.parse(readFileSync(s.plan, "utf8"));
    for (const item of plan.runtime)
      if (item.path) expect([item.path, targetProblem(item.path)]).toEqual([item.path, null]);
  });
});

describe("resolveInRoot (property-based)", () => {
  /**
   * Random trees: directories and files plus symlinks with random targets (relative with any number of `..`,
   * absolute inside and outside the root). Whatever the path asked for, the answer is a path inside the root whose
   * every existing component is not a symlink, or an InputError — never a path outside.
   */
  it("never resolves outside the root, and follows links that stay inside", () => {
    const base = mkdtempSync(join(tmpdir(), "kvm4nfv-prop-"));
    try {
      let n = 0;
      const name = fc.constantFrom("a", "b", "c", "l1", "l2", "l3", "l4", "..", ".");
      const rel = fc.array(name, { minLength: 1, maxLength: 6 }).map((p) => p.join("/"));
      const linkAt = ["a/l1", "b/c/l2", "c/l3", "l4"];
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              rel,
              rel.map((r) => `/${r}`),
              fc.constant("ROOT"),
              fc.constant("OUT"),
            ),
            {
              minLength: 4,
              maxLength: 4,
            },
          ),
          rel,
          (targets, asked) => {
            const root = join(base, String(n++), "root");
            mkdirSync(join(root, "a/b"), { recursive: true });
            mkdirSync(join(root, "b/c"), { recursive: true });
            mkdirSync(join(root, "c"), { recursive: true });
            targets.forEach((t, i) => {
              const to = t === "ROOT" ? join(root, "a") : t === "OUT" ? join(base, String(n - 1)) : t;
              symlinkSync(to, join(root, linkAt[i]!));
            });
            let got: string;
            try {
              got = resolveInRoot(root, asked);
            } catch (err) {
              expect(err).toBeInstanceOf(InputError);
              return;
            }
            expect(got === root || got.startsWith(`${root}/`)).toBe(true);
            // every existing prefix of the answer is a real directory or file, never a symlink
            const parts = got.slice(root.length).split("/").filter(Boolean);
            for (let i = 1; i <= parts.length; i++) {
              const p = join(root, ...parts.slice(0, i));
              try {
                expect(lstatSync(p).isSymbolicLink()).toBe(false);
              } catch (err) {
                if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
              }
            }
          },
        ),
        { numRuns: 200 },
      );
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it("reads a snapshot through links inside it exactly as through the files themselves", () => {
    s = scratch("baseline-tuned");
    const host = readHost(openHostFs(s.root));
    expect(host.runtime.net[0]?.pciAddress).toBe("0000:81:00.0");
  });
});
