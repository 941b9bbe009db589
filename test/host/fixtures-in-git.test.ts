/**
 * A snapshot must mean the same after a trip through git (or tar), which drops empty directories: CI reads the
 * fixtures from a fresh clone. readHost of each fixture is compared with readHost of a copy without them.
 */
import { cpSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RootFs } from "../../src/host/fs.js";
import { readHost } from "../../src/host/read.js";

/** Remove empty directories bottom-up; returns how many went. */
function dropEmptyDirs(dir: string): number {
  let removed = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !e.isSymbolicLink()) removed += dropEmptyDirs(join(dir, e.name));
  }
  if (readdirSync(dir).length === 0) {
    rmdirSync(dir);
    removed++;
  }
  return removed;
}

const FIXTURES = [
  ...["baseline-untuned", "baseline-tuned", "dev-vm"].map((n) => join("test/fixtures/snapshots", n)),
  ...readdirSync("test/fixtures/real/lscpu", { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join("test/fixtures/real/lscpu", e.name)),
  "test/fixtures/real/ghw/offline-cpus",
];

describe.each(FIXTURES)("fixture %s", (src) => {
  it("reads the same once empty directories are gone (as in a fresh clone)", () => {
    const copy = mkdtempSync(join(tmpdir(), "kvm4nfv-git-"));
    try {
      cpSync(src, copy, { recursive: true, verbatimSymlinks: true });
      dropEmptyDirs(copy);
      const a = readHost(new RootFs(src));
      const b = readHost(new RootFs(copy));
      expect({ ...b, source: a.source }).toEqual(a);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
