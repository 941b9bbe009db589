/**
 * The JSON emitter: the plan as `apply` reads it back (see apply/plan-file.ts), CPU sets as cpulist strings.
 * The `machine` fingerprint lets apply refuse a plan made for another machine.
 */
import { formatCpuList } from "../../host/parse/cpulist.js";
import { formatCmdline, formatHugepageSize } from "../plan-cmdline.js";
import type { MachineFingerprint, Plan, Role, RuntimeItem } from "../plan-types.js";

export const PLAN_KIND = "kvm4nfv-plan";
export const PLAN_VERSION = 1;

export interface PlanDocument {
  kind: typeof PLAN_KIND;
  version: typeof PLAN_VERSION;
  role: Role;
  machine: MachineFingerprint;
  cpus: {
    node: number;
    isolated: string;
    housekeeping: string;
    guest: string;
    stress: string;
    emulator: string;
  };
  hugepages: { size: string; count: number; node: number } | null;
  cmdline: string;
  cmdlineParams: { param: string; why: string }[];
  dropped: { param: string; source: string; why: string }[];
  runtime: RuntimeItem[];
  guest: {
    name: string;
    vcpus: number;
    memoryMiB: number;
    pins: Record<string, number>;
    emulatorCpus: string;
    rtVcpus: string;
    fifoPriority: number;
    cpuModel: string;
    memLock: boolean;
    hugepages: string;
    mountPoint: string;
    cmdline: string;
  } | null;
  notes: string[];
}

export function toDocument(plan: Plan): PlanDocument {
  const g = plan.guest;
  return {
    kind: PLAN_KIND,
    version: PLAN_VERSION,
    role: plan.role,
    machine: plan.machine,
    cpus: {
      node: plan.node,
      isolated: formatCpuList(plan.isolated),
      housekeeping: formatCpuList(plan.housekeeping),
      guest: formatCpuList(g?.pins ?? []),
      stress: formatCpuList(plan.stress),
      emulator: formatCpuList(g?.emulatorCpus ?? []),
    },
    hugepages:
      plan.hugepages === null
        ? null
        : {
            size: formatHugepageSize(plan.hugepages.sizeKiB),
            count: plan.hugepages.count,
            node: plan.hugepages.node,
          },
    cmdline: formatCmdline(plan.cmdline),
    cmdlineParams: plan.cmdline.map((p) => ({ param: formatCmdline([p]), why: p.why })),
    dropped: plan.dropped,
    runtime: plan.runtime,
    guest:
      g === null
        ? null
        : {
            name: g.name,
            vcpus: g.vcpus,
            memoryMiB: g.memoryMiB,
            pins: Object.fromEntries(g.pins.map((cpu, vcpu) => [String(vcpu), cpu])),
            emulatorCpus: formatCpuList(g.emulatorCpus),
            rtVcpus: formatCpuList(g.rtVcpus),
            fifoPriority: g.fifoPriority,
            cpuModel: g.cpuModel,
            memLock: g.memLock,
            hugepages: `${g.hugepages.count}x${formatHugepageSize(g.hugepages.sizeKiB)} on node ${g.hugepages.node}`,
            mountPoint: g.mountPoint,
            cmdline: formatCmdline(g.guestCmdline),
          },
    notes: plan.notes,
  };
}

export function emitJson(plan: Plan): string {
  return `${JSON.stringify(toDocument(plan), null, 2)}\n`;
}
