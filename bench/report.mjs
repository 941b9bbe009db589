#!/usr/bin/env node
// Benchmark: render an HTML report of 4 timer runs × 4 CPUs with 1000-bucket histograms (a long cyclictest
// -h 1000 run), the heaviest report kvm4nfv makes routinely. Prints figures; target < 1 s per report.
//   npm run -s build && node bench/report.mjs [--out FILE.html]
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

// Wall time suffers when the 2 vCPUs are shared; CPU time (user+sys of this process) is printed beside it.
const cpuMs = (u) => (u.user + u.system) / 1000;
const c0 = process.cpuUsage();
const t0 = performance.now();
const { renderReport } = await import("../dist/report/html.js");
const { computePercentiles } = await import("../dist/measure/stats.js");
const tImport = performance.now() - t0;
const cImport = cpuMs(process.cpuUsage(c0));

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Every one of the 1000 buckets non-empty: a log-normal-ish body and a long noisy tail (worst case for the plot).
function cpuResult(cpu, seed) {
  const rnd = prng(seed);
  const buckets = [];
  let samples = 0;
  let sum = 0;
  for (let us = 0; us < 1000; us++) {
    const body = 3_600_000 * Math.exp(-((Math.log(us + 1) - Math.log(6 + (seed % 3))) ** 2) / 0.08);
    const n = Math.max(1, Math.round(body + 40 * rnd() * Math.exp(-us / 150)));
    buckets.push([us, n]);
    samples += n;
    sum += us * n;
  }
  const histogram = { buckets, overflows: 0, maxUs: 1000 };
  return {
    cpu,
    thread: cpu,
    minUs: 0,
    avgUs: Math.round((sum / samples) * 100) / 100,
    maxUs: 999,
    samples,
    overflows: 0,
    histogram,
    percentiles: computePercentiles(histogram),
  };
}

const runs = [0, 1, 2, 3].map((r) => ({
  id: r + 1,
  type: "timer",
  label: ["idle_idle", "cpustress_idle", "memorystress_idle", "iostress_idle"][r],
  startedAt: `2026-11-2${r}T22:00:00.000Z`,
  endedAt: `2026-11-2${r}T23:00:00.000Z`,
  params: { cpus: "2-5", durationMs: 3_600_000, intervalUs: 1000, priority: 99, histogramUs: 1000 },
  environment: {
    hostname: "pod1-node2",
    kernelRelease: "6.1.0-27-rt-amd64",
    kernelCmdline: "isolcpus=managed_irq,domain,2-5 nohz_full=2-5 rcu_nocbs=2-5",
    cpuModel: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
    realtimeKernel: true,
    toolVersions: { cyclictest: "2.5" },
    where: "host",
  },
  cpus: [2, 3, 4, 5].map((c) => cpuResult(c, r * 10 + c)),
  metrics: {},
  raw: {},
  verdict: {
    status: "pass",
    limits: [
      { metric: "max", limitUs: 1000 },
      { metric: "p99.99", limitUs: 100 },
    ],
    breaches: [],
    summary: "SLA met",
  },
}));

const times = [];
const cpus = [];
let html = "";
for (let i = 0; i < 5; i++) {
  const c = process.cpuUsage();
  const t = performance.now();
  html = renderReport(runs, { generatedAt: "2026-11-22T05:00:00.000Z" });
  times.push(performance.now() - t);
  cpus.push(cpuMs(process.cpuUsage(c)));
}
const median = (xs) => [...xs.slice(1)].sort((a, b) => a - b)[2];
const out = process.argv.indexOf("--out");
if (out > 0 && process.argv[out + 1]) writeFileSync(process.argv[out + 1], html);
const fmt = (wall, cpu) => `${wall.toFixed(0).padStart(5)} ms wall, ${cpu.toFixed(0).padStart(5)} ms CPU`;
const load = (await import("node:os")).loadavg()[0].toFixed(1);
console.log(
  `report of 4 runs × 4 CPUs × 1000 buckets (${(html.length / 1024).toFixed(0)} KiB of HTML), load ${load}`,
);
console.log(`  import (Plot + linkedom + report code): ${fmt(tImport, cImport)}`);
console.log(`  first render (cold):                    ${fmt(times[0], cpus[0])}`);
console.log(`  warm renders (median of 4):             ${fmt(median(times), median(cpus))}`);
console.log(
  `  cold total (import + first render):     ${fmt(tImport + times[0], cImport + cpus[0])}   target < 1000 ms`,
);
