/**
 * A kvm4nfv killed with SIGKILL while saving runs must not corrupt the store or lose the runs it had
 * already committed. This spawns a real node process that saves runs in a tight loop through the real store
 * code, kills it mid-stream, then re-opens the file.
 *
 * Node 20 cannot run TypeScript, so the store's modules are transpiled (no type-check, ~instant) into a
 * directory under node_modules/.cache, where `better-sqlite3` still resolves.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/results/store.js";
import { makeTimerRun } from "./run-factory.js";

const root = resolve(import.meta.dirname, "../..");
let work: string;
let dataDir: string;

function transpile(rel: string): void {
  const src = readFileSync(join(root, rel), "utf8");
  const out = ts.transpileModule(src, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const dest = join(work, rel.replace(/\.ts$/, ".js"));
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest, out);
}

beforeAll(() => {
  const cache = join(root, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  work = mkdtempSync(join(cache, "kvm4nfv-kill-"));
  writeFileSync(join(work, "package.json"), '{"type":"module"}');
  for (const f of ["src/errors.ts", "src/results/migrations.ts", "src/results/store.ts"]) transpile(f);
  dataDir = mkdtempSync(join(tmpdir(), "kvm4nfv-kill-"));
  // Big raw output: each transaction writes many pages, so the kill is likely to land inside one.
  const run = makeTimerRun({
    raw: { "cyclictest.stdout": "T: 0 ( 1234) P:99 I:1000 C: 1 Min: 3\n".repeat(20000) },
  });
  writeFileSync(join(dataDir, "run.json"), JSON.stringify(run));
  writeFileSync(
    join(work, "saver.mjs"),
    `import { readFileSync } from "node:fs";
import { openStore } from "./src/results/store.js";
const [storePath, runPath] = process.argv.slice(2);
const run = JSON.parse(readFileSync(runPath, "utf8"));
const store = openStore(storePath);
for (let i = 0; ; i++) {
  const id = store.saveRun({ ...run, label: "run-" + i });
  process.stdout.write("saved " + id + "\\n");
}
`,
  );
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

/** Start the saver and SIGKILL it once it reports `after` committed runs; resolve with the ids it reported. */
function saveThenKill(storePath: string, after: number): Promise<number[]> {
  return new Promise((resolvePromise, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [join(work, "saver.mjs"), storePath, join(dataDir, "run.json")],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const ids: number[] = [];
    let buf = "";
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    child.stdout?.on("data", (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const l of lines) ids.push(Number(l.split(" ")[1]));
      if (ids.length >= after && !child.killed) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolvePromise(ids);
      else reject(new Error(`saver exited ${code} before the kill: ${stderr}`));
    });
  });
}

describe("store under SIGKILL", () => {
  it("keeps every committed run and an intact file, twice in a row", async () => {
    const storePath = join(dataDir, "results.db");
    const first = await saveThenKill(storePath, 15);
    const second = await saveThenKill(storePath, 10);
    expect(first.length).toBeGreaterThanOrEqual(15);
    expect(second.length).toBeGreaterThanOrEqual(10);

    const db = new Database(storePath, { readonly: true });
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(db.pragma("foreign_key_check")).toEqual([]);
    db.close();

    const store = openStore(storePath);
    const expected = JSON.parse(readFileSync(join(dataDir, "run.json"), "utf8"));
    const listed = new Set(store.listRuns().map((r) => r.id));
    for (const id of [...first, ...second]) {
      expect(listed.has(id)).toBe(true);
      const got = store.getRun(id);
      expect(got.cpus).toEqual(expected.cpus);
      expect(got.raw).toEqual(expected.raw);
    }
    // The second process continued numbering after everything the first committed.
    expect(Math.min(...second)).toBeGreaterThan(Math.max(...first));
    // A store that survived the kill still takes new runs.
    const id = store.saveRun(makeTimerRun());
    expect(store.getRun(id).label).toBe("idle_idle");
    store.close();
  });
});
