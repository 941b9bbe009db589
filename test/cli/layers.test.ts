/**
 * The layers: src/cli (flags, printing, exit codes) → src/app (handlers: typed options in, Outcome out) → the core
 * (everything else under src/). Nothing outside src/app and src/cli imports src/app, the core never imports
 * src/cli, src/app takes only types from src/cli (the option tables' inferred types, erased when built), only src/cli
 * prints, and no two core modules import each other (timer.ts and guest-timer.ts once did).
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

/** The relative imports that stay in the built JavaScript: every one but `import type … from` (erased). */
function valueImports(file: string, text = readFileSync(file, "utf8")): string[] {
  return imports(file, text.replace(/import\s+type\s*\{[^}]*\}\s*from\s*"[^"]+";/g, ""));
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
      'export { c } from "../units.js";',
      'import type {\n  D,\n} from "../app/outcome.js";',
    ].join("\n");
    expect(imports(f, text).map(rel)).toEqual(["app/timer.ts", "cli/run.ts", "units.ts", "app/outcome.ts"]);
  });

  it("src/app takes only types from src/cli (an `import type`, erased when built), never a value", () => {
    const bad = all
      .filter((f) => rel(f).startsWith("app/"))
      .flatMap((f) =>
        valueImports(f)
          .filter((i) => rel(i).startsWith("cli/"))
          .map((i) => `${rel(f)} -> ${rel(i)}`),
      );
    expect(bad).toEqual([]);
  });

  it("the type-only filter keeps value imports (so the check above can fail)", () => {
    const f = join(SRC, "app/x.ts");
    const text = [
      'import type { TimerOpts } from "../cli/test.js";',
      'import { finish } from "../cli/run.js";',
      'const { print } = await import("../cli/run.js");',
      'import { type Outcome, outcome } from "./outcome.js";',
    ].join("\n");
    expect(valueImports(f, text).map(rel)).toEqual(["cli/run.ts", "cli/run.ts", "app/outcome.ts"]);
  });

  it("the tuning never imports src/measure (the one value parser is src/units.ts, below both)", () => {
    const bad = all
      .filter((f) => rel(f).startsWith("tuning/"))
      .flatMap((f) =>
        imports(f)
          .filter((i) => rel(i).startsWith("measure/"))
          .map((i) => `${rel(f)} -> ${rel(i)}`),
      );
    expect(bad).toEqual([]);
  });

  it("no command handler is left in the core: the instruments' command.ts files moved to src/app", () => {
    const left = [
      "measure/oslat/command.ts",
      "measure/rtla/command.ts",
      "measure/forwarding/command.ts",
    ].filter((p) => all.includes(join(SRC, p)));
    expect(left).toEqual([]);
    // only src/cli loads a handler: every importer of src/app is in src/app or src/cli
    const importers = all
      .filter((f) => imports(f).some((i) => rel(i).startsWith("app/")))
      .map(rel)
      .filter((r) => !r.startsWith("app/") && !r.startsWith("cli/"));
    expect(importers).toEqual([]);
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

  it("only src/cli/run.ts writes stdout or sets the exit code (main.ts: commander's usage errors, a crash)", () => {
    const writers = all
      .filter((f) =>
        /process\.stdout\.write|process\.exitCode\s*=/.test(
          readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\//g, ""),
        ),
      )
      .map(rel)
      .sort();
    expect(writers).toEqual(["cli/main.ts", "cli/run.ts"]);
    // and the command files print only through run.ts's finish(): none takes print or setExit
    const direct = all
      .filter((f) => rel(f).startsWith("cli/") && rel(f) !== "cli/run.ts")
      .filter((f) =>
        /import\s*\{[^}]*\b(print|setExit)\b[^}]*\}\s*from\s*"\.\/run\.js"/.test(readFileSync(f, "utf8")),
      )
      .map(rel);
    expect(direct).toEqual([]);
  });

  it("one value parser: src/units.ts (the old src/measure/units.ts re-export is gone)", () => {
    expect(all.filter((f) => /(^|\/)units\.ts$/.test(rel(f))).map(rel)).toEqual(["units.ts"]);
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
