/**
 * The published JSON Schemas (docs/schema/*.json, generated from src/schema's zod types): fresh, valid JSON Schema
 * 2020-12, and every real output validates against them with ajv: `inspect --json` and `check --format json` on
 * every snapshot and on this machine, `plan` for both roles, stored runs of real imported rt-tests files.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, describe, expect, it } from "vitest";
import { exportRuns } from "../../src/results/export.js";
import { jsonSchemaFiles } from "../../src/schema/index.js";
import { makeMigrationRun, makeTimerRun } from "../results/run-factory.js";

const DOCS = join(import.meta.dirname, "../../docs/schema");
const SNAPSHOTS = join(import.meta.dirname, "../fixtures/snapshots");
const RT_TESTS = join(import.meta.dirname, "../fixtures/rt-tests");
const roots = [...readdirSync(SNAPSHOTS).map((d) => join(SNAPSHOTS, d)), "/"];
const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-schema-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const schema = (name: string) => JSON.parse(readFileSync(join(DOCS, `${name}.json`), "utf8"));
const validators = Object.fromEntries(
  ["inspect", "check", "plan", "run"].map((n) => [n, ajv.compile(schema(n))]),
);

/** ajv's complaints, "" when the document is valid */
function problems(name: string, doc: unknown): string {
  const v = validators[name]!;
  return v(doc) ? "" : ajv.errorsText(v.errors, { separator: "\n" });
}

function cli(...args: string[]): string {
  const r = spawnSync("node", ["bin/kvm4nfv.js", ...args], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect([0, 1]).toContain(r.status);
  return r.stdout;
}

describe("docs/schema", () => {
  it("is what src/schema generates (run `npm run schema` after changing a zod schema)", () => {
    const files = jsonSchemaFiles();
    expect(readdirSync(DOCS).sort()).toEqual(Object.keys(files).sort());
    for (const [name, text] of Object.entries(files)) {
      expect(readFileSync(join(DOCS, name), "utf8"), `docs/schema/${name} is stale`).toBe(text);
    }
  });

  it("rejects what the outputs never contain: an unknown field, a wrong type, a bad cpulist", () => {
    const doc = JSON.parse(cli("check", "--role", "host", "--root", roots[0]!, "--format", "json"));
    expect(problems("check", doc)).toBe("");
    expect(problems("check", { ...doc, extra: 1 })).toMatch(/must NOT have additional properties/);
    expect(problems("check", { ...doc, rtCpus: "20-" })).toMatch(/rtCpus must match pattern/);
    expect(problems("check", { ...doc, summary: { ...doc.summary, pass: "3" } })).toMatch(/must be integer/);
  });
});

describe.each(roots)("real outputs validate: %s", (root) => {
  it("inspect --json", () => {
    expect(problems("inspect", JSON.parse(cli("inspect", "--root", root, "--json")))).toBe("");
  });

  it.each(["host", "guest"])("check --role %s --format json", (role) => {
    const doc = JSON.parse(cli("check", "--role", role, "--root", root, "--format", "json"));
    expect(doc.findings.length).toBeGreaterThan(10);
    expect(problems("check", doc)).toBe("");
  });
});

describe("plans validate", () => {
  const baseline = join(SNAPSHOTS, "baseline-untuned");
  it.each([
    ["host on the baseline", ["--role", "host", "--rt-cpus", "16", "--root", baseline]],
    ["guest on the baseline", ["--role", "guest", "--rt-cpus", "4", "--root", baseline]],
    ["guest on this machine", ["--role", "guest", "--rt-cpus", "1"]],
  ])("%s", (_, args) => {
    const doc = JSON.parse(cli("plan", ...args));
    expect(problems("plan", doc)).toBe("");
  });
});

describe("stored runs validate", () => {
  it("as `results show --json` and `results export --format json` print them, for real imported files", () => {
    const store = join(tmp, "results.db");
    const files = readdirSync(RT_TESTS).filter((f) =>
      ["cyclictest-2.40-2threads.json", "cyclictest-2.10-2threads-hist.txt", "oslat-2.40-1core.txt"].includes(
        f,
      ),
    );
    expect(files).toHaveLength(3);
    cli("results", "import", ...files.map((f) => join(RT_TESTS, f)), "--store", store);
    for (const id of ["1", "2", "3"]) {
      expect(problems("run", JSON.parse(cli("results", "show", id, "--json", "--store", store)))).toBe("");
    }
    const all = JSON.parse(cli("results", "export", "1", "2", "3", "--format", "json", "--store", store));
    for (const run of all) expect(problems("run", run)).toBe("");
  });

  it("timer, failed and migration runs", () => {
    const fail = makeTimerRun({ id: 2 });
    fail.verdict = {
      status: "fail",
      limits: [{ metric: "p99.99", limitUs: 10 }],
      breaches: [{ metric: "p99.99", limitUs: 10, observedUs: 33, cpu: 3 }],
      summary: "p99.99 33 µs > 10 µs on CPU 3",
    };
    for (const run of [makeTimerRun({ id: 1 }), fail, makeMigrationRun({ id: 3 })]) {
      expect(problems("run", JSON.parse(exportRuns([run], "json")))).toBe("");
    }
  });
});
