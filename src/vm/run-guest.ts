/**
 * runGuest: boot the RT guest, run one shell script in it, collect what it wrote to /out, shut it down.
 * The script travels as an extra cpio appended to the initramfs (no size limit, unlike the 2 KiB kernel
 * command line); results come back over virtio-serial (see guest-init.ts). QEMU is stopped on every path.
 */
import { access, constants, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Kvm4nfvError } from "../errors.js";
import type { Exec } from "../exec.js";
import { makeTempDir } from "../tempdir.js";
import { TCG_NOTE } from "./argv.js";
import { appendCpio, buildCpio } from "./cpio.js";
import { DONE_MARKER, INIT_UP_MARKER, parseGuestStream } from "./guest-init.js";
import { checkSpecFiles, type Guest, hostOnlineCpus, launchGuest, trackTempDir } from "./launcher.js";
import { type GuestSpec, validateSpec } from "./spec.js";

export interface GuestJob {
  /** busybox sh script run in the guest with /out as working directory; files it leaves in /out come back. */
  script: string;
  /** Whole run: boot + script + shutdown. */
  timeoutMs: number;
}

export interface GuestRunResult {
  /** Files from /out by name, plus "stdout" and "stderr" of the script. */
  outputs: Record<string, string>;
  /** The guest's serial console (kernel messages, init markers). */
  console: string;
  accel: "kvm" | "tcg";
  /** Host wall time from releasing the vCPUs to /init running, in ms (polled every 50 ms). */
  bootMs: number;
  /** The guest's own clock (/proc/uptime) when /init started, in seconds: kernel boot time as it saw it. */
  guestUptimeAtInitS: number | null;
  guestKernelRelease: string | null;
  guestCmdline: string | null;
  /** The script's exit status. */
  exitCode: number;
  /** What guest-setup1 applied, as /init reported it. */
  guestSetup: string;
  /** Things the user must be told (e.g. the TCG warning, why KVM was not used). */
  notes: string[];
  /** QEMU's pid and -name (gone by the time this returns; for checks and logs). */
  qemuPid: number;
  qemuName: string;
  /** Per-thread pinning as read back from /proc. */
  threads: Guest["threads"];
}

export interface RunGuestOptions {
  exec?: Exec;
  hostCpus?: number[];
  /** Limit for the KVM probe boot (default 15 s). */
  probeTimeoutMs?: number;
  /** Called once the accelerator is known (e.g. to print the TCG note before a long run). */
  onNote?: (note: string) => void;
  /** Extra QEMU arguments for the job's boot (not the KVM probe): e.g. the device-interrupt test's port. */
  extraArgs?: readonly string[];
}

const PROBE_TIMEOUT_MS = 15_000;
const probeCache = new Map<string, { accel: "kvm" | "tcg"; note: string | null }>();

/**
 * Decide the accelerator. "auto" tries a short KVM boot (init prints a marker and powers off): on this kind
 * of host KVM can exist yet abort (-cpu host MSR errors) or hang Linux guests, so /dev/kvm alone proves
 * nothing. Any failure falls back to TCG, with the reason in the note.
 */
export async function resolveAccel(
  spec: GuestSpec,
  options: RunGuestOptions = {},
): Promise<{ accel: "kvm" | "tcg"; note: string | null }> {
  if (spec.accel === "kvm" || spec.accel === "tcg") return { accel: spec.accel, note: null };
  // The verdict is remembered per kernel for this process; an injected exec (tests) always probes afresh.
  const cacheable = options.exec === undefined;
  const cached = cacheable ? probeCache.get(spec.kernel) : undefined;
  if (cached) return cached;
  let result: { accel: "kvm" | "tcg"; note: string | null };
  try {
    await access("/dev/kvm", constants.R_OK | constants.W_OK);
  } catch {
    result = { accel: "tcg", note: "KVM unavailable (/dev/kvm missing or not accessible): using TCG" };
    if (cacheable) probeCache.set(spec.kernel, result);
    return result;
  }
  try {
    const probeSpec: GuestSpec = {
      ...spec,
      accel: "kvm",
      vcpuPins: {},
      housekeepingCpus: [],
      vcpuFifoPriority: null,
    };
    const r = await runGuest(
      probeSpec,
      { script: "true\n", timeoutMs: options.probeTimeoutMs ?? PROBE_TIMEOUT_MS },
      { ...options, onNote: () => {} },
    );
    result =
      r.exitCode === 0
        ? { accel: "kvm", note: null }
        : { accel: "tcg", note: "KVM probe guest failed: using TCG" };
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    result = { accel: "tcg", note: `KVM probe boot failed (${why}): falling back to TCG` };
  }
  if (cacheable) probeCache.set(spec.kernel, result);
  return result;
}

export async function runGuest(
  spec: GuestSpec,
  job: GuestJob,
  options: RunGuestOptions = {},
): Promise<GuestRunResult> {
  // Before the KVM probe boots anything: a bad spec is a usage error, not a failed guest.
  const hostCpus = options.hostCpus ?? (await hostOnlineCpus());
  validateSpec(spec, hostCpus);
  checkSpecFiles(spec);
  const notes: string[] = [];
  const note = (n: string) => {
    notes.push(n);
    options.onNote?.(n);
  };
  const { accel, note: probeNote } = await resolveAccel(spec, options);
  if (probeNote) note(probeNote);
  if (accel === "tcg") note(TCG_NOTE);
  if (accel === "tcg" && spec.vcpuFifoPriority !== null && /\bidle=poll\b/.test(spec.cmdline)) {
    note("vCPU threads are SCHED_FIFO under TCG with idle=poll: they spin at RT priority on their host CPUs");
  }

  const jobDir = makeTempDir("job");
  const untrack = trackTempDir(jobDir);
  let guest: Guest | undefined;
  try {
    const initrd = join(jobDir, "initrd.img");
    const jobCpio = buildCpio([
      { type: "dir", path: "kvm4nfv" },
      { type: "file", path: "kvm4nfv/job.sh", data: job.script, mode: 0o755 },
    ]);
    await writeFile(initrd, appendCpio(await readFile(spec.initrd), jobCpio));
    const deadline = Date.now() + job.timeoutMs;
    guest = await launchGuest(
      { ...spec, initrd },
      {
        accel,
        paused: true,
        ...(options.exec ? { exec: options.exec } : {}),
        ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
        hostCpus,
      },
    );
    const g = guest;
    let exited = false;
    void g.child.exited.then(() => {
      exited = true;
    });
    const released = performance.now();
    await g.resume();
    let bootMs: number | null = null;
    let consoleText = "";
    let outText = "";
    for (;;) {
      consoleText = await readFile(g.consoleLog, "utf8").catch(() => "");
      outText = await readFile(g.outputFile, "utf8").catch(() => "");
      if (bootMs === null && consoleText.includes(INIT_UP_MARKER)) bootMs = performance.now() - released;
      if (isDone(outText) || isDone(consoleText)) break;
      if (exited) {
        // Read once more: QEMU flushes its files as it exits.
        consoleText = await readFile(g.consoleLog, "utf8").catch(() => "");
        outText = await readFile(g.outputFile, "utf8").catch(() => "");
        if (isDone(outText) || isDone(consoleText)) break;
        const err = g.stderrTail();
        throw new Kvm4nfvError(
          "GUEST_FAILED",
          `guest (${accel}) stopped before the job finished${err ? `; QEMU said: ${err}` : ""}\n${tail(consoleText)}`,
        );
      }
      if (Date.now() > deadline) {
        const stage = bootMs === null ? "did not come up" : "did not finish its job";
        throw new Kvm4nfvError(
          "GUEST_FAILED",
          `guest (${accel}) ${stage} within ${job.timeoutMs} ms; last console lines:\n${tail(consoleText)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    // The guest powers itself off right after DONE; give it a moment, then stop() kills it regardless.
    await Promise.race([g.child.exited, new Promise((r) => setTimeout(r, 5000))]);
    // Frames may have gone to the console if the virtio port was missing; the port wins when both exist.
    const report = parseGuestStream(isDone(outText) ? outText : consoleText);
    return {
      outputs: report.outputs,
      console: consoleText,
      accel,
      bootMs: Math.round(bootMs ?? performance.now() - released),
      guestUptimeAtInitS: uptimeAtInit(consoleText),
      guestKernelRelease: report.facts["kvm4nfv.uname"]?.trim() ?? null,
      guestCmdline: report.facts["kvm4nfv.cmdline"]?.trim() ?? null,
      exitCode: report.exitCode ?? -1,
      guestSetup: report.facts["kvm4nfv.setup"] ?? "",
      notes,
      threads: g.threads,
      qemuPid: g.pid,
      qemuName: g.name,
    };
  } finally {
    await guest?.stop();
    await rm(jobDir, { recursive: true, force: true });
    untrack();
  }
}

/** The final line, complete (with its newline): a half-written "KVM4NFV-DONE 1" must not read as exit 1. */
const DONE_LINE = new RegExp(`^${DONE_MARKER} -?\\d+\\r?\\n`, "m");
function isDone(text: string): boolean {
  return DONE_LINE.test(text);
}

function uptimeAtInit(consoleText: string): number | null {
  const m = new RegExp(`${INIT_UP_MARKER} uptime=([\\d.]+)`).exec(consoleText);
  return m?.[1] ? Number(m[1]) : null;
}

function tail(consoleText: string, n = 15): string {
  const lines = consoleText.replace(/\r/g, "").trimEnd().split("\n");
  const shown = lines.slice(-n).join("\n");
  return shown || "(console empty)";
}
