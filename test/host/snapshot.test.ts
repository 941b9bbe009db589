import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openHostFs } from "../../src/host/fs.js";
import { readHost } from "../../src/host/read.js";
import { saveSnapshot } from "../../src/host/snapshot.js";

const work = mkdtempSync(join(tmpdir(), "kvm4nfv-snap-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("saveSnapshot (inspect --save)", () => {
  it("captures the live machine so that reading the snapshot gives the same Host", () => {
    const dir = join(work, "live");
    const saved = saveSnapshot(openHostFs(), dir);
    expect(saved.files).toBeGreaterThan(10);
    const again = readHost(openHostFs(dir));
    expect({ ...again, source: "/" }).toEqual(saved.host);
    // Against a fresh live read only the volatile bits (free memory, IRQ routing) may move.
    const live = readHost(openHostFs());
    expect(again.topology.online).toEqual(live.topology.online);
    expect(again.topology.cores).toBe(live.topology.cores);
    expect(again.kernel).toEqual(live.kernel);
    expect(again.cpu).toEqual(live.cpu);
    expect(again.runtime.sysctl).toEqual(live.runtime.sysctl);
    expect(existsSync(join(dir, "proc/cpuinfo"))).toBe(true);
  });

  it("round-trips a snapshot with symlinked NICs into plain directories", () => {
    const src = "test/fixtures/snapshots/baseline-tuned";
    const dir = join(work, "tuned-copy");
    const saved = saveSnapshot(openHostFs(src), dir);
    const copy = readHost(openHostFs(dir));
    expect({ ...copy, source: saved.host.source }).toEqual(saved.host);
    expect(copy.runtime.net[0]?.pciAddress).toBe("0000:81:00.0");
    expect(copy.runtime.iommu.groups).toBe(64);
    expect(copy.runtime.irqbalanceRunning).toBe(false);
  });

  it("refuses a target that already has files in it", () => {
    const dir = join(work, "busy");
    saveSnapshot(openHostFs("test/fixtures/snapshots/dev-vm"), dir);
    expect(() => saveSnapshot(openHostFs(), dir)).toThrow(/already exists and is not an empty directory/);
    const file = join(work, "plain-file");
    writeFileSync(file, "x");
    expect(() => saveSnapshot(openHostFs(), file)).toThrow(/not an empty directory/);
  });
});
