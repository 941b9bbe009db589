/**
 * The guest spec: everything needed to start one real-time guest, and its validation against the host.
 * Validation runs before anything starts, so an impossible pinning is a usage error (exit 2), not a half-started VM.
 */
import { UsageError } from "../errors.js";
import { formatCpuList } from "../host/parse/cpulist.js";

export type Accel = "auto" | "kvm" | "tcg";

export interface GuestSpec {
  /** Guest RAM in MiB. */
  memoryMiB: number;
  vcpus: number;
  /** vCPU index → host CPU. vCPUs not listed are left unpinned. */
  vcpuPins: Record<number, number>;
  /** Host CPUs for QEMU's other threads (main loop/emulator, IO, RCU, workers); empty = leave them alone. */
  housekeepingCpus: number[];
  /**
   * SCHED_FIFO priority for the pinned vCPU threads, or null to keep them SCHED_OTHER. Unpinned vCPUs stay
   * SCHED_OTHER: a FIFO thread free to wander could land on (and starve) any CPU, housekeeping included.
   */
  vcpuFifoPriority: number | null;
  /** hugetlbfs mount to back guest RAM (e.g. /mnt/hugetlbfs-1g), or null for anonymous memory. */
  hugepagePath: string | null;
  /** Lock guest memory (-overcommit mem-lock=on; -realtime mlock=on is gone since QEMU 6). */
  memLock: boolean;
  kernel: string;
  initrd: string;
  /** Guest kernel command line. */
  cmdline: string;
  accel: Accel;
}

/** The seeds' guest-setup0 command line: vCPU 1 isolated for the RT task, vCPU 0 housekeeping. */
export const DEFAULT_GUEST_CMDLINE =
  "console=ttyS0 isolcpus=1 nohz_full=1 rcu_nocbs=1 mce=off idle=poll tsc=reliable " +
  "panic=-1 quiet loglevel=3";

export function defaultSpec(
  images: { kernel: string; initrd: string },
  overrides: Partial<GuestSpec> = {},
): GuestSpec {
  return {
    memoryMiB: 512,
    vcpus: 2,
    vcpuPins: {},
    housekeepingCpus: [],
    vcpuFifoPriority: null,
    hugepagePath: null,
    memLock: false,
    kernel: images.kernel,
    initrd: images.initrd,
    cmdline: DEFAULT_GUEST_CMDLINE,
    accel: "auto",
    ...overrides,
  };
}

/**
 * Check the spec against the host's online CPUs. Throws UsageError naming the first problem.
 * `hostCpus` is passed in (not read here) so this stays pure and testable.
 */
export function validateSpec(spec: GuestSpec, hostCpus: readonly number[]): void {
  if (!Number.isInteger(spec.vcpus) || spec.vcpus < 1 || spec.vcpus > 255) {
    throw new UsageError(`vCPU count must be 1..255, got ${spec.vcpus}`);
  }
  if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 64) {
    throw new UsageError(`guest memory must be at least 64 MiB, got ${spec.memoryMiB}`);
  }
  const host = new Set(hostCpus);
  const hostText = formatCpuList(hostCpus);
  for (const [key, cpu] of Object.entries(spec.vcpuPins)) {
    const vcpu = Number(key);
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= spec.vcpus) {
      throw new UsageError(`cannot pin vCPU ${key}: the guest has vCPUs 0-${spec.vcpus - 1}`);
    }
    if (!host.has(cpu)) {
      throw new UsageError(`cannot pin vCPU ${vcpu} to CPU ${cpu}: the host has CPUs ${hostText}`);
    }
  }
  for (const cpu of spec.housekeepingCpus) {
    if (!host.has(cpu)) {
      throw new UsageError(`housekeeping CPU ${cpu} does not exist: the host has CPUs ${hostText}`);
    }
  }
  if (spec.vcpuFifoPriority !== null) {
    const p = spec.vcpuFifoPriority;
    if (!Number.isInteger(p) || p < 1 || p > 99) {
      throw new UsageError(`vCPU SCHED_FIFO priority must be 1..99, got ${p}`);
    }
  }
  if (spec.vcpuFifoPriority !== null) {
    // FIFO does not time-slice between equal priorities: a polling vCPU would starve its neighbour for ever.
    const byCpu = new Map<number, number>();
    for (const [key, cpu] of Object.entries(spec.vcpuPins)) {
      const other = byCpu.get(cpu);
      if (other !== undefined) {
        throw new UsageError(
          `vCPUs ${other} and ${key} are both pinned to CPU ${cpu} with SCHED_FIFO: one would starve the other`,
          "give each FIFO vCPU its own host CPU, or drop the FIFO priority",
        );
      }
      byCpu.set(cpu, Number(key));
    }
  }
  if (spec.cmdline.length > 2000) {
    // x86 COMMAND_LINE_SIZE is 2048; the kernel would silently truncate.
    throw new UsageError(`guest kernel command line is ${spec.cmdline.length} bytes; the limit is 2048`);
  }
}

/** Map "0:2,1:3" (vCPU:CPU pairs) to a pin map; a bare cpulist "2,3" pins vCPU i to the i-th CPU. */
export function parsePins(text: string, hostCpusList: (t: string) => number[]): Record<number, number> {
  const pins: Record<number, number> = {};
  if (text.includes(":")) {
    for (const part of text.split(",")) {
      const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
      if (!m) throw new UsageError(`bad vCPU pin "${part}": expected VCPU:CPU, e.g. 0:0,1:1`);
      pins[Number(m[1])] = Number(m[2]);
    }
    return pins;
  }
  hostCpusList(text).forEach((cpu, i) => {
    pins[i] = cpu;
  });
  return pins;
}
