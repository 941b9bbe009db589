/**
 * The timer test inside the real-time guest — the heart of KVM4NFV (host-run-qemu.sh + guest-setup + the
 * Yardstick cyclictest run on the guest). Same cyclictest options, parsing, SLA and record as on the host;
 * the guest is the Debian PREEMPT_RT guest of src/vm, booted with the seeds' guest cmdline (vCPU 1 isolated).
 *
 * Loads follow the seeds' names HOST_GUEST (idle_idle, memorystress_idle, idle_cpustress, …): the host load
 * runs on the host's housekeeping CPUs, the guest load on the guest's housekeeping vCPU 0.
 */
import { UsageError } from "../errors.js";
import { type Exec, realExec } from "../exec.js";
import { RootFs } from "../host/fs.js";
import { formatCpuList, subtract } from "../host/parse/cpulist.js";
import { readRtFacts, resolveRtCpus } from "../tuning/rt-cpus.js";
import { ensureGuestImages } from "../vm/guest-build.js";
import { hostOnlineCpus, requireQemu } from "../vm/launcher.js";
import { resolveAccel, runGuest } from "../vm/run-guest.js";
import { defaultSpec, type GuestSpec } from "../vm/spec.js";
import { probeCyclictest, probeStressNg, readEnvironment } from "./environment.js";
import { type LoadKind, stressArgs, withLoad } from "./load.js";
import { assembleTimerRecord, planTimerTest, type TimerTestOptions } from "./timer.js";
import { attachTrace, type TraceGroup, traceAround } from "./trace/capture.js";
import type { RunRecord } from "./types.js";

/** The seeds' load names: the stressor part of HOST_GUEST. */
const LOAD_NAME: Record<LoadKind, string> = {
  idle: "idle",
  cpu: "cpustress",
  memory: "memorystress",
  io: "iostress",
};

export function loadComboName(host: LoadKind, guest: LoadKind): string {
  return `${LOAD_NAME[host]}_${LOAD_NAME[guest]}`;
}

/** "memorystress_idle" → { host: "memory", guest: "idle" }. */
export function parseLoadCombo(text: string): { host: LoadKind; guest: LoadKind } {
  const byName = Object.fromEntries(Object.entries(LOAD_NAME).map(([k, v]) => [v, k as LoadKind]));
  const [h, g, ...rest] = text.split("_");
  const host = h === undefined ? undefined : byName[h];
  const guest = g === undefined ? undefined : byName[g];
  if (!host || !guest || rest.length) {
    throw new UsageError(
      `--load "${text}" is not a HOST_GUEST load combination`,
      "expected e.g. idle_idle, cpustress_idle, memorystress_idle, iostress_idle, idle_cpustress, idle_memorystress, idle_iostress",
    );
  }
  return { host, guest };
}

/** The guest's vCPU 1 is its RT CPU (isolcpus=1 in the seeds' guest cmdline); vCPU 0 does housekeeping. */
const GUEST_RT_VCPU = 1;
const GUEST_CPUS = [0, 1];

/** Single-quote a word for the guest's busybox sh (the words are ours, but quoting costs nothing). */
function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The job script run in the guest: optional guest load on vCPU 0, cyclictest on vCPU 1, outputs in /out. */
export function guestJobScript(
  cyclictestArgs: readonly string[],
  guestLoadArgs: readonly string[] | null,
): string {
  const lines = [
    "cyclictest --help > /out/cyclictest.help 2>&1",
    "stress-ng --version > /out/stress-ng.version 2>&1",
  ];
  if (guestLoadArgs) {
    lines.push(
      `stress-ng ${guestLoadArgs.map(shq).join(" ")} > /out/stress-ng.output 2>&1 &`,
      "LOAD=$!",
      "sleep 1",
    );
  }
  lines.push(
    `cyclictest ${cyclictestArgs.map(shq).join(" ")} > /out/cyclictest.stdout 2> /out/cyclictest.stderr`,
    "echo $? > /out/cyclictest.rc",
  );
  if (guestLoadArgs) lines.push('kill "$LOAD" 2>/dev/null; wait "$LOAD" 2>/dev/null');
  lines.push("exit 0", "");
  return lines.join("\n");
}

/**
 * Host CPUs for the guest: vCPU 1 on the RT CPU (--cpus, else the host's isolated set, else its last CPU),
 * vCPU 0 and QEMU's own threads on a housekeeping CPU.
 */
export function guestPinning(
  onlineHost: readonly number[],
  isolatedHost: readonly number[],
  requested?: readonly number[],
): { rtCpu: number; housekeeping: number[] } {
  const candidates = requested?.length ? [...requested] : isolatedHost.length ? [...isolatedHost] : [];
  const rtCpu = candidates[0] ?? onlineHost[onlineHost.length - 1];
  if (rtCpu === undefined) throw new UsageError("no online host CPU to run the guest on");
  if (!onlineHost.includes(rtCpu)) {
    throw new UsageError(
      `--cpus ${rtCpu}: host CPU ${rtCpu} is not online`,
      `online: ${formatCpuList(onlineHost)}`,
    );
  }
  const housekeeping = subtract(onlineHost, [...isolatedHost, rtCpu]);
  if (housekeeping.length === 0) {
    throw new UsageError(
      `no housekeeping host CPU left for the guest's vCPU 0 and QEMU (RT CPU ${rtCpu})`,
      "leave at least one CPU outside --cpus and the isolated set",
    );
  }
  return { rtCpu, housekeeping };
}

export interface GuestTimerOptions extends TimerTestOptions {
  onNote?: (note: string) => void;
  /** --trace: tracefs event groups recorded for the length of the run. */
  traceGroups?: readonly TraceGroup[];
}

function withTrace(groups: readonly TraceGroup[] | undefined, script: string): string {
  return groups?.length ? traceAround(groups, script.replace(/\nexit 0\n$/, "\n")) : script;
}

export async function runGuestTimerTest(
  options: GuestTimerOptions,
  exec: Exec = realExec,
): Promise<RunRecord> {
  const hostFs = options.fs ?? new RootFs("/");
  const hostLoad = options.load ?? "idle";
  const guestLoad = options.guestLoad ?? "idle";
  const onlineHost = await hostOnlineCpus();
  // The host's RT CPUs as the one resolver finds them (isolated set, then the cmdline's); --cpus comes first below.
  const isolatedHost = resolveRtCpus(readRtFacts(hostFs), undefined, {
    prefer: "running",
    fallback: "none",
  }).rtCpus;
  const { rtCpu, housekeeping } = guestPinning(onlineHost, isolatedHost, options.cpus);

  const features = await probeCyclictest(exec);
  const toolVersions: Record<string, string> = {};
  if (features.version) toolVersions.cyclictest = features.version;
  if (hostLoad !== "idle" || guestLoad !== "idle") {
    const v = await probeStressNg(exec);
    if (v) toolVersions["stress-ng"] = v;
  }
  const qemu = await exec.run(requireQemu(exec), ["--version"], { timeoutMs: 10_000 });
  const qemuVersion = /version (\S+)/.exec(qemu.stdout)?.[1];
  if (qemuVersion) toolVersions.qemu = qemuVersion;

  // The guest measures its RT vCPU; --cpus names host CPUs, so the guest plan always uses vCPU 1.
  const plan = planTimerTest(
    { ...options, cpus: [GUEST_RT_VCPU] },
    features,
    { cpus: [GUEST_RT_VCPU], online: GUEST_CPUS },
    "/out/cyclictest.json",
  );
  const guestLoadArgs =
    guestLoad === "idle"
      ? null
      : stressArgs({ kind: guestLoad, cpus: [0], durationMs: plan.expectedMs, vmBytes: "64M" }, "/tmp");

  const images = await ensureGuestImages({ exec });
  let spec: GuestSpec = defaultSpec(images, {
    vcpus: 2,
    memoryMiB: 512,
    vcpuPins: { 0: housekeeping[0]!, [GUEST_RT_VCPU]: rtCpu },
    housekeepingCpus: housekeeping,
    accel: options.accel ?? "auto",
    memLock: true,
  });
  const { accel, note } = await resolveAccel(spec, { exec });
  if (note) options.onNote?.(note);
  // FIFO vCPUs only where they mean something: under TCG with idle=poll they would spin at RT priority.
  spec = { ...spec, accel, vcpuFifoPriority: accel === "kvm" ? 1 : null };

  const startedAt = new Date().toISOString();
  const raw: Record<string, string> = {};
  const result = await withLoad(
    { kind: hostLoad, cpus: housekeeping, durationMs: plan.expectedMs },
    exec,
    async (running) => {
      const r = await runGuest(
        spec,
        {
          script: withTrace(options.traceGroups, guestJobScript(plan.args, guestLoadArgs)),
          timeoutMs: plan.expectedMs + 180_000,
        },
        { exec, hostCpus: onlineHost, ...(options.onNote ? { onNote: options.onNote } : {}) },
      );
      if (running) raw["host-stress-ng.output"] = running.output();
      return r;
    },
  );
  raw["guest.console"] = result.console;
  raw["guest.setup"] = result.guestSetup;
  if (result.outputs["stress-ng.output"]) raw["guest-stress-ng.output"] = result.outputs["stress-ng.output"];
  const guestCyclictest = /V\s*(\d+\.\d+)/.exec(result.outputs["cyclictest.help"] ?? "")?.[1];
  if (guestCyclictest) toolVersions["cyclictest (guest)"] = guestCyclictest;

  const environment = {
    ...readEnvironment(hostFs, toolVersions),
    where: "guest" as const,
    accelerator: result.accel,
    guestKernelRelease: result.guestKernelRelease,
    guestCmdline: result.guestCmdline,
  };
  const rc = Number((result.outputs["cyclictest.rc"] ?? "").trim());
  const load = loadComboName(hostLoad, guestLoad);
  const run = assembleTimerRecord({
    options: { ...options, label: options.label ?? load },
    plan,
    where: "guest",
    load,
    startedAt,
    environment,
    raw,
    output: {
      command: `cyclictest ${plan.args.join(" ")} (in the guest)`,
      exitCode: Number.isFinite(rc) ? rc : -1,
      stdout: result.outputs["cyclictest.stdout"] ?? "",
      stderr: result.outputs["cyclictest.stderr"] ?? "",
      json: result.outputs["cyclictest.json"],
    },
    extraParams: {
      hostCpus: { vcpu0: housekeeping[0], vcpu1: rtCpu, qemuThreads: formatCpuList(housekeeping) },
      hostLoad,
      guestLoad,
      accelerator: result.accel,
      bootMs: result.bootMs,
      qemuName: result.qemuName,
      notes: result.notes,
      vcpuThreads: result.threads,
    },
  });
  // --trace: the ftrace capture around the run, kept with it, and the worst spike explained (trace/).
  if (options.traceGroups?.length) await attachTrace(run, result.outputs, [GUEST_RT_VCPU]);
  return run;
}
