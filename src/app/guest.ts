/**
 * `kvm4nfv guest build` (the cached RT guest image) and `kvm4nfv guest run` (boot it, run a command, return
 * what came back) — the smoke test for everything that measures inside a guest.
 */
import type { GuestBuildOpts, GuestRunOpts } from "../cli/guest.js";
import type { OnProgress, Outcome } from "./outcome.js";
import { outcome } from "./outcome.js";

/** rt-tests 2.x dropped -n (clock_nanosleep is the default), so it is not passed. */
export const SMOKE_SCRIPT =
  "uname -a\ncyclictest -m -p99 -i1000 -D3 -t1 -a1 -q --json=/out/cyclictest.json > /out/cyclictest.stdout\n";

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

export async function guestBuild(opts: GuestBuildOpts, onProgress: OnProgress): Promise<Outcome> {
  const { ensureGuestImages } = await import("../vm/guest-build.js");
  const images = await ensureGuestImages({ ...(opts.out ? { outDir: opts.out } : {}), onProgress });
  if (opts.json) return outcome(images);
  return outcome(
    [
      `guest kernel ${images.kernelRelease} (${images.cached ? "cached" : "built"}, key ${images.key})`,
      `kernel: ${images.kernel}`,
      `initrd: ${images.initrd}`,
      `modules: ${images.modules.length ? images.modules.map((m) => m.split("/").pop()).join(" ") : "none (built in)"}`,
    ].join("\n"),
  );
}

/** Boot the guest, run cmd (none: the smoke script), return its outputs; exit 1 when the command failed. */
export async function guestRun(
  cmd: string[],
  opts: GuestRunOpts,
  onProgress: OnProgress,
  onNote: OnProgress,
): Promise<Outcome> {
  const { parseCpuList } = await import("../host/parse/cpulist.js");
  const { defaultSpec, parsePins, validateSpec } = await import("../vm/spec.js");
  const pins = opts.cpus ? parsePins(opts.cpus, (t) => parseCpuList(t, "--cpus")) : {};
  const housekeeping = opts.housekeeping ? parseCpuList(opts.housekeeping, "--housekeeping") : [];
  const script =
    cmd.length === 0 ? SMOKE_SCRIPT : cmd.length === 1 ? `${cmd[0]}\n` : `${cmd.map(shellQuote).join(" ")}\n`;
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
  const images = await ensureGuestImages({ onProgress });
  const spec = defaultSpec(images, overrides);
  const r = await runGuest(spec, { script, timeoutMs: opts.timeout * 1000 }, { onNote });
  if (opts.json) {
    const { console: _console, ...rest } = r;
    return outcome(rest);
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
  return outcome(lines.join("\n"), r.exitCode !== 0 ? 1 : 0);
}
