/**
 * QEMU 7.2 command line for a real-time guest (pure: spec + paths in, argv out, so every accel/hugepage
 * combination is unit-tested without starting anything).
 */
import type { GuestSpec } from "./spec.js";

export interface QemuPaths {
  qmpSocket: string;
  /** Serial console (ttyS0) log. */
  consoleLog: string;
  /** Host end of the virtio-serial port kvm4nfv.0 the guest sends its results over. */
  outputFile: string;
}

export interface ArgvOptions {
  /** The -name of the process; unique per guest so tests can find (and miss) it with pgrep. */
  name: string;
  /** Start with the vCPUs stopped (-S) so pinning is in place before the first guest instruction. */
  paused: boolean;
  extraArgs?: readonly string[];
}

/** The CPU model. KVM: the host CPU with invariant TSC and TSC-deadline timer, no PMU (vPMU adds exits). */
export function cpuModel(accel: "kvm" | "tcg"): string {
  // invtsc makes the guest's TSC a reliable clocksource; QEMU only allows it with migratable=off.
  if (accel === "kvm") return "host,migratable=off,+invtsc,+tsc-deadline,pmu=off";
  // TCG cannot emulate the host CPU; "max" is every feature TCG implements.
  return "max";
}

/**
 * A value inside a QEMU option list (`-object a=1,b=2`, `-chardev`, `-name`, `-qmp unix:PATH,…`): QEMU splits on
 * commas and reads ",," as one literal comma, so every comma of a value is doubled. Without this a hugepage path
 * "/mnt/h,readonly=on" would add an option of its own.
 */
export function qemuOptValue(value: string): string {
  return value.replace(/,/g, ",,");
}

export const TCG_NOTE =
  "NOTE: this guest runs under TCG (software emulation), not KVM. Latencies measured in it are those of an " +
  "emulator on a shared host and say nothing about real-time KVM behaviour; use them only to check that " +
  "the tooling works.";

export function buildQemuArgv(
  spec: GuestSpec,
  accel: "kvm" | "tcg",
  paths: QemuPaths,
  options: ArgvOptions,
): string[] {
  const machine = [`q35`, `accel=${accel}`];
  const args: string[] = ["-name", `${qemuOptValue(options.name)},debug-threads=on`];
  if (spec.hugepagePath) {
    machine.push("memory-backend=mem");
    args.push(
      "-object",
      `memory-backend-file,id=mem,size=${spec.memoryMiB}M,mem-path=${qemuOptValue(spec.hugepagePath)},share=on,prealloc=on`,
    );
  }
  args.push("-machine", machine.join(","));
  args.push("-cpu", cpuModel(accel));
  args.push("-smp", String(spec.vcpus), "-m", `${spec.memoryMiB}M`);
  // -realtime mlock=on was removed in QEMU 6; -overcommit mem-lock=on is its replacement.
  if (spec.memLock) args.push("-overcommit", "mem-lock=on");
  args.push(
    // -nodefaults: no VGA, NIC, parallel port or default monitor — nothing that adds exits or threads.
    "-nodefaults",
    "-display",
    "none",
    "-no-reboot",
    "-kernel",
    spec.kernel,
    "-initrd",
    spec.initrd,
    "-append",
    spec.cmdline,
    // "file:" takes the rest of the value as the path, verbatim (QEMU does not split it on commas)
    "-serial",
    `file:${paths.consoleLog}`,
    "-qmp",
    `unix:${qemuOptValue(paths.qmpSocket)},server=on,wait=off`,
    "-device",
    "virtio-serial-pci,id=vser0",
    "-chardev",
    `file,id=kvm4nfvout,path=${qemuOptValue(paths.outputFile)}`,
    "-device",
    "virtserialport,bus=vser0.0,chardev=kvm4nfvout,name=kvm4nfv.0",
  );
  if (options.paused) args.push("-S");
  if (options.extraArgs) args.push(...options.extraArgs);
  return args;
}
