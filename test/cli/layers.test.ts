/**
 * The layers: only src/cli prints and parses flags; the core (everything else under src/) never imports the CLI,
 * and no two core modules import each other (timer.ts and guest-timer.ts once did).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

function files(dir = SRC): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports (static and dynamic) of a file, as absolute .ts paths. */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\()\s*"(\.{1,2}\/[^"]+)\.js"/g)) {
    out.push(resolve(dirname(file), `${m[1]}.ts`));
  }
  return out;
}

const rel = (p: string) => relative(SRC, p);

describe("layers", () => {
  const all = files();
  const core = all.filter((f) => !rel(f).startsWith("cli/") && !rel(f).startsWith("app/"));

  it("the core never imports src/cli or src/app", () => {
    const bad = core.flatMap((f) =>
      imports(f)
        .filter((i) => rel(i).startsWith("cli/") || rel(i).startsWith("app/"))
        .map((i) => `${rel(f)} -> ${rel(i)}`),
    );
    expect(bad).toEqual([]);
  });

  it("no two core modules import each other", () => {
    const edges = new Map(core.map((f) => [f, new Set(imports(f))]));
    const pairs: string[] = [];
    for (const [a, deps] of edges) {
      for (const b of deps) if (a < b && edges.get(b)?.has(a)) pairs.push(`${rel(a)} <-> ${rel(b)}`);
    }
    expect(pairs).toEqual([]);
  });
});
