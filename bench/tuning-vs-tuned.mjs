#!/usr/bin/env node
// Tuning measured against tuned (issue 19 item 4), inside the RT guest node: in ONE interleaved run on the same
// booted guest, cyclictest (p99.9, max) and oslat (max) on the isolated vCPU with
//   none    — no run-time tuning (the guest's boot command line, the same in every configuration),
//   kvm4nfv — kvm4nfv's run-time profile: `plan --role guest` on the node's facts, applied with remoteApply
//             (journaled on the node) and reverted with remoteRevert after each run,
//   tuned   — Debian's tuned realtime-virtual-guest profile, resolved by tuned's own loader on this host
//             (bench/tuning-vs-tuned-resolve.py: the whole include chain realtime → network-latency →
//             latency-performance, variables expanded for the guest's online/isolated CPUs), and its live
//             settings ([sysctl], [sysfs], [vm] THP, [scheduler] kernel-thread priorities) written on the node by
//             a script that saves every value first and puts it back after each run. tuned's daemon cannot run in
//             the busybox guest (no python3, no D-Bus); what was not applied is printed with why.
// Order round-robin (none kvm4nfv tuned none kvm4nfv tuned …); figures are medians over rounds. Every value any
// configuration touches is read before the first run and after the last; a difference is printed and written
// back. QEMU is stopped in every case.
// Run after `npm run build`: node bench/tuning-vs-tuned.mjs [rounds=3] [seconds=8] [settle-seconds=3]
// The host half, on this host for the settings that can be changed live: --where host (bench/tuning-vs-tuned-host.mjs).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { realExec } from "../dist/exec.js";
import { formatCpuList } from "../dist/host/parse/cpulist.js";
import { readHost } from "../dist/host/read.js";
import { planOslat } from "../dist/measure/oslat/oslat.js";
import { parseOslat } from "../dist/measure/parse/oslat.js";
import {
  formatSummary,
  formatVerdict,
  interleave,
  runFigures,
  summarize,
  verdict,
} from "../dist/measure/tuning-compare/compare.js";
import { applyScript, restoreScript, tunedLiveSettings } from "../dist/measure/tuning-compare/tuned-live.js";
import { remoteApply, remoteRevert } from "../dist/pod/remote-apply.js";
import { RemoteExec } from "../dist/pod/remote-exec.js";
import { fetchNode } from "../dist/pod/remote-fs.js";
import { runRemoteTimer } from "../dist/pod/remote-timer.js";
import { SshSession } from "../dist/pod/ssh.js";
import { emitJson } from "../dist/tuning/emit/json.js";
import { derivePlan } from "../dist/tuning/plan.js";
import { appendCpio, buildCpio } from "../dist/vm/cpio.js";
import { ensureGuestImages } from "../dist/vm/guest-build.js";
import { DEFAULT_GUEST_CMDLINE } from "../dist/vm/spec.js";

if (process.argv.includes("--where") || process.argv.includes("--where=host")) {
  if (!process.argv.includes("host")) throw new Error("--where takes host (the guest half is the default)");
  await import("./tuning-vs-tuned-host.mjs");
  process.exit(process.exitCode ?? 0);
}
const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 8);
const SETTLE_S = Number(process.argv[4] ?? 3);
const CONFIGS = ["none", "kvm4nfv", "tuned"];
const SAVE = "/tmp/kvm4nfv-tuned-save";
const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-bench-tuned-"));

async function bootGuest() {
  const images = await ensureGuestImages();
  const key = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  const job = buildCpio([
    { type: "dir", path: "kvm4nfv" },
    { type: "file", path: "kvm4nfv/job.sh", data: "while :; do sleep 3600; done\n", mode: 0o755 },
    { type: "file", path: "kvm4nfv/authorized_keys", data: readFileSync(`${key}.pub`), mode: 0o600 },
  ]);
  const initrd = join(dir, "initrd.img");
  writeFileSync(initrd, appendCpio(await readFile(images.initrd), job));
  const port = await new Promise((res) => {
    import("node:net").then(({ createServer }) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => res(p));
      });
    });
  });
  const cmdline = `${DEFAULT_GUEST_CMDLINE.replace(" quiet loglevel=3", "")} quiet loglevel=3 kvm4nfv.sshd=1`;
  const qemu = realExec.start(
    process.env.KVM4NFV_QEMU ?? "qemu-system-x86_64",
    // the same machine as test/pod/guest-node.ts: 2 vCPUs, TCG, user networking with hostfwd to dropbear
    [
      ...[
        "-name",
        "kvm4nfv-bench-tuned",
        "-machine",
        "q35,accel=tcg",
        "-cpu",
        "max",
        "-smp",
        "2",
        "-m",
        "768M",
      ],
      ...["-nodefaults", "-display", "none", "-no-reboot", "-kernel", images.kernel, "-initrd", initrd],
      ...["-append", cmdline, "-serial", "stdio"],
      ...["-netdev", `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`, "-device", "virtio-net-pci,netdev=n0"],
    ],
    { stdin: "pipe" },
  );
  let text = "";
  qemu.process.stdout?.on("data", (b) => {
    text += b.toString();
  });
  const guest = { qemu, port, key, images, cmdline, console: () => text };
  const deadline = Date.now() + 300_000;
  while (!/KVM4NFV-SSHD-UP/.test(text)) {
    if (qemu.process.exitCode !== null || Date.now() > deadline) {
      throw Object.assign(new Error(`the guest did not come up: ${text.slice(-1500)}`), { guest });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const hostKey = /KVM4NFV-HOSTKEY (ssh-ed25519 \S+)/.exec(text)?.[1];
  if (!hostKey) throw Object.assign(new Error("the guest printed no host key"), { guest });
  writeFileSync(join(dir, "known_hosts"), `[127.0.0.1]:${port} ${hostKey}\n`);
  return guest;
}

/** every value a configuration may touch: files (globs expanded) and every thread's policy/priority */
function snapshotScript(paths) {
  const globs = paths.map((p) => p.replace(/'/g, "")).join(" ");
  return (
    `for f in ${globs}; do [ -f "$f" ] && echo "$f=$(cat "$f" 2>/dev/null | tr '\\n' ' ')"; done; ` +
    'for d in /proc/[0-9]*; do s=$(sed "s/.*) //" $d/stat 2>/dev/null) || continue; set -- $s; ' +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    'echo "thread $(cat $d/comm 2>/dev/null) ${39} ${38}"; done | sort'
  );
}

let guest;
let session;
let applied = null; // "kvm4nfv" | "tuned" while one is on the node
const problems = [];
const kvmNotes = new Set();
try {
  const t0 = Date.now();
  guest = await bootGuest();
  console.log(
    `guest up in ${((Date.now() - t0) / 1000).toFixed(0)} s (TCG, 2 vCPUs, ${guest.images.kernelRelease})`,
  );
  session = new SshSession(
    {
      name: "rtguest",
      role: "Compute",
      ip: "127.0.0.1",
      user: "root",
      port: guest.port,
      keyFilename: guest.key,
    },
    { knownHosts: join(dir, "known_hosts") },
  );
  await session.connect();
  const host = readHost(await fetchNode(session));
  // the guest boots with isolcpus=1: its last vCPU is the RT one
  const plan = derivePlan(host, { role: "guest", cpus: [Math.max(...host.topology.online)] });
  const planFile = join(dir, "plan.json");
  writeFileSync(planFile, emitJson(plan));
  const online = formatCpuList(host.topology.online);
  const isolated = formatCpuList(plan.isolated);
  const resolved = JSON.parse(
    execFileSync(
      "/usr/bin/python3",
      [join(here, "tuning-vs-tuned-resolve.py"), "realtime-virtual-guest", online, isolated],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      },
    ),
  );
  if (resolved.error) throw new Error(`tuned's loader refused realtime-virtual-guest: ${resolved.error}`);
  const tuned = tunedLiveSettings(resolved.units);
  const cpus = plan.isolated;

  console.log(
    `\nkvm4nfv's run-time profile (plan --role guest, isolated ${isolated}), applied with remoteApply:`,
  );
  for (const i of plan.runtime)
    console.log(`  ${i.kind === "write" ? `${i.path} = ${i.value}` : JSON.stringify(i)}`);
  console.log(
    `\ntuned realtime-virtual-guest (tuned's loader, online ${online}, isolated_cores=${isolated}), applied live:`,
  );
  for (const w of tuned.writes) console.log(`  [${w.unit}] ${w.path} = ${w.value}`);
  for (const k of tuned.kthreads)
    console.log(`  [scheduler] ${k.regex} → SCHED_${k.policy === "f" ? "FIFO" : k.policy} ${k.priority}`);
  console.log("not applied:");
  for (const s of tuned.skipped) console.log(`  ${s}`);

  const paths = [
    ...new Set([
      ...tuned.writes.map((w) => w.path),
      ...plan.runtime.flatMap((i) => ("path" in i ? [i.path] : [])),
    ]),
  ];
  const snap = async () => (await session.run(["sh", "-c", snapshotScript(paths)])).stdout;
  const before = await snap();

  const apply = async (config) => {
    if (config === "kvm4nfv") {
      applied = config;
      const r = await remoteApply(session, { plan: planFile, yes: true });
      if (r.unverified?.length) problems.push(`kvm4nfv apply left unverified: ${r.unverified.join("; ")}`);
      if (kvmNotes.size === 0) for (const n of [...r.notes, ...r.skipped]) kvmNotes.add(n);
    } else if (config === "tuned") {
      applied = config;
      const r = await session.run(["sh", "-c", applyScript(tuned, SAVE)]);
      const fails = r.stdout.split("\n").filter((l) => l.startsWith("KVM4NFV-FAIL"));
      if (fails.length) problems.push(`tuned apply: ${[...new Set(fails)].join("; ")}`);
      if (!r.stdout.includes("KVM4NFV-END")) throw new Error(`tuned apply did not finish: ${r.stderr}`);
    }
  };
  const restore = async () => {
    if (applied === "kvm4nfv") await remoteRevert(session);
    else if (applied === "tuned") {
      const r = await session.run(["sh", "-c", restoreScript(SAVE)]);
      if (!r.stdout.includes("KVM4NFV-END")) throw new Error(`tuned restore did not finish: ${r.stderr}`);
    }
    applied = null;
  };

  const samples = [];
  const schedule = interleave(CONFIGS, rounds);
  console.log(
    `\n${schedule.length} runs: ${rounds} round(s) of ${CONFIGS.join(" → ")}, ${SETTLE_S} s settle after each apply, then cyclictest ${seconds} s (-h 50000) and oslat ${seconds} s on vCPU ${isolated}`,
  );
  for (const { round, config } of schedule) {
    const sample = { config, round, cyclictestP999Us: null, cyclictestMaxUs: null, oslatMaxUs: null };
    try {
      await apply(config);
      // the same settle time after every apply (none included): kvm4nfv's apply is several SSH round trips, tuned's one
      await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
      const rec = await runRemoteTimer(session, {
        cpus,
        durationMs: seconds * 1000,
        // TCG latencies reach tens of ms: a 50 ms histogram keeps p99.9 out of the overflow bucket
        histogramUs: 50_000,
        pinSelf: false,
        progress: { interactive: false, write: () => undefined },
      });
      const f = runFigures(rec.cpus);
      sample.cyclictestP999Us = f.p999Us;
      sample.cyclictestMaxUs = f.maxUs;
      const op = planOslat({ cpus, durationMs: seconds * 1000 }, { cpus, online: host.topology.online });
      const o = await new RemoteExec(session).run("oslat", op.args, {
        allowFailure: true,
        timeoutMs: op.expectedMs + 60_000,
      });
      sample.oslatMaxUs = runFigures(parseOslat("oslat", o.stdout).cpus).maxUs;
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

  const after = await snap();
  if (after !== before) {
    const a = new Set(after.split("\n"));
    const b = new Set(before.split("\n"));
    const changed = [...b].filter((l) => !a.has(l) && !l.startsWith("thread "));
    const threads = [...b].filter((l) => !a.has(l) && l.startsWith("thread "));
    problems.push(
      `after the last restore ${changed.length} file value(s) and ${threads.length} thread line(s) differ from before the first run: ${changed.join("; ")}; threads before→after: ${threads.join("; ")} → ${[...a].filter((l) => !b.has(l) && l.startsWith("thread ")).join("; ")}`,
    );
    // put the files back from the first read (the guest is disposable, but say and undo it)
    const fix = changed
      .map((l) => {
        const [f, ...v] = l.split("=");
        return `printf '%s' '${v.join("=").trim().replace(/'/g, "")}' > '${f}' 2>/dev/null || echo "KVM4NFV-FAIL ${f}"`;
      })
      .join("\n");
    if (fix) console.log((await session.run(["sh", "-c", fix])).stdout);
  }

  const rows = summarize(samples, CONFIGS);
  console.log(`\n== RT guest node (TCG, 2 vCPUs, ${guest.images.kernelRelease}; boot: ${guest.cmdline})`);
  console.log(`medians over ${rounds} interleaved round(s); (×) = ratio to no tuning\n`);
  console.log(formatSummary(rows));
  console.log(`\n${formatVerdict(verdict(rows))}`);
  for (const n of kvmNotes) console.log(`kvm4nfv apply note: ${n}`);
  for (const p of [...new Set(problems)]) console.log(`note: ${p}`);
} finally {
  if (session) {
    if (applied)
      await (applied === "kvm4nfv"
        ? remoteRevert(session)
        : session.run(["sh", "-c", restoreScript(SAVE)])
      ).catch(() => undefined);
    await session.close().catch(() => undefined);
  }
  if (guest) await guest.qemu.stop(2000);
  rmSync(dir, { recursive: true, force: true });
}
