/**
 * Attack 5: a tampered journal. Every kind of damage the issue tried (a flipped base64 character, the journal cut to
 * half, a non-base64 old value, a null entry, a missing field) is refused before anything is written, naming the
 * entry; the one damage a crash makes (a torn last line) is handled. Plus a property: no single-byte change to a
 * complete line of a real journal gets past readJournal.
 */
import { readFileSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { runApply } from "../../src/tuning/apply/apply.js";
import { readJournal } from "../../src/tuning/apply/journal.js";
import { runRevert } from "../../src/tuning/apply/revert.js";
import { hashTree, type Scratch, scratch } from "../tuning/apply/tree.js";

let s: Scratch;
let lines: string[];
let applied: Record<string, string>;
let before: Record<string, string>;

beforeAll(async () => {
  s = scratch();
  before = hashTree(s.root);
  await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal });
  applied = hashTree(s.root);
  lines = readFileSync(s.journal, "utf8").split("\n").slice(0, -1);
});
afterEach(() => writeFileSync(s.journal, `${lines.join("\n")}\n`));
afterAll(() => s.cleanup());

async function refused(text: string, message: RegExp): Promise<void> {
  writeFileSync(s.journal, text);
  const err = await runRevert({ root: s.root, journal: s.journal }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(message);
  expect(hashTree(s.root)).toEqual(applied);
}

/** Line index of the journal entry for /etc/default/grub (its old value is base64 of a real file). */
function grubLine(): number {
  return lines.findIndex((l) => l.includes('"kind":"file","path":"/etc/default/grub"'));
}

describe("a tampered journal is refused before anything is written", () => {
  it("one flipped base64 character of an entry's old value", async () => {
    const i = grubLine();
    const at = lines[i]!.indexOf('"old":"') + 20;
    const flipped = lines[i]!.slice(0, at) + (lines[i]![at] === "A" ? "B" : "A") + lines[i]!.slice(at + 1);
    const copy = [...lines];
    copy[i] = flipped;
    await refused(
      `${copy.join("\n")}\n`,
      new RegExp(`line ${i + 1} \\(entry \\d+\\) is damaged: its checksum`),
    );
  });

  it("the journal truncated to half (mid-line and at a line boundary)", async () => {
    const text = `${lines.join("\n")}\n`;
    await refused(text.slice(0, text.length >> 1), /is incomplete: .* holds what apply wrote .* cut short/);
    const half = lines.slice(0, lines.length >> 1);
    await refused(`${half.join("\n")}\n`, /is incomplete/);
  });

  it("a non-base64 old value, a null entry, a missing field — even with the checksums recomputed", async () => {
    const { sealLine } = await import("../../src/tuning/apply/journal.js");
    // an attacker who knows the format re-seals the chain: the schema still refuses the entry
    const reseal = (edit: (records: unknown[]) => unknown[]) => {
      const records = lines.map((l) => JSON.parse(l.replace(/,"sum":"[0-9a-f]{64}"\}$/, "}")));
      let prev = "kvm4nfv-journal-v2";
      return `${edit(records)
        .map((r) => {
          const { line, sum } = sealLine(r as object, prev);
          prev = sum;
          return line;
        })
        .join("\n")}\n`;
    };
    const i = grubLine();
    await refused(
      reseal((r) => r.map((x, k) => (k === i ? { ...(x as object), old: "not base64!!" } : x))),
      new RegExp(`line ${i + 1} \\(entry \\d+\\) is damaged: old: base64`),
    );
    await refused(
      reseal((r) => r.map((x, k) => (k === i ? null : x))),
      new RegExp(`line ${i + 1} .* is damaged`),
    );
    await refused(
      reseal((r) =>
        r.map((x, k) => {
          if (k !== i) return x;
          const { path: _drop, ...rest } = x as { path: string };
          return rest;
        }),
      ),
      new RegExp(`line ${i + 1} \\(entry \\d+\\) is damaged: path`),
    );
    // a missing line in the middle breaks the chain
    await refused(
      `${[...lines.slice(0, 3), ...lines.slice(4)].join("\n")}\n`,
      /line 4 .* is damaged: its checksum/,
    );
  });

  it("handles a torn last entry (a crash mid-append): dropped, the rest reverted", async () => {
    writeFileSync(s.journal, `${lines.join("\n")}\n{"seq":999,"kind":"fi`);
    expect(readJournal(s.journal).torn).toBe(true);
    await runRevert({ root: s.root, journal: s.journal });
    expect(hashTree(s.root)).toEqual(before);
    // put the applied state back for the tests after this one
    await runApply({ plan: s.plan, root: s.root, yes: true, journal: s.journal });
    lines = readFileSync(s.journal, "utf8").split("\n").slice(0, -1);
    applied = hashTree(s.root);
  });
});

describe("journal verification (property-based)", () => {
  it("refuses every single-byte change to a complete line", () => {
    const text = `${lines.join("\n")}\n`;
    const bytes = Buffer.from(text);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length - 2 }),
        fc.integer({ min: 1, max: 255 }),
        (at, delta) => {
          const copy = Buffer.from(bytes);
          copy[at] = (copy[at]! + delta) % 256;
          // a changed newline turns two lines into one or splits one: still damage, never a shorter valid journal
          writeFileSync(s.journal, copy);
          let ok = false;
          try {
            readJournal(s.journal);
            ok = true;
          } catch (err) {
            expect(err).toBeInstanceOf(InputError);
          }
          expect({ at, delta, ok }).toEqual({ at, delta, ok: false });
        },
      ),
      { numRuns: 400 },
    );
  });

  it("reads back every entry it wrote, in order, with the chain intact", () => {
    const j = readJournal(s.journal);
    expect(j.torn).toBe(false);
    expect(j.entries.length + j.intents.length).toBe(lines.length - 1);
    expect(j.entries.map((e) => e.seq)).toEqual([...j.entries.map((e) => e.seq)].sort((a, b) => a - b));
  });
});
