/**
 * The start-up snapshot (scripts/build-startup.mjs, bin/kvm4nfv): `check` and `inspect` started from it must print
 * exactly what the compiled dist/ prints (bin/kvm4nfv.js), with the same exit code, and the launcher must fall
 * back to dist/ whenever the snapshot is missing, older than dist/, built by another node binary, or NODE_OPTIONS
 * is set. The global set-up rebuilds dist/ with tsc, which leaves the snapshot stale: it is rebuilt here first.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SNAP = "test/fixtures/snapshots";
const STARTUP = "dist/startup";
const BLOB = `${STARTUP}/kvm4nfv.blob`;
const KEY = `${STARTUP}/node.key`;
const { NODE_EXTRA_CA_CERTS: _, ...ENV } = process.env;
let dir: string;

const viaDist = (args: string[], env = ENV) =>
  spawnSync("node", ["bin/kvm4nfv.js", ...args], { encoding: "utf8", env, timeout: 60_000 });
const viaLauncher = (args: string[], env = ENV) =>
  spawnSync("bin/kvm4nfv", args, { encoding: "utf8", env, timeout: 60_000 });
/** Which node command line the launcher ends in (sh -x traces its exec). */
const launched = (args: string[], env = ENV) => {
  const r = spawnSync("sh", ["-x", "bin/kvm4nfv", ...args], { encoding: "utf8", env, timeout: 60_000 });
  return r.stderr.split("\n").filter((l) => l.startsWith("+ exec node"));
};

beforeAll(() => {
  execFileSync("node", ["scripts/build-startup.mjs"], { stdio: "pipe" });
  dir = mkdtempSync(join(tmpdir(), "kvm4nfv-startup-test-"));
  writeFileSync(
    join(dir, "pod.yaml"),
    "nodes:\n- name: n1\n  role: Compute\n  ip: 127.0.0.1\n  user: root\n  key_filename: key\n  ssh_port: 1\n",
  );
  writeFileSync(join(dir, "key"), "", { mode: 0o600 });
  execFileSync(
    "node",
    [
      "bin/kvm4nfv.js",
      "plan",
      "--role",
      "host",
      "--root",
      `${SNAP}/baseline-untuned`,
      "--rt-cpus",
      "2",
      "-o",
      join(dir, "plan.json"),
    ],
    { stdio: "pipe" },
  );
  execFileSync("node", ["bin/kvm4nfv.js", "results", "list", "--store", join(dir, "store.db")], {
    stdio: "pipe",
  });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the start-up snapshot", () => {
  it("is built for this node and used by bin/kvm4nfv for check and inspect only", () => {
    expect(existsSync(BLOB)).toBe(true);
    const st = statSync(process.execPath);
    expect(readFileSync(KEY, "utf8").trim()).toBe(`${st.size}:${Math.floor(st.mtimeMs / 1000)}:${st.ino}`);
    for (const args of [
      ["check", "--role", "host"],
      ["--debug", "inspect"],
    ])
      expect(launched(args)[0]).toContain("--snapshot-blob");
    for (const args of [["--version"], ["plan", "--help"], ["results", "list"], ["--root", "x", "check"]])
      expect(launched(args)[0]).not.toContain("--snapshot-blob");
  });

  const cases: [string, () => string[]][] = [
    ["check text (tuned)", () => ["check", "--role", "host", "--root", `${SNAP}/baseline-tuned`]],
    ["check text (untuned)", () => ["check", "--role", "host", "--root", `${SNAP}/baseline-untuned`]],
    [
      "check json with --cpus",
      () => [
        "check",
        "--role",
        "host",
        "--root",
        `${SNAP}/baseline-untuned`,
        "--cpus",
        "2-3",
        "--format",
        "json",
      ],
    ],
    [
      "check junit, guest",
      () => ["check", "--role", "guest", "--root", `${SNAP}/dev-vm`, "--format", "junit"],
    ],
    [
      "check --against a plan (lazy modules, node:fs imported dynamically)",
      () => [
        "check",
        "--role",
        "host",
        "--root",
        `${SNAP}/baseline-untuned`,
        "--against",
        join(dir, "plan.json"),
      ],
    ],
    [
      "check --evidence-from a store (better-sqlite3 loaded at run time)",
      () => [
        "check",
        "--role",
        "host",
        "--root",
        `${SNAP}/baseline-tuned`,
        "--evidence-from",
        join(dir, "store.db"),
      ],
    ],
    [
      "check --node (the pod, ssh through execa)",
      () => ["check", "--role", "host", "--node", "n1", "--pod", join(dir, "pod.yaml")],
    ],
    [
      "check: bad --cpus",
      () => ["check", "--role", "host", "--root", `${SNAP}/baseline-tuned`, "--cpus", "3-1"],
    ],
    ["check: missing root", () => ["check", "--role", "host", "--root", "/no/such/dir"]],
    ["check: bad role", () => ["check", "--role", "router"]],
    ["check: no role", () => ["check"]],
    ["check --help", () => ["check", "--help"]],
    ["inspect text (SR-IOV)", () => ["inspect", "--root", `${SNAP}/sriov-x710-provisioned`]],
    ["inspect --json", () => ["inspect", "--root", `${SNAP}/baseline-untuned`, "--json"]],
    ["inspect --list-files", () => ["inspect", "--list-files"]],
    ["inspect: unknown option", () => ["inspect", "--frobnicate"]],
  ];
  it.each(cases)("prints what dist/ prints: %s", (_name, args) => {
    const a = viaDist(args());
    const b = viaLauncher(args());
    expect(launched(args())[0]).toContain("--snapshot-blob");
    expect({ status: b.status, stdout: b.stdout, stderr: b.stderr }).toEqual({
      status: a.status,
      stdout: a.stdout,
      stderr: a.stderr,
    });
  });

  it("keeps --debug's stack trace (frames name the bundle instead of dist/ files)", () => {
    const args = ["--debug", "check", "--role", "host", "--root", "/no/such/dir"];
    const a = viaDist(args);
    const b = viaLauncher(args);
    expect(b.status).toBe(a.status);
    const firstLine = (s: string) => s.split("\n")[0];
    expect(firstLine(b.stderr)).toBe(firstLine(a.stderr));
    expect(b.stderr).toMatch(/\n {4}at openHostFs \(.*dist\/startup\/kvm4nfv\.cjs:\d+:\d+\)/);
  });

  it("inspect --save writes the same snapshot", () => {
    const a = viaDist(["inspect", "--root", `${SNAP}/baseline-tuned`, "--save", join(dir, "a"), "--json"]);
    const b = viaLauncher([
      "inspect",
      "--root",
      `${SNAP}/baseline-tuned`,
      "--save",
      join(dir, "b"),
      "--json",
    ]);
    expect(b.status).toBe(0);
    expect(JSON.parse(b.stdout).files).toBe(JSON.parse(a.stdout).files);
    const ls = (d: string) =>
      execFileSync("find", [d, "-printf", "%P %s\n"], { encoding: "utf8" }).split("\n").sort();
    expect(ls(join(dir, "b"))).toEqual(ls(join(dir, "a")));
  });

  it("falls back to dist/ when NODE_OPTIONS is set, the blob is stale or another node's, or missing", () => {
    const args = ["check", "--role", "host", "--root", `${SNAP}/baseline-tuned`];
    const expected = viaDist(args);
    const same = () => {
      const r = viaLauncher(args);
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
        status: expected.status,
        stdout: expected.stdout,
        stderr: expected.stderr,
      });
    };
    expect(launched(args, { ...ENV, NODE_OPTIONS: "--max-old-space-size=512" })[0]).not.toContain(
      "--snapshot-blob",
    );

    const st = statSync(BLOB);
    const main = statSync("dist/cli/main.js");
    try {
      utimesSync(BLOB, st.atime, new Date(main.mtimeMs - 3600_000)); // dist/ rebuilt after the snapshot
      expect(launched(args)[0]).not.toContain("--snapshot-blob");
      same();
    } finally {
      utimesSync(BLOB, st.atime, st.mtime);
    }
    const key = readFileSync(KEY, "utf8");
    try {
      writeFileSync(KEY, "1:2:3\n"); // built by another node binary
      expect(launched(args)[0]).not.toContain("--snapshot-blob");
      same();
    } finally {
      writeFileSync(KEY, key);
    }
    renameSync(STARTUP, `${STARTUP}.away`);
    try {
      expect(launched(args)[0]).not.toContain("--snapshot-blob");
      same();
    } finally {
      renameSync(`${STARTUP}.away`, STARTUP);
    }
    expect(launched(args)[0]).toContain("--snapshot-blob");
  });
});
