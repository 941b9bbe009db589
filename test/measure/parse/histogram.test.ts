import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/errors.js";
import { parseCyclictestJson } from "../../../src/measure/parse/cyclictest-json.js";
import { parseHistogramText } from "../../../src/measure/parse/histogram.js";
import { fixture } from "../fixtures.js";

/** The "# Key: v v v" values of a real file, as numbers: what the parser must reproduce. */
function summaryLine(text: string, key: string): number[] {
  const line = text.split("\n").find((l) => l.startsWith(`# ${key}:`))!;
  return line
    .slice(key.length + 3)
    .trim()
    .split(/\s+/)
    .map(Number);
}

describe("cyclictest histogram text, rt-tests < 2.7 (every bucket, # Total)", () => {
  it("reads one thread (2.40): Total checksum, overflows, cyclictest's own min/avg/max", () => {
    const r = parseHistogramText("h.txt", fixture("cyclictest-2.40-1thread-hist.txt"), { cpus: [1] });
    expect(r.format).toBe("cyclictest-histogram");
    expect(r.cpusKnown).toBe(true);
    const c = r.cpus[0]!;
    expect(c).toMatchObject({ cpu: 1, thread: 0, minUs: 6, avgUs: 27, maxUs: 1458, overflows: 11 });
    expect(c.samples).toBe(2999);
    expect(c.histogram!.maxUs).toBe(200);
    expect(c.histogram!.buckets[0]).toEqual([6, 2]);
    expect(c.percentiles.p50).toEqual({ valueUs: 23, inOverflow: false });
    expect(c.percentiles["p99.9"]).toEqual({ valueUs: 200, inOverflow: true });
  });

  it.each([
    ["0.83", "cyclictest-0.83-2threads-hist.txt"],
    ["1.10", "cyclictest-1.10-2threads-hist.txt"],
    ["2.6", "cyclictest-2.6-2threads-hist.txt"],
  ])("reads rt-tests %s's real 2-thread output exactly as printed", (_v, name) => {
    const text = fixture(name);
    const r = parseHistogramText(name, text);
    expect(r.format).toBe("cyclictest-histogram");
    expect(r.cpus.map((c) => c.minUs)).toEqual(summaryLine(text, "Min Latencies"));
    expect(r.cpus.map((c) => c.maxUs)).toEqual(summaryLine(text, "Max Latencies"));
    expect(r.cpus.map((c) => c.overflows)).toEqual(summaryLine(text, "Histogram Overflows"));
    const total = summaryLine(text, "Total");
    expect(r.cpus.map((c) => c.samples)).toEqual(total.map((n, t) => n + r.cpus[t]!.overflows));
    expect(r.cpus.every((c) => c.samples === 1000)).toBe(true); // the runs were -l 1000
    expect(r.cpus[0]!.histogram!.maxUs).toBe(100); // -h 100: 100 rows printed
  });

  it("names threads, not CPUs, unless -a is known (options, --cmdline or a command line in the file)", () => {
    const text = fixture("cyclictest-2.4-4threads-histofall.txt");
    const bare = parseHistogramText("h4.txt", text);
    expect(bare.cpusKnown).toBe(false);
    expect(bare.cpus.map((c) => c.cpu)).toEqual([0, 1, 2, 3]); // thread numbers, flagged as such
    expect(bare.notes.join(" ")).toMatch(/threads, not CPUs/);
    // the real command: -t 4 -a 0,1 → threads round-robin on CPUs 0,1
    const given = parseHistogramText("h4.txt", text, { cmdline: "cyclictest -m -p 99 -t 4 -a 0,1 -H 30 -q" });
    expect(given.cpusKnown).toBe(true);
    expect(given.cpus.map((c) => c.cpu)).toEqual([0, 1, 0, 1]);
    const inFile = parseHistogramText("h4.txt", `$ cyclictest -m -p 99 -t 4 -a 0,1 -H 30 -q\n${text}`);
    expect(inFile.cpus.map((c) => c.cpu)).toEqual([0, 1, 0, 1]);
  });

  it("reads real -H (histofall) output: the sum column and the extra max/overflow values are not threads", () => {
    const text = fixture("cyclictest-2.4-4threads-histofall.txt");
    const r = parseHistogramText("h4.txt", text);
    expect(r.cpus).toHaveLength(4);
    expect(r.cpus.map((c) => c.maxUs)).toEqual(summaryLine(text, "Max Latencies").slice(0, 4));
    expect(r.cpus.map((c) => c.overflows)).toEqual([14, 73, 13, 50]);
    expect(r.cpus.map((c) => c.samples)).toEqual([500, 500, 500, 500]);
    expect(r.cpus[1]!.histogram!.maxUs).toBe(30);
    expect(r.cpus[1]!.percentiles.p90).toEqual({ valueUs: 30, inOverflow: true }); // 73 of 500 overflowed
  });

  it("keeps the break value of -b", () => {
    const r = parseHistogramText("b.txt", fixture("cyclictest-2.40-breaktrace-hist.txt"));
    expect(r.extra.breakValueUs).toBe(19);
    expect(r.cpus[0]!.samples).toBe(1);
  });

  it("refuses a real run stopped before its first cycle: Min 1000000 is cyclictest's placeholder", () => {
    const text = fixture("cyclictest-2.4-interrupted-empty-hist.txt");
    expect(text).toContain("# Min Latencies: 1000000");
    expect(() => parseHistogramText("e.txt", text)).toThrow(
      /^e\.txt: thread 0 has no samples \(stopped before its first cycle; its Min\/Max are placeholders\)/,
    );
  });

  it("keeps a negative minimum (old releases print them) and every thread", () => {
    // Edited real 0.83 output: no release built here printed a negative latency on this machine.
    const text = fixture("cyclictest-0.83-2threads-hist.txt").replace(
      "# Min Latencies: 00025 00016",
      "# Min Latencies: -0003 00016",
    );
    const r = parseHistogramText("neg.txt", text);
    expect(r.cpus.map((c) => c.minUs)).toEqual([-3, 16]);
  });
});

describe("cyclictest histogram text, rt-tests >= 2.7 (empty buckets omitted, no # Total)", () => {
  const name = "cyclictest-2.10-2threads-hist.txt";

  it("reads real 2.10 output; without the -h value the width is unknown, not 'last bucket + 1'", () => {
    const text = fixture(name);
    const r = parseHistogramText(name, text);
    expect(r.format).toBe("cyclictest-histogram-2.7");
    expect(r.cpus.map((c) => c.overflows)).toEqual(summaryLine(text, "Histogram Overflows"));
    expect(r.cpus.map((c) => c.samples)).toEqual([1000, 1000]);
    expect(r.notes.join(" ")).toMatch(/histogram width unknown/);
    // 5 and 9 of 1000 samples overflowed: p99.9 lies among them and is left out, never "> 87 µs"
    expect(r.cpus[0]!.percentiles["p99.9"]).toBeUndefined();
    expect(r.cpus[0]!.percentiles.p99).toEqual(expect.objectContaining({ inOverflow: false }));
  });

  it("with the run's -h 100 (from the options or its command line) gives the bound", () => {
    const viaOption = parseHistogramText(name, fixture(name), { histogramUs: 100 });
    const viaCmdline = parseHistogramText(name, fixture(name), {
      cmdline: "cyclictest -m -p 99 -i 1000 -l 1000 -t 2 -a 0,1 -h 100 -q",
    });
    expect(viaOption.cpus[0]!.histogram!.maxUs).toBe(100);
    expect(viaOption.cpus[0]!.percentiles["p99.9"]).toEqual({ valueUs: 100, inOverflow: true });
    expect(viaCmdline.cpus.map((c) => [c.cpu, c.percentiles["p99.9"]])).toEqual([
      [0, { valueUs: 100, inOverflow: true }],
      [1, { valueUs: 100, inOverflow: true }],
    ]);
  });

  it("-N: the text has no unit; with -N known, ns buckets are stored as µs and agree with the run's JSON", () => {
    const text = fixture("cyclictest-2.10-nsecs-h100000-hist.txt");
    const json = parseCyclictestJson("j", fixture("cyclictest-2.10-nsecs-h100000.json"));
    const r = parseHistogramText("n.txt", text, { cmdline: json.cmdline! });
    expect(r.unit).toBe("ns");
    const [c, j] = [r.cpus[0]!, json.cpus[0]!];
    expect([c.cpu, c.minUs, c.maxUs, c.samples, c.overflows]).toEqual([1, 16.3, 215.889, 1000, 2]);
    expect([j.minUs, j.maxUs, j.samples, j.overflows]).toEqual([16.3, 215.889, 1000, 2]);
    expect(c.avgUs).toBe(31.235); // the text truncates to whole ns; the JSON keeps 31235.41 ns
    expect(c.histogram!.maxUs).toBe(100);
    expect(c.histogram!.buckets).toEqual(j.histogram!.buckets);
    expect(c.percentiles).toEqual(j.percentiles);
    // without the command line the unit is not known: taken as µs, and the notes say so
    const blind = parseHistogramText("n.txt", text);
    expect(blind.cpus[0]!.minUs).toBe(16300);
    expect(blind.notes.join(" ")).toMatch(/unit taken as µs .*-N would make it ns/);
  });

  it("-N on 1.10 (every bucket form): all 1000 samples beyond -h 200 ns", () => {
    const r = parseHistogramText("n.txt", fixture("cyclictest-1.10-nsecs-hist.txt"), { nsecs: true });
    expect(r.cpus[0]).toMatchObject({ minUs: 10.407, maxUs: 2277.668, samples: 1000, overflows: 1000 });
    expect(r.cpus[0]!.histogram!.maxUs).toBe(0.2);
    expect(r.cpus[0]!.percentiles.p50).toEqual({ valueUs: 0.2, inOverflow: true });
  });
});

describe("histogram text that is not one cyclictest run", () => {
  it("refuses two runs concatenated", () => {
    const two = fixture("cyclictest-2.6-2threads-hist.txt") + fixture("cyclictest-1.10-2threads-hist.txt");
    expect(() => parseHistogramText("two.txt", two)).toThrow(
      "two.txt: 2 histograms in one file (runs concatenated); expected one run per file",
    );
  });

  it("refuses cyclicdeadline --histogram (same table, another measurement)", () => {
    expect(() => parseHistogramText("d.txt", fixture("cyclicdeadline-2.10-hist.txt"))).toThrow(
      /^d\.txt: cyclicdeadline histogram \(SCHED_DEADLINE wake-up latency\), not a cyclictest timer run/,
    );
  });

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

  it("refuses a foreign file with the BAD_TOOL_OUTPUT code (exit 2)", () => {
    expect(() => parseHistogramText("cpuinfo", fixture("foreign.txt"))).toThrow(
      /cpuinfo: no '# Histogram' line/,
    );
    try {
      parseHistogramText("f", "nothing");
    } catch (err) {
      expect((err as InputError).code).toBe("BAD_TOOL_OUTPUT");
      expect((err as InputError).exitCode).toBe(2);
    }
    expect.assertions(3);
  });
});
