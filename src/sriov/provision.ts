/**
 * apply/revert of the SR-IOV plan items (settings/sriov.ts): a PF's VF count (sriov_numvfs) and its VFs' driver
 * (driver_override, unbind, drivers_probe), journaled before every write. The kernel's rules
 * (drivers/pci/iov.c sriov_numvfs_store, drivers/pci/pci-driver.c, Documentation/ABI/testing/sysfs-bus-pci):
 *   - a nonzero count over another nonzero count is EBUSY: 0 first, then N; more than sriov_totalvfs is ERANGE;
 *   - writing sriov_numvfs creates (or destroys) the VF devices and their virtfnN links; a destroyed VF forgets
 *     its driver and driver_override, so the VFs a count change destroys are journaled first and revert binds
 *     the recreated ones back;
 *   - a VF is probed only when its PF's sriov_drivers_autoprobe is 1 or it has a driver_override; driver_override
 *     reads "(null)" when unset and is cleared by writing a newline;
 *   - unbind and drivers_probe are triggers (write-only): they hold no value to read back.
 *
 * Live and snapshot differ, and apply says how: on a live machine every step runs and the read-back covers the
 * count, the virtfnN links and each VF's bound driver. A snapshot has no kernel behind its files, and apply does
 * not pretend to be one: it writes what a user writes (sriov_numvfs, 0 first; driver_override of the VFs the
 * snapshot has), never creates or removes virtfnN links, driver links or VF devices, skips the triggers with a
 * note, and the read-back covers the files it wrote. Revert restores the bytes exactly in both cases.
 */
import { Kvm4nfvError } from "../errors.js";
import type { HostFs } from "../host/fs.js";
import type { WriteIo } from "../tuning/apply/io.js";
import type { NewEntry, PciDriverEntry, SriovVfsEntry } from "../tuning/apply/journal.js";
import type { PciDriverItem, SriovVfsItem } from "../tuning/plan-types.js";
import { SRIOV_SETTINGS } from "../tuning/settings/sriov.js";

export const PCI_DEVICES = "/sys/bus/pci/devices";
const DRIVERS_PROBE = "/sys/bus/pci/drivers_probe";

/** The catalogue's target with the PF's address for its first `*` (settings/sriov.ts names each target once). */
const targetOf = (key: string, pf: string) =>
  (SRIOV_SETTINGS.find((s) => s.key === key)?.target ?? "").replace("*", pf);
export const numvfsPath = (pf: string) => targetOf("sriov.numvfs", pf);
/** The pattern plan items and findings name a PF's VF binding by. */
export const vfDriverTarget = (pf: string) => targetOf("sriov.vf-driver", pf);

export interface SriovVfsChange {
  kind: "sriov-vfs";
  pf: string;
  path: string;
  old: Buffer;
  oldCount: number;
  count: number;
}

export interface VfState {
  vf: number;
  device: string;
  driver: string | null;
  override: Buffer;
}

export interface PciDriverChange {
  kind: "pci-driver";
  pf: string;
  path: string;
  driver: string;
  /** the VFs to rebind as read now; on a live machine the count change before it may replace them */
  vfs: VfState[];
  /** a count change of the same PF comes first in this apply (live: the VFs are created by it) */
  afterCount: boolean;
}

export type SriovChange = SriovVfsChange | PciDriverChange;

const base = (p: string | undefined) => p?.split("/").pop() ?? null;

function overrideOf(buf: Buffer): string | null {
  const t = buf.toString("utf8").trim();
  return t === "" || t === "(null)" ? null : t;
}

/** The VFs a PF has now: virtfnN links, each one's address, driver link and driver_override bytes. */
export function vfStates(fs: HostFs, io: WriteIo, pf: string): VfState[] {
  const dir = `${PCI_DEVICES}/${pf}`;
  return (fs.list(dir) ?? [])
    .flatMap((n) => {
      const m = /^virtfn(\d+)$/.exec(n);
      return m ? [Number(m[1])] : [];
    })
    .sort((a, b) => a - b)
    .flatMap((vf) => {
      const vdir = `${dir}/virtfn${vf}`;
      const device = base(fs.readlink(vdir));
      if (device === null) return [];
      const override = io.readBytes(fs.resolve(`${vdir}/driver_override`)) ?? Buffer.from("(null)\n");
      return [{ vf, device, driver: base(fs.readlink(`${vdir}/driver`)), override }];
    });
}

/** Is the VF where the item wants it: live, bound to the driver; a snapshot, driver_override names it. */
function vfDone(v: VfState, driver: string, live: boolean): boolean {
  return live ? v.driver === driver : overrideOf(v.override) === driver;
}

function readCount(io: WriteIo, fs: HostFs, path: string): { bytes: Buffer; count: number } | undefined {
  const bytes = io.readBytes(fs.resolve(path));
  if (bytes === undefined) return undefined;
  const t = bytes.toString("utf8").trim();
  return { bytes, count: /^\d+$/.test(t) ? Number(t) : Number.NaN };
}

/** The changes an SR-IOV item needs on this machine (none when it is already so), or why it is skipped. */
export function sriovChanges(
  fs: HostFs,
  io: WriteIo,
  item: SriovVfsItem | PciDriverItem,
  earlier: readonly SriovChange[],
): { change?: SriovChange; skipped?: string } {
  if (item.kind === "sriov-vfs") {
    const path = numvfsPath(item.pf);
    const cur = readCount(io, fs, path);
    if (cur === undefined) return { skipped: `${path}: not present on this machine (not an SR-IOV PF here)` };
    if (cur.count === item.count) return {};
    return {
      change: {
        kind: "sriov-vfs",
        pf: item.pf,
        path,
        old: cur.bytes,
        oldCount: cur.count,
        count: item.count,
      },
    };
  }
  const path = vfDriverTarget(item.pf);
  const afterCount = earlier.some((c) => c.kind === "sriov-vfs" && c.pf === item.pf && c.count > 0);
  const vfs = vfStates(fs, io, item.pf).filter((v) => !vfDone(v, item.driver, fs.live));
  if (vfs.length > 0 || (afterCount && fs.live))
    return { change: { kind: "pci-driver", pf: item.pf, path, driver: item.driver, vfs, afterCount } };
  if (vfStates(fs, io, item.pf).length === 0)
    return {
      skipped: `${path}: no VF present${fs.live ? "" : " (a snapshot: the kernel creates VFs on a live machine only)"}`,
    };
  return {};
}

export function describeSriovChange(c: SriovChange, live: boolean): string {
  if (c.kind === "sriov-vfs") {
    const zero = c.oldCount > 0 && c.count > 0 ? " (0 first, as the kernel requires)" : "";
    return `${c.path}: ${c.oldCount} -> ${c.count}${zero}`;
  }
  const now = c.vfs.map((v) => `${v.device} (${v.driver ?? "no driver"})`);
  const made = c.afterCount && live ? ["the VFs the new count creates"] : [];
  const list = [...now, ...made];
  const shown = list.length > 4 ? [...list.slice(0, 4), `${list.length - 4} more`] : list;
  return `VFs of ${c.pf} -> ${c.driver}${live ? "" : " (driver_override only: a snapshot)"}: ${shown.join(", ")}`;
}

export interface SriovApplyContext {
  fs: HostFs;
  io: WriteIo;
  journal: (e: NewEntry) => void;
  notes: string[];
  root?: string | undefined;
  afterWrite: () => void;
}

function failed(path: string, err: unknown, root: string | undefined): Kvm4nfvError {
  const code = (err as NodeJS.ErrnoException).code ?? "EUNKNOWN";
  const meaning: Record<string, string> = {
    EBUSY: " (the kernel keeps the VFs: in use by a guest, or another count still enabled)",
    ERANGE: " (more VFs than sriov_totalvfs)",
    ENODEV: " (no driver took the device)",
    EINVAL: " (the driver refused the value)",
  };
  return new Kvm4nfvError(
    code === "EACCES" || code === "EPERM" ? "PERMISSION" : "TOOL_FAILED",
    `writing ${path} failed: ${code}${meaning[code] ?? ""}; apply stopped there`,
    { hint: `kvm4nfv revert${root ? ` --root ${root}` : ""} restores what was written` },
  );
}

function write(ctx: SriovApplyContext, path: string, data: Buffer | string): void {
  try {
    ctx.io.writeKernel(ctx.fs.resolve(path), data);
  } catch (err) {
    throw failed(path, err, ctx.root);
  }
}

/** Carry out one SR-IOV change: journal first, then the kernel writes in the order the kernel requires. */
export function applySriovChange(c: SriovChange, ctx: SriovApplyContext): void {
  const { fs, io } = ctx;
  if (c.kind === "sriov-vfs") {
    // live: the VFs this count change destroys forget their binding, so each is recorded for revert first
    if (fs.live && c.oldCount > 0) {
      for (const v of vfStates(fs, io, c.pf)) {
        ctx.journal(recordOf(c.pf, v, null));
      }
    }
    ctx.journal({
      kind: "sriov-vfs",
      pf: c.pf,
      old: c.old.toString("base64"),
      oldCount: Number.isNaN(c.oldCount) ? 0 : c.oldCount,
      count: c.count,
    });
    if (c.oldCount !== 0) {
      write(ctx, c.path, "0\n");
      ctx.afterWrite();
    }
    if (c.count !== 0) {
      write(ctx, c.path, `${c.count}\n`);
      ctx.afterWrite();
    }
    if (!fs.live)
      ctx.notes.push(
        `${c.path}: written on a snapshot; its virtfnN links are the kernel's and stay as they were (a live machine creates ${c.count} VF(s))`,
      );
    return;
  }
  // the VFs as they are now (live: after the count change created them)
  const vfs = vfStates(fs, io, c.pf).filter((v) => !vfDone(v, c.driver, fs.live));
  for (const v of vfs) {
    const vdir = `${PCI_DEVICES}/${c.pf}/virtfn${v.vf}`;
    ctx.journal(recordOf(c.pf, v, c.driver));
    write(ctx, `${vdir}/driver_override`, `${c.driver}\n`);
    ctx.afterWrite();
    if (!fs.live) continue;
    if (v.driver !== null && v.driver !== c.driver) {
      write(ctx, `/sys/bus/pci/drivers/${v.driver}/unbind`, v.device);
      ctx.afterWrite();
    }
    write(ctx, DRIVERS_PROBE, v.device);
    ctx.afterWrite();
    const now = base(fs.readlink(`${vdir}/driver`));
    if (now !== c.driver) {
      throw new Kvm4nfvError(
        "TOOL_FAILED",
        `${vdir}: ${c.driver} did not bind ${v.device} (its driver is ${now ?? "none"}); apply stopped there`,
        {
          hint: `is ${c.driver} loaded (modprobe ${c.driver.replace("-", "_")})? kvm4nfv revert restores what was written`,
        },
      );
    }
  }
  if (!fs.live && vfs.length > 0)
    ctx.notes.push(
      `VFs of ${c.pf}: driver_override written on a snapshot; unbind and drivers_probe are kernel actions (live machine only), the driver links stay`,
    );
}

function recordOf(pf: string, v: VfState, driver: string | null): Omit<PciDriverEntry, "seq" | "time"> {
  return {
    kind: "pci-driver",
    device: v.device,
    pf,
    vf: v.vf,
    oldDriver: v.driver,
    oldOverride: v.override.toString("base64"),
    driver,
  };
}

/** What a revert line names for an SR-IOV entry. */
export function sriovEntryLabel(e: SriovVfsEntry | PciDriverEntry): string {
  return e.kind === "sriov-vfs"
    ? `${numvfsPath(e.pf)} (${e.oldCount} VFs)`
    : `${e.device} (driver ${e.oldDriver ?? "none"})`;
}

/** Undo one SR-IOV entry; false when the machine already holds the recorded state (or the VF is gone). */
export function undoSriovEntry(e: SriovVfsEntry | PciDriverEntry, fs: HostFs, io: WriteIo): boolean {
  const kernel = (path: string, data: Buffer | string) => io.writeKernel(fs.resolve(path), data);
  if (e.kind === "sriov-vfs") {
    const path = numvfsPath(e.pf);
    const old = Buffer.from(e.old, "base64");
    const cur = readCount(io, fs, path);
    if (cur === undefined || cur.bytes.equals(old)) return false;
    if (cur.count !== 0 && cur.count !== e.oldCount) kernel(path, "0\n");
    // a live kernel takes the count; a snapshot gets its exact bytes back
    if (fs.live) {
      if (e.oldCount !== 0) kernel(path, `${e.oldCount}\n`);
    } else kernel(path, old);
    return true;
  }
  const vdir = `${PCI_DEVICES}/${e.pf}/virtfn${e.vf}`;
  // the VF is found through its PF's link: one that is gone (the count was put back lower) has nothing to restore
  if (base(fs.readlink(vdir)) !== e.device) return false;
  const overridePath = `${vdir}/driver_override`;
  const oldOverride = Buffer.from(e.oldOverride, "base64");
  const current = io.readBytes(fs.resolve(overridePath)) ?? Buffer.alloc(0);
  if (!fs.live) {
    if (current.equals(oldOverride)) return false;
    kernel(overridePath, oldOverride);
    return true;
  }
  const driver = base(fs.readlink(`${vdir}/driver`));
  const wantOverride = overrideOf(oldOverride);
  if (driver === e.oldDriver && overrideOf(current) === wantOverride) return false;
  if (driver !== e.oldDriver) {
    if (driver !== null) kernel(`/sys/bus/pci/drivers/${driver}/unbind`, e.device);
    if (e.oldDriver !== null) {
      // an override lets the VF be probed even with sriov_drivers_autoprobe 0, and picks the old driver
      kernel(overridePath, `${e.oldDriver}\n`);
      kernel(DRIVERS_PROBE, e.device);
    }
  }
  // "(null)" is what the kernel prints for none; a newline is how it is cleared
  kernel(overridePath, wantOverride === null ? "\n" : `${wantOverride}\n`);
  return true;
}
