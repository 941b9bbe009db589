/**
 * What the instruments beyond cyclictest (oslat, rtla timerlat/osnoise, hwlatdetect) share, so each runner
 * keeps only what is its own (its command line, its parser, its record):
 *  - the options every one of them takes (InstrumentOptions);
 *  - the host (or --node) prelude: the machine's files, the tool's presence, the params a node run adds;
 *  - running the tool to its end: locally through the exec seam, on a node under the node-side supervisor
 *    (RemoteExec.start), so an interrupted run leaves nothing running there;
 *  - the guest job: the guest load's stress-ng lines around the tool, one boot, and the record's environment.
 */
import { toolMissing } from "../../errors.js";
import type { Exec, RunResult } from "../../exec.js";
import { type HostFs, RootFs } from "../../host/fs.js";
import { loadComboName } from "../guest-timer.js";
import { type LoadKind, stressArgs } from "../load.js";
import type { RunEnvironment, SlaLimit } from "../types.js";
import { GUEST_HK_VCPU, type RtGuestOutcome, runInRtGuest } from "./rt-guest.js";

export interface InstrumentOptions {
  where?: "host" | "guest";
  cpus?: readonly number[];
  durationMs?: number;
  load?: LoadKind;
  guestLoad?: LoadKind;
  accel?: "auto" | "kvm" | "tcg";
  sla?: readonly SlaLimit[];
  label?: string;
  /** The machine's files: this host's (default), a snapshot's, or a pod node's as fetched over SSH. */
  fs?: HostFs;
  /** Set by --node: the tool runs on this pod node through a RemoteExec; stored as params.node. */
  node?: string;
  /** With node: the run directory made there (stress-ng's temporary files go under it). */
  nodeDir?: string;
  onNote?: (note: string) => void;
}

/** Host or node: the machine's files, and the tool checked here (a node says so when the tool starts). */
export function hostPrelude(
  options: InstrumentOptions,
  exec: Exec,
  tool: string,
  hint?: string,
): { fs: HostFs; extraParams: Record<string, unknown>; loadDir: { tempDir?: string } } {
  if (options.node === undefined && !exec.which(tool)) throw toolMissing(tool, hint);
  return {
    fs: options.fs ?? new RootFs("/"),
    extraParams: options.node !== undefined ? { node: options.node } : {},
    loadDir: options.nodeDir !== undefined ? { tempDir: `${options.nodeDir}/stress` } : {},
  };
}

/**
 * Run a measuring tool to its end and collect what it printed. On a node it starts under the supervisor
 * (RemoteExec.start): a lost link or Ctrl-C ends it there too; a run past `timeoutMs` is stopped.
 */
export async function runToolToEnd(
  exec: Exec,
  options: { node?: string | undefined },
  file: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<RunResult> {
  if (options.node === undefined) return exec.run(file, args, { allowFailure: true, timeoutMs });
  const started = performance.now();
  const child = exec.start(file, args);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void child.stop(2000);
  }, timeoutMs);
  const { exitCode, signal } = await child.exited;
  clearTimeout(timer);
  if (timedOut) stderr += `\nkvm4nfv: ${file} did not finish within ${timeoutMs} ms and was stopped`;
  if (exitCode === 127) {
    const { missingTool } = await import("../../pod/remote-exec.js");
    const missing = missingTool(options.node, stderr);
    if (missing) throw missing;
  }
  return {
    command: child.command,
    exitCode: exitCode ?? -1,
    stdout,
    stderr,
    durationMs: Math.round(performance.now() - started),
    signal,
  };
}

/** Single-quote a word for the guest's busybox sh (the words are ours, but quoting costs nothing). */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Guest job lines: the guest load (stress-ng on vCPU 0) started before `body` and ended after it. */
export function withGuestLoad(body: readonly string[], guestLoadArgs: readonly string[] | null): string[] {
  if (!guestLoadArgs) return [...body];
  return [
    `stress-ng ${guestLoadArgs.map(shq).join(" ")} > /out/stress-ng.output 2>&1 &`,
    "LOAD=$!",
    "sleep 1",
    ...body,
    'kill "$LOAD" 2>/dev/null; wait "$LOAD" 2>/dev/null',
  ];
}

/** One instrument in the RT guest: the guest load's arguments, the job script, one boot. */
export async function runInstrumentInGuest(
  options: InstrumentOptions,
  job: { expectedMs: number; script: (guestLoadArgs: readonly string[] | null) => string },
  exec: Exec,
): Promise<{ outcome: RtGuestOutcome; load: string }> {
  const hostLoad = options.load ?? "idle";
  const guestLoad = options.guestLoad ?? "idle";
  const guestLoadArgs =
    guestLoad === "idle"
      ? null
      : stressArgs(
          { kind: guestLoad, cpus: [GUEST_HK_VCPU], durationMs: job.expectedMs, vmBytes: "64M" },
          "/tmp",
        );
  const outcome = await runInRtGuest(
    {
      script: job.script(guestLoadArgs),
      expectedMs: job.expectedMs,
      hostLoad,
      ...(options.cpus ? { cpus: options.cpus } : {}),
      ...(options.accel ? { accel: options.accel } : {}),
      ...(options.onNote ? { onNote: options.onNote } : {}),
      ...(options.fs ? { fs: options.fs } : {}),
    },
    exec,
  );
  return { outcome, load: loadComboName(hostLoad, guestLoad) };
}

/**
 * A guest record's environment and raw outputs: copies (several instruments may share one boot's outcome),
 * with the guest tool's version and the guest load's output.
 */
export function guestRecordBase(
  outcome: RtGuestOutcome,
  version?: { key: string; value: string | null },
): { environment: RunEnvironment; raw: Record<string, string> } {
  const environment = { ...outcome.environment, toolVersions: { ...outcome.environment.toolVersions } };
  if (version?.value) environment.toolVersions[version.key] = version.value;
  const raw = { ...outcome.raw };
  const load = outcome.result.outputs["stress-ng.output"];
  if (load) raw["guest-stress-ng.output"] = load;
  return { environment, raw };
}
