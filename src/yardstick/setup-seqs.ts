/**
 * KVM4NFV's setup scripts (opnfv/kvmfornfv ci/envs/*.sh), as task files list them in
 * setup_options.host_setup_seqs / guest_setup_seqs, mapped to what kvm4nfv does instead. Yardstick copied the
 * scripts to the node and ran them in order over SSH; kvm4nfv never runs them. A script it does not know is
 * refused by name (exit 2) before anything runs.
 */
import { InputError } from "../errors.js";
import type { LoadKind } from "../measure/load.js";
import type { Scenario, Task } from "./task.js";

export interface SetupMapping {
  /** Original script → what kvm4nfv does for it (shown before the run). */
  steps: Array<{ script: string; does: string }>;
  /** host-setup0.sh: the kernel cmdline part of a host plan; host-setup1.sh: its run-time part. */
  tuneCmdline: boolean;
  tuneRuntime: boolean;
  /** host-run-qemu.sh: cyclictest runs in kvm4nfv's RT guest. */
  guest: boolean;
  hostLoad: LoadKind;
  guestLoad: LoadKind;
}

const STRESS: Record<string, LoadKind> = { cpu: "cpu", memory: "memory", io: "io" };

const HOST: Record<string, string> = {
  "host-setup0.sh":
    "kernel command line (isolcpus/nohz_full/rcu_nocbs, intel_iommu=on iommu=pt, 1G hugepages, mce=off idle=poll tsc=reliable) and the boot entries: kvm4nfv plan --role host, then apply (a dry run unless --yes)",
  reboot:
    "the reboot after host-setup0.sh: kvm4nfv never reboots a host; when apply --yes changed the cmdline it stops with 'reboot required' (run the task again after the reboot)",
  "host-setup1.sh":
    "run-time tuning (hugetlbfs, kernel.watchdog/nmi_watchdog 0, RT throttling off, ksoftirqd/rcuc FIFO priorities, IRQs off the RT CPUs): the run-time part of the same plan, applied by apply",
  "host-install-qemu.sh": "nothing to install: Debian's qemu-system-x86 (checked when the guest starts)",
  "host-run-qemu.sh":
    "the RT guest: kvm4nfv's guest launch (QEMU paused, vCPUs pinned from query-cpus-fast, mlock), cyclictest runs in it",
  "host-run-livemigration.sh":
    "the source and -incoming destination QEMUs: kvm4nfv test migration starts both itself",
  "host-run-qemu4lm.sh":
    "the source and -incoming destination QEMUs: kvm4nfv test migration starts both itself",
  "setup_ovsdpdk.sh": "not needed: kvm4nfv migrates over TCP on loopback, without OVS-DPDK",
  "setup-ovsdpdk.sh": "not needed: kvm4nfv migrates over TCP on loopback, without OVS-DPDK",
};

const GUEST: Record<string, string> = {
  "guest-setup0.sh":
    "the guest's RT kernel and cmdline: kvm4nfv guest build (Debian's linux-image-rt-amd64, isolcpus=1 on its cmdline)",
  reboot: "the guest reboot after guest-setup0.sh: kvm4nfv's guest boots its RT kernel directly",
  "guest-setup1.sh":
    "guest run-time tuning (watchdogs off, RT throttling off, timer_migration 0, IRQs to CPU 0): done by the guest image's /init",
};

/** env.teardown scripts KVM4NFV listed. */
const TEARDOWN: Record<string, string> = {
  "disable_trace.bash": "nothing to undo: kvm4nfv turns on no ftrace for a timer run",
  "disable_trace.sh": "nothing to undo: kvm4nfv turns on no ftrace for a timer run",
};

function refuse(task: Task, line: number, key: string, script: string, known: string[]): never {
  throw new InputError(
    "BAD_INPUT",
    `${task.file}:${line}: ${key}: setup script "${script}" is not one kvm4nfv knows; refused, nothing was run`,
    `known: ${known.join(", ")}`,
  );
}

export function mapSetup(task: Task, s: Scenario): SetupMapping {
  const m: SetupMapping = {
    steps: [],
    tuneCmdline: false,
    tuneRuntime: false,
    guest: false,
    hostLoad: "idle",
    guestLoad: "idle",
  };
  const base = `scenarios.${s.index}.setup_options`;
  const stress = (where: "host" | "guest", script: string, line: number, key: string): boolean => {
    const [name, arg, ...rest] = script.split(/\s+/);
    if (name !== "stress_daily.sh") return false;
    const kind = arg !== undefined && rest.length === 0 ? STRESS[arg] : undefined;
    if (!kind) {
      throw new InputError(
        "BAD_INPUT",
        `${task.file}:${line}: ${key}: "${script}": stress_daily.sh takes one of cpu, memory, io`,
      );
    }
    if (where === "host") m.hostLoad = kind;
    else m.guestLoad = kind;
    m.steps.push({
      script: where === "guest" ? `guest: ${script}` : script,
      does: `stress-ng ${kind} load ${where === "host" ? "on the host's other CPUs" : "in the guest (vCPU 0)"} for the length of the test (stress_scripts.sh ran stress ${kind === "cpu" ? "--cpu 100" : kind === "memory" ? "--vm 100" : "--io 10 --hdd 100"})`,
    });
    return true;
  };
  s.hostSetup.forEach(({ script, line }, j) => {
    const key = `${base}.host_setup_seqs.${j}`;
    if (stress("host", script, line, key)) return;
    const does = HOST[script];
    if (!does) refuse(task, line, key, script, [...Object.keys(HOST), "stress_daily.sh cpu|memory|io"]);
    if (script === "host-setup0.sh") m.tuneCmdline = true;
    if (script === "host-setup1.sh") m.tuneRuntime = true;
    if (script === "host-run-qemu.sh") m.guest = true;
    m.steps.push({ script, does });
  });
  s.guestSetup.forEach(({ script, line }, j) => {
    const key = `${base}.guest_setup_seqs.${j}`;
    if (stress("guest", script, line, key)) return;
    const does = GUEST[script];
    if (!does) refuse(task, line, key, script, [...Object.keys(GUEST), "stress_daily.sh cpu|memory|io"]);
    m.steps.push({ script: `guest: ${script}`, does });
  });
  return m;
}

export function mapTeardown(task: Task): Array<{ script: string; does: string }> {
  const out: Array<{ script: string; does: string }> = [];
  for (const c of task.contexts) {
    c.teardown.forEach((t, j) => {
      const does = TEARDOWN[t.script];
      if (!does) {
        throw new InputError(
          "BAD_INPUT",
          `${task.file}:${t.line}: context.env.teardown.${j}.${t.node}.script: teardown script "${t.script}" is not one kvm4nfv knows; refused, nothing was run`,
          `known: ${Object.keys(TEARDOWN).join(", ")}`,
        );
      }
      out.push({ script: `${t.node}: ${t.script}`, does });
    });
  }
  return out;
}
