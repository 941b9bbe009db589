import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readInputFile } from "../src/input-file.js";

const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readInputFile", () => {
  it("returns the text of a file", () => {
    writeFileSync(join(dir, "pod.yaml"), "nodes: []\n");
    expect(readInputFile(join(dir, "pod.yaml"))).toBe("nodes: []\n");
  });

  it("a missing file is one line naming it as the user gave it, exit 2, with the hint", () => {
    const missing = join(dir, "nope.yaml");
    expect(() => readInputFile(missing, `--pod ${missing}`, "give the pod with --pod pod.yaml")).toThrow(
      expect.objectContaining({
        code: "BAD_INPUT",
        exitCode: 2,
        message: `--pod ${missing}: no such file`,
        hint: "give the pod with --pod pod.yaml",
      }),
    );
  });

  it("what cannot be read as text says the errno (a directory)", () => {
    expect(() => readInputFile(dir)).toThrow(`${dir}: cannot read (EISDIR)`);
  });
});
