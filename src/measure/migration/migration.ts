/**
 * Live migration measurement. A session boots one small guest and migrates it back and forth between QEMUs
 * on this machine: each run starts a fresh destination (-incoming defer), sets the same capabilities and
 * parameters on both sides, migrates over loopback TCP, follows query-migrate and the MIGRATION / PASS /
 * STOP / RESUME events, proves the guest alive on the destination (query-status + a serial ping), and then
 * the destination becomes the next run's source. One boot serves --repeat, --compare-defaults and --sweep,
 * so every configuration sees the same guest and the same workload.
 *
 * Failure policy: a migration that fails (destination killed, QEMU error) is a *run* result — the source must
 * still be running (asserted), the destination is stopped, the run is recorded as an error with the reason,
 * and the session goes on. A QMP command that does not answer (TIMEOUT) ends the session: state unknown.
 * close() stops every QEMU on every path; withMigrationSession guarantees it is called.
 */
import { createServer } from "node:net";
import { release } from "node:os";
import { InputError, Kvm4nfvError } from "../../errors.js";
import type { Exec } from "../../exec.js";
import { openHostFs } from "../../host/fs.js";
import { buildMigrationGuest, findGuestKernel, READY_MARKER } from "../../vm/migration-guest.js";
import { balloonModules } from "../../vm/migration-modules.js";
import {
  FREE_PAGE_HINT_ARGS,
  freePageHintNegotiated,
  judgeSupport,
  type MigrationSupport,
  probeMigrationSupport,
} from "../../vm/migration-probe.js";
import { type MigrationVm, startMigrationVm } from "../../vm/migration-vm.js";
import type { QmpClient } from "../../vm/qmp.js";
import { readEnvironment } from "../environment.js";
import type { RunEnvironment, RunRecord } from "../types.js";
import type { Sla, Workload } from "./args.js";
import { MANAGED_CAPS, MANAGED_PARAMS, type MigrationConfig } from "./configs.js";
import { type Metrics, migrationMetrics, migrationVerdict, type QueryMigrate } from "./metrics.js";

/** The guest's make-up, decided before it boots (both sides must have the same devices and memory). */
export interface GuestShape {
  /** A virtio balloon with free-page-hint=on and its own iothread (used only where the probe finds it). */
  freePageHint: boolean;
  /** Guest RAM from the host's 2 MiB hugetlbfs (used only where enough pages are free for both sides). */
  hugepages: boolean;
}

export const PLAIN_GUEST: GuestShape = { freePageHint: false, hugepages: false };

export interface MigrationOptions {
  memoryMiB: number;
  /** What the guest should have; what it got is in every run's params.guest. Default PLAIN_GUEST. */
  guest?: GuestShape;
  vcpus?: number;
  workload: Workload;
  accel: "auto" | "kvm" | "tcg";
  kernel?: string;
  sla: Sla;
  bootTimeoutMs?: number;
  /** Per QMP command; a command that does not answer within this ends the session. */
  qmpTimeoutMs?: number;
  /** Whole migration, from `migrate` to a final status. */
  migrationTimeoutMs?: number;
  onProgress?: (message: string) => void;
  exec?: Exec;
  /** Fault-injection points for tests (kill the destination mid-migration, freeze a QEMU…). */
  hooks?: {
    afterDestinationStarted?: (vms: {
      source: MigrationVm;
      destination: MigrationVm;
    }) => void | Promise<void>;
    afterMigrateStarted?: (vms: { source: MigrationVm; destination: MigrationVm }) => void | Promise<void>;
  };
}

const TERMINAL = new Set(["completed", "failed", "cancelled"]);

export class MigrationSession {
  private current: MigrationVm;
  private defaults: Record<string, unknown> | null = null;
  private readonly opts: MigrationOptions;
  private readonly kernel: string;
  private readonly initrd: string;
  readonly accel: "kvm" | "tcg";
  readonly notes: string[];
  private environment: RunEnvironment;
  private runCounter = 0;
  /** What the guest really has (the probe may have refused part of what was asked). */
  readonly shape: GuestShape;
  private readonly launch: { deviceArgs: readonly string[]; hugepagePath: string | null };
  readonly support: MigrationSupport;
  private closed = false;
  /** Every VM this session started and has not stopped (the destination of a run in flight included). */
  private readonly live = new Set<MigrationVm>();

  /** The QEMU that runs both sides, from its QMP greeting ("10.0.2"). */
  get qemuVersion(): string {
    return this.environment.toolVersions.qemu ?? "?";
  }

  private constructor(
    opts: MigrationOptions,
    first: MigrationVm,
    images: { kernel: string; initrd: string },
    accel: "kvm" | "tcg",
    notes: string[],
    environment: RunEnvironment,
    guest: { shape: GuestShape; launch: MigrationSession["launch"]; support: MigrationSupport },
  ) {
    this.shape = guest.shape;
    this.launch = guest.launch;
    this.support = guest.support;
    this.opts = opts;
    this.current = first;
    this.live.add(first);
    this.kernel = images.kernel;
    this.initrd = images.initrd;
    this.accel = accel;
    this.notes = notes;
    this.environment = environment;
  }

  /** Build the guest, boot it, start the workload. */
  static async open(opts: MigrationOptions): Promise<MigrationSession> {
    const progress = opts.onProgress ?? (() => {});
    const { accel, note } = await resolveMigrationAccel(opts.accel);
    const notes = note ? [note] : [];
    if (accel === "tcg") notes.push("TCG (software emulation): figures are this emulator's, not KVM's");
    const kernel = await resolveKernel(opts.kernel);
    const wanted = opts.guest ?? PLAIN_GUEST;
    const support = await probeMigrationSupport(opts.exec);
    const verdicts = judgeSupport(support, opts.memoryMiB, accel);
    const shape: GuestShape = { freePageHint: false, hugepages: false };
    const launch = { deviceArgs: [] as readonly string[], hugepagePath: null as string | null };
    let modules = null;
    if (wanted.freePageHint) {
      if (!verdicts.freePageHint.ok) notes.push(`free-page hinting not used: ${verdicts.freePageHint.why}`);
      else {
        const got = await balloonModules(kernel, opts.exec);
        if (!got.modules) notes.push(`free-page hinting not used: ${got.why}`);
        else {
          modules = got.modules;
          shape.freePageHint = true;
          launch.deviceArgs = FREE_PAGE_HINT_ARGS;
          notes.push(`free-page hinting on (${verdicts.freePageHint.why}; guest driver ${got.why})`);
        }
      }
    }
    if (wanted.hugepages) {
      if (!verdicts.hugepages.ok) notes.push(`hugepages not used: ${verdicts.hugepages.why}`);
      else {
        shape.hugepages = true;
        launch.hugepagePath = support.hugepages?.mount ?? null;
        notes.push(`guest RAM on hugepages (${verdicts.hugepages.why})`);
      }
    }
    const image = await buildMigrationGuest(opts.exec, modules);
    progress(`booting a ${opts.memoryMiB} MiB ${accel.toUpperCase()} guest (${kernel})`);
    const vm = await startVm(opts, kernel, image.initrd, accel, false, launch);
    try {
      await vm.serial.waitFor(new RegExp(READY_MARKER), opts.bootTimeoutMs ?? 180_000);
      const greeting = vm.guest.qmp.greeting.version.qemu;
      const env: RunEnvironment = {
        ...readEnvironment(openHostFs(), { qemu: `${greeting.major}.${greeting.minor}.${greeting.micro}` }),
        where: "guest",
        accelerator: accel,
        guestCmdline: null,
      };
      env.kernelRelease ??= release();
      vm.serial.send("uname");
      env.guestKernelRelease = (await vm.serial.waitFor(/uname (\S+)/, 10_000))[1] ?? null;
      if (shape.freePageHint) {
        // The device alone does nothing: the guest's driver must be bound for hints to flow.
        vm.serial.send("mods");
        // up to the line end: a reply split across two socket reads must not match its first half
        const mods = (await vm.serial.waitFor(/mods ([^\r\n]*)\r?\n/, 10_000))[1] ?? "";
        const negotiated = await freePageHintNegotiated(vm.guest.qmp);
        if (negotiated === false || !/\bvirtio_balloon\b/.test(mods)) {
          throw new Kvm4nfvError(
            "GUEST_FAILED",
            `the guest's balloon driver did not take up free-page hinting (modules loaded: ${mods.trim() || "none"})`,
          );
        }
        notes.push(
          negotiated
            ? "the guest's virtio_balloon negotiated VIRTIO_BALLOON_F_FREE_PAGE_HINT (x-query-virtio-status)"
            : "virtio_balloon loaded in the guest (this QEMU cannot show the negotiated features)",
        );
      }
      if (opts.workload.kind === "dirty" && greeting.major < 8) {
        notes.push(
          `QEMU ${greeting.major}.${greeting.minor} under TCG delivered dirtying guests dead on the destination in ` +
            "2 of 3 runs on the development machine (QEMU 10.0: 0 of 3): every run is checked, and " +
            "scripts/qemu-backports.sh fetches QEMU 10 for KVM4NFV_QEMU",
        );
      }
      if (opts.workload.kind === "dirty") {
        const wss = workingSetMiB(opts.workload, opts.memoryMiB);
        progress(`starting the dirtier: ${opts.workload.rateMiBs} MiB/s over ${wss} MiB`);
        vm.serial.send(`dirty ${wss} ${opts.workload.rateMiBs}`);
        await vm.serial.waitFor(/dirtying \d+/, 300_000);
      }
      const session = new MigrationSession(opts, vm, { kernel, initrd: image.initrd }, accel, notes, env, {
        shape,
        launch,
        support,
      });
      if (image.dirtier === "busybox")
        notes.push("no gcc: the dirtier is a busybox dd loop (rate approximate)");
      return session;
    } catch (err) {
      await vm.stop();
      throw err;
    }
  }

  /** Migrate the guest once with `config`; the returned record is complete whether the run passed or not. */
  async migrate(config: MigrationConfig): Promise<RunRecord> {
    if (this.closed) throw new Kvm4nfvError("INTERNAL", "migration session already closed");
    const opts = this.opts;
    const qmpTimeout = { timeoutMs: opts.qmpTimeoutMs ?? 10_000 };
    const startedAt = new Date().toISOString();
    const source = this.current;
    const sq = source.guest.qmp;
    const srcSince = sq.events.length;
    const samples: unknown[] = [];
    let destination: MigrationVm | undefined;
    let q: QueryMigrate = {};
    let failure: string | undefined;
    let uri: string | null = null;
    const extra: Metrics = { config: config.name };
    const token = `r${process.pid}x${++this.runCounter}`;
    opts.onProgress?.(`migrating (${config.name})`);
    try {
      destination = await startVm(opts, this.kernel, this.initrd, this.accel, true, this.launch);
      this.live.add(destination);
      const vms = { source, destination };
      await opts.hooks?.afterDestinationStarted?.(vms);
      const dq = destination.guest.qmp;
      this.defaults ??= await dq.execute<Record<string, unknown>>(
        "query-migrate-parameters",
        undefined,
        qmpTimeout,
      );
      for (const qmp of [sq, dq]) await applyConfig(qmp, config, this.defaults, qmpTimeout.timeoutMs);
      uri = `tcp:127.0.0.1:${await freePort()}`;
      await dq.execute("migrate-incoming", { uri }, qmpTimeout);
      await sq.execute("migrate", { uri }, qmpTimeout);
      await opts.hooks?.afterMigrateStarted?.(vms);
      q = await follow(
        sq,
        config,
        srcSince,
        samples,
        opts.migrationTimeoutMs ?? 120_000,
        qmpTimeout.timeoutMs,
      );
      if (q.status !== "completed") failure = q["error-desc"] ?? `migration ended with status ${q.status}`;
      else {
        if (config.caps["postcopy-ram"])
          Object.assign(extra, await postcopyFigures(dq, qmpTimeout.timeoutMs));
        await this.proveAlive(destination, token, extra, qmpTimeout.timeoutMs);
      }
    } catch (err) {
      if (err instanceof Kvm4nfvError && err.code === "TIMEOUT") throw err;
      failure = err instanceof Error ? err.message : String(err);
    }
    let srcStatus = await statusOf(sq, qmpTimeout.timeoutMs);
    if (failure !== undefined && q.status === "completed" && srcStatus === "postmigrate") {
      // QEMU said "completed" but the guest is not alive on the destination (seen with QEMU 7.2 TCG and a
      // dirtying guest): the source still holds a consistent guest, so resume it and say so.
      failure = `guest not alive on the destination although QEMU reported the migration completed (${failure}); source resumed`;
      // after a postcopy switch the destination ran on: the source resumes from the switch point (a rollback)
      if (
        sq.events.slice(srcSince).some((e) => e.event === "MIGRATION" && e.data.status === "postcopy-active")
      )
        failure += " from the postcopy switch point (what the destination did since is lost)";
      await sq.execute("cont", undefined, qmpTimeout).catch(() => {});
      srcStatus = await statusOf(sq, qmpTimeout.timeoutMs);
    }
    extra.source_status_after = srcStatus;
    if (failure !== undefined) {
      // The source must have survived: a failed migration that also lost the guest is the worst outcome.
      if (srcStatus !== "running") failure += `; and the source is ${srcStatus}, not running`;
      await this.drop(destination);
    } else if (destination) {
      await this.drop(source);
      this.current = destination;
    }
    const events = [
      ...sq.events.slice(srcSince).map((e) => ({ side: "source" as const, ...pick(e) })),
      ...(destination?.guest.qmp.events ?? []).map((e) => ({ side: "destination" as const, ...pick(e) })),
    ].sort((a, b) => a.timeMs - b.timeMs);
    const metrics: Metrics = { ...migrationMetrics(q, events), ...extra, failure_reason: failure ?? null };
    return {
      id: null,
      type: "migration",
      label: `${config.name} ${workloadText(opts.workload)} ${opts.memoryMiB}M`,
      startedAt,
      endedAt: new Date().toISOString(),
      params: {
        config: config.name,
        caps: config.caps,
        migrationParams: config.params,
        memoryMiB: opts.memoryMiB,
        guest: { ...this.shape },
        workload: workloadText(opts.workload),
        workingSetMiB: opts.workload.kind === "dirty" ? workingSetMiB(opts.workload, opts.memoryMiB) : null,
        sla: opts.sla,
        uri,
      },
      environment: this.environment,
      cpus: [],
      metrics,
      raw: {
        "qmp-events.jsonl": events.map((e) => JSON.stringify(e)).join("\n"),
        "query-migrate.json": JSON.stringify(q, null, 2),
        "progress.jsonl": samples.map((s) => JSON.stringify(s)).join("\n"),
        "notes.txt": this.notes.join("\n"),
        "qemu-probe.json": JSON.stringify(
          { ...this.support, verdicts: judgeSupport(this.support, opts.memoryMiB, this.accel) },
          null,
          2,
        ),
      },
      verdict: migrationVerdict(metrics, opts.sla, failure),
    };
  }

  /** query-status running on the destination, then a serial ping answered by the guest itself. */
  private async proveAlive(vm: MigrationVm, token: string, extra: Metrics, timeoutMs: number): Promise<void> {
    const dq = vm.guest.qmp;
    await dq.waitForEvent("RESUME", () => true, 30_000, 0);
    const status = await statusOf(dq, timeoutMs);
    extra.destination_status = status;
    if (status !== "running")
      throw new Kvm4nfvError("GUEST_FAILED", `destination is ${status} after migration`);
    const t0 = performance.now();
    extra.guest_uptime_s = await vm.serial.ping(token, 30_000);
    extra.guest_ping_ms = Math.round((performance.now() - t0) * 10) / 10;
    extra.guest_alive = "yes";
    if (this.opts.workload.kind === "dirty") {
      // alive is not enough for a dirtying guest: its workload must have come through too
      const from = vm.serial.text.length;
      vm.serial.send("dirtier");
      const pid = ((await vm.serial.waitFor(/dirtier ([^\r\n]*)\r?\n/, 30_000, from))[1] ?? "").trim();
      extra.workload_alive = /^\d+/.test(pid) ? `running (pid ${pid})` : "gone";
      if (extra.workload_alive === "gone")
        throw new Kvm4nfvError("GUEST_FAILED", "the guest's dirtier is not running on the destination");
    }
  }

  private async drop(vm: MigrationVm | undefined): Promise<void> {
    if (!vm) return;
    this.live.delete(vm);
    await vm.stop();
  }

  /** Stop every QEMU this session started. Idempotent; never throws. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.live];
    this.live.clear();
    await Promise.allSettled(all.map((vm) => vm.stop()));
  }
}

/** Open a session, run `fn`, and close it whatever happens (every QEMU ends with the command). */
export async function withMigrationSession<T>(
  opts: MigrationOptions,
  fn: (session: MigrationSession) => Promise<T>,
): Promise<T> {
  const session = await MigrationSession.open(opts);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

async function startVm(
  o: MigrationOptions,
  kernel: string,
  initrd: string,
  accel: "kvm" | "tcg",
  incoming: boolean,
  launch: { deviceArgs: readonly string[]; hugepagePath: string | null },
) {
  return startMigrationVm({
    deviceArgs: launch.deviceArgs,
    hugepagePath: launch.hugepagePath,
    kernel,
    initrd,
    memoryMiB: o.memoryMiB,
    vcpus: o.vcpus ?? 1,
    accel,
    incoming,
    ...(o.exec ? { exec: o.exec } : {}),
  });
}

/** Every managed capability and parameter, explicitly: the configuration's value, else off / QEMU's default. */
async function applyConfig(
  qmp: QmpClient,
  config: MigrationConfig,
  defaults: Record<string, unknown>,
  timeoutMs: number,
): Promise<void> {
  // Set only what this QEMU knows: capabilities come and go between versions ("compress" is gone since 9.1).
  const known = new Set(
    (await qmp.execute<{ capability: string }[]>("query-migrate-capabilities", undefined, { timeoutMs })).map(
      (c) => c.capability,
    ),
  );
  const missing = Object.entries(config.caps).filter(([c, on]) => on && !known.has(c));
  if (missing.length > 0) {
    throw new InputError(
      "BAD_INPUT",
      `this QEMU has no migration capability ${missing.map(([c]) => c).join(", ")} (configuration ${config.name})`,
    );
  }
  const capabilities = [
    { capability: "events", state: true },
    ...MANAGED_CAPS.filter((c) => known.has(c)).map((c) => ({
      capability: c,
      state: config.caps[c] === true,
    })),
  ];
  await qmp.execute("migrate-set-capabilities", { capabilities }, { timeoutMs });
  const params: Record<string, unknown> = {};
  for (const k of MANAGED_PARAMS) if (defaults[k] !== undefined) params[k] = defaults[k];
  Object.assign(params, config.params);
  await qmp.execute("migrate-set-parameters", params, { timeoutMs });
}

/** Poll query-migrate (and react to events) until a final status; returns the final, complete answer. */
async function follow(
  qmp: QmpClient,
  config: MigrationConfig,
  since: number,
  samples: unknown[],
  timeoutMs: number,
  qmpTimeoutMs: number,
): Promise<QueryMigrate> {
  const t0 = Date.now();
  let postcopyStarted = false;
  for (;;) {
    const q = await qmp.execute<QueryMigrate>("query-migrate", undefined, { timeoutMs: qmpTimeoutMs });
    samples.push({ t: Date.now() - t0, status: q.status, ...q.ram });
    if (q.status && TERMINAL.has(q.status)) break;
    // Postcopy: switch after N full passes (MIGRATION_PASS 1 is the setup's sync, N+1 ends pass N).
    const passes = qmp.events.slice(since).filter((e) => e.event === "MIGRATION_PASS").length;
    const switchAt = (config.postcopyAfterPasses ?? 1) + 1;
    // (at once: already during setup, or a small guest would finish its precopy first)
    const running = q.status === "active" || (switchAt <= 1 && q.status === "setup");
    if (config.caps["postcopy-ram"] && !postcopyStarted && (passes >= switchAt || switchAt <= 1) && running) {
      postcopyStarted = true;
      await qmp.execute("migrate-start-postcopy", undefined, { timeoutMs: qmpTimeoutMs });
    }
    if (Date.now() - t0 > timeoutMs) {
      // Not converging (dirty rate above what the link carries) is a measured result, not a hang: cancel,
      // let the source run on, and report the rates that explain it.
      await qmp.execute("migrate_cancel", undefined, { timeoutMs: qmpTimeoutMs });
      const why =
        `did not converge within ${timeoutMs / 1000} s (guest dirtying ${q.ram?.["dirty-pages-rate"] ?? "?"} ` +
        `pages/s, link sending ${Math.round(q.ram?.mbps ?? 0)} Mbit/s); cancelled`;
      for (let i = 0; i < 150; i++) {
        const c = await qmp.execute<QueryMigrate>("query-migrate", undefined, { timeoutMs: qmpTimeoutMs });
        if (c.status && TERMINAL.has(c.status)) return { ...c, status: "cancelled", "error-desc": why };
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Kvm4nfvError(
        "TIMEOUT",
        `migration (${config.name}) did not stop within 30 s of migrate_cancel`,
      );
    }
    // Wake on the next MIGRATION event or after 200 ms, whichever is first.
    await qmp
      .waitForEvent("MIGRATION", () => true, 200)
      .catch((err: unknown) => {
        if (qmp.closed) throw err;
      });
  }
  // QEMU emits "completed" before it fills in total-time: re-read until the figures are final.
  for (let i = 0; i < 50; i++) {
    const q = await qmp.execute<QueryMigrate>("query-migrate", undefined, { timeoutMs: qmpTimeoutMs });
    if (q.status !== "completed" || (q["total-time"] ?? 0) > 0) return q;
    await new Promise((r) => setTimeout(r, 20));
  }
  return qmp.execute<QueryMigrate>("query-migrate", undefined, { timeoutMs: qmpTimeoutMs });
}

/**
 * Postcopy's cost that STOP → RESUME does not show: after the switch the destination's vCPUs wait for every
 * page they touch that has not arrived yet. With postcopy-blocktime on, the destination's query-migrate sums
 * that wait (overall and per vCPU); read it once the destination has finished too.
 */
async function postcopyFigures(dq: QmpClient, timeoutMs: number): Promise<Metrics> {
  type Incoming = { status?: string; "postcopy-blocktime"?: number; "postcopy-vcpu-blocktime"?: number[] };
  let d: Incoming = {};
  for (let i = 0; i < 50; i++) {
    d = await dq.execute<Incoming>("query-migrate", undefined, { timeoutMs });
    if (d.status === "completed" || d.status === "failed") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const vcpu = d["postcopy-vcpu-blocktime"];
  const all = typeof d["postcopy-blocktime"] === "number" ? d["postcopy-blocktime"] : null;
  const perVcpu = Array.isArray(vcpu) && vcpu.length > 0 ? Math.max(...vcpu) : null;
  return {
    destination_migration_status: d.status ?? null,
    postcopy_blocktime_ms: all,
    postcopy_vcpu_blocktime_max_ms: perVcpu,
    // QEMU 10 counted more per vCPU than overall on a 1-vCPU guest: keep the larger as the honest wait
    postcopy_wait_ms: all === null ? perVcpu : perVcpu === null ? all : Math.max(all, perVcpu),
  };
}

async function statusOf(qmp: QmpClient, timeoutMs: number): Promise<string> {
  try {
    const s = await qmp.execute<{ status: string }>("query-status", undefined, { timeoutMs });
    return s.status;
  } catch (err) {
    return `unreachable (${err instanceof Error ? err.message : String(err)})`;
  }
}

function pick(e: { event: string; timeMs: number; data: Record<string, unknown> }) {
  return { event: e.event, timeMs: e.timeMs, data: e.data };
}

/** A free TCP port on loopback (bound then released; QEMU binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function workingSetMiB(w: Workload, memoryMiB: number): number {
  if (w.kind !== "dirty") return 0;
  // The seeds' 1 GiB working set, but never more than half the guest (the kernel and tmpfs need the rest).
  return w.wssMiB ?? Math.min(1024, Math.floor(memoryMiB / 2));
}

export function workloadText(w: Workload): string {
  return w.kind === "idle" ? "idle" : `dirty:${w.rateMiBs}MiB/s`;
}

/** auto: the RT guest builder's KVM probe (KVM may exist yet hang Linux guests here); kvm/tcg as asked. */
async function resolveMigrationAccel(accel: MigrationOptions["accel"]) {
  if (accel !== "auto") return { accel, note: null };
  try {
    const [{ ensureGuestImages }, { resolveAccel }, { defaultSpec }] = await Promise.all([
      import("../../vm/guest-build.js"),
      import("../../vm/run-guest.js"),
      import("../../vm/spec.js"),
    ]);
    return await resolveAccel(defaultSpec(await ensureGuestImages()));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { accel: "tcg" as const, note: `KVM probe not possible (${why}): using TCG` };
  }
}

/** --kernel, else the RT guest builder's kernel (built/cached on demand), else whatever kernel is on disk. */
async function resolveKernel(explicit: string | undefined): Promise<string> {
  if (explicit) return findGuestKernel(explicit);
  try {
    return findGuestKernel();
  } catch {
    const { ensureGuestImages } = await import("../../vm/guest-build.js");
    return (await ensureGuestImages()).kernel;
  }
}
