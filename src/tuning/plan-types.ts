/**
 * The Plan: everything `kvm4nfv plan` decided for one machine, before it is written anywhere.
 * derivePlan (plan.ts) builds it from a Host; every emitter (emit/*.ts) is a pure function of it; `apply` reads the
 * JSON emitter's output back. Every decision carries a `why` that names the seed document or the anchor it follows,
 * so a reviewer can trace each parameter to its source.
 */

export type Role = "host" | "guest";

/** One kernel command-line parameter; `value` undefined for a bare flag ("nosoftlockup"). */
export interface CmdlineParam {
  key: string;
  value?: string;
  why: string;
}

/** A parameter a source recommends that the plan deliberately leaves out, and why. */
export interface DroppedParam {
  param: string;
  source: string;
  why: string;
}

/**
 * How `apply` decides a file already holds the planned value (idempotence): kernel files print the same set in several
 * spellings ("0003" vs "3" masks, "always madvise [never]" for THP), so comparison is by meaning, not by bytes.
 */
export type Compare = "text" | "int" | "min" | "cpulist" | "cpumask" | "selected";

/**
 * Write `value` to a file. A `*` path segment is expanded at apply time (IRQs come and go).
 * Kernel files (/proc, /sys) are never created: a missing one is reported as skipped.
 */
export interface WriteItem {
  kind: "write";
  path: string;
  value: string;
  compare: Compare;
  /** Current values that already count as done (KSM "0" is as off as "2"). */
  accept?: string[];
  /**
   * Kernel write errors that mean "the kernel keeps this one" rather than failure: managed IRQs answer EIO to an
   * affinity write, and that is by design.
   */
  tolerate?: string[];
  why: string;
}

/** Set shell-style KEY=value lines in a config file, keeping every other line (/etc/default/irqbalance). */
export interface KeysItem {
  kind: "keys";
  path: string;
  keys: Record<string, string>;
  why: string;
}

/** A whole file kvm4nfv owns (/etc/sysctl.d/…, /etc/modprobe.d/…) so the run-time settings survive a reboot. */
export interface FileItem {
  kind: "file";
  path: string;
  content: string;
  why: string;
}

/** Give kernel threads a real-time priority; PIDs are looked up by name at apply time. */
export interface SchedItem {
  kind: "sched";
  /** Thread name pattern: "ksoftirqd/*" matches ksoftirqd/0, ksoftirqd/1, … */
  comm: string;
  policy: "fifo";
  priority: number;
  why: string;
}

/** A service to restart so it rereads configuration (live hosts only). */
export interface ServiceItem {
  kind: "service";
  name: string;
  action: "restart";
  why: string;
}

/** A filesystem to mount (live hosts only). */
export interface MountItem {
  kind: "mount";
  fstype: string;
  target: string;
  options: string;
  why: string;
}

/**
 * Enable `count` VFs on the SR-IOV physical function `pf` (a PCI address): sriov_numvfs, 0 first when another
 * count is enabled (the kernel answers EBUSY otherwise, drivers/pci/iov.c sriov_numvfs_store).
 */
export interface SriovVfsItem {
  kind: "sriov-vfs";
  pf: string;
  count: number;
  why: string;
}

/** Bind every VF of `pf` to `driver` (driver_override, unbind, drivers_probe); VFs are known at apply time. */
export interface PciDriverItem {
  kind: "pci-driver";
  pf: string;
  driver: string;
  why: string;
}

export type RuntimeItem =
  | WriteItem
  | KeysItem
  | FileItem
  | SchedItem
  | ServiceItem
  | MountItem
  | SriovVfsItem
  | PciDriverItem;

/** What identifies the machine a plan was made for: apply refuses a plan made for another one. */
export interface MachineFingerprint {
  vendor: string | null;
  model: string | null;
  cpus: number;
  /** node id → cpulist */
  nodes: Record<string, string>;
  threadsPerCore: number;
}

export interface Hugepages {
  sizeKiB: number;
  count: number;
  node: number;
}

/** How to start the real-time guest on this host (host role only). */
export interface GuestSpec {
  name: string;
  vcpus: number;
  memoryMiB: number;
  /** vCPU i runs on physical CPU pins[i] (one vCPU per isolated CPU, never shared). */
  pins: number[];
  /** Where QEMU's emulator and I/O threads run: housekeeping CPUs of the same node. */
  emulatorCpus: number[];
  /** Guest vCPUs that are real-time inside the guest (vCPU 0 stays the guest's housekeeping CPU). */
  rtVcpus: number[];
  fifoPriority: number;
  /** QEMU -cpu: the host CPU with an invariant TSC and the TSC-deadline timer, no PMU, not migratable (invtsc) */
  cpuModel: string;
  /** guest memory locked in RAM (QEMU -overcommit mem-lock=on, libvirt <locked/>): no page is ever swapped */
  memLock: boolean;
  hugepages: Hugepages;
  mountPoint: string;
  node: number;
  /** The kernel command line the guest itself should boot with. */
  guestCmdline: CmdlineParam[];
}

export interface Plan {
  role: Role;
  machine: MachineFingerprint;
  /** The NUMA node the real-time CPUs (and the guest's memory) are on. */
  node: number;
  isolated: number[];
  housekeeping: number[];
  /** Isolated CPUs not given to the guest: where load generators run (the seeds' stress_isolcpus). */
  stress: number[];
  hugepages: Hugepages | null;
  cmdline: CmdlineParam[];
  dropped: DroppedParam[];
  runtime: RuntimeItem[];
  guest: GuestSpec | null;
  notes: string[];
}

export interface PlanOptions {
  role: Role;
  rtCpus?: number;
  cpus?: number[];
  numaNode?: number;
  guestCpus?: number;
  hugepages?: { sizeKiB: number; count: number };
  /** SR-IOV PFs to provision (plan --sriov / --sriov-from), resolved against the host's PFs */
  sriov?: SriovPfPlan[];
  /** the NIC whose NUMA node the RT CPUs and hugepages must share (--nic, or the --sriov PFs) */
  nic?: { name: string; node: number | null };
}

/** One PF of plan --sriov: how many VFs, and the driver its VFs get (null: the one the kernel probes). */
export interface SriovPfPlan {
  pf: string;
  netdev: string | null;
  vfs: number;
  driver: "vfio-pci" | null;
}
