/**
 * `kvm4nfv guest build` (the cached RT guest image) and `kvm4nfv guest run` (boot it, run a command, print
 * what came back) — the smoke test for everything that measures inside a guest.
 */
import type { Command } from "@commander-js/extra-typings";
import { UsageError } from "../errors.js";
import { accelOption } from "./options.js";
import { print } from "./run.js";

/** rt-tests 2.x dropped -n (clock_nanosleep is the default), so it is not passed. */
export const SMOKE_SCRIPT =
  "uname -a\ncyclictest -m -p99 -i1000 -D3 -t1 -a1 -q --json=/out/cyclictest.json > /out/cyclictest.stdout\n";

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

function positiveInt(what: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < 1)
      throw new UsageError(`${what} must be a positive integer, got "${v}"`);
    return n;
  };
}

export function register(program: Command): void {
  const guest = program.command("guest").description("build and boot the real-time test guest");

  guest
    .command("build")
    .description("fetch the Debian RT kernel and build the guest initramfs (cached by its inputs)")
    .option("-o, --out <dir>", "cache directory (default $XDG_CACHE_HOME/kvm4nfv/guest)")
    .option("--json", "print the result as JSON")
    .action(async (opts) => {
      const { ensureGuestImages } = await import("../vm/guest-build.js");
      const images = await ensureGuestImages({
        ...(opts.out ? { outDir: opts.out } : {}),
        onProgress: (m) => process.stderr.write(`${m}\n`),
      });
      if (opts.json) return print(images);
      print(
        [
          `guest kernel ${images.kernelRelease} (${images.cached ? "cached" : "built"}, key ${images.key})`,
          `kernel: ${images.kernel}`,
          `initrd: ${images.initrd}`,
          `modules: ${images.modules.length ? images.modules.map((m) => m.split("/").pop()).join(" ") : "none (built in)"}`,
        ].join("\n"),
      );
    });

  guest
    .command("run")
    .description(
      "boot the guest, run a command in it (default: uname + 3 s cyclictest) and print the outputs",
    )
    .addOption(accelOption("accelerator").default("auto" as const))
    .option("--vcpus <n>", "vCPU count", positiveInt("--vcpus"), 2)
    .option("--memory <MiB>", "guest memory in MiB", positiveInt("--memory"), 512)
    .option("--cpus <list>", "host CPUs for the vCPUs: cpulist (vCPU i → i-th CPU) or VCPU:CPU pairs")
    .option("--housekeeping <list>", "host CPUs for QEMU's other threads")
    .option("--fifo <prio>", "SCHED_FIFO priority for the pinned vCPU threads", positiveInt("--fifo"))
    .option("--hugepages <path>", "hugetlbfs mount to back guest memory")
    .option("--mem-lock", "lock guest memory (-overcommit mem-lock=on)")
    .option("--timeout <s>", "whole-run timeout in seconds", positiveInt("--timeout"), 180)
    .option("--cmdline <text>", "guest kernel command line (default: the KVM4NFV guest RT cmdline)")
    .option("--json", "print the result as JSON")
    .argument("[cmd...]", "command to run in the guest (after --); one argument is run as a shell script")
    .action(async (cmd, opts) => {
      const { parseCpuList } = await import("../host/parse/cpulist.js");
      const { defaultSpec, parsePins, validateSpec } = await import("../vm/spec.js");
      const pins = opts.cpus ? parsePins(opts.cpus, (t) => parseCpuList(t, "--cpus")) : {};
      const housekeeping = opts.housekeeping ? parseCpuList(opts.housekeeping, "--housekeeping") : [];
      const script =
        cmd.length === 0
          ? SMOKE_SCRIPT
          : cmd.length === 1
            ? `${cmd[0]}\n`
            : `${cmd.map(shellQuote).join(" ")}\n`;
      const { ensureGuestImages } = await import("../vm/guest-build.js");
      const { runGuest } = await import("../vm/run-guest.js");
      const { hostOnlineCpus } = await import("../vm/launcher.js");
      const overrides = {
        accel: opts.accel,
        vcpus: opts.vcpus,
        memoryMiB: opts.memory,
        vcpuPins: pins,
        housekeepingCpus: housekeeping,
        vcpuFifoPriority: opts.fifo ?? null,
        hugepagePath: opts.hugepages ?? null,
        memLock: opts.memLock === true,
        ...(opts.cmdline ? { cmdline: opts.cmdline } : {}),
      };
      // Check the spec before fetching or building anything: a bad pin is exit 2 at once.
      validateSpec(defaultSpec({ kernel: "", initrd: "" }, overrides), await hostOnlineCpus());
      const images = await ensureGuestImages({ onProgress: (m) => process.stderr.write(`${m}\n`) });
      const spec = defaultSpec(images, overrides);
      const r = await runGuest(
        spec,
        { script, timeoutMs: opts.timeout * 1000 },
        { onNote: (n) => process.stderr.write(`kvm4nfv: ${n}\n`) },
      );
      if (opts.json) {
        const { console: _console, ...rest } = r;
        return print(rest);
      }
      const lines = [
        `accelerator: ${r.accel}${r.accel === "tcg" ? " (EMULATED — latencies are not real-time figures)" : ""}`,
        `boot: ${r.bootMs} ms to /init (guest uptime then: ${r.guestUptimeAtInitS ?? "?"} s)`,
        `guest kernel: ${r.guestKernelRelease ?? "?"}`,
        `guest cmdline: ${r.guestCmdline ?? "?"}`,
        `guest setup: ${r.guestSetup.trim().split("\n").join("; ")}`,
        `exit code: ${r.exitCode}`,
        ...r.threads.map(
          (t) =>
            `thread ${t.tid} ${t.comm}${t.vcpu === null ? "" : ` (vCPU ${t.vcpu})`}: CPUs ${t.allowed.join(",")} ${t.policy}`,
        ),
      ];
      for (const [name, text] of Object.entries(r.outputs)) {
        if (!text) continue;
        lines.push(`--- ${name} ---`, text.trimEnd());
      }
      print(lines.join("\n"));
      if (r.exitCode !== 0) process.exitCode = 1;
    });
}
