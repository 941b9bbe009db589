/**
 * The one seam for child processes. Everything kvm4nfv starts (cyclictest, stress-ng, QEMU, update-grub…)
 * goes through here so that:
 *  - arguments are always argv arrays (never a shell string built from input);
 *  - a missing tool becomes a TOOL_MISSING error with the apt-get command that installs it;
 *  - every child has a timeout and is killed when kvm4nfv exits, fails or is interrupted (no orphans);
 *  - every child dies with kvm4nfv even when kvm4nfv is killed by SIGKILL and runs no handler: it is started
 *    through util-linux `setpriv --pdeathsig KILL`, which asks the kernel to SIGKILL it when its parent dies and
 *    then execs the tool (same pid, same argv after it). Long-running tools also get their own time limit
 *    (stress-ng --timeout, cyclictest -D) as a second guard.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { execa, type ResultPromise } from "execa";
import { Kvm4nfvError, toolMissing } from "./errors.js";

export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  /** Resolve instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
}

export interface RunResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  signal?: string | undefined;
}

export interface StartOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Keep stdin open as a pipe (QEMU serial console, interactive tools). */
  stdin?: "pipe" | "ignore";
}

/** A long-running child: tracked until it ends and killed with kvm4nfv. */
export interface Child {
  pid: number;
  command: string;
  /** The child's output as node streams (raw bytes; null when not piped). */
  stdout: Readable | null;
  stderr: Readable | null;
  /** null unless started with stdin: "pipe". */
  stdin: Writable | null;
  /** Each line of stdout or stderr without its "\n", in order; a last line without "\n" comes at the end. */
  onLine(stream: "stdout" | "stderr", fn: (line: string) => void): void;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the child is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves with the exit code (or null if killed by a signal) without ever rejecting. */
  exited: Promise<{ exitCode: number | null; signal: string | undefined }>;
}

export interface Exec {
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  start(file: string, args: readonly string[], options?: StartOptions): Child;
  which(file: string): string | undefined;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const live = new Set<Child>();

let setprivPath: string | undefined | null = null;

/**
 * The argv that really starts `file`: through setpriv --pdeathsig KILL where util-linux's setpriv is installed
 * (Debian's util-linux, which kvm4nfv's set-up installs; without it the children still die with every other
 * end of kvm4nfv, only not with a SIGKILL of kvm4nfv itself).
 */
export function guardedArgv(file: string, args: readonly string[]): [string, string[]] {
  if (setprivPath === null) setprivPath = process.env.KVM4NFV_NO_PDEATHSIG ? undefined : which("setpriv");
  if (setprivPath === undefined) return [file, [...args]];
  return [setprivPath, ["--pdeathsig", "KILL", "--", which(file) ?? file, ...args]];
}

function display(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}

export function which(file: string): string | undefined {
  if (file.includes("/")) return isExecutable(file) ? file : undefined;
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"]);
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, file);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  if (!which(file)) throw toolMissing(file);
  const command = display(file, args);
  const started = performance.now();
  const [bin, argv] = guardedArgv(file, args);
  const child = execa(bin, argv, {
    reject: false,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    cwd: options.cwd,
    env: options.env,
    input: options.input,
    stdin: options.input === undefined ? "ignore" : "pipe",
    stripFinalNewline: false,
    forceKillAfterDelay: 2000,
  });
  const tracked = track(file, command, child);
  const result = await child;
  live.delete(tracked);
  const out: RunResult = {
    command,
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    durationMs: performance.now() - started,
    signal: result.signal ?? undefined,
  };
  if (result.timedOut) {
    throw new Kvm4nfvError(
      "TIMEOUT",
      `${command} did not finish within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`,
    );
  }
  if ((result as { code?: string }).code === "ENOENT") throw toolMissing(file);
  if (!options.allowFailure && out.exitCode !== 0) {
    const why = out.signal ? `was killed by ${out.signal}` : `exited with ${out.exitCode}`;
    const detail = lastLine(out.stderr) || lastLine(out.stdout);
    throw new Kvm4nfvError("TOOL_FAILED", `${command} ${why}${detail ? `: ${detail}` : ""}`);
  }
  return out;
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return (lines[lines.length - 1] ?? "").trim().slice(0, 300);
}

function track(file: string, command: string, child: ResultPromise): Child {
  installExitHandlers();
  const exited = child.then(
    (r) => ({ exitCode: r.exitCode ?? null, signal: r.signal ?? undefined }),
    (e: { exitCode?: number; signal?: string }) => ({ exitCode: e.exitCode ?? null, signal: e.signal }),
  );
  const handle: Child = {
    pid: child.pid ?? -1,
    command,
    stdout: child.stdout ?? null,
    stderr: child.stderr ?? null,
    stdin: child.stdin ?? null,
    onLine: (stream, fn) => onLines(child[stream] ?? null, fn),
    exited,
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  if (handle.pid === -1) throw toolMissing(file);
  live.add(handle);
  void exited.then(() => live.delete(handle));
  return handle;
}

function start(file: string, args: readonly string[], options: StartOptions = {}): Child {
  if (!which(file)) throw toolMissing(file);
  const [bin, argv] = guardedArgv(file, args);
  const child = execa(bin, argv, {
    reject: false,
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin ?? "ignore",
    buffer: false,
    stripFinalNewline: false,
  });
  return track(file, display(file, args), child);
}

/** Call fn with each line of a byte stream (no "\n"); a last unterminated line is given when the stream ends. */
export function onLines(stream: Readable | null, fn: (line: string) => void): void {
  if (!stream) return;
  let partial = "";
  stream.on("data", (b: Buffer) => {
    const lines = (partial + b.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) fn(line);
  });
  stream.on("end", () => {
    if (partial !== "") fn(partial);
    partial = "";
  });
}

/** Children still running (for tests that assert nothing is left behind). */
export function liveChildren(): readonly Child[] {
  return [...live];
}

/** Kill every tracked child now (used on fatal errors and signals). */
export function killAll(signal: NodeJS.Signals = "SIGKILL"): void {
  for (const c of live) {
    try {
      process.kill(c.pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Work that must finish before kvm4nfv exits on a signal (e.g. deleting the network namespaces and giving
 * back the hugepages a forwarding test made): run, newest first, before the children are killed and the
 * process exits. Bounded by INTERRUPT_GRACE_MS; a second signal exits at once. Returns the unregister function.
 */
const interruptHooks: Array<() => Promise<void>> = [];
const INTERRUPT_GRACE_MS = 20_000;
export function onInterrupt(hook: () => Promise<void>): () => void {
  installExitHandlers();
  interruptHooks.push(hook);
  return () => {
    const i = interruptHooks.lastIndexOf(hook);
    if (i >= 0) interruptHooks.splice(i, 1);
  };
}

let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", () => killAll("SIGKILL"));
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      // 128 + signal number, as a shell would report it.
      const code = 128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const)[sig];
      const exit = () => {
        killAll("SIGKILL");
        process.exit(code);
      };
      if (interruptHooks.length === 0) return exit();
      process.once(sig, exit);
      setTimeout(exit, INTERRUPT_GRACE_MS).unref();
      // Children first (a PMD holding hugepages, a client mid-run), then the hooks undo what they set up.
      killAll("SIGTERM");
      const hooks = interruptHooks.splice(0).reverse();
      void (async () => {
        for (const hook of hooks) await hook().catch(() => {});
      })().finally(exit);
    });
  }
}

export const realExec: Exec = { run, start, which };
