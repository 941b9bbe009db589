/**
 * The PCI core's side of the SR-IOV files, for a copy of a snapshot that a test calls "live" (tree.ts liveLike):
 * a WriteIo that answers the writes apply makes as the kernel does, so the live branches of src/sriov/provision.ts
 * run against the kernel's rules rather than against their own expectations. What it follows (Linux
 * drivers/pci/iov.c sriov_numvfs_store, pci_iov_add_virtfn/pci_iov_remove_virtfn; drivers/pci/pci-driver.c
 * pci_device_can_probe; drivers/base/bus.c unbind_store/drivers_probe_store; Documentation/ABI/testing/
 * sysfs-bus-pci):
 *   - sriov_numvfs: N > sriov_totalvfs is ERANGE; N over another nonzero count is EBUSY; the same count is a no-op;
 *     0 removes every VF device (its directory, virtfnN link, bus/pci/devices link, driver link); N creates VFs at
 *     routing id PF + sriov_offset + i·sriov_stride, each a new device: driver_override "(null)", probed only
 *     when sriov_drivers_autoprobe is 1;
 *   - driver_override: a newline clears it ("(null)"); a VF with an override is probed whatever autoprobe says;
 *   - drivers/X/unbind takes a bound device's address (ENODEV otherwise); drivers_probe binds an unbound device
 *     to its override, else to the PF's VF driver when autoprobe allows; unbind and drivers_probe hold no value.
 * A removed VF's directory is kept aside and given back when the same address is created again (what a
 * snapshot holds of a device besides its binding is the hardware's, and comes back the same).
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { nodeIo, type WriteIo } from "../../src/tuning/apply/io.js";

export interface KernelSim {
  io: WriteIo;
  /** every write in order: realPath relative to the root, and the bytes */
  writes: Array<{ path: string; data: string }>;
  /** make the next write to a path ending in `suffix` fail with `code` (the kernel's refusal) */
  failNext(suffix: string, code: string): void;
}

function errno(code: string): NodeJS.ErrnoException {
  const e = new Error(code) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

const read = (p: string) => readFileSync(p, "utf8").trim();

/** `vfDriver`: the driver each PF's VFs match (iavf for i40e, mlx5_core for ConnectX); `loaded`: drivers present. */
export function kernelSim(root: string, stash: string, vfDriver: Record<string, string>): KernelSim {
  const sys = join(root, "sys");
  const writes: KernelSim["writes"] = [];
  const failures: Array<{ suffix: string; code: string }> = [];
  const busDev = (bdf: string) => join(sys, "bus/pci/devices", bdf);
  const drvDir = (d: string) => join(sys, "bus/pci/drivers", d);
  const isLink = (p: string) => {
    try {
      return lstatSync(p).isSymbolicLink();
    } catch {
      return false;
    }
  };

  function driverOf(dev: string): string | null {
    return isLink(join(dev, "driver")) ? basename(readlinkSync(join(dev, "driver"))) : null;
  }

  function setUeventDriver(dev: string, driver: string | null): void {
    const u = join(dev, "uevent");
    if (!existsSync(u)) return;
    const lines = readFileSync(u, "utf8")
      .split("\n")
      .filter((l) => !l.startsWith("DRIVER="));
    writeFileSync(u, [...(driver ? [`DRIVER=${driver}`] : []), ...lines].join("\n"));
  }

  function bind(dev: string, driver: string): void {
    const bdf = basename(dev);
    if (!existsSync(drvDir(driver))) throw errno("ENODEV");
    symlinkSync(relative(dev, drvDir(driver)), join(dev, "driver"));
    symlinkSync(relative(drvDir(driver), dev), join(drvDir(driver), bdf));
    setUeventDriver(dev, driver);
  }

  function unbind(dev: string): void {
    const d = driverOf(dev);
    if (d === null) return;
    unlinkSync(join(dev, "driver"));
    rmSync(join(drvDir(d), basename(dev)), { force: true });
    setUeventDriver(dev, null);
  }

  /** pci_device_can_probe + the driver match: the driver a probe would bind, or null. */
  function probeDriver(dev: string): string | null {
    const override = read(join(dev, "driver_override"));
    if (override !== "(null)") return override;
    const pf = isLink(join(dev, "physfn")) ? realpathSync(join(dev, "physfn")) : null;
    if (pf === null) return null;
    if (read(join(pf, "sriov_drivers_autoprobe")) !== "1") return null;
    return vfDriver[basename(pf)] ?? null;
  }

  function vfAddress(pf: string, i: number): string {
    const m = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/.exec(basename(pf))!;
    const rid = (Number.parseInt(m[2]!, 16) << 8) | (Number.parseInt(m[3]!, 16) << 3) | Number(m[4]);
    const v = rid + Number(read(join(pf, "sriov_offset"))) + i * Number(read(join(pf, "sriov_stride")));
    const hex = (n: number) => n.toString(16).padStart(2, "0");
    return `${m[1]}:${hex(v >> 8)}:${hex((v >> 3) & 31)}.${v & 7}`;
  }

  function numvfs(pf: string, text: string): void {
    const n = Number(text.trim());
    const cur = Number(read(join(pf, "sriov_numvfs")));
    if (!Number.isInteger(n) || n < 0) throw errno("EINVAL");
    if (n === cur) return;
    if (n > Number(read(join(pf, "sriov_totalvfs")))) throw errno("ERANGE");
    if (n !== 0 && cur !== 0) throw errno("EBUSY");
    if (n === 0) {
      for (let i = 0; i < cur; i++) {
        const link = join(pf, `virtfn${i}`);
        const dev = realpathSync(link);
        unbind(dev);
        mkdirSync(stash, { recursive: true });
        renameSync(dev, join(stash, basename(dev)));
        unlinkSync(link);
        rmSync(busDev(basename(dev)), { force: true });
      }
    } else {
      for (let i = 0; i < n; i++) {
        const bdf = vfAddress(pf, i);
        const dev = join(dirname(pf), bdf);
        if (existsSync(join(stash, bdf))) renameSync(join(stash, bdf), dev);
        else {
          mkdirSync(dev);
          symlinkSync(`../${basename(pf)}`, join(dev, "physfn"));
          writeFileSync(join(dev, "uevent"), `PCI_SLOT_NAME=${bdf}\n`);
        }
        // a new device: no driver, no override, whatever the directory held before
        if (isLink(join(dev, "driver"))) unlinkSync(join(dev, "driver"));
        setUeventDriver(dev, null);
        writeFileSync(join(dev, "driver_override"), "(null)\n");
        symlinkSync(`../${bdf}`, join(pf, `virtfn${i}`));
        symlinkSync(relative(dirname(busDev(bdf)), dev), busDev(bdf));
        const d = probeDriver(dev);
        if (d !== null && existsSync(drvDir(d))) bind(dev, d);
      }
    }
    writeFileSync(join(pf, "sriov_numvfs"), `${n}\n`);
  }

  const io: WriteIo = {
    ...nodeIo,
    writeKernel(p, data) {
      const text = typeof data === "string" ? data : data.toString("utf8");
      const rel = relative(root, p);
      writes.push({ path: rel, data: text });
      const fail = failures.findIndex((f) => rel.endsWith(f.suffix));
      if (fail >= 0) {
        const [f] = failures.splice(fail, 1);
        throw errno(f!.code);
      }
      const name = basename(p);
      if (name === "sriov_numvfs") return numvfs(dirname(p), text);
      if (name === "driver_override") {
        const v = text.replace(/\n$/, "");
        return writeFileSync(p, v === "" ? "(null)\n" : `${v}\n`);
      }
      if (name === "unbind") {
        const dev = busDev(text.trim());
        if (!existsSync(dev) || driverOf(realpathSync(dev)) !== basename(dirname(p))) throw errno("ENODEV");
        return unbind(realpathSync(dev));
      }
      if (rel === "sys/bus/pci/drivers_probe") {
        const dev = busDev(text.trim());
        if (!existsSync(dev)) throw errno("EINVAL");
        const real = realpathSync(dev);
        if (driverOf(real) !== null) return;
        // no such driver registered (vfio-pci not loaded): the device stays unbound, and the write succeeds
        const d = probeDriver(real);
        if (d !== null && existsSync(drvDir(d))) bind(real, d);
        return;
      }
      return nodeIo.writeKernel(p, data);
    },
  };
  return { io, writes, failNext: (suffix, code) => void failures.push({ suffix, code }) };
}
