import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shJoin, shQuote } from "../../src/pod/quote.js";

/** What a real POSIX sh makes of the string: each word it parsed, NUL-terminated. */
function shWords(command: string): string[] {
  const r = spawnSync("sh", ["-c", `${command}`], { encoding: "buffer" });
  expect(r.status).toBe(0);
  const out = r.stdout.toString("utf8");
  return out === "" ? [] : out.slice(0, -1).split("\0");
}

const hostile = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.constantFrom(
    "",
    " ",
    "'",
    '"',
    "\\",
    "$(id)",
    "`id`",
    "$HOME",
    "*",
    "?",
    "[a]",
    "\n",
    "a b",
    "~",
    "-n",
    "!",
    ";rm -rf /",
    "'\\''",
    "\t",
    "#",
    "&",
    "|",
    "{a,b}",
  ),
  fc
    .array(
      fc.constantFrom("'", '"', "\\", "$", "(", ")", "`", "*", "\n", " ", "a", "é", "\t", ";", "&", "~"),
      { maxLength: 12 },
    )
    .map((a) => a.join("")),
);
// argv cannot carry NUL; everything else must arrive byte for byte.
const arg = hostile.map((s) => s.replace(/\0/g, ""));

describe("shJoin (the one remote quoting function)", () => {
  it("round-trips hostile argv through a real sh -c (quotes, $(), backquotes, newlines, globs, backslashes, empty)", () => {
    fc.assert(
      fc.property(fc.array(arg, { minLength: 0, maxLength: 6 }), (args) => {
        const words = shWords(shJoin(["printf", "%s\\0", ...args]));
        // printf with no argument after the format prints the format once with an empty %s
        expect(words).toEqual(args.length === 0 ? [""] : args);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps words words: a glob is not expanded and a command substitution is not run", () => {
    expect(shWords(shJoin(["printf", "%s\\0", "*", "$(echo pwned)", "a b", ""]))).toEqual([
      "*",
      "$(echo pwned)",
      "a b",
      "",
    ]);
  });

  it("leaves plain words readable and refuses NUL", () => {
    expect(shQuote("/proc/cpuinfo")).toBe("/proc/cpuinfo");
    expect(shQuote("")).toBe("''");
    expect(shQuote("it's")).toBe("'it'\\''s'");
    expect(() => shQuote("a\0b")).toThrow(/NUL/);
    expect(() => shJoin([])).toThrow(/empty/);
  });
});
