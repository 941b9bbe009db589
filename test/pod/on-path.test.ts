/**
 * `kvm4nfv` as a command: set-up links bin/kvm4nfv into /usr/local/bin (as root). The same link in a
 * temporary PATH directory, run from another directory, must start this checkout's CLI.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/cli/version.js";

describe("kvm4nfv on PATH", () => {
  it("set-up links bin/kvm4nfv into /usr/local/bin", () => {
    const setup = readFileSync("scripts/setup.sh", "utf8");
    expect(setup).toMatch(/ln -sfn "\$PWD\/bin\/kvm4nfv" \/usr\/local\/bin\/kvm4nfv/);
  });

  it("a symlink on PATH runs the checkout's CLI from anywhere", () => {
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-path-"));
    symlinkSync(resolve("bin/kvm4nfv"), join(dir, "kvm4nfv"));
    const out = execFileSync("kvm4nfv", ["--version"], {
      cwd: tmpdir(),
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      encoding: "utf8",
    });
    expect(out.trim()).toBe(VERSION);
  });
});
