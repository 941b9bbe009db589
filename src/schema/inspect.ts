/**
 * `kvm4nfv inspect --json` as zod: the Host model (src/host/model.ts) with every CPU set written as a cpulist string
 * (src/host/inspect-render.ts). `null` is "unknown" everywhere. Objects are strict, so a field added to the model
 * without its schema fails the validation tests (test/consumers/json-schema.test.ts) on every snapshot.
 */
import { z } from "zod";
import { sriovSchema } from "../host/sriov-schema.js";

/** cpulist ("18-35", "0,2-3"); "" for none */
export const cpulist = z.string().regex(/^(\d+(-\d+)?(,\d+(-\d+)?)*)?$/);
const int = z.number().int();
const pages = z.record(z.string(), z.strictObject({ total: int, free: int }));
const str = z.string().nullable();
const bool = z.boolean().nullable();

const cpu = z.strictObject({
  /** the kernel's ARCH name (x86, arm64, powerpc, riscv, …) */
  arch: str,
  vendor: str,
  modelName: str,
  family: int.nullable(),
  model: int.nullable(),
  stepping: int.nullable(),
  microcode: str,
  flags: z.array(z.string()),
  features: z.strictObject({
    tscDeadlineTimer: bool,
    constantTsc: bool,
    nonstopTsc: bool,
    invariantTsc: bool,
    vmx: bool,
    svm: bool,
    secondLevelPaging: bool,
    hypervisor: bool,
    apicv: bool,
    postedInterrupts: bool,
  }),
});

const topology = z.strictObject({
  cpus: z.array(
    z.strictObject({
      cpu: int,
      online: z.boolean(),
      socket: int.nullable(),
      core: int.nullable(),
      node: int.nullable(),
      siblings: cpulist,
    }),
  ),
  online: cpulist,
  possible: cpulist,
  sockets: int,
  cores: int,
  threadsPerCore: int,
  numaNodes: z.array(
    z.strictObject({
      id: int,
      /** "" = a node with memory and no CPUs; null = unknown */
      cpus: cpulist.nullable(),
      memTotalKiB: int.nullable(),
      memFreeKiB: int.nullable(),
      hugepages: pages,
    }),
  ),
  smtControl: str,
  smtActive: bool,
});

const kernel = z.strictObject({
  release: str,
  version: str,
  cmdline: str,
  params: z.record(z.string(), z.string()),
  realtime: bool,
  configSource: str,
  config: z.record(z.string(), z.string()),
  grub: z.strictObject({ cmdlineLinux: str, cmdlineLinuxDefault: str }).nullable(),
});

const runtime = z.strictObject({
  isolated: cpulist.nullable(),
  nohzFull: cpulist.nullable(),
  clocksource: z.strictObject({ current: str, available: z.array(z.string()) }),
  cpuidle: z.strictObject({ driver: str, governor: str }),
  cpufreq: z.strictObject({
    driver: str,
    governors: z.record(z.string(), z.string()),
    pstateStatus: str,
    turbo: bool,
  }),
  hugepages: z.strictObject({ bySize: pages, defaultSizeKiB: int.nullable() }),
  thp: z.strictObject({ enabled: str, defrag: str }),
  ksmRun: int.nullable(),
  sysctl: z.strictObject({
    "kernel.watchdog": str,
    "kernel.nmi_watchdog": str,
    "kernel.sched_rt_runtime_us": str,
    "kernel.sched_rt_period_us": str,
    "kernel.timer_migration": str,
    "vm.stat_interval": str,
  }),
  irqbalanceRunning: bool,
  irqbalanceBanned: cpulist.nullable(),
  irqs: z.array(
    z.strictObject({ irq: int, affinity: cpulist.nullable(), effective: cpulist.nullable(), actions: str }),
  ),
  defaultIrqAffinity: cpulist.nullable(),
  workqueue: z.strictObject({ cpumask: cpulist.nullable(), writebackCpumask: cpulist.nullable() }),
  kvm: z.strictObject({ vendorModule: str, params: z.record(z.string(), z.string()), devKvm: bool }),
  iommu: z.strictObject({ groups: int.nullable(), dmarOrIvrs: bool }),
  net: z.array(
    z.strictObject({
      iface: z.string(),
      pciAddress: str,
      driver: str,
      numaNode: int.nullable(),
      sriovTotalVfs: int.nullable(),
      sriovNumVfs: int.nullable(),
    }),
  ),
});

export const inspectJsonSchema = z
  .strictObject({
    source: z.string(),
    hostname: str,
    cpu,
    topology,
    kernel,
    runtime,
    sriov: sriovSchema.optional(),
  })
  .meta({ title: "kvm4nfv inspect --json", description: "docs/inspect-json.md; null means unknown." });
