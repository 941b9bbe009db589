/**
 * One side of a migration: a guest started through the shared launcher (launchGuest) with the migration
 * guest's initramfs, plus an interactive serial line. The launcher's ttyS0 is a log file, so the migration
 * guest talks on a second UART (ttyS1) whose chardev is a unix socket — identical hardware on both sides,
 * only the host-side backends differ, which is what migration requires.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { type Exec, realExec } from "../exec.js";
import { makeTempDir } from "../tempdir.js";
import { qemuOptValue } from "./argv.js";
import { type Guest, launchGuest } from "./launcher.js";
import { SerialLine } from "./migration-serial.js";
import { defaultSpec } from "./spec.js";

export interface MigrationVmOptions {
  kernel: string;
  initrd: string;
  memoryMiB: number;
  vcpus: number;
  accel: "kvm" | "tcg";
  /** Start as a migration destination (-incoming defer): no boot, waits for migrate-incoming. */
  incoming: boolean;
  /** Devices beyond the serial line (the free-page-hinting balloon): identical on both sides. */
  deviceArgs?: readonly string[];
  /** hugetlbfs mount backing guest RAM, or null/undefined for anonymous memory. */
  hugepagePath?: string | null;
  exec?: Exec;
}

export interface MigrationVm {
  guest: Guest;
  serial: SerialLine;
  /** Stop QEMU, close QMP and the serial line, remove the sockets. Idempotent, never throws. */
  stop(): Promise<void>;
}

/*
 * mitigations=off and no console messages: under TCG every guest instruction is emulated, so the fewer the
 * faster the boot. The guest's init reads /proc/cmdline for nothing; it only serves the serial protocol.
 */
export const MIGRATION_GUEST_CMDLINE = "console=ttyS0 quiet loglevel=0 panic=-1 mitigations=off";

/**
 * QEMU 7.2's multi-threaded TCG loses guest writes made while the migration thread syncs the dirty bitmap:
 * a guest that dirties memory arrives corrupted (it triple-faults or hangs on the destination; 3 of 3 runs
 * here, 0 of 3 with thread=single). The launcher writes `-machine q35,accel=tcg` and QEMU refuses `-accel`
 * beside `accel=`, so this Exec rewrites that one argument into `-machine q35 -accel tcg,thread=single`.
 * A one-vCPU guest loses nothing by it. KVM command lines pass through untouched.
 */
export function singleThreadTcg(inner: Exec): Exec {
  return {
    ...inner,
    start(file, args, opts) {
      const i = args.indexOf("-machine");
      const machine = i >= 0 ? args[i + 1] : undefined;
      if (!machine || !/(^|,)accel=tcg(,|$)/.test(machine)) return inner.start(file, args, opts);
      const rest = machine
        .split(",")
        .filter((p) => p !== "accel=tcg")
        .join(",");
      const rewritten = [
        ...args.slice(0, i),
        "-machine",
        rest,
        "-accel",
        "tcg,thread=single",
        ...args.slice(i + 2),
      ];
      return inner.start(file, rewritten, opts);
    },
  };
}

export async function startMigrationVm(options: MigrationVmOptions): Promise<MigrationVm> {
  const dir = makeTempDir("mig");
  const serialPath = join(dir, "serial.sock");
  const extraArgs = [
    "-chardev",
    `socket,id=migserial,path=${qemuOptValue(serialPath)},server=on,wait=off`,
    "-serial",
    "chardev:migserial",
  ];
  if (options.deviceArgs) extraArgs.push(...options.deviceArgs);
  if (options.incoming) extraArgs.push("-incoming", "defer");
  const spec = defaultSpec(
    { kernel: options.kernel, initrd: options.initrd },
    {
      memoryMiB: options.memoryMiB,
      vcpus: options.vcpus,
      cmdline: MIGRATION_GUEST_CMDLINE,
      accel: options.accel,
      hugepagePath: options.hugepagePath ?? null,
    },
  );
  let guest: Guest | undefined;
  let serial: SerialLine | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    serial?.close();
    try {
      await guest?.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    // paused: false even for the destination: the launcher's `cont` during -incoming sets autostart, so the
    // destination resumes by itself the instant the migration completes (a manual cont would add our latency
    // to the measured downtime).
    guest = await launchGuest(spec, {
      accel: options.accel,
      paused: false,
      extraArgs,
      exec: singleThreadTcg(options.exec ?? realExec),
    });
    serial = await SerialLine.connect(serialPath);
    return { guest, serial, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
