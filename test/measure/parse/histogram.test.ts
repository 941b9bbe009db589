import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/errors.js";
import { parseHistogramText } from "../../../src/measure/parse/histogram.js";
import { fixture } from "../fixtures.js";

describe("cyclictest histogram text, rt-tests < 2.7 (real 2.40 output)", () => {
  it("reads one thread: every bucket, Total checksum, overflows, cyclictest's own min/avg/max", () => {
    const r = parseHistogramText("h.txt", fixture("cyclictest-2.40-1thread-hist.txt"), { cpus: [1] });
    expect(r.format).toBe("cyclictest-histogram");
    expect(r.cpus).toHaveLength(1);
    const c = r.cpus[0]!;
    expect(c).toMatchObject({ cpu: 1, thread: 0, minUs: 6, avgUs: 27, maxUs: 1458, overflows: 11 });
    expect(c.samples).toBe(2999);
    expect(c.histogram!.maxUs).toBe(200);
    expect(c.histogram!.buckets[0]).toEqual([6, 2]);
    expect(c.histogram!.buckets.at(-1)).toEqual([195, 2]);
    expect(c.percentiles.p50).toEqual({ valueUs: 23, inOverflow: false });
    expect(c.percentiles.p99).toEqual({ valueUs: 89, inOverflow: false });
    expect(c.percentiles["p99.9"]).toEqual({ valueUs: 200, inOverflow: true });
  });

  it("reads two threads (tab-separated columns) after a WARN preamble", () => {
    const r = parseHistogramText("h2.txt", fixture("cyclictest-2.40-2threads-hist.txt"), { cpus: [0, 1] });
    expect(r.cpus.map((c) => [c.cpu, c.minUs, c.avgUs, c.maxUs, c.overflows, c.samples])).toEqual([
      [0, 11, 27, 321, 4, 2000],
      [1, 4, 29, 1173, 16, 1999],
    ]);
    expect(r.cpus[1]!.percentiles.p90).toEqual({ valueUs: 49, inOverflow: false });
  });

  it("reads -H (histofall) with 4 threads: the extra sum column and extra max/overflow values are ignored", () => {
    const r = parseHistogramText("h4.txt", fixture("cyclictest-crafted-4threads-histofall.txt"));
    expect(r.cpus.map((c) => c.cpu)).toEqual([0, 1, 2, 3]);
    expect(r.cpus.map((c) => c.maxUs)).toEqual([9, 1234, 11, 20000]);
    expect(r.cpus.map((c) => c.overflows)).toEqual([0, 2, 0, 15]);
    expect(r.cpus.map((c) => c.samples)).toEqual([1000, 1002, 1000, 1015]);
    expect(r.cpus[3]!.histogram!.maxUs).toBe(20);
    // thread 3: 1015 samples, 15 overflows → ranks above 1000 fall among the overflows
    expect(r.cpus[3]!.percentiles.p99).toEqual({ valueUs: 20, inOverflow: true });
  });

  it("keeps the break value of -b", () => {
    const r = parseHistogramText("b.txt", fixture("cyclictest-2.40-breaktrace-hist.txt"));
    expect(r.extra.breakValueUs).toBe(19);
    expect(r.cpus[0]!.samples).toBe(1);
  });

  it("reads an empty histogram (no samples) without percentiles", () => {
    const r = parseHistogramText("e.txt", fixture("cyclictest-crafted-empty-hist.txt"));
    expect(r.cpus[0]).toMatchObject({ samples: 0, overflows: 0, percentiles: {} });
    expect(r.cpus[0]!.histogram).toEqual({ buckets: [], overflows: 0, maxUs: 5 });
  });
});

describe("cyclictest histogram text, rt-tests >= 2.7 (empty buckets omitted, no Total)", () => {
  it("gives the same buckets and figures as the old form of the same run", () => {
    const old = parseHistogramText("a", fixture("cyclictest-2.40-2threads-hist.txt"), { cpus: [0, 1] });
    const neu = parseHistogramText("b", fixture("cyclictest-2.7-2threads-hist.txt"), {
      cpus: [0, 1],
      histogramUs: 100,
    });
    expect(neu.format).toBe("cyclictest-histogram-2.7");
    expect(neu.cpus).toEqual(old.cpus);
  });

  it("without the -h value takes the last printed bucket + 1 as the width", () => {
    const r = parseHistogramText("b", fixture("cyclictest-2.7-2threads-hist.txt"));
    const lastRow = Math.max(...r.cpus.map((c) => c.histogram!.buckets.at(-1)![0]));
    expect(r.cpus[0]!.histogram!.maxUs).toBe(lastRow + 1);
  });
});

describe("bad histogram text", () => {
  it("refuses a truncated file naming the file and the missing line", () => {
    const run = () => parseHistogramText("cut.txt", fixture("cyclictest-truncated-hist.txt"));
    expect(run).toThrow(InputError);
    expect(run).toThrow(/^cut\.txt: truncated: no '# Min Latencies:' line; expected cyclictest -h histogram/);
  });

  it("refuses rows that do not add up to # Total", () => {
    const text = fixture("cyclictest-2.40-1thread-hist.txt").replace("000006 000002", "000006 000003");
    expect(() => parseHistogramText("x", text)).toThrow(
      /thread 0 histogram rows add up to 2989, not '# Total:' 2988/,
    );
  });

  it("refuses a foreign file", () => {
    expect(() => parseHistogramText("cpuinfo", fixture("foreign.txt"))).toThrow(
      /cpuinfo: no '# Histogram' line/,
    );
  });

  it("uses the BAD_TOOL_OUTPUT code (exit 2)", () => {
    try {
      parseHistogramText("f", "nothing");
    } catch (err) {
      expect((err as InputError).code).toBe("BAD_TOOL_OUTPUT");
      expect((err as InputError).exitCode).toBe(2);
    }
    expect.assertions(2);
  });
});
