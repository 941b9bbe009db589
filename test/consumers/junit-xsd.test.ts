/**
 * Every JUnit file kvm4nfv writes, validated by xmllint (Debian libxml2-utils) against the JUnit schema Jenkins'
 * xUnit plugin validates reports with (test/fixtures/junit/junit-10.xsd, origin in ORIGIN.md beside it):
 * `check --format junit` for both roles on every snapshot and on this machine, and `results export --format junit`
 * of real imported rt-tests outputs and of passing, failing, errored and migration runs.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exportRuns } from "../../src/results/export.js";
import { makeMigrationRun, makeTimerRun } from "../results/run-factory.js";

const XSD = join(import.meta.dirname, "../fixtures/junit/junit-10.xsd");
const SNAPSHOTS = join(import.meta.dirname, "../fixtures/snapshots");
const RT_TESTS = join(import.meta.dirname, "../fixtures/rt-tests");
const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-junit-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** xmllint's verdict: "" when valid, else its messages. */
function xsdProblems(xml: string): string {
  const file = join(tmp, `report-${n++}.xml`);
  writeFileSync(file, xml);
  const r = spawnSync("xmllint", ["--noout", "--schema", XSD, file], { encoding: "utf8" });
  if (r.error) throw r.error;
  return r.status === 0 ? "" : r.stderr;
}

function cli(...args: string[]) {
  return spawnSync("node", ["bin/kvm4nfv.js", ...args], { encoding: "utf8" });
}

describe("the schema itself", () => {
  it("rejects what the xUnit plugin rejects: skipped on testsuites, a testcase without a name", () => {
    expect(xsdProblems('<testsuites skipped="1"><testsuite tests="0"/></testsuites>')).toMatch(
      /attribute 'skipped': The attribute 'skipped' is not allowed/,
    );
    expect(xsdProblems('<testsuites><testsuite tests="1"><testcase/></testsuite></testsuites>')).toMatch(
      /attribute 'name' is required/,
    );
    expect(xsdProblems('<testsuites><testsuite tests="0"/></testsuites>')).toBe("");
  });
});

describe("check --format junit", () => {
  const roots = readdirSync(SNAPSHOTS).map((d) => join(SNAPSHOTS, d));
  it.each(
    [...roots, "/"].flatMap((root) => [
      [root, "host"],
      [root, "guest"],
    ]),
  )("validates: %s --role %s", (root, role) => {
    const r = cli("check", "--role", role, "--root", root, "--format", "junit");
    expect([0, 1]).toContain(r.status);
    expect(r.stdout).toMatch(/<skipped |<failure /); // the elements the schema constrains are really there
    expect(xsdProblems(r.stdout)).toBe("");
  });
});

describe("results export --format junit", () => {
  it("validates for real imported rt-tests outputs", () => {
    const store = join(tmp, "results.db");
    const files = [
      "cyclictest-2.40-2threads.json",
      "cyclictest-2.10-2threads-hist.txt",
      "oslat-2.40-1core.json",
    ];
    const imp = cli("results", "import", ...files.map((f) => join(RT_TESTS, f)), "--store", store);
    expect(imp.status).toBe(0);
    const out = cli("results", "export", "1", "2", "3", "--format", "junit", "--store", store);
    expect(out.status).toBe(0);
    expect(out.stdout.match(/<testsuite /g)).toHaveLength(3);
    expect(xsdProblems(out.stdout)).toBe("");
  });

  it("validates for passing, failing, errored and migration runs, with hostile text", () => {
    const fail = makeTimerRun({ id: 2, label: `cpu<stress>&"'\u0001` });
    fail.verdict = {
      status: "fail",
      limits: [{ metric: "max", limitUs: 20 }],
      breaches: [{ metric: "max", limitUs: 20, observedUs: 33, cpu: 3 }],
      summary: "max 33 µs > 20 µs on CPU 3",
    };
    const err = makeTimerRun({ id: 3 });
    err.verdict = { status: "error", limits: [], breaches: [], summary: "cyclictest died: signal 9" };
    const xml = exportRuns([makeTimerRun({ id: 1 }), fail, err, makeMigrationRun({ id: 4 })], "junit");
    expect(xml).toContain("<failure ");
    expect(xml).toContain("<error ");
    expect(xsdProblems(xml)).toBe("");
  });
});
