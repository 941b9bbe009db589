/**
 * The qemu emitter: the argv (QEMU 7.2) that host-run-qemu.sh used, brought up to date, plus the pinning QEMU cannot
 * do itself. `-realtime mlock=on` was removed in QEMU 6.0: `-overcommit mem-lock=on` replaces it; -mem-path becomes a
 * memory-backend-file bound to the real-time node. The disk/kernel and network are yours to add.
 */
import { formatCpuList } from "../../host/parse/cpulist.js";
import { formatHugepageSize } from "../plan-cmdline.js";
import type { Plan } from "../plan-types.js";

export interface QemuSpec {
  argv: string[];
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
  const argv = [
    "qemu-system-x86_64",
    "-name",
    `${g.name},debug-threads=on`,
    "-machine",
    "q35,accel=kvm,memory-backend=mem0",
    "-cpu",
    g.cpuModel,
    "-smp",
    String(g.vcpus),
    "-m",
    mem,
    "-object",
    `memory-backend-file,id=mem0,size=${mem},mem-path=${g.mountPoint},prealloc=on,share=off,host-nodes=${g.node},policy=bind`,
    "-overcommit",
    `mem-lock=${g.memLock ? "on" : "off"}`,
    "-nodefaults",
    "-nographic",
  ];
  return {
    argv,
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
      `hugetlbfs with pagesize=${formatHugepageSize(g.hugepages.sizeKiB)} must be mounted on ${g.mountPoint}`,
      "invtsc and migratable=off block live migration: this guest stays on this host",
    ],
  };
}

export function emitQemu(plan: Plan): string {
  return `${JSON.stringify(qemuSpec(plan), null, 2)}\n`;
}
