/**
 * The files kvm4nfv reads from a machine, in one place: what readHost (read.ts, read-runtime.ts) and the
 * timer test's environment look at, as shell glob patterns. A remote node is read by fetching exactly these
 * in one SSH round trip (src/pod/remote-fs.ts); `kvm4nfv inspect --list-files` prints them for other tools.
 *
 * A test runs readHost over every snapshot fixture and the live machine and fails if it touches a path no
 * pattern here covers: a reader that starts reading a new file must add it here.
 *
 * Patterns: `*` and `[0-9]*` are shell globs expanded on the node; `{release}` is the running kernel's release
 * (/proc/sys/kernel/osrelease), so only its config is fetched.
 */
import { PATHS, sysctlPath } from "./paths.js";
import { KVM_PARAMS, SYSCTLS } from "./read-runtime.js";

export type FileKind = "read" | "list" | "link" | "exists";

export interface FileSpec {
  kind: FileKind;
  pattern: string;
}

const CPU = "/sys/devices/system/cpu";
const NODE = "/sys/devices/system/node";
const NET = "/sys/class/net/*/device";

const read = (...patterns: string[]): FileSpec[] => patterns.map((pattern) => ({ kind: "read", pattern }));
const list = (...patterns: string[]): FileSpec[] => patterns.map((pattern) => ({ kind: "list", pattern }));

/** SR-IOV (sriov.ts): PFs found under /sys/bus/pci/devices or through /sys/class/net, their VFs, IOMMU groups. */
const PCI_DEVS = ["/sys/bus/pci/devices/*", NET];
const PF_FILES = ["uevent", "sriov_drivers_autoprobe", "numa_node", "vendor", "device", "sriov_vf_device"];
const PF_MORE = ["sriov_totalvfs", "sriov_numvfs", "sriov_offset", "sriov_stride"];
const SRIOV_FILES: readonly FileSpec[] = [
  ...read(
    "/kvm4nfv/ip-d-link-show.txt",
    "/sys/module/pcie_aspm/parameters/policy",
    "/sys/class/net/*/operstate",
  ),
  ...list("/sys/bus/pci/devices", "/sys/module", "/sys/kernel/iommu_groups/*/devices"),
  ...read("/sys/kernel/iommu_groups/*/devices/*/uevent"),
  { kind: "link", pattern: "/sys/kernel/iommu_groups/*/devices/*/driver" },
  { kind: "exists", pattern: "/sys/module/vfio_pci" },
  { kind: "exists", pattern: "/sys/bus/pci/drivers/vfio-pci" },
  ...PCI_DEVS.flatMap((dev) => {
    const vf = `${dev}/virtfn[0-9]*`;
    return [
      { kind: "exists", pattern: `${dev}/sriov_totalvfs` } as FileSpec,
      ...list(dev, `${dev}/net`, `${vf}/net`),
      ...read(...[...PF_FILES, ...PF_MORE].map((f) => `${dev}/${f}`)),
      ...read(...["uevent", "device", "driver_override"].map((f) => `${vf}/${f}`)),
      ...[dev, `${dev}/driver`, `${dev}/iommu_group`, vf, `${vf}/driver`, `${vf}/iommu_group`].map(
        (pattern): FileSpec => ({ kind: "link", pattern }),
      ),
    ];
  }),
];

export const HOST_FILES: readonly FileSpec[] = [
  // identity, kernel, cmdline, config
  ...read("/proc/cpuinfo", "/proc/meminfo", "/proc/version", "/proc/cmdline", "/proc/config.gz"),
  ...read(
    "/proc/sys/kernel/hostname",
    "/proc/sys/kernel/osrelease",
    "/proc/sys/kernel/version",
    "/etc/hostname",
    "/proc/sys/kernel/arch",
  ),
  ...read("/boot/config-{release}", "/sys/kernel/realtime", "/etc/default/grub"),
  // topology
  ...list(CPU, NODE, `${NODE}/node[0-9]*/hugepages`),
  ...read(
    `${CPU}/online`,
    `${CPU}/possible`,
    `${CPU}/isolated`,
    `${CPU}/nohz_full`,
    `${CPU}/smt/active`,
    `${CPU}/smt/control`,
  ),
  ...read(`${CPU}/cpu[0-9]*/online`),
  ...[
    "physical_package_id",
    "core_id",
    "thread_siblings_list",
    "core_cpus_list",
    "core_siblings",
    "core_siblings_list",
    "package_cpus_list",
  ].flatMap((f) => read(`${CPU}/cpu[0-9]*/topology/${f}`)),
  ...read(`${NODE}/node[0-9]*/meminfo`, `${NODE}/node[0-9]*/cpulist`),
  ...read(
    `${NODE}/node[0-9]*/hugepages/hugepages-*kB/nr_hugepages`,
    `${NODE}/node[0-9]*/hugepages/hugepages-*kB/free_hugepages`,
  ),
  // run time: sysctls, clocks, idle and frequency
  ...read(...SYSCTLS.map(sysctlPath)),
  ...read(PATHS.clocksource, "/sys/devices/system/clocksource/clocksource0/available_clocksource"),
  ...read(
    `${CPU}/cpuidle/current_driver`,
    `${CPU}/cpuidle/current_governor_ro`,
    `${CPU}/cpuidle/current_governor`,
  ),
  ...read(`${CPU}/cpu[0-9]*/cpufreq/scaling_governor`, `${CPU}/cpu[0-9]*/cpufreq/scaling_driver`),
  ...read(`${CPU}/intel_pstate/status`, `${CPU}/amd_pstate/status`, PATHS.intelNoTurbo, PATHS.cpufreqBoost),
  // memory
  ...list("/sys/kernel/mm/hugepages"),
  ...read(
    "/sys/kernel/mm/hugepages/hugepages-*kB/nr_hugepages",
    "/sys/kernel/mm/hugepages/hugepages-*kB/free_hugepages",
  ),
  ...read(PATHS.thpEnabled, "/sys/kernel/mm/transparent_hugepage/defrag", PATHS.ksmRun),
  // IRQs, irqbalance, workqueues
  ...list("/proc", "/proc/irq"),
  ...read(
    "/proc/[0-9]*/comm",
    PATHS.irqbalanceDefaults,
    "/etc/sysconfig/irqbalance",
    "/proc/interrupts",
    PATHS.irqDefaultAffinity,
  ),
  ...["smp_affinity_list", "smp_affinity", "effective_affinity_list", "effective_affinity"].flatMap((f) =>
    read(`/proc/irq/[0-9]*/${f}`),
  ),
  ...read(PATHS.workqueueCpumask, PATHS.writebackCpumask),
  // KVM, IOMMU, NICs
  ...Object.entries(KVM_PARAMS).flatMap(([mod, names]) => [
    ...list(`/sys/module/${mod}/parameters`),
    ...read(...names.map((n) => `/sys/module/${mod}/parameters/${n}`)),
  ]),
  { kind: "exists", pattern: "/dev/kvm" },
  { kind: "exists", pattern: "/dev" },
  { kind: "exists", pattern: "/sys/firmware/acpi/tables/DMAR" },
  { kind: "exists", pattern: "/sys/firmware/acpi/tables/IVRS" },
  { kind: "exists", pattern: "/sys/firmware/acpi/tables" },
  ...list("/sys/kernel/iommu_groups", "/sys/class/net", NET),
  ...read(`${NET}/uevent`, `${NET}/numa_node`, `${NET}/sriov_totalvfs`, `${NET}/sriov_numvfs`),
  { kind: "link", pattern: NET },
  { kind: "link", pattern: `${NET}/driver` },
  ...SRIOV_FILES,
];

/** One line per pattern: "read /proc/cpuinfo". */
export function formatFileList(specs: readonly FileSpec[] = HOST_FILES): string {
  return specs.map((s) => `${s.kind} ${s.pattern}\n`).join("");
}

/** A pattern as a regular expression over absolute paths (for the coverage test and for misses). */
export function patternRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (pattern.startsWith("{release}", i)) {
      re += "[^/]+";
      i += "{release}".length - 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "[") {
      const end = pattern.indexOf("]", i);
      re += pattern.slice(i, end + 1);
      i = end;
    } else re += c.replace(/[.+?^$()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
