/**
 * derivePlan: from what a machine is (Host) and what the user asks (PlanOptions) to what should change (Plan).
 * Pure: no file is read, nothing runs. The seeds' ci/envs scripts hard-coded node 1, 2 guest CPUs and 2×1G pages
 * for one Haswell box; here the same decisions are computed from the topology and refused when impossible.
 */
import { UsageError } from "../errors.js";
import type { Host } from "../host/model.js";
import { cmdlineParamExists } from "../host/parse/arch.js";
import { formatCpuList } from "../host/parse/cpulist.js";
import { guestCmdline, hostCmdline } from "./plan-cmdline.js";
import { chooseCpus, cpuLayout } from "./plan-cpus.js";
import type { GuestSpec, Hugepages, MachineFingerprint, Plan, PlanOptions } from "./plan-types.js";
import { runtimeItems, vendorOf } from "./settings/derive.js";
import { HUGETLBFS_MOUNT } from "./settings/runtime.js";
import type { Profile } from "./settings/types.js";

export type * from "./plan-types.js";

/** The seeds' host-config: guest_cpus=2, huge_pages=2 (1G). */
export const DEFAULT_GUEST_CPUS = 2;
export const DEFAULT_HUGEPAGES = { sizeKiB: 1048576, count: 2 };

export function machineFingerprint(host: Host): MachineFingerprint {
  const layout = cpuLayout(host);
  const nodes: Record<string, string> = {};
  for (const [id, cpus] of [...layout.nodes].sort((a, b) => a[0] - b[0]))
    nodes[String(id)] = formatCpuList(cpus);
  return {
    vendor: host.cpu.vendor,
    model: host.cpu.modelName === null ? null : host.cpu.modelName.replace(/\s+/g, " ").trim(),
    cpus: layout.online.length,
    nodes,
    threadsPerCore: layout.threadsPerCore,
  };
}

export function derivePlan(host: Host, options: PlanOptions): Plan {
  const nicNotes: string[] = [];
  const choice = chooseCpus(host, onNicNode(host, options, nicNotes));
  const { node, isolated, housekeeping } = choice;
  const notes: string[] = [...nicNotes];
  const machine = machineFingerprint(host);
  const arch = host.cpu.arch;
  const base: Profile = {
    role: options.role,
    vendor: vendorOf(host.cpu.vendor),
    arch,
    isolated,
    housekeeping,
    hugepages: null,
    bootHugepages: null,
    invariantTsc: host.cpu.features.invariantTsc,
  };

  if (options.role === "guest") {
    if (options.guestCpus !== undefined) throw new UsageError("--guest-cpus is for --role host");
    if (options.sriov !== undefined || options.nic !== undefined)
      throw new UsageError("--sriov, --sriov-from and --nic are for --role host (the host owns the PFs)");
    const hp = options.hugepages ?? null;
    const params = guestCmdline({ ...base, bootHugepages: hp ?? { sizeKiB: DEFAULT_HUGEPAGES.sizeKiB } });
    if (host.cpu.features.hypervisor === false) {
      notes.push(
        "this machine is not a virtual machine (no hypervisor CPU flag): --role guest is meant for the guest",
      );
    }
    return {
      role: "guest",
      machine,
      node,
      isolated,
      housekeeping,
      stress: [],
      hugepages: hp === null ? null : { ...hp, node },
      cmdline: params,
      dropped: [],
      runtime: runtimeItems(base),
      guest: null,
      notes,
    };
  }

  const guestCpus = options.guestCpus ?? Math.min(DEFAULT_GUEST_CPUS, isolated.length);
  if (!Number.isInteger(guestCpus) || guestCpus < 1) {
    throw new UsageError(`--guest-cpus ${guestCpus}: expected a positive whole number`);
  }
  if (guestCpus > isolated.length) {
    throw new UsageError(
      `--guest-cpus ${guestCpus}: only ${isolated.length} real-time CPUs (${formatCpuList(isolated)}); ` +
        "each vCPU needs an isolated CPU of its own",
    );
  }
  const hp: Hugepages = { ...(options.hugepages ?? DEFAULT_HUGEPAGES), node };
  const profile: Profile = {
    ...base,
    hugepages: hp,
    bootHugepages: hp,
    ...(options.sriov ? { sriov: options.sriov } : {}),
  };
  const cmd = hostCmdline(profile);
  notes.push(...cmd.notes);
  const pins = isolated.slice(0, guestCpus);
  const stress = isolated.slice(guestCpus);
  const guest = guestSpec(pins, housekeeping, host, node, hp, arch);
  if (host.cpu.features.tscDeadlineTimer === false) {
    notes.push("the CPU has no TSC-deadline timer: the guest's +tsc-deadline cannot be honoured");
  }
  if (host.cpu.features.invariantTsc === false && cmdlineParamExists(arch, "tsc")) {
    notes.push("the CPU's TSC is not invariant (constant_tsc + nonstop_tsc): tsc=reliable is unsafe here");
  }
  return {
    role: "host",
    machine,
    node,
    isolated,
    housekeeping,
    stress,
    hugepages: hp,
    cmdline: cmd.params,
    dropped: cmd.dropped,
    runtime: runtimeItems(profile),
    guest,
    notes,
  };
}

/**
 * KVM4NFV: the NIC, the RT CPUs and the hugepages on one NUMA node. The NIC's node becomes the plan's unless the
 * user named another one (refused) or exact CPUs elsewhere (said in a note).
 */
function onNicNode(host: Host, options: PlanOptions, notes: string[]): PlanOptions {
  const nic = options.nic;
  if (nic === undefined) return options;
  if (nic.node === null) {
    notes.push(
      `${nic.name}: the kernel gives no NUMA node for it (numa_node -1): the RT node is chosen as usual`,
    );
    return options;
  }
  if (options.numaNode !== undefined && options.numaNode !== nic.node)
    throw new UsageError(
      `--numa-node ${options.numaNode}: ${nic.name} is on NUMA node ${nic.node}; the RT CPUs, the hugepages and the NIC must share one`,
    );
  if (options.cpus !== undefined) {
    const layout = cpuLayout(host);
    const nodeCpus = new Set(layout.nodes.get(nic.node) ?? []);
    const off = options.cpus.filter((c) => !nodeCpus.has(c));
    if (off.length > 0)
      notes.push(
        `--cpus ${formatCpuList(off)} not on ${nic.name}'s NUMA node ${nic.node}: its packets cross the interconnect`,
      );
    return options;
  }
  notes.push(
    `RT CPUs and hugepages on NUMA node ${nic.node}, ${nic.name}'s (KVM4NFV: one node for NIC, CPUs, memory)`,
  );
  return { ...options, numaNode: nic.node };
}

function guestSpec(
  pins: number[],
  housekeeping: number[],
  host: Host,
  node: number,
  hp: Hugepages,
  arch: Profile["arch"],
): GuestSpec {
  const layout = cpuLayout(host);
  const nodeCpus = new Set(layout.nodes.get(node) ?? []);
  // The emulator thread does I/O for the guest: keep it near the guest's memory, off the real-time CPUs.
  const local = housekeeping.filter((c) => nodeCpus.has(c));
  const emulatorCpus = local.length > 0 ? local : housekeeping;
  const vcpus = pins.length;
  // vCPU 0 is the guest's own housekeeping CPU (the seeds' guest isolcpus=1 on a 2-vCPU guest).
  const rtVcpus = vcpus > 1 ? Array.from({ length: vcpus - 1 }, (_, i) => i + 1) : [0];
  const guestHk = vcpus > 1 ? [0] : [];
  // The seeds ran the guest with -m 1G on 2×1G reserved pages; never ask for more than is reserved.
  const reservedMiB = Math.floor((hp.sizeKiB * hp.count) / 1024);
  const memoryMiB = Math.min(1024, reservedMiB);
  return {
    name: "kvm4nfv-rt",
    vcpus,
    memoryMiB,
    pins,
    emulatorCpus,
    rtVcpus,
    fifoPriority: 1,
    // host-run-qemu.sh's -cpu line: invtsc + tsc-deadline for a stable guest clock and timer, no PMU (its NMIs)
    cpuModel: "host,+invtsc,+tsc-deadline,pmu=off,migratable=off",
    memLock: true,
    hugepages: hp,
    mountPoint: HUGETLBFS_MOUNT,
    node,
    guestCmdline:
      vcpus > 1
        ? guestCmdline({
            role: "guest",
            vendor: vendorOf(host.cpu.vendor),
            arch,
            isolated: rtVcpus,
            housekeeping: guestHk,
            hugepages: null,
            bootHugepages: { sizeKiB: hp.sizeKiB },
            invariantTsc: null,
          })
        : [],
  };
}
