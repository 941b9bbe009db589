#!/usr/bin/env node
// Packet-forwarding figures on this machine, per topology and switch: phy2phy (testpmd io, OVS-DPDK, the
// Linux-bridge baseline), pvp (one RT guest) and pvvp (two chained) over testpmd, software ports (net_tap / veth
// into two network namespaces, vhost-user to the guests), sockperf as the generator, the PMD on the last CPU and
// everything else (generator, main lcores, the guests' vCPUs) on CPU 0. RFC 2544 zero-loss throughput (the
// search of src/measure/forwarding/rfc2544.ts, 6 trials after the one at the generator's maximum) and latency at
// 50 % of it, per frame size. pvp/pvvp under TCG need QEMU 10: KVM4NFV_QEMU=$(bash scripts/qemu-backports.sh).
// Run as root after `npm run build`:
//   node bench/forwarding.mjs [duration-s=3] [frames=64,512,1518] [configs=phy2phy:testpmd,pvp:testpmd,pvvp:testpmd]
// (configs also phy2phy:ovs-dpdk, phy2phy:none). Nothing is stored: this prints figures. Everything is torn down
// after each configuration.
import { optionsFromFlags } from "../dist/measure/forwarding/options.js";
import { latencyCpuResult } from "../dist/measure/forwarding/record.js";
import { runForwarding } from "../dist/measure/forwarding/session.js";

const [durationS = "3", frames = "64,512,1518", configs = "phy2phy:testpmd,pvp:testpmd,pvvp:testpmd"] =
  process.argv.slice(2);
const rows = [];
for (const config of configs.split(",")) {
  const [topology, sw = "testpmd"] = config.split(":");
  const o = optionsFromFlags({ topology, switch: sw, frameSizes: frames, duration: `${durationS}s` });
  const started = performance.now();
  const out = await runForwarding({ ...o, onProgress: (l) => process.stderr.write(`${config}: ${l}\n`) });
  const wall = (performance.now() - started) / 1000;
  for (const r of out.results) {
    const c = r.latency ? latencyCpuResult(r.latency, o.mainCpu) : null;
    const pct = (k) =>
      c?.percentiles[k] ? `${c.percentiles[k].inOverflow ? ">" : ""}${c.percentiles[k].valueUs}` : "–";
    rows.push([
      config,
      r.frameSize,
      `${Math.round(r.search.throughputPps)}${r.search.limitedBy === "generator" ? "*" : ""}`,
      ((r.search.throughputPps * r.frameSize * 8) / 1e6).toFixed(2),
      Math.round(r.search.trials[0]?.offeredPps ?? 0),
      `${(r.search.trials[0]?.lossPct ?? 0).toFixed(1)}%`,
      r.search.trials.length,
      r.latency ? Math.round(r.latency.ratePps) : "–",
      c ? c.minUs.toFixed(1) : "–",
      c ? c.avgUs.toFixed(1) : "–",
      pct("p50"),
      pct("p99"),
      c ? c.maxUs.toFixed(1) : "–",
      c ? c.samples : 0,
      out.generator.pingPong
        ? `${out.generator.pingPong.percentiles["50.000"]}/${out.generator.pingPong.avgUs}`
        : "–",
    ]);
  }
  process.stderr.write(
    `${config}: ${wall.toFixed(1)} s wall; ${out.switch.description}; ${out.switch.ports}${out.vnf ? `; ${out.vnf.vnf}; QEMU ${out.vnf.qemuVersion}` : ""}\n`,
  );
}
const head = [
  "config",
  "frame",
  "tput fps",
  "Mbit/s",
  "gen max fps",
  "loss@max",
  "trials",
  "lat @fps",
  "min µs",
  "avg µs",
  "p50",
  "p99",
  "max µs",
  "samples",
  "unloaded p50/avg µs",
];
const all = [head, ...rows].map((r) => r.map(String));
const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
for (const r of all)
  console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
console.log("* no loss at the generator's own maximum: the generator's limit, not the switch's");
