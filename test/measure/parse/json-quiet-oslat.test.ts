import { describe, expect, it } from "vitest";
import { cmdlineFacts } from "../../../src/measure/parse/cmdline.js";
import {
  histogramWidthFromCmdline,
  parseCyclictestJson,
} from "../../../src/measure/parse/cyclictest-json.js";
import { parseOslat } from "../../../src/measure/parse/oslat.js";
import { parseQuietLines, printedUnit } from "../../../src/measure/parse/quiet.js";
import { fixture } from "../fixtures.js";

const json = (name: string) => JSON.parse(fixture(name));

describe("cyclictest --json, real outputs of 2.0 to 2.10", () => {
  it("reads the colon-suffixed keys, the CPU and cyclictest's fractional avg; overflows = cycles − histogram", () => {
    const r = parseCyclictestJson("x.json", fixture("cyclictest-2.40-1thread.json"));
    expect(r.toolVersion).toBe("2.40");
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
    expect(r.cpus[0]!.percentiles["p99.99"]).toEqual({ valueUs: 200, inOverflow: true });
  });

  it.each(["2.2", "2.10"])("reads %s with two threads on CPUs 0 and 1 and -h 100", (v) => {
    const file = `cyclictest-${v}-2threads.json`;
    const doc = json(file);
    const r = parseCyclictestJson(file, fixture(file));
    expect(r.cpus.map((c) => c.cpu)).toEqual([0, 1]);
    for (const [t, c] of r.cpus.entries()) {
      const th = doc.thread[String(t)];
      const inHist = Object.values(th.histogram as Record<string, number>).reduce((a, n) => a + n, 0);
      expect([c.minUs, c.avgUs, c.maxUs, c.samples]).toEqual([th.min, th.avg, th.max, th.cycles]);
      expect(c.overflows).toBe(th.cycles - inHist);
      expect(c.histogram!.maxUs).toBe(100);
    }
  });

  it("-1 in 'cpu' (2.10, no -a: unpinned) is 'thread N'; 2.4 without -a pins round-robin and says so", () => {
    const unpinned = parseCyclictestJson("u.json", fixture("cyclictest-2.10-unpinned.json"));
    expect(unpinned.cpusKnown).toBe(false);
    expect(unpinned.cpus.map((c) => [c.thread, c.cpu])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(unpinned.notes.join(" ")).toMatch(/not pinned/);
    const auto = parseCyclictestJson("a.json", fixture("cyclictest-2.4-unpinned.json"));
    expect(auto.cpusKnown).toBe(true);
    expect(auto.cpus.map((c) => c.cpu)).toEqual([0, 1]);
  });

  it("takes the tool's own start and end time", () => {
    const r = parseCyclictestJson("x.json", fixture("cyclictest-2.2-2threads.json"));
    expect(r.startedAt).toBe("2026-12-01T21:22:52.000Z"); // "Tue, 01 Dec 2026 21:22:52 +0000"
    expect(r.endedAt).toMatch(/^2026-12-01T21:22:5\d\.000Z$/);
  });

  it.each([
    ["2.0", "cyclictest-2.0-nohist.json"],
    ["2.2", "cyclictest-2.2-nohist.json"],
    ["2.4", "cyclictest-2.4-nohist.json"],
    ["2.10", "cyclictest-2.10-nohist.json"],
  ])("%s without -h: no histogram, so no percentiles — not 'every sample overflowed'", (_v, file) => {
    const th = json(file).thread["0"];
    const r = parseCyclictestJson(file, fixture(file));
    expect(r.cpus[0]).toMatchObject({
      cpu: 1,
      minUs: th.min,
      avgUs: th.avg,
      maxUs: th.max,
      samples: 1000,
      overflows: 0,
      histogram: null,
      percentiles: {},
    });
    expect(r.notes).toContain("no histogram (cyclictest ran without -h): min/avg/max only, no percentiles");
  });

  it("-N (2.0, resolution_in_ns 1): nanoseconds stored as µs; every sample beyond -h 200 ns overflowed", () => {
    const r = parseCyclictestJson("n.json", fixture("cyclictest-2.0-nsecs.json"));
    expect(r.unit).toBe("ns");
    expect(r.cpus[0]).toMatchObject({ minUs: 11.739, maxUs: 537.144, samples: 1000, overflows: 1000 });
    expect(r.cpus[0]!.avgUs).toBeCloseTo(30.98955, 9);
    expect(r.cpus[0]!.histogram!.maxUs).toBe(0.2);
    expect(r.cpus[0]!.percentiles.p50).toEqual({ valueUs: 0.2, inOverflow: true });
  });

  it("-N with -h 100000 (2.4): a real ns histogram in µs buckets", () => {
    const r = parseCyclictestJson("n.json", fixture("cyclictest-2.4-nsecs-h100000.json"));
    const c = r.cpus[0]!;
    expect([c.minUs, c.maxUs, c.histogram!.maxUs]).toEqual([15.407, 4399.409, 100]);
    expect(c.histogram!.buckets[0]).toEqual([15.407, 1]);
    expect(c.overflows).toBe(30);
    expect(c.percentiles.p50!.valueUs).toBeGreaterThan(15.407);
    expect(c.percentiles.p50!.valueUs).toBeLessThan(100);
  });

  it.each([
    ["signaltest-2.0.json", "signaltest --json output (signal round-trip latency)"],
    ["pmqtest-2.2.json", "pmqtest --json output (POSIX message queue latency)"],
    ["ptsematest-2.10.json", "ptsematest --json output (POSIX semaphore latency)"],
    ["cyclicdeadline-2.4.json", "cyclicdeadline --json output (SCHED_DEADLINE wake-up latency)"],
  ])("refuses %s: same JSON writer, not a cyclictest timer run", (file, what) => {
    expect(() => parseCyclictestJson(file, fixture(file))).toThrow(
      `${file}: ${what}, not a cyclictest timer run; expected cyclictest or oslat output`,
    );
  });

  it("judges a renamed binary by the file's shape: cyclictest's threads have cycles, pmqtest's do not", () => {
    const renamed = fixture("cyclictest-2.2-nohist.json").replace(
      /"cmdline:": "\S*cyclictest/,
      '"cmdline:": "/opt/ct-2.2',
    );
    expect(parseCyclictestJson("r.json", renamed).cpus[0]!.samples).toBe(1000);
    const anon = fixture("pmqtest-2.2.json").replace(/"cmdline:": "\S*pmqtest/, '"cmdline:": "/opt/mq');
    expect(() => parseCyclictestJson("m.json", anon)).toThrow(/^m\.json: rt-tests JSON of mq without cycles/);
  });

  it("refuses two JSON runs concatenated in one file", () => {
    const two = fixture("cyclictest-2.2-nohist.json") + fixture("cyclictest-2.10-nohist.json");
    expect(() => parseCyclictestJson("two.json", two)).toThrow(
      "two.json: 2 JSON documents one after the other (runs concatenated); expected one run per file",
    );
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

describe("command lines", () => {
  it("finds the histogram width in any spelling of -h", () => {
    expect(histogramWidthFromCmdline("cyclictest -h 200 -q")).toBe(200);
    expect(histogramWidthFromCmdline("cyclictest -h200")).toBe(200);
    expect(histogramWidthFromCmdline("cyclictest --histogram=400 -q")).toBe(400);
    expect(histogramWidthFromCmdline("cyclictest -H 30")).toBe(30);
    expect(histogramWidthFromCmdline("cyclictest -q")).toBeNull();
  });

  it("reads -N, -a, -t and oslat's -b/-W/-B from a real recorded command line", () => {
    const f = cmdlineFacts(json("cyclictest-2.10-nsecs-h100000.json")["cmdline:"]);
    expect(f).toMatchObject({
      program: "cyclictest",
      nsecs: true,
      histogram: 100000,
      affinity: [1],
      threads: 1,
    });
    const o = cmdlineFacts(json("oslat-2.10-W500.json")["cmdline:"]);
    expect(o).toMatchObject({
      program: "oslat",
      oslatBuckets: 16,
      oslatBucketWidthNs: 500,
      oslatBias: false,
    });
    expect(cmdlineFacts("cyclictest -a 0-1 -t 4").affinity).toEqual([0, 1]);
    expect(cmdlineFacts("cyclictest -t 2 -q").affinity).toBeNull();
  });
});

describe("oslat --json", () => {
  it("2.2: the last bucket (32, 'including overflows') is the overflows, not a finite 32 µs", () => {
    const r = parseCyclictestJson("o.json", fixture("oslat-2.2-1core.json"));
    expect(r.tool).toBe("oslat");
    const c = r.cpus[0]!;
    expect(c.overflows).toBe(661);
    expect(c.histogram!.buckets.some(([us]) => us === 32)).toBe(false);
    expect(c.histogram!.maxUs).toBe(31); // bucket 32 holds [31 µs, ∞)
    expect(c.samples).toBe(
      Object.values(json("oslat-2.2-1core.json").thread["0"].histogram as Record<string, number>).reduce(
        (a, n) => a + n,
        0,
      ),
    );
    // 661 of 56.8 M samples are overflows: p99.999 lies among them
    expect(c.percentiles["p99.999"]).toEqual({ valueUs: 31, inOverflow: true });
  });

  it.each(["2.6", "2.10"])("%s with -W 500 -b 16: sub-µs buckets kept, ns min/avg/max stored as µs", (v) => {
    const file = `oslat-${v}-W500.json`;
    const th = json(file).thread["0"];
    const r = parseCyclictestJson(file, fixture(file));
    const c = r.cpus[0]!;
    expect(r.unit).toBe("ns");
    expect([c.minUs, c.maxUs]).toEqual([th.min / 1000, th.max / 1000]);
    expect(c.histogram!.buckets[0]).toEqual([0.5, th.histogram["0.500"]]);
    expect(c.overflows).toBe(th.histogram["8.000"]);
    expect(c.histogram!.maxUs).toBe(7.5);
    expect(c.samples).toBeGreaterThan(20_000_000); // not "stored as 0"
    expect(c.percentiles.p50).toEqual({ valueUs: 0.5, inOverflow: false });
  });
});

describe("cyclictest -q and live lines", () => {
  it("reads the real 0.83 and 2.40 summaries; CPUs only when -a is known", () => {
    const old = parseQuietLines("q.txt", fixture("cyclictest-0.83-quiet-2threads.txt"));
    expect(old.cpus.map((c) => [c.thread, c.samples, c.minUs, c.avgUs, c.maxUs])).toEqual([
      [0, 1000, 15, 39, 400],
      [1, 662, 22, 52, 4320],
    ]);
    expect(old.cpusKnown).toBe(false);
    const pinned = parseQuietLines("q.txt", fixture("cyclictest-2.40-quiet-2threads.txt"), { cpus: [0, 1] });
    expect(pinned.cpusKnown).toBe(true);
    expect(pinned.cpus.map((c) => [c.cpu, c.samples, c.maxUs])).toEqual([
      [0, 2000, 343],
      [1, 1334, 118],
    ]);
    expect(pinned.cpus[0]!.histogram).toBeNull();
  });

  it("tells -N from cyclictest's own field widths (Act/Avg %8ld in ns, %5ld in µs)", () => {
    const ns = parseQuietLines("n.txt", fixture("cyclictest-2.4-nsecs-quiet.txt"));
    expect(ns.unit).toBe("ns");
    expect(ns.cpus[0]).toMatchObject({ samples: 1000, minUs: 12.185, avgUs: 21.979, maxUs: 196.738 });
    const live = parseQuietLines("l.txt", fixture("cyclictest-2.4-nsecs-live.txt"));
    expect(live.unit).toBe("ns");
    expect(live.cpus[0]!.maxUs).toBe(80.962);
    expect(printedUnit(fixture("cyclictest-0.83-quiet-2threads.txt"))).toBe("us");
  });

  it("takes the last refresh of live output (with terminal escapes)", () => {
    const text = fixture("cyclictest-2.40-live.txt");
    const r = parseQuietLines("live.txt", text);
    const last = [...text.matchAll(/C:\s*(\d+) Min:\s*(\d+) Act:\s*\d+ Avg:\s*(\d+) Max:\s*(\d+)/g)].at(-1)!;
    expect([r.cpus[0]!.samples, r.cpus[0]!.minUs, r.cpus[0]!.avgUs, r.cpus[0]!.maxUs]).toEqual(
      last.slice(1, 5).map(Number),
    );
  });

  it("keeps a negative Min and never drops an unreadable thread line", () => {
    const text = fixture("cyclictest-0.83-quiet-2threads.txt");
    const neg = parseQuietLines("n.txt", text.replace("Min:     22", "Min:     -4"));
    expect(neg.cpus.map((c) => c.minUs)).toEqual([15, -4]);
    expect(() => parseQuietLines("b.txt", text.replace("Min:     22", "Min:     ??"))).toThrow(
      /^b\.txt: unreadable status line "T: 1 \( 9897\) P:98/,
    );
  });

  it("refuses signaltest's and cyclicdeadline's lines (no I: / no P:)", () => {
    expect(() => parseQuietLines("s.txt", fixture("signaltest-2.10-quiet.txt"))).toThrow(
      /^s\.txt: signaltest output \(signal round-trip latency\), not a cyclictest timer run/,
    );
    expect(() => parseQuietLines("d.txt", fixture("cyclicdeadline-2.10-quiet.txt"))).toThrow(
      /^d\.txt: cyclicdeadline output \(SCHED_DEADLINE wake-up latency\)/,
    );
  });

  it("refuses text without a T: line", () => {
    expect(() => parseQuietLines("f.txt", fixture("foreign.txt"))).toThrow(/^f\.txt: no 'T:' status line/);
  });
});

describe("oslat text", () => {
  it("2.40: the last bucket (including overflows) is the overflows; width its lower edge", () => {
    const r = parseOslat("o.txt", fixture("oslat-2.40-1core.txt"));
    expect(r.toolVersion).toBe("2.40");
    expect(r.cpus[0]).toMatchObject({ cpu: 1, minUs: 1, avgUs: 1.001, maxUs: 1750, overflows: 531 });
    expect(r.cpus[0]!.histogram!.maxUs).toBe(31);
    expect(r.cpus[0]!.histogram!.buckets[0]).toEqual([1, 98332431]);
    expect(r.extra.durationSec).toBe(3);
  });

  it("1.10 (no version banner, 'CPU Freq'): -b 8 on two cores, bucket 008 is the overflows", () => {
    const r = parseOslat("o.txt", fixture("oslat-1.10-b8-2cores.txt"));
    expect(r.toolVersion).toBeNull();
    expect(r.cpus.map((c) => [c.cpu, c.minUs, c.avgUs, c.maxUs, c.overflows, c.histogram!.maxUs])).toEqual([
      [0, 1, 1.08, 84098, 264, 7],
      [1, 1, 1.044, 95971, 713, 7],
    ]);
    expect(r.cpus[0]!.samples).toBe(19056882 + 155 + 123 + 20 + 3 + 16 + 11 + 264);
  });

  it("2.10 -b 8 on two cores: column by column, bucket 008 is the overflows", () => {
    const r = parseOslat("o2.txt", fixture("oslat-2.10-b8-2cores.txt"));
    expect(r.cpus.map((c) => [c.cpu, c.overflows, c.histogram!.maxUs])).toEqual([
      [0, 81, 7],
      [1, 307, 7],
    ]);
  });

  it.each(["2.6", "2.10"])("%s -W 500: '0.500 (us)' buckets are kept; the Average line is ns", (v) => {
    const text = fixture(`oslat-${v}-W500.txt`);
    const first = Number(/^\s*0\.500 \(us\):\s*(\d+)/m.exec(text)![1]);
    const avg = Number(/Average:\s*([\d.]+)/.exec(text)![1]);
    const r = parseOslat("w.txt", text);
    const c = r.cpus[0]!;
    expect(c.histogram!.buckets[0]).toEqual([0.5, first]);
    expect(c.samples).toBeGreaterThan(first);
    expect(c.histogram!.maxUs).toBe(7.5);
    expect(c.minUs).toBeLessThan(0.5);
    // printed "57.854 (us)" with 99.9 % of samples below 0.5 µs: it is 57.854 ns
    expect(c.avgUs).toBeCloseTo(avg / 1000, 9);
    expect(c.avgUs).toBeGreaterThanOrEqual(c.minUs);
  });

  it("refuses a report with no core (1.10 given an unusable -c) and a truncated one", () => {
    expect(() => parseOslat("n.txt", fixture("oslat-1.10-nocores.txt"))).toThrow(
      /^n\.txt: a report with no core \(oslat measured nothing\)/,
    );
    expect(() => parseOslat("cut.txt", fixture("oslat-truncated.txt"))).toThrow(
      /^cut\.txt: truncated: no complete 'Minimum:' line; expected oslat output/,
    );
  });
});
