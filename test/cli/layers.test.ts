/**
 * The layers: src/cli (flags, printing, exit codes) → src/app (handlers: typed options in, Outcome out) → the core
 * (everything else under src/). The core never imports src/app or src/cli, src/app never imports src/cli, only
 * src/cli prints, and no two core modules import each other (timer.ts and guest-timer.ts once did).
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
function imports(file: string, text = readFileSync(file, "utf8")): string[] {
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

  it("the scanner sees static, dynamic and re-export imports (so the checks above can fail)", () => {
    const f = join(SRC, "measure/x.ts");
    const text = [
      'import { a } from "../app/timer.js";',
      'const { b } = await import("../cli/run.js");',
      'export { c } from "./units.js";',
      'import type {\n  D,\n} from "../app/outcome.js";',
    ].join("\n");
    expect(imports(f, text).map(rel)).toEqual([
      "app/timer.ts",
      "cli/run.ts",
      "measure/units.ts",
      "app/outcome.ts",
    ]);
  });

  it("src/app never imports src/cli", () => {
    const bad = all
      .filter((f) => rel(f).startsWith("app/"))
      .flatMap((f) =>
        imports(f)
          .filter((i) => rel(i).startsWith("cli/"))
          .map((i) => `${rel(f)} -> ${rel(i)}`),
      );
    expect(bad).toEqual([]);
  });

  it("handlers in src/app never print or set the exit code (src/cli does, from their Outcome)", () => {
    const bad = all
      .filter((f) => rel(f).startsWith("app/"))
      .filter((f) =>
        /process\.(stdout|stderr)\.write|process\.exitCode\s*=|console\.\w+\(/.test(
          readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\//g, ""),
        ),
      )
      .map(rel);
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
