import { describe, expect, it } from "vitest";
import { detectAndParse } from "../../../src/measure/parse/detect.js";
import { fixture } from "../fixtures.js";

describe("detectAndParse", () => {
  it.each([
    ["cyclictest-2.40-1thread.json", "cyclictest-json", "cyclictest"],
    ["cyclictest-2.0-nohist.json", "cyclictest-json", "cyclictest"],
    ["cyclictest-2.10-2threads.json", "cyclictest-json", "cyclictest"],
    ["oslat-2.40-1core.json", "cyclictest-json", "oslat"],
    ["oslat-2.10-W500.json", "cyclictest-json", "oslat"],
    ["cyclictest-0.83-2threads-hist.txt", "cyclictest-histogram", "cyclictest"],
    ["cyclictest-2.6-2threads-hist.txt", "cyclictest-histogram", "cyclictest"],
    ["cyclictest-2.10-2threads-hist.txt", "cyclictest-histogram-2.7", "cyclictest"],
    ["cyclictest-0.83-quiet-2threads.txt", "cyclictest-quiet", "cyclictest"],
    ["cyclictest-2.40-live.txt", "cyclictest-quiet", "cyclictest"],
    ["cyclictest-2.4-nsecs-live.txt", "cyclictest-quiet", "cyclictest"],
    ["oslat-2.40-2cores.txt", "oslat", "oslat"],
    ["oslat-2.6-W500.txt", "oslat", "oslat"],
  ])("recognises %s by its content", (name, format, tool) => {
    const r = detectAndParse(name, fixture(name));
    expect(r.format).toBe(format);
    expect(r.tool).toBe(tool);
  });

  it("accepts CRLF line ends", () => {
    const r = detectAndParse("w.txt", fixture("cyclictest-2.40-1thread-hist.txt").replace(/\n/g, "\r\n"));
    expect(r.cpus[0]!.maxUs).toBe(1458);
  });

  it.each([
    [
      "hwlatdetect-2.4-no-tracer.txt",
      /^h: hwlatdetect output \(hardware\/firmware latency, no per-CPU timer latencies\)/,
    ],
    ["hwlatdetect-2.10-no-tracer.txt", /^h: hwlatdetect output/],
    [
      "cyclictest-0.83-verbose.txt",
      /^h: cyclictest -v output \(one line per sample, no summary\); .*run cyclictest with -q, -h or --json$/,
    ],
    ["cyclictest-2.10-verbose.txt", /^h: cyclictest -v output/],
    [
      "pmqtest-2.10-quiet.txt",
      /^h: pmqtest\/ptsematest output \(inter-thread wake-up latency\), not a cyclictest timer run/,
    ],
    ["signaltest-2.10-quiet.txt", /^h: signaltest output/],
    ["cyclicdeadline-2.10-quiet.txt", /^h: cyclicdeadline output/],
    ["cyclicdeadline-2.10-hist.txt", /^h: cyclicdeadline histogram/],
    ["signaltest-2.0.json", /^h: signaltest --json output/],
    ["cyclictest-2.4-interrupted-empty-hist.txt", /^h: thread 0 has no samples/],
    ["oslat-1.10-nocores.txt", /^h: a report with no core/],
  ])("refuses %s with a message that names what it is", (name, message) => {
    expect(() => detectAndParse("h", fixture(name))).toThrow(message);
  });

  it.each(["hwlatdetect-published-rhel9-edge.txt", "hwlatdetect-published-ovirt-smi.txt"])(
    "refuses published hwlatdetect reports from real RT machines (%s)",
    (name) => {
      expect(() => detectAndParse(name, fixture(name))).toThrow(
        `${name}: hwlatdetect output (hardware/firmware latency, no per-CPU timer latencies)`,
      );
    },
  );

  it("refuses two runs concatenated in one file, whatever the format", () => {
    const q = fixture("cyclictest-0.83-quiet-2threads.txt");
    expect(() => detectAndParse("q2", q + q)).toThrow(
      "q2: 2 runs in one file (outputs concatenated); expected one run per file",
    );
    const o = fixture("oslat-2.6-W500.txt") + fixture("oslat-2.10-W500.txt");
    expect(() => detectAndParse("o2", o)).toThrow(/^o2: 2 runs in one file/);
    const j = fixture("cyclictest-2.2-nohist.json") + fixture("cyclictest-2.4-nohist.json");
    expect(() => detectAndParse("j2", j)).toThrow(/^j2: 2 JSON documents one after the other/);
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
