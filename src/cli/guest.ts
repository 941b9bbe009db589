/** `kvm4nfv guest build|run`: flags only; the work is in src/app/guest.ts. */
import type { Command } from "@commander-js/extra-typings";
import { positiveIntOption } from "../units.js";
import { accelOption, type OptsOf } from "./options.js";
import { finish, progress } from "./run.js";

const declareBuild = (guest: Command) =>
  guest
    .command("build")
    .description("fetch the Debian RT kernel and build the guest initramfs (cached by its inputs)")
    .option("-o, --out <dir>", "cache directory (default $XDG_CACHE_HOME/kvm4nfv/guest)")
    .option("--json", "print the result as JSON");
export type GuestBuildOpts = OptsOf<ReturnType<typeof declareBuild>>;

const declareRun = (guest: Command) =>
  guest
    .command("run")
    .description(
      "boot the guest, run a command in it (default: uname + 3 s cyclictest) and print the outputs",
    )
    .addOption(accelOption("accelerator").default("auto" as const))
    .option("--vcpus <n>", "vCPU count", positiveIntOption("--vcpus"), 2)
    .option("--memory <MiB>", "guest memory in MiB", positiveIntOption("--memory"), 512)
    .option("--cpus <list>", "host CPUs for the vCPUs: cpulist (vCPU i → i-th CPU) or VCPU:CPU pairs")
    .option("--housekeeping <list>", "host CPUs for QEMU's other threads")
    .option("--fifo <prio>", "SCHED_FIFO priority for the pinned vCPU threads", positiveIntOption("--fifo"))
    .option("--hugepages <path>", "hugetlbfs mount to back guest memory")
    .option("--mem-lock", "lock guest memory (-overcommit mem-lock=on)")
    .option("--timeout <s>", "whole-run timeout in seconds", positiveIntOption("--timeout"), 180)
    .option("--cmdline <text>", "guest kernel command line (default: the KVM4NFV guest RT cmdline)")
    .option("--json", "print the result as JSON")
    .argument("[cmd...]", "command to run in the guest (after --); one argument is run as a shell script");
export type GuestRunOpts = OptsOf<ReturnType<typeof declareRun>>;

export function register(program: Command): void {
  const guest = program.command("guest").description("build and boot the real-time test guest");
  declareBuild(guest).action(async (opts) => {
    const { guestBuild } = await import("../app/guest.js");
    finish(await guestBuild(opts, progress));
  });
  declareRun(guest).action(async (cmd, opts) => {
    const { guestRun } = await import("../app/guest.js");
    finish(await guestRun(cmd, opts, progress, (n) => process.stderr.write(`kvm4nfv: ${n}\n`)));
  });
}
