/** End to end through the built CLI (test/global-setup.ts builds dist/ first). */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const FIX = "test/fixtures/rt-tests";
let dir: string;
let store: string;

function cli(...args: string[]) {
  return spawnSync("node", ["bin/kvm4nfv.js", ...args], { encoding: "utf8" });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kvm4nfv-cli-"));
  store = join(dir, "results.db");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("kvm4nfv results / report", () => {
  it("lists an empty store", () => {
    const r = cli("results", "list", "--store", store);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("no runs stored yet\n");
  });

  it("answers an unknown run id with one line and exit 2", () => {
    const r = cli("results", "show", "42", "--store", store);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`kvm4nfv: no run 42 in ${store} (list the runs with \`kvm4nfv results list\`)\n`);
  });

  it("refuses a store that is not ours with exit 2", () => {
    const junk = join(dir, "junk.db");
    writeFileSync(junk, "x".repeat(100));
    const r = cli("results", "list", "--store", junk);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("imports, lists, exports, compares and reports", () => {
    const imp = cli(
      "results",
      "import",
      join(FIX, "cyclictest-2.40-2threads.json"),
      join(FIX, "cyclictest-2.40-2threads-hist.txt"),
      // the histogram text names threads only: its run's command line (recorded in the JSON) gives the CPUs
      "--cmdline",
      "cyclictest -m -p 99 -i 1000 -d 0 -D 2 -t 2 -a 0-1 -h 100 -q",
      "--store",
      store,
    );
    expect(imp.stderr).toBe("");
    expect(imp.status).toBe(0);
    expect(imp.stdout).toContain("as run 2 (timer, 2 CPUs");

    const list = cli("results", "list", "--store", store, "--json");
    expect(
      JSON.parse(list.stdout)
        .map((r: { id: number }) => r.id)
        .sort(),
    ).toEqual([1, 2]);

    const influx = cli("results", "export", "1", "--format", "influx", "--store", store);
    expect(influx.status).toBe(0);
    expect(influx.stdout.split("\n")[0]).toMatch(
      /^kvm4nfv_timer,cpu=0,label=cyclictest-2\.40-2threads,run=1,test=timer min=11,/,
    );

    const junit = cli("results", "export", "1", "2", "--format", "junit", "--store", store);
    expect(junit.stdout.match(/<testsuite /g)).toHaveLength(2);

    const bad = cli("results", "export", "1", "--format", "csv", "--store", store);
    expect(bad.status).toBe(2);

    const cmp = cli("results", "compare", "1", "2", "--threshold", "10%", "--store", store);
    expect([0, 1]).toContain(cmp.status);
    expect(cmp.stdout).toContain("regression threshold: B worse than A by > 10%");

    const html = join(dir, "r.html");
    const rep = cli("report", "1", "2", "-o", html, "--store", store);
    expect(rep.status).toBe(0);
    expect(rep.stdout).toMatch(/^wrote .*r\.html \(2 runs from /);
    const text = readFileSync(html, "utf8");
    expect(text).toContain("<svg");
    expect(text).not.toMatch(/<script|https?:\/\//);
  });
});
