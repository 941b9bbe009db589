/**
 * What the running QEMU (and this host) can do for a faster migration, asked rather than assumed: a QEMU with
 * `-machine none` (no guest, ~0.1 s) answers query-migrate-capabilities, query-migrate-parameters and
 * device-list-properties for virtio-balloon-pci; the host's hugepage pool is read from sysfs. The answer decides
 * the guest's devices before the guest boots (a balloon cannot be added to a running source and must exist on
 * both sides) and is stored with every run.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Exec, realExec } from "../exec.js";
import { makeTempDir } from "../tempdir.js";
import { qemuOptValue } from "./argv.js";
import { requireQemu } from "./launcher.js";
import { QmpClient } from "./qmp.js";

export interface MigrationSupport {
  qemu: string;
  /** query-migrate-capabilities: name → state as a fresh QEMU starts. */
  capabilities: Record<string, boolean>;
  /** query-migrate-parameters as a fresh QEMU starts (its defaults). */
  parameters: Record<string, unknown>;
  /** virtio-balloon-pci's properties (device-list-properties), names only. */
  balloonProperties: string[];
  hugepages: HugepagePool | null;
  /** The kernel's userfaultfd, which postcopy's destination needs (absent in probes stored before it was asked). */
  userfaultfd?: { kernel: boolean; unprivileged: boolean | null } | null;
}

export interface HugepagePool {
  sizeKiB: number;
  total: number;
  free: number;
  /** A hugetlbfs mount of this size, if one is mounted. */
  mount: string | null;
}

/** The features kvm4nfv uses, each with whether it is there and why not (one line each, for notes). */
export interface SupportVerdicts {
  freePageHint: { ok: boolean; why: string };
  multifdZeroPage: { ok: boolean; why: string };
  switchoverAck: { ok: boolean; why: string };
  hugepages: { ok: boolean; why: string };
  postcopy: { ok: boolean; why: string };
  dirtyLimit: { ok: boolean; why: string };
}

/** Pure: the probe's answers → what kvm4nfv may use for a guest of `memoryMiB` (source + destination). */
export function judgeSupport(
  s: MigrationSupport,
  memoryMiB: number,
  accel: "kvm" | "tcg" = "tcg",
): SupportVerdicts {
  const fph = s.balloonProperties.includes("free-page-hint") && s.balloonProperties.includes("iothread");
  const zpd = "zero-page-detection" in s.parameters;
  const sack = "switchover-ack" in s.capabilities;
  const hp = s.hugepages;
  const needed = hp ? Math.ceil((memoryMiB * 1024) / hp.sizeKiB) * 2 : 0;
  return {
    freePageHint: {
      ok: fph,
      why: fph
        ? `QEMU ${s.qemu}: virtio-balloon-pci has free-page-hint and iothread`
        : `QEMU ${s.qemu}: virtio-balloon-pci lacks ${s.balloonProperties.includes("free-page-hint") ? "iothread" : "free-page-hint"}`,
    },
    multifdZeroPage: {
      ok: zpd,
      why: zpd
        ? `QEMU ${s.qemu}: zero-page-detection=${String(s.parameters["zero-page-detection"])} (multifd threads can detect zero pages)`
        : `QEMU ${s.qemu} has no zero-page-detection parameter (QEMU 9.0+): zero pages are found by the one migration thread`,
    },
    switchoverAck: {
      ok: sack,
      why: sack
        ? `QEMU ${s.qemu} has switchover-ack`
        : `QEMU ${s.qemu} has no switchover-ack capability (QEMU 8.1+)`,
    },
    hugepages: !hp
      ? { ok: false, why: "no hugepage pool on this host" }
      : !hp.mount
        ? { ok: false, why: `no hugetlbfs of ${hp.sizeKiB / 1024} MiB pages mounted` }
        : hp.free < needed
          ? {
              ok: false,
              why: `${hp.free} free ${hp.sizeKiB / 1024} MiB hugepages, ${needed} needed for source + destination of ${memoryMiB} MiB`,
            }
          : { ok: true, why: `${hp.free} free ${hp.sizeKiB / 1024} MiB hugepages at ${hp.mount}` },
    postcopy: judgePostcopy(s),
    // QEMU refuses it otherwise: "dirty-limit requires KVM with accelerator property 'dirty-ring-size' set"
    dirtyLimit: !("dirty-limit" in s.capabilities)
      ? { ok: false, why: `QEMU ${s.qemu} has no dirty-limit capability (QEMU 8.1+)` }
      : accel !== "kvm"
        ? {
            ok: false,
            why: `dirty-limit needs KVM's dirty ring (-accel kvm,dirty-ring-size=N); this run is TCG`,
          }
        : {
            ok: false,
            why: "dirty-limit needs KVM's dirty ring: the migration guest's launcher sets no dirty-ring-size",
          },
  };
}

function judgePostcopy(s: MigrationSupport): { ok: boolean; why: string } {
  if (!("postcopy-ram" in s.capabilities)) return { ok: false, why: `QEMU ${s.qemu} has no postcopy-ram` };
  const u = s.userfaultfd;
  if (u === undefined || u === null)
    return { ok: true, why: `QEMU ${s.qemu} has postcopy-ram (userfaultfd not checked)` };
  if (!u.kernel)
    return { ok: false, why: "this kernel has no userfaultfd (the destination needs it for postcopy)" };
  return { ok: true, why: `QEMU ${s.qemu} has postcopy-ram; the kernel has userfaultfd` };
}

/** Whether the kernel has userfaultfd (its sysctl exists with CONFIG_USERFAULTFD), read from `root`. */
export function readUserfaultfd(root = "/"): { kernel: boolean; unprivileged: boolean | null } {
  const sysctl = join(root, "proc/sys/vm/unprivileged_userfaultfd");
  if (!existsSync(sysctl)) return { kernel: existsSync(join(root, "dev/userfaultfd")), unprivileged: null };
  return { kernel: true, unprivileged: readFileSync(sysctl, "utf8").trim() === "1" };
}

/** The 2 MiB pool (the size every x86 host has) and its hugetlbfs mount, read from `root` (default "/"). */
export function readHugepagePool(root = "/"): HugepagePool | null {
  const sizeKiB = 2048;
  const dir = join(root, "sys/kernel/mm/hugepages", `hugepages-${sizeKiB}kB`);
  if (!existsSync(dir)) return null;
  const num = (f: string) => Number(readFileSync(join(dir, f), "utf8").trim());
  let mount: string | null = null;
  try {
    for (const line of readFileSync(join(root, "proc/mounts"), "utf8").split("\n")) {
      const [, where, type, opts] = line.split(" ");
      if (type !== "hugetlbfs" || !where) continue;
      const size = /pagesize=(\d+)([KMG])/.exec(opts ?? "");
      const kib = size ? Number(size[1]) * (size[2] === "G" ? 1 << 20 : size[2] === "M" ? 1024 : 1) : sizeKiB;
      if (kib === sizeKiB) {
        mount = where;
        break;
      }
    }
  } catch {
    // no /proc/mounts in a snapshot: no mount known
  }
  return { sizeKiB, total: num("nr_hugepages"), free: num("free_hugepages"), mount };
}

/** Start `qemu -machine none`, ask it, stop it. */
export async function probeMigrationSupport(exec: Exec = realExec): Promise<MigrationSupport> {
  const qemu = requireQemu(exec);
  const dir = makeTempDir("probe");
  const socket = join(dir, "qmp.sock");
  const child = exec.start(qemu, [
    "-machine",
    "none",
    "-nodefaults",
    "-display",
    "none",
    "-qmp",
    `unix:${qemuOptValue(socket)},server=on,wait=off`,
  ]);
  child.stdout?.resume();
  child.stderr?.resume();
  let qmp: QmpClient | undefined;
  try {
    const deadline = Date.now() + 10_000;
    while (!existsSync(socket)) {
      if (Date.now() > deadline) throw new Error("probe QEMU opened no QMP socket within 10 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    qmp = await QmpClient.connect(socket, { timeoutMs: 10_000 });
    const v = qmp.greeting.version.qemu;
    const caps = await qmp.execute<{ capability: string; state: boolean }[]>("query-migrate-capabilities");
    const parameters = await qmp.execute<Record<string, unknown>>("query-migrate-parameters");
    const props = await qmp.execute<{ name: string }[]>("device-list-properties", {
      typename: "virtio-balloon-pci",
    });
    return {
      qemu: `${v.major}.${v.minor}.${v.micro}`,
      capabilities: Object.fromEntries(caps.map((c) => [c.capability, c.state])),
      parameters,
      balloonProperties: props.map((p) => p.name).sort(),
      hugepages: readHugepagePool(),
      userfaultfd: readUserfaultfd(),
    };
  } finally {
    qmp?.close();
    await child.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * QEMU arguments for free-page hinting: a virtio balloon that never inflates (no balloon target is ever set)
 * but, at the start of each migration, is asked for the guest's free pages; it reports them on its own
 * iothread and QEMU drops them from the first pass without reading them.
 */
export const FREE_PAGE_HINT_ARGS: readonly string[] = [
  "-object",
  "iothread,id=kvm4nfv-fph",
  "-device",
  "virtio-balloon-pci,id=kvm4nfv-balloon,free-page-hint=on,iothread=kvm4nfv-fph",
];

/**
 * Whether the guest's driver negotiated free-page hinting, from x-query-virtio-status (QEMU 7.2+); null where
 * this QEMU cannot say. The device alone does nothing: hints flow only once the guest acknowledged the feature.
 */
export async function freePageHintNegotiated(qmp: QmpClient): Promise<boolean | null> {
  let devices: { name: string; path: string }[];
  try {
    devices = await qmp.execute<{ name: string; path: string }[]>("x-query-virtio");
  } catch {
    return null;
  }
  const balloon = devices.find((d) => d.name === "virtio-balloon");
  if (!balloon) return false;
  const status = await qmp.execute<{ "guest-features"?: { "dev-features"?: string[] } }>(
    "x-query-virtio-status",
    { path: balloon.path },
  );
  return (status["guest-features"]?.["dev-features"] ?? []).some((f) =>
    f.startsWith("VIRTIO_BALLOON_F_FREE_PAGE_HINT"),
  );
}
