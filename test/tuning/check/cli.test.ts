/** End to end: node bin/kvm4nfv.js check … (dist/ is built by the global set-up). */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { assertWellFormedXml } from "../../helpers/xml.js";

const SNAP = "test/fixtures/snapshots";

function cli(...args: string[]) {
  return spawnSync("node", ["bin/kvm4nfv.js", "check", ...args], { encoding: "utf8" });
}

describe("kvm4nfv check", () => {
  it("exits 0 on the tuned baseline", () => {
    const r = cli("--role", "host", "--root", `${SNAP}/baseline-tuned`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/PASS {2}os\.rt-throttling/);
  });

  it("exits 1 on the untuned baseline", () => {
    const r = cli("--role", "host", "--root", `${SNAP}/baseline-untuned`);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}kernel\.preempt-rt/);
  });

  it.each([
    ["3-1", /goes backwards/],
    ["1,,2", /empty element/],
    ["x", /malformed --cpus "x"/],
    ["40-41", /has no online CPU 40-41/],
  ])("refuses --cpus %s with one line and exit 2", (cpus, message) => {
    const r = cli("--role", "host", "--root", `${SNAP}/baseline-tuned`, "--cpus", cpus);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it("refuses an unknown role or format, and a missing role, with exit 2", () => {
    for (const args of [["--role", "router"], ["--role", "host", "--format", "yaml"], []]) {
      const r = cli(...args, "--root", `${SNAP}/baseline-tuned`);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("refuses a --root that is not a snapshot with exit 2", () => {
    const r = cli("--role", "host", "--root", "/nonexistent-kvm4nfv");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no such directory");
  });

  it("--format json has the documented shape", () => {
    const r = cli(
      "--role",
      "host",
      "--root",
      `${SNAP}/baseline-untuned`,
      "--cpus",
      "20-35",
      "--format",
      "json",
    );
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ role: "host", rtCpus: "20-35" });
    expect(doc.findings.find((f: { id: string }) => f.id === "os.watchdog")).toMatchObject({ level: "fail" });
    expect(doc.summary["n/a"]).toBeTypeOf("number");
  });

  it("--format junit is well-formed XML", () => {
    const r = cli("--role", "guest", "--root", `${SNAP}/dev-vm`, "--format", "junit");
    expect(r.status).toBe(1);
    assertWellFormedXml(r.stdout);
    expect(r.stdout).toContain('classname="kvm4nfv.check.platform" name="platform.hyperthreading"');
  });

  it("audits the live machine", () => {
    const r = cli("--role", "host", "--format", "json");
    expect([0, 1]).toContain(r.status);
    const doc = JSON.parse(r.stdout);
    expect(doc.findings.find((f: { id: string }) => f.id === "kernel.preempt-rt")).toBeDefined();
  });
});
