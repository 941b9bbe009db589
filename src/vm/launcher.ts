/**
 * Starts a guest from a GuestSpec: validates it against the host (before anything runs), starts QEMU paused,
 * pins and prioritises its threads through QMP's thread ids, verifies the pinning took, then lets it run.
 * Every failure path stops QEMU: a half-started guest is never left behind.
 */
import { existsSync, rmSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { Kvm4nfvError, toolMissing, UsageError } from "../errors.js";
import { type Child, type Exec, realExec } from "../exec.js";
import { formatCpuList, parseCpuList, sameCpus } from "../host/parse/cpulist.js";
import { PATHS } from "../host/paths.js";
import { makeTempDir } from "../tempdir.js";
import { checkGuestMemory } from "../units.js";
import { buildQemuArgv } from "./argv.js";
import { QmpClient } from "./qmp.js";
import { type GuestSpec, validateSpec } from "./spec.js";

/**
 * The QEMU to run: $KVM4NFV_QEMU (a path, e.g. the QEMU 10 that scripts/qemu-backports.sh extracts from
 * bookworm-backports), else Debian's qemu-system-x86_64 from PATH. Every result records the version that ran.
 */
export function qemuBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.KVM4NFV_QEMU?.trim() || "qemu-system-x86_64";
}

/** qemuBinary(), or a TOOL_MISSING error whose hint fits where the name came from. */
export function requireQemu(exec: Pick<Exec, "which">, env: NodeJS.ProcessEnv = process.env): string {
  const qemu = qemuBinary(env);
  if (exec.which(qemu)) return qemu;
  throw toolMissing(
    qemu,
    env.KVM4NFV_QEMU?.trim()
      ? "KVM4NFV_QEMU names no executable: unset it, or run bash scripts/qemu-backports.sh"
      : undefined,
  );
}

export interface ThreadPin {
  tid: number;
  /** "CPU 1/KVM", "qemu-system-x86", "worker", … (with debug-threads=on). */
  comm: string;
  vcpu: number | null;
  /** CPUs the thread is allowed on, read back from /proc after pinning. */
  allowed: number[];
  /** "SCHED_FIFO 99", "SCHED_OTHER", … read back from /proc. */
  policy: string;
}

export interface Guest {
  qmp: QmpClient;
  pid: number;
  name: string;
  accel: "kvm" | "tcg";
  /** Temp directory with the QMP socket, console log and output file; removed by stop(). */
  workDir: string;
  consoleLog: string;
  outputFile: string;
  child: Child;
  threads: ThreadPin[];
  /** Last lines QEMU wrote to stderr (for error messages). */
  stderrTail(): string;
  /** Start the vCPUs (only needed with `paused: true`). */
  resume(): Promise<void>;
  /** Kill QEMU (SIGTERM, then SIGKILL), close QMP, remove the work directory. Idempotent. */
  stop(): Promise<void>;
}

export interface LaunchOptions {
  /** The accelerator to use; "auto" is resolved by the caller (see runGuest's probe). Default: spec.accel. */
  accel?: "kvm" | "tcg";
  /** Leave the vCPUs stopped after pinning (e.g. a migration target with -incoming). */
  paused?: boolean;
  extraArgs?: readonly string[];
  exec?: Exec;
  /** Online host CPUs; read from sysfs when not given. */
  hostCpus?: number[];
  /** Keep the work directory after stop() (debugging). */
  keepWorkDir?: boolean;
}

let guestCounter = 0;

/**
 * Temp directories of running guests and jobs. On Ctrl-C the exec seam kills QEMU and calls process.exit, so
 * no `finally` runs; this synchronous exit hook removes what they would have (initrd copies are ~12 MB each).
 */
const tempDirs = new Set<string>();
let exitHookInstalled = false;
export function trackTempDir(dir: string): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  tempDirs.add(dir);
  return () => tempDirs.delete(dir);
}

export async function hostOnlineCpus(): Promise<number[]> {
  const text = await readFile("/sys/devices/system/cpu/online", "utf8");
  return parseCpuList(text, "/sys/devices/system/cpu/online");
}

/** The files a spec names must exist: a typo is bad input (exit 2), not a QEMU crash. */
export function checkSpecFiles(spec: GuestSpec): void {
  for (const [what, path] of [
    ["guest kernel", spec.kernel],
    ["guest initrd", spec.initrd],
  ] as const) {
    if (!existsSync(path)) {
      throw new Kvm4nfvError("BAD_INPUT", `${what} ${path} does not exist`, {
        hint: "run: kvm4nfv guest build",
      });
    }
  }
  if (spec.hugepagePath !== null && !existsSync(spec.hugepagePath)) {
    throw new Kvm4nfvError("BAD_INPUT", `hugepage path ${spec.hugepagePath} does not exist`, {
      hint: `mount hugetlbfs there first, e.g. mount -t hugetlbfs -o pagesize=1G none ${PATHS.hugetlbfsMount}`,
    });
  }
}

export async function launchGuest(spec: GuestSpec, options: LaunchOptions = {}): Promise<Guest> {
  const exec = options.exec ?? realExec;
  validateSpec(spec, options.hostCpus ?? (await hostOnlineCpus()));
  if (options.hostCpus === undefined) checkGuestMemory(spec.memoryMiB, "guest memory");
  const accel = options.accel ?? (spec.accel === "auto" ? undefined : spec.accel);
  if (!accel) throw new Kvm4nfvError("INTERNAL", "launchGuest needs a resolved accelerator (kvm or tcg)");
  const qemu = requireQemu(exec);
  checkSpecFiles(spec);

  const workDir = makeTempDir("vm");
  const untrack = options.keepWorkDir ? () => false : trackTempDir(workDir);
  const paths = {
    qmpSocket: join(workDir, "qmp.sock"),
    consoleLog: join(workDir, "console.log"),
    outputFile: join(workDir, "output.txt"),
  };
  const name = `kvm4nfv-guest-${process.pid}-${++guestCounter}`;
  const argv = buildQemuArgv(spec, accel, paths, {
    name,
    paused: true,
    ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
  });
  let child: Child | undefined;
  let qmp: QmpClient | undefined;
  let stderr = "";
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    qmp?.close();
    await child?.stop(2000);
    if (!options.keepWorkDir) await rm(workDir, { recursive: true, force: true });
    untrack();
  };
  try {
    child = exec.start(qemu, argv);
    // Drain stdout (unused with -display none) so a chatty QEMU can never block on a full pipe.
    child.stdout?.resume();
    child.stderr?.on("data", (b: Buffer) => {
      stderr = (stderr + b.toString("utf8")).slice(-4000);
    });
    const started = child;
    // With mem-lock=on QEMU faults in and locks all guest RAM before it answers qmp_capabilities: measured here
    // at load average 18, 21.7 s for 512 MiB (0.0 s without mem-lock); 10 s failed every guest run under load.
    qmp = await connectQmp(paths.qmpSocket, started, () => stderr, spec.memLock ? 120_000 : 10_000);
    const threads = await pinThreads(exec, qmp, started.pid, spec);
    if (!options.paused) await qmp.execute("cont");
    const q = qmp;
    return {
      qmp: q,
      pid: started.pid,
      name,
      accel,
      workDir,
      consoleLog: paths.consoleLog,
      outputFile: paths.outputFile,
      child: started,
      threads,
      stderrTail: () => stderr.trim().split("\n").slice(-5).join("\n"),
      resume: async () => {
        await q.execute("cont");
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Wait for QEMU to create its QMP socket and connect; fail fast (with QEMU's own words) if it exits. */
async function connectQmp(
  socket: string,
  child: Child,
  stderr: () => string,
  replyMs: number,
): Promise<QmpClient> {
  let exited: { exitCode: number | null } | null = null;
  void child.exited.then((e) => {
    exited = e;
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) {
      const why = stderr().trim().split("\n").slice(-3).join(" | ");
      // QEMU refusing a value it was given (an impossible size) is the input's fault, not a crash
      if (
        /out of range for parameter|cannot set up guest memory|Invalid parameter|Parameter '[^']+' expects/.test(
          why,
        )
      ) {
        throw new UsageError(
          `QEMU refused the guest's settings: ${why}`,
          "give a smaller --memory or --vcpus",
        );
      }
      throw new Kvm4nfvError("GUEST_FAILED", `QEMU exited at start-up${why ? `: ${why}` : ""}`);
    }
    if (existsSync(socket)) {
      try {
        return await QmpClient.connect(socket, { timeoutMs: replyMs });
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
    if (Date.now() > deadline)
      throw new Kvm4nfvError("GUEST_FAILED", "QEMU did not open its QMP socket within 20 s");
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface CpuFast {
  "cpu-index": number;
  "thread-id": number;
}

/** Pin vCPU threads (and make them SCHED_FIFO), move every other QEMU thread to the housekeeping CPUs, verify. */
async function pinThreads(exec: Exec, qmp: QmpClient, pid: number, spec: GuestSpec): Promise<ThreadPin[]> {
  const cpus = await qmp.execute<CpuFast[]>("query-cpus-fast");
  const vcpuByTid = new Map<number, number>(cpus.map((c) => [c["thread-id"], c["cpu-index"]]));
  for (const c of cpus) {
    const target = spec.vcpuPins[c["cpu-index"]];
    const tid = String(c["thread-id"]);
    if (target !== undefined)
      await exec.run("taskset", ["-p", "-c", String(target), tid], { timeoutMs: 10_000 });
    if (spec.vcpuFifoPriority !== null && target !== undefined) {
      await exec.run("chrt", ["-f", "-p", String(spec.vcpuFifoPriority), tid], { timeoutMs: 10_000 });
    }
  }
  const tids = await listThreads(pid);
  if (spec.housekeepingCpus.length > 0) {
    const list = formatCpuList(spec.housekeepingCpus);
    for (const tid of tids) {
      if (vcpuByTid.has(tid)) continue;
      // A thread may exit between listing and pinning (QEMU's short-lived workers): not an error.
      await exec.run("taskset", ["-p", "-c", list, String(tid)], { timeoutMs: 10_000, allowFailure: true });
    }
  }
  const out: ThreadPin[] = [];
  for (const tid of tids) {
    const info = await readThread(pid, tid);
    if (!info) continue;
    const vcpu = vcpuByTid.get(tid) ?? null;
    out.push({ tid, comm: info.comm, vcpu, allowed: info.allowed, policy: info.policy });
    const want =
      vcpu !== null
        ? spec.vcpuPins[vcpu] === undefined
          ? undefined
          : [spec.vcpuPins[vcpu]!]
        : spec.housekeepingCpus.length > 0
          ? spec.housekeepingCpus
          : undefined;
    if (want && !sameCpus(info.allowed, want)) {
      throw new Kvm4nfvError(
        "GUEST_FAILED",
        `pinning did not take: thread ${tid} (${info.comm}) is allowed on ${formatCpuList(info.allowed)}, wanted ${formatCpuList(want)}`,
      );
    }
    const fifo = vcpu !== null && spec.vcpuFifoPriority !== null && spec.vcpuPins[vcpu] !== undefined;
    if (fifo && info.policy !== `SCHED_FIFO ${spec.vcpuFifoPriority}`) {
      throw new Kvm4nfvError(
        "GUEST_FAILED",
        `vCPU ${vcpu} thread ${tid} is ${info.policy}, wanted SCHED_FIFO ${spec.vcpuFifoPriority}`,
      );
    }
  }
  return out;
}

async function listThreads(pid: number): Promise<number[]> {
  const { readdir } = await import("node:fs/promises");
  return (await readdir(`/proc/${pid}/task`)).map(Number).filter(Number.isInteger);
}

const POLICY: Record<number, string> = {
  0: "SCHED_OTHER",
  1: "SCHED_FIFO",
  2: "SCHED_RR",
  3: "SCHED_BATCH",
  5: "SCHED_IDLE",
  6: "SCHED_DEADLINE",
};

/** comm, Cpus_allowed_list and scheduling policy of one thread, or null if it has gone. */
export async function readThread(
  pid: number,
  tid: number,
): Promise<{ comm: string; allowed: number[]; policy: string } | null> {
  try {
    const base = `/proc/${pid}/task/${tid}`;
    const [status, stat] = await Promise.all([
      readFile(`${base}/status`, "utf8"),
      readFile(`${base}/stat`, "utf8"),
    ]);
    return parseThreadStatus(status, stat);
  } catch {
    return null;
  }
}

/** Pure part of readThread: /proc/…/status gives name and affinity, /proc/…/stat gives rt_priority and policy. */
export function parseThreadStatus(
  status: string,
  stat: string,
): { comm: string; allowed: number[]; policy: string } {
  const comm = /^Name:\s*(.*)$/m.exec(status)?.[1]?.trim() ?? "?";
  const allowed = parseCpuList(/^Cpus_allowed_list:\s*(.*)$/m.exec(status)?.[1] ?? "", "Cpus_allowed_list");
  // Fields after the parenthesised comm (which may contain spaces): field 40 rt_priority, 41 policy.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const rtPrio = Number(fields[40 - 3]);
  const policyName = POLICY[Number(fields[41 - 3])] ?? `policy ${fields[41 - 3]}`;
  const policy =
    policyName === "SCHED_FIFO" || policyName === "SCHED_RR" ? `${policyName} ${rtPrio}` : policyName;
  return { comm, allowed, policy };
}
