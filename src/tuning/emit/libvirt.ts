/**
 * The libvirt emitter: domain XML for the real-time guest (libvirt's real-time guide): one isolated CPU per vCPU
 * (vcpupin), the emulator on housekeeping CPUs of the same node (emulatorpin), SCHED_FIFO for the guest's real-time
 * vCPUs (vcpusched), hugepage-backed locked unshared memory on the node (numatune strict), host-passthrough CPU with
 * a TSC-deadline timer and an invariant TSC, no PMU, no balloon. The disk and network are yours to add.
 */
import { formatCpuList } from "../../host/parse/cpulist.js";
import { xmlEscape as esc } from "../../xml.js";
import type { Plan } from "../plan-types.js";

export function emitLibvirt(plan: Plan): string {
  const g = plan.guest;
  if (g === null) {
    throw new Error("the libvirt emitter needs a --role host plan (it describes the guest the host runs)");
  }
  const pageKiB = g.hugepages.sizeKiB;
  const lines = [
    "<domain type='kvm'>",
    `  <name>${esc(g.name)}</name>`,
    `  <memory unit='MiB'>${g.memoryMiB}</memory>`,
    `  <currentMemory unit='MiB'>${g.memoryMiB}</currentMemory>`,
    "  <memoryBacking>",
    "    <hugepages>",
    `      <page size='${pageKiB}' unit='KiB' nodeset='0'/>`,
    "    </hugepages>",
    "    <nosharepages/>",
    ...(g.memLock ? ["    <locked/>"] : []),
    "  </memoryBacking>",
    `  <vcpu placement='static'>${g.vcpus}</vcpu>`,
    "  <cputune>",
    ...g.pins.map((cpu, vcpu) => `    <vcpupin vcpu='${vcpu}' cpuset='${cpu}'/>`),
    `    <emulatorpin cpuset='${formatCpuList(g.emulatorCpus)}'/>`,
    `    <vcpusched vcpus='${formatCpuList(g.rtVcpus)}' scheduler='fifo' priority='${g.fifoPriority}'/>`,
    "  </cputune>",
    "  <numatune>",
    `    <memory mode='strict' nodeset='${g.node}'/>`,
    "  </numatune>",
    "  <os>",
    "    <type arch='x86_64' machine='q35'>hvm</type>",
    "  </os>",
    "  <features>",
    "    <acpi/>",
    "    <apic/>",
    "    <pmu state='off'/>",
    "  </features>",
    "  <cpu mode='host-passthrough' check='none' migratable='off'>",
    "    <feature policy='require' name='tsc-deadline'/>",
    "    <feature policy='require' name='invtsc'/>",
    "    <numa>",
    `      <cell id='0' cpus='0-${g.vcpus - 1}' memory='${g.memoryMiB}' unit='MiB'/>`,
    "    </numa>",
    "  </cpu>",
    "  <clock offset='utc'>",
    "    <timer name='rtc' tickpolicy='catchup'/>",
    "    <timer name='pit' tickpolicy='delay'/>",
    "    <timer name='hpet' present='no'/>",
    "  </clock>",
    "  <devices>",
    "    <memballoon model='none'/>",
    "  </devices>",
    "</domain>",
  ];
  return `${lines.join("\n")}\n`;
}
