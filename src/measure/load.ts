/**
 * Background load on the housekeeping CPUs while a measurement runs: the seeds' stress_daily.sh loads
 * (`taskset -c <stress cpus> stress --cpu | --vm | --io --hdd`), done with stress-ng pinned by its own
 * --taskset so no stressor ever lands on a measured CPU.
 *
 * The load is started before the measurement and stopped after it, always (withLoad's finally). As a second
 * line of defence stress-ng gets --timeout, so even a kvm4nfv killed by SIGKILL cannot leave it running for
 * longer than the planned run plus a minute.
 */
import { rmSync } from "node:fs";
import { Kvm4nfvError, UsageError } from "../errors.js";
import type { Child, Exec } from "../exec.js";
import { formatCpuList } from "../host/parse/cpulist.js";
import { makeTempDir } from "../tempdir.js";

export type LoadKind = "idle" | "cpu" | "memory" | "io";
export const LOAD_KINDS: readonly LoadKind[] = ["idle", "cpu", "memory", "io"];

export interface LoadOptions {
  kind: LoadKind;
  /** CPUs the stressors may use (the non-measured ones). */
  cpus: readonly number[];
  /** Planned measurement length: the --timeout backstop is this plus a minute. */
  durationMs: number;
  /** Per --vm worker (stress-ng syntax), default 128M: enough to churn caches, small enough for a CI VM. */
  vmBytes?: string;
  /** Directory for --hdd files (a fresh temporary directory when absent; removed afterwards). */
  tempDir?: string;
}

export interface RunningLoad {
  kind: LoadKind;
  command: string;
  /** What stress-ng printed (for the run's raw outputs). */
  output(): string;
}

export function parseLoadKind(text: string): LoadKind {
  if ((LOAD_KINDS as readonly string[]).includes(text)) return text as LoadKind;
  throw new UsageError(`--load "${text}" is not a load`, `expected one of ${LOAD_KINDS.join(", ")}`);
}

/** stress-ng arguments for one load; exported for tests and for the run record. */
export function stressArgs(options: LoadOptions, tempDir: string): string[] {
  const n = String(options.cpus.length);
  const timeoutSec = Math.ceil(options.durationMs / 1000) + 60;
  const common = ["--taskset", formatCpuList(options.cpus), "--timeout", `${timeoutSec}s`];
  switch (options.kind) {
    case "cpu":
      return ["--cpu", n, ...common];
    case "memory":
      return ["--vm", n, "--vm-bytes", options.vmBytes ?? "128M", ...common];
    case "io":
      return ["--io", n, "--hdd", n, "--hdd-bytes", "64M", "--temp-path", tempDir, ...common];
    case "idle":
      return [];
  }
}

/** Wait until stress-ng says its workers are dispatched (or it dies, or 3 s pass). */
function waitForDispatch(child: Child, seen: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(timer);
      err ? reject(err) : resolve();
    };
    const poll = setInterval(() => {
      if (!/dispatching hogs/.test(seen())) return;
      clearInterval(poll);
      // A little grace after the line so the workers are actually spinning when measuring starts.
      setTimeout(() => done(), 200);
    }, 50);
    const timer = setTimeout(() => done(), 3000);
    void child.exited.then(({ exitCode }) => {
      const last = seen().trim().split("\n").pop() ?? "";
      done(
        new Kvm4nfvError("TOOL_FAILED", `stress-ng exited with ${exitCode} before the measurement: ${last}`),
      );
    });
  });
}

/**
 * Run `fn` with the load running; the load is stopped when fn ends, however it ends. "idle" runs fn alone.
 */
export async function withLoad<T>(
  options: LoadOptions,
  exec: Exec,
  fn: (load: RunningLoad | null) => Promise<T>,
): Promise<T> {
  if (options.kind === "idle") return fn(null);
  if (options.cpus.length === 0) {
    throw new UsageError(
      `--load ${options.kind} needs a CPU that is not measured; every CPU is measured`,
      "measure fewer CPUs with --cpus",
    );
  }
  const ownTemp = options.tempDir === undefined;
  const tempDir = options.tempDir ?? makeTempDir("stress");
  let child: Child | undefined;
  try {
    const args = stressArgs(options, tempDir);
    child = exec.start("stress-ng", args);
    let text = "";
    child.stdout?.on("data", (b: Buffer) => {
      text += b.toString();
    });
    child.stderr?.on("data", (b: Buffer) => {
      text += b.toString();
    });
    await waitForDispatch(child, () => text);
    return await fn({ kind: options.kind, command: child.command, output: () => text });
  } finally {
    if (child) await child.stop(3000);
    if (ownTemp) rmSync(tempDir, { recursive: true, force: true });
  }
}
