import { describe, expect, it } from "vitest";
import { detectAndParse } from "../../../src/measure/parse/detect.js";
import { fixture } from "../fixtures.js";

describe("detectAndParse", () => {
  it.each([
    ["cyclictest-2.40-1thread.json", "cyclictest-json", "cyclictest"],
    ["oslat-2.40-1core.json", "cyclictest-json", "oslat"],
    ["cyclictest-2.40-1thread-hist.txt", "cyclictest-histogram", "cyclictest"],
    ["cyclictest-2.7-2threads-hist.txt", "cyclictest-histogram-2.7", "cyclictest"],
    ["cyclictest-2.40-quiet-2threads.txt", "cyclictest-quiet", "cyclictest"],
    ["cyclictest-2.40-live.txt", "cyclictest-quiet", "cyclictest"],
    ["oslat-2.40-2cores.txt", "oslat", "oslat"],
  ])("recognises %s by its content", (name, format, tool) => {
    const r = detectAndParse(name, fixture(name));
    expect(r.format).toBe(format);
    expect(r.tool).toBe(tool);
  });

  it("accepts CRLF line ends", () => {
    const r = detectAndParse("w.txt", fixture("cyclictest-2.40-1thread-hist.txt").replace(/\n/g, "\r\n"));
    expect(r.cpus[0]!.maxUs).toBe(1458);
  });

  it("refuses empty, foreign and truncated files with one line naming the file", () => {
    expect(() => detectAndParse("empty.txt", "  \n")).toThrow(
      "empty.txt: empty file; expected cyclictest or oslat output",
    );
    expect(() => detectAndParse("cpuinfo", fixture("foreign.txt"))).toThrow(
      "cpuinfo: not rt-tests output; expected cyclictest --json, a cyclictest -h histogram, cyclictest -q lines or oslat output",
    );
    expect(() => detectAndParse("p.json", fixture("foreign.json"))).toThrow(/^p\.json: not rt-tests JSON/);
    expect(() => detectAndParse("cut.json", fixture("cyclictest-truncated.json"))).toThrow(
      /^cut\.json: truncated/,
    );
    expect(() => detectAndParse("cut.txt", fixture("cyclictest-truncated-hist.txt"))).toThrow(
      /^cut\.txt: truncated/,
    );
  });
});
