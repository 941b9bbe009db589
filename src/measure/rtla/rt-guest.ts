/**
 * One job in the RT guest for the instruments beyond cyclictest (oslat, rtla timerlat/osnoise, hwlatdetect,
 * the ftrace capture, …): the same guest, pinning, accelerator choice and host
 * load as the guest timer test (guest-timer.ts), but any job script. Each instrument writes its own files in
 * /out; several instruments can share one boot by concatenating their scripts (tests do: boots are slow).
 */
import { type Exec, realExec } from "../../exec.js";
import { type HostFs, RootFs } from "../../host/fs.js";
import { formatCpuList, parseCpuList } from "../../host/parse/cpulist.js";
import { ensureGuestImages } from "../../vm/guest-build.js";
import { hostOnlineCpus, requireQemu } from "../../vm/launcher.js";
import { type GuestRunResult, resolveAccel, runGuest } from "../../vm/run-guest.js";
import { defaultSpec, type GuestSpec } from "../../vm/spec.js";
import { readEnvironment } from "../environment.js";
import { guestPinning } from "../guest-timer.js";
import { type LoadKind, withLoad } from "../load.js";
import type { RunEnvironment } from "../types.js";

/** The guest's RT vCPU (isolcpus=1 in the seeds' guest cmdline) and its housekeeping vCPU. */
export const GUEST_RT_VCPU = 1;
export const GUEST_HK_VCPU = 0;

export interface RtGuestJob {
  script: string;
  /** How long the measurement itself runs (the boot and shutdown allowance is added). */
  expectedMs: number;
  /** Host CPU for the RT vCPU (first of --cpus), else the isolated set, else the last CPU. */
  cpus?: readonly number[];
  accel?: "auto" | "kvm" | "tcg";
  hostLoad?: LoadKind;
  /** Called with the host CPU pinning before the guest boots (the interrupt sender runs on housekeeping). */
  onPinned?: (pins: { rtCpu: number; housekeeping: number[] }) => void;
  onNote?: (note: string) => void;
  fs?: HostFs;
  /** Extra QEMU arguments (the device-interrupt test's virtio-serial port). */
  extraArgs?: readonly string[];
  /** Runs on the host while the guest runs (the interrupt sender); awaited after the guest is done. */
  alongside?: () => Promise<void>;
}

export interface RtGuestOutcome {
  result: GuestRunResult;
  environment: RunEnvironment;
  /** Host-side facts for the run's params (pinning, accelerator, boot time, notes). */
  params: Record<string, unknown>;
  raw: Record<string, string>;
  startedAt: string;
}

export async function runInRtGuest(job: RtGuestJob, exec: Exec = realExec): Promise<RtGuestOutcome> {
  const hostFs = job.fs ?? new RootFs("/");
  const onlineHost = await hostOnlineCpus();
  const isolatedHost = parseCpuList(
    hostFs.read("/sys/devices/system/cpu/isolated") ?? "",
    "isolated CPU list",
  );
  const { rtCpu, housekeeping } = guestPinning(onlineHost, isolatedHost, job.cpus);
  job.onPinned?.({ rtCpu, housekeeping });
  const toolVersions: Record<string, string> = {};
  const qemu = await exec.run(requireQemu(exec), ["--version"], { timeoutMs: 10_000 });
  const qemuVersion = /version (\S+)/.exec(qemu.stdout)?.[1];
  if (qemuVersion) toolVersions.qemu = qemuVersion;

  const images = await ensureGuestImages({ exec });
  let spec: GuestSpec = defaultSpec(images, {
    vcpus: 2,
    memoryMiB: 512,
    vcpuPins: { [GUEST_HK_VCPU]: housekeeping[0]!, [GUEST_RT_VCPU]: rtCpu },
    housekeepingCpus: housekeeping,
    accel: job.accel ?? "auto",
    memLock: true,
  });
  const { accel, note } = await resolveAccel(spec, { exec });
  if (note) job.onNote?.(note);
  spec = { ...spec, accel, vcpuFifoPriority: accel === "kvm" ? 1 : null };

  const startedAt = new Date().toISOString();
  const raw: Record<string, string> = {};
  const hostLoad = job.hostLoad ?? "idle";
  const result = await withLoad(
    { kind: hostLoad, cpus: housekeeping, durationMs: job.expectedMs },
    exec,
    async (running) => {
      const side = job.alongside?.();
      const r = await runGuest(
        spec,
        { script: job.script, timeoutMs: job.expectedMs + 180_000 },
        {
          exec,
          hostCpus: onlineHost,
          ...(job.onNote ? { onNote: job.onNote } : {}),
          ...(job.extraArgs ? { extraArgs: job.extraArgs } : {}),
        },
      );
      await side;
      if (running) raw["host-stress-ng.output"] = running.output();
      return r;
    },
  );
  raw["guest.console"] = result.console;
  raw["guest.setup"] = result.guestSetup;
  const environment: RunEnvironment = {
    ...readEnvironment(hostFs, toolVersions),
    where: "guest",
    accelerator: result.accel,
    guestKernelRelease: result.guestKernelRelease,
    guestCmdline: result.guestCmdline,
  };
  return {
    result,
    environment,
    raw,
    startedAt,
    params: {
      where: "guest",
      hostCpus: { vcpu0: housekeeping[0], vcpu1: rtCpu, qemuThreads: formatCpuList(housekeeping) },
      hostLoad,
      accelerator: result.accel,
      bootMs: result.bootMs,
      qemuName: result.qemuName,
      notes: result.notes,
    },
  };
}
