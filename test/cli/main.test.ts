import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/cli/version.js";

const BIN = "bin/kvm4nfv.js";

function cli(...args: string[]) {
  return spawnSync("node", [BIN, ...args], { encoding: "utf8" });
}

describe("kvm4nfv CLI", () => {
  it("keeps its version in step with package.json", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(execFileSync("node", [BIN, "--version"], { encoding: "utf8" }).trim()).toBe(pkg.version);
  });

  it("runs through the installed sh entry, which drops NODE_EXTRA_CA_CERTS (no TLS here, ~60 ms of start-up)", () => {
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: "/nonexistent/bundle.pem" };
    const viaNode = spawnSync("node", [BIN, "--version"], { encoding: "utf8", env });
    expect(viaNode.stderr).toContain("extra certs"); // node read the variable (and warns: the file is missing)
    const installed = spawnSync("bin/kvm4nfv", ["--version"], { encoding: "utf8", env });
    expect(installed.stdout.trim()).toBe(VERSION);
    expect(installed.stderr).toBe("");
  });

  it("answers an unknown option with one line and exit 2", () => {
    const r = cli("--no-such-flag");
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("unknown option '--no-such-flag'");
  });

  it("answers an unknown command with exit 2", () => {
    const r = cli("frobnicate");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command|too many arguments/);
  });

  it("prints help with exit 0", () => {
    const r = cli("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: kvm4nfv");
  });
});
