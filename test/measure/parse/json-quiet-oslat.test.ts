import { describe, expect, it } from "vitest";
import {
  histogramWidthFromCmdline,
  parseCyclictestJson,
} from "../../../src/measure/parse/cyclictest-json.js";
import { parseOslat } from "../../../src/measure/parse/oslat.js";
import { parseQuietLines } from "../../../src/measure/parse/quiet.js";
import { fixture } from "../fixtures.js";

describe("cyclictest --json (real 2.40 output)", () => {
  it("reads the colon-suffixed keys, the CPU and cyclictest's fractional avg; overflows = cycles − histogram", () => {
    const r = parseCyclictestJson("x.json", fixture("cyclictest-2.40-1thread.json"));
    expect(r.toolVersion).toBe("2.40");
    expect(r.cmdline).toBe("cyclictest -m -p 99 -i 1000 -D 3 -t 1 -a 1 -h 200 --json=/tmp/x.json -q");
    expect(r.cpus[0]).toMatchObject({
      cpu: 1,
      thread: 0,
      minUs: 6,
      avgUs: 27.54,
      maxUs: 1458,
      samples: 2999,
    });
    expect(r.cpus[0]!.overflows).toBe(11);
    expect(r.cpus[0]!.histogram!.maxUs).toBe(200);
    expect(r.cpus[0]!.percentiles.p90).toEqual({ valueUs: 37, inOverflow: false });
    expect(r.cpus[0]!.percentiles["p99.99"]).toEqual({ valueUs: 200, inOverflow: true });
  });

  it("agrees with the histogram text of the same run on everything but avg precision", () => {
    const r = parseCyclictestJson("x2.json", fixture("cyclictest-2.40-2threads.json"));
    expect(r.cpus.map((c) => [c.cpu, c.minUs, c.avgUs, c.maxUs, c.overflows, c.samples])).toEqual([
      [0, 11, 27.08, 321, 4, 2000],
      [1, 4, 29.17, 1173, 16, 1999],
    ]);
  });

  it("reads oslat --json (same envelope) as tool oslat", () => {
    const r = parseCyclictestJson("o.json", fixture("oslat-2.40-1core.json"));
    expect(r.tool).toBe("oslat");
    expect(r.cpus[0]).toMatchObject({ cpu: 1, minUs: 1, avgUs: 1.000697, maxUs: 1160 });
  });

  it("finds the histogram width in any spelling of -h", () => {
    expect(histogramWidthFromCmdline("cyclictest -h 200 -q")).toBe(200);
    expect(histogramWidthFromCmdline("cyclictest -h200")).toBe(200);
    expect(histogramWidthFromCmdline("cyclictest --histogram=400 -q")).toBe(400);
    expect(histogramWidthFromCmdline("cyclictest -H 30")).toBe(30);
    expect(histogramWidthFromCmdline("cyclictest -q")).toBeNull();
  });

  it("refuses truncated and foreign JSON naming the file", () => {
    expect(() => parseCyclictestJson("cut.json", fixture("cyclictest-truncated.json"))).toThrow(
      "cut.json: truncated or invalid JSON; expected cyclictest --json output",
    );
    expect(() => parseCyclictestJson("package.json", fixture("foreign.json"))).toThrow(
      /^package\.json: not rt-tests JSON/,
    );
  });
});

describe("cyclictest -q lines", () => {
  it("reads the real 2-thread summary", () => {
    const r = parseQuietLines("q.txt", fixture("cyclictest-2.40-quiet-2threads.txt"), { cpus: [0, 1] });
    expect(r.cpus.map((c) => [c.cpu, c.samples, c.minUs, c.avgUs, c.maxUs])).toEqual([
      [0, 2000, 10, 25, 343],
      [1, 1334, 8, 28, 118],
    ]);
    expect(r.cpus[0]!.histogram).toBeNull();
  });

  it("takes the last refresh of live output (with terminal escapes)", () => {
    const text = fixture("cyclictest-2.40-live.txt");
    const r = parseQuietLines("live.txt", text);
    const last = [...text.matchAll(/C:\s*(\d+) Min:\s*(\d+) Act:\s*\d+ Avg:\s*(\d+) Max:\s*(\d+)/g)].at(-1)!;
    expect(r.cpus).toHaveLength(1);
    expect([r.cpus[0]!.samples, r.cpus[0]!.minUs, r.cpus[0]!.avgUs, r.cpus[0]!.maxUs]).toEqual(
      last.slice(1, 5).map(Number),
    );
  });

  it("reads the brief's example line", () => {
    const r = parseQuietLines(
      "x",
      "T: 0 ( 1234) P:99 I:1000 C:   3000 Min:      3 Act:    5 Avg:    4 Max:      12",
    );
    expect(r.cpus[0]).toMatchObject({ thread: 0, samples: 3000, minUs: 3, avgUs: 4, maxUs: 12 });
  });

  it("refuses text without a T: line", () => {
    expect(() => parseQuietLines("f.txt", fixture("foreign.txt"))).toThrow(/^f\.txt: no 'T:' status line/);
  });
});

describe("oslat (real 2.40 output)", () => {
  it("reads one core: last bucket (including overflows) becomes the overflows", () => {
    const r = parseOslat("o.txt", fixture("oslat-2.40-1core.txt"));
    expect(r.toolVersion).toBe("2.40");
    expect(r.cpus[0]).toMatchObject({ cpu: 1, minUs: 1, avgUs: 1.001, maxUs: 1750, overflows: 531 });
    expect(r.cpus[0]!.histogram!.maxUs).toBe(32);
    expect(r.cpus[0]!.histogram!.buckets[0]).toEqual([1, 98332431]);
    expect(r.cpus[0]!.percentiles.p99).toEqual({ valueUs: 1, inOverflow: false });
    expect(r.extra.durationSec).toBe(3);
  });

  it("reads two cores column by column", () => {
    const r = parseOslat("o2.txt", fixture("oslat-2.40-2cores.txt"));
    expect(r.cpus.map((c) => [c.cpu, c.minUs, c.avgUs, c.maxUs, c.overflows])).toEqual([
      [0, 1, 1.047, 49806, 245],
      [1, 1, 1.04, 172242, 252],
    ]);
  });

  it("refuses a truncated report", () => {
    expect(() => parseOslat("cut.txt", fixture("oslat-truncated.txt"))).toThrow(
      /^cut\.txt: truncated: no complete 'Minimum:' line; expected oslat output/,
    );
  });
});
