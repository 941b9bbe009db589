#!/usr/bin/env node
// Tuning measured against tuned, the host half (issue 19 item 4): on THIS host, for the settings that can be
// changed live, in one interleaved run: cyclictest (p99.9, max) and oslat (max) on the last CPU with
//   none    — nothing applied,
//   kvm4nfv — `plan --role host --cpus LAST` on this host's facts, only its live kernel writes and kernel-thread
//             priorities (src/measure/tuning-compare/host-live.ts), applied by the journaled apply, undone by revert,
//   tuned   — Debian's tuned realtime-virtual-host resolved by tuned's own loader (bench/tuning-vs-tuned-resolve.py),
//             its live settings written by a script that saves every value first and writes it back after the run.
// Every touched file (globs expanded) and every thread's policy/priority is read before the first run and after
// the last: the difference is printed and must be empty. Refuses to start while a cyclictest or oslat of someone
// else runs. Run as root after `npm run build`:
//   node bench/tuning-vs-tuned.mjs --where host [rounds=3] [seconds=8] [settle=2]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { realExec } from "../dist/exec.js";
import { openHostFs } from "../dist/host/fs.js";
import { formatCpuList } from "../dist/host/parse/cpulist.js";
import { readHost } from "../dist/host/read.js";
import { runOslatTest } from "../dist/measure/oslat/oslat.js";
import { runTimerTest } from "../dist/measure/timer.js";
import {
  formatSummary,
  formatVerdict,
  interleave,
  runFigures,
  summarize,
  verdict,
} from "../dist/measure/tuning-compare/compare.js";
import {
  diffSnapshots,
  hasWriteBit,
  liveIo,
  liveOnlyPlan,
  snapshot,
  touchedPaths,
  tunedIrqWrites,
} from "../dist/measure/tuning-compare/host-live.js";
import { applyScript, restoreScript, tunedLiveSettings } from "../dist/measure/tuning-compare/tuned-live.js";
import { runApply } from "../dist/tuning/apply/apply.js";
import { runRevert } from "../dist/tuning/apply/revert.js";
import { emitJson } from "../dist/tuning/emit/json.js";
import { derivePlan } from "../dist/tuning/plan.js";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2).filter((a) => !a.startsWith("--") && a !== "host");
const rounds = Number(args[0] ?? 3);
const seconds = Number(args[1] ?? 8);
const SETTLE_S = Number(args[2] ?? 2);
const CONFIGS = ["none", "kvm4nfv", "tuned"];

// one name per call: pgrep matches at most 15 characters of a process name, "cyclictest|oslat" never
const others = ["cyclictest", "oslat"]
  .map((name) => {
    try {
      return execFileSync("pgrep", ["-a", "-x", name], { encoding: "utf8" }).trim();
    } catch {
      return ""; // pgrep: nothing found
    }
  })
  .filter(Boolean)
  .join("\n");
if (others) {
  console.error(`another latency test runs on this host; not measuring over it:\n${others}`);
  process.exit(3);
}
if (process.getuid?.() !== 0) {
  console.error("the host half changes kernel settings live: run it as root");
  process.exit(3);
}

const fs = openHostFs();
const host = readHost(fs);
const online = host.topology.online;
const cpus = [Math.max(...online)];
const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-bench-tuned-host-"));
const journal = join(dir, "journal.json");
const SAVE = join(dir, "tuned-save");
const live = liveOnlyPlan(derivePlan(host, { role: "host", cpus }), (p) => hasWriteBit(fs, p));
const planFile = join(dir, "plan.json");
writeFileSync(planFile, emitJson(live.plan));
const resolved = JSON.parse(
  execFileSync(
    "/usr/bin/python3",
    [
      join(here, "tuning-vs-tuned-resolve.py"),
      "realtime-virtual-host",
      formatCpuList(online),
      formatCpuList(cpus),
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  ),
);
if (resolved.error) throw new Error(`tuned's loader refused realtime-virtual-host: ${resolved.error}`);
const tuned = tunedLiveSettings(resolved.units);
tuned.writes.push(...tunedIrqWrites(resolved.units, online));

console.log(`kvm4nfv's live host profile (plan --role host --cpus ${formatCpuList(cpus)}), journaled apply:`);
for (const i of live.plan.runtime)
  console.log(`  ${i.kind === "write" ? `${i.path} = ${i.value}` : `chrt -f ${i.priority} ${i.comm}`}`);
console.log("  left out:");
for (const l of live.left) console.log(`    ${l}`);
console.log(
  `\ntuned realtime-virtual-host (tuned's loader, online ${formatCpuList(online)}, isolated_cores=${formatCpuList(cpus)}), live:`,
);
for (const w of tuned.writes) console.log(`  [${w.unit}] ${w.path} = ${w.value}`);
for (const k of tuned.kthreads)
  console.log(`  [scheduler] ${k.regex} → SCHED_${k.policy === "f" ? "FIFO" : k.policy} ${k.priority}`);
console.log("  not applied:");
for (const s of tuned.skipped) console.log(`    ${s}`);

const paths = touchedPaths(live.plan, tuned);
const before = snapshot(fs, paths);
let applied = null;
const problems = [];
const apply = async (config) => {
  if (config === "kvm4nfv") {
    applied = config;
    const r = await runApply({ plan: planFile, yes: true, journal, io: liveIo(fs) });
    if (r.unverified?.length) problems.push(`kvm4nfv apply left unverified: ${r.unverified.join("; ")}`);
  } else if (config === "tuned") {
    applied = config;
    const r = await realExec.run("sh", ["-c", applyScript(tuned, SAVE)], { allowFailure: true });
    const fails = r.stdout.split("\n").filter((l) => l.startsWith("KVM4NFV-FAIL"));
    if (fails.length)
      problems.push(`tuned apply refused (${fails.length}): ${[...new Set(fails)].slice(0, 6).join("; ")}`);
    if (!r.stdout.includes("KVM4NFV-END")) throw new Error(`tuned apply did not finish: ${r.stderr}`);
  }
};
const restore = async () => {
  if (applied === "kvm4nfv") {
    await runRevert({ journal });
    rmSync(journal, { force: true }); // revert archives it; the next apply starts a fresh one
  } else if (applied === "tuned") {
    const r = await realExec.run("sh", ["-c", restoreScript(SAVE)], { allowFailure: true });
    if (!r.stdout.includes("KVM4NFV-END")) throw new Error(`tuned restore did not finish: ${r.stderr}`);
  }
  applied = null;
};

const samples = [];
try {
  const schedule = interleave(CONFIGS, rounds);
  console.log(
    `\n${schedule.length} runs: ${rounds} round(s) of ${CONFIGS.join(" → ")}, ${SETTLE_S} s settle, cyclictest ${seconds} s then oslat ${seconds} s on CPU ${formatCpuList(cpus)}`,
  );
  for (const { round, config } of schedule) {
    const sample = { config, round, cyclictestP999Us: null, cyclictestMaxUs: null, oslatMaxUs: null };
    try {
      await apply(config);
      await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
      const quiet = { interactive: false, write: () => undefined };
      const rec = await runTimerTest({
        cpus,
        durationMs: seconds * 1000,
        histogramUs: 50_000,
        pinSelf: false,
        progress: quiet,
      });
      const f = runFigures(rec.cpus);
      sample.cyclictestP999Us = f.p999Us;
      sample.cyclictestMaxUs = f.maxUs;
      const o = await runOslatTest({ cpus, durationMs: seconds * 1000, pinSelf: false, progress: quiet });
      sample.oslatMaxUs = runFigures(o.cpus).maxUs;
    } catch (e) {
      sample.error = e instanceof Error ? e.message.split("\n")[0] : String(e);
    } finally {
      await restore();
    }
    samples.push(sample);
    console.log(
      `  round ${round} ${config.padEnd(8)} cyclictest p99.9 ${sample.cyclictestP999Us ?? "—"} µs, max ${sample.cyclictestMaxUs ?? "—"} µs; oslat max ${sample.oslatMaxUs ?? "—"} µs${sample.error ? `  (${sample.error})` : ""}`,
    );
  }
} finally {
  if (applied) await restore().catch((e) => problems.push(`restore after an error failed: ${e.message}`));
  const diff = diffSnapshots(before, snapshot(fs, paths));
  console.log(
    `\nrestore check: ${Object.keys(before.files).length} files and ${Object.keys(before.threads).length} threads read before the first run and after the last: ` +
      (diff.length === 0 ? "identical" : `${diff.length} differ:\n  ${diff.join("\n  ")}`),
  );
  rmSync(dir, { recursive: true, force: true });
}
const rows = summarize(samples, CONFIGS);
console.log(`\n== this host (${host.kernel?.release ?? "?"}, ${online.length} CPUs, live settings only)`);
console.log(`medians over ${rounds} interleaved round(s); (×) = ratio to no tuning\n`);
console.log(formatSummary(rows));
console.log(`\n${formatVerdict(verdict(rows))}`);
for (const p of [...new Set(problems)]) console.log(`note: ${p}`);
