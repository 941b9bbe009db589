/**
 * The qemu emitter: the argv (QEMU 7.2) that host-run-qemu.sh used, brought up to date, plus the pinning QEMU cannot
 * do itself. `-realtime mlock=on` was removed in QEMU 6.0: `-overcommit mem-lock=on` replaces it.
 *
 * Memory is a memory-backend-memfd with hugetlb=on, not -mem-path: a -mem-path (or memory-backend-file) on a
 * directory that is not a mounted hugetlbfs makes QEMU create a regular file there and run without hugepages,
 * silently. memfd asks the kernel for hugetlb pages of the plan's size directly, needs no mount, and with
 * prealloc=on QEMU refuses to start when the pool cannot back the guest (tested with the real QEMU:
 * test/consumers/qemu.test.ts).
 *
 * The same choices as the libvirt emitter: no HPET (`hpet=off` ↔ `<timer name='hpet' present='no'/>`), RTC
 * catch-up (`driftfix=slew` ↔ `tickpolicy='catchup'`), PIT delay (`kvm-pit.lost_tick_policy=delay`), memory not
 * merged by KSM (`merge=off` ↔ `<nosharepages/>`), locked (`mem-lock=on` ↔ `<locked/>`), one guest NUMA node
 * backed by the host node (`-numa node,memdev` ↔ `<numa><cell>` + `<numatune mode='strict'>`), no balloon
 * (`-nodefaults` ↔ `<memballoon model='none'/>`). A QMP socket lets the pinning step ask query-cpus-fast for the
 * vCPU threads. The disk/kernel and network are yours to add.
 */
import { formatCpuList } from "../../host/parse/cpulist.js";
import { formatHugepageSize } from "../plan-cmdline.js";
import type { Plan } from "../plan-types.js";

export interface QemuSpec {
  argv: string[];
  /** QMP socket in the argv (`-qmp unix:…,server=on,wait=off`): the pinning step connects here */
  qmp: string;
  pinning: {
    /** start QEMU under `taskset -c` this list so its emulator and I/O threads stay on housekeeping CPUs */
    emulatorCpus: string;
    /** after start: query-cpus-fast gives each vCPU's thread-id; taskset -pc CPU TID */
    vcpus: { vcpu: number; cpu: number; fifoPriority: number | null }[];
  };
  guestCmdline: string;
  notes: string[];
}

export function qemuSpec(plan: Plan): QemuSpec {
  const g = plan.guest;
  if (g === null)
    throw new Error("the qemu emitter needs a --role host plan (it describes the guest the host runs)");
  const mem = `${g.memoryMiB}M`;
  const qmp = `/run/kvm4nfv-${g.name}.qmp`;
  const backend = [
    "memory-backend-memfd",
    "id=mem0",
    `size=${mem}`,
    "hugetlb=on",
    `hugetlbsize=${formatHugepageSize(g.hugepages.sizeKiB)}`,
    "prealloc=on",
    "share=off",
    "merge=off",
    `host-nodes=${g.node}`,
    "policy=bind",
  ].join(",");
  const argv = [
    "qemu-system-x86_64",
    "-name",
    `${g.name},debug-threads=on`,
    "-machine",
    "q35,accel=kvm,hpet=off",
    "-cpu",
    g.cpuModel,
    "-smp",
    String(g.vcpus),
    "-m",
    mem,
    "-object",
    backend,
    "-numa",
    `node,nodeid=0,cpus=0-${g.vcpus - 1},memdev=mem0`,
    "-overcommit",
    `mem-lock=${g.memLock ? "on" : "off"}`,
    "-rtc",
    "base=utc,driftfix=slew",
    "-global",
    "kvm-pit.lost_tick_policy=delay",
    "-qmp",
    `unix:${qmp},server=on,wait=off`,
    "-nodefaults",
    "-nographic",
  ];
  return {
    argv,
    qmp,
    pinning: {
      emulatorCpus: formatCpuList(g.emulatorCpus),
      vcpus: g.pins.map((cpu, vcpu) => ({
        vcpu,
        cpu,
        fifoPriority: g.rtVcpus.includes(vcpu) ? g.fifoPriority : null,
      })),
    },
    guestCmdline: g.guestCmdline
      .map((p) => (p.value === undefined ? p.key : `${p.key}=${p.value}`))
      .join(" "),
    notes: [
      `${g.hugepages.count} free ${formatHugepageSize(g.hugepages.sizeKiB)} hugepages on node ${g.node} (QEMU refuses to start without them; no hugetlbfs mount needed)`,
      "invtsc and migratable=off block live migration: this guest stays on this host",
    ],
  };
}

export function emitQemu(plan: Plan): string {
  return `${JSON.stringify(qemuSpec(plan), null, 2)}\n`;
}
