#!/usr/bin/env node
// Histogram parse + percentile benchmark: one hour of cyclictest at 1 kHz on 4 CPUs — 3.6 M samples per CPU
// in a 1000-bucket histogram (-h 1000), as text in both rt-tests forms and as --json — parsed and
// summarised (min/avg/max, overflows, six percentiles). Target: < 50 ms per file.
// Run after `npm run build`: node bench/parse-histogram.mjs [runs]
import { detectAndParse } from "../dist/measure/parse/detect.js";

const runs = Number(process.argv[2] ?? 20);
const THREADS = 4;
const BUCKETS = 1000;
const SAMPLES = 3_600_000;
const TARGET_MS = 50;

// Deterministic, long-tailed latencies: most around 5–15 µs, a tail to the end, a few overflows.
// mulberry32: a small PRNG whose successive values are not correlated (a plain LCG's are, which
// collapsed the tail onto a few buckets).
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const counts = [];
const overflows = [];
for (let t = 0; t < THREADS; t++) {
  const c = new Array(BUCKETS).fill(0);
  const over = 7 + t;
  for (let i = 0; i < SAMPLES - over; i++) {
    const u = rand();
    const us =
      u < 0.999
        ? 5 + Math.floor(rand() * 10)
        : Math.min(BUCKETS - 1, 15 + Math.floor(-Math.log(rand()) * 60));
    c[us]++;
  }
  counts.push(c);
  overflows.push(over);
}

const pad = (n, w) => String(n).padStart(w, "0");
function histogramText(newForm) {
  const lines = ["# /dev/cpu_dma_latency set to 0us", "# Histogram"];
  for (let i = 0; i < BUCKETS; i++) {
    const row = counts.map((c) => c[i]);
    if (newForm && row.every((n) => n === 0)) continue;
    lines.push(`${pad(i, 6)} ${row.map((n) => pad(n, 6)).join("\t")}`);
  }
  const total = counts.map((c) => c.reduce((a, b) => a + b, 0));
  if (!newForm) lines.push(`# Total: ${total.map((n) => pad(n, 9)).join(" ")}`);
  const mins = counts.map((c) => c.findIndex((n) => n > 0));
  lines.push(`# Min Latencies: ${mins.map((n) => pad(n, 5)).join(" ")}`);
  lines.push(`# Avg Latencies: ${counts.map(() => pad(10, 5)).join(" ")}`);
  lines.push(`# Max Latencies: ${counts.map(() => pad(2500, 5)).join(" ")}`);
  lines.push(`# Histogram Overflows: ${overflows.map((n) => pad(n, 5)).join(" ")}`);
  lines.push("# Histogram Overflow at cycle number:");
  for (let t = 0; t < THREADS; t++) lines.push(`# Thread ${t}: ${pad(123, 5)}`);
  return `${lines.join("\n")}\n`;
}
function jsonText() {
  const thread = {};
  for (let t = 0; t < THREADS; t++) {
    const histogram = {};
    counts[t].forEach((n, i) => {
      if (n) histogram[String(i)] = n;
    });
    thread[String(t)] = { histogram, cycles: SAMPLES, min: 5, max: 2500, avg: 10.02, cpu: t, node: 0 };
  }
  return JSON.stringify(
    {
      file_version: 1,
      "cmdline:": "cyclictest -h 1000 -t 4 -a 0-3",
      "rt_test_version:": "2.40",
      num_threads: 4,
      thread,
    },
    null,
    2,
  );
}

const inputs = [
  ["histogram text < 2.7", histogramText(false)],
  ["histogram text 2.7+", histogramText(true)],
  ["cyclictest --json", jsonText()],
];
console.log(
  `${THREADS} CPUs × ${SAMPLES.toLocaleString("en")} samples × ${BUCKETS} buckets; ${runs} runs each`,
);
let failed = false;
for (const [name, text] of inputs) {
  const times = [];
  let result;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    result = detectAndParse(name, text, { histogramUs: BUCKETS });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const worst = times[times.length - 1];
  const c0 = result.cpus[0];
  if (c0.samples !== SAMPLES) throw new Error(`${name}: ${c0.samples} samples, expected ${SAMPLES}`);
  const ok = median < TARGET_MS;
  failed ||= !ok;
  console.log(
    `${name.padEnd(22)} ${(text.length / 1024).toFixed(0).padStart(4)} KiB  median ${median.toFixed(2)} ms  worst ${worst.toFixed(2)} ms  (target < ${TARGET_MS} ms) ${ok ? "OK" : "SLOW"}  CPU0 p99.99=${c0.percentiles["p99.99"].valueUs} µs p99.999=${c0.percentiles["p99.999"].valueUs} µs`,
  );
}
process.exitCode = failed ? 1 : 0;
