/**
 * What kvm4nfv may use for a faster migration, judged from real probe answers (QEMU 7.2.22 and 10.0.2, see
 * test/fixtures/migration/ORIGIN.md), the real QEMU probed live, the balloon driver's module order, and the
 * downtime-limit headroom rule.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { liveChildren } from "../../../src/exec.js";
import { headroomDowntimeLimit } from "../../../src/measure/migration/configs.js";
import { kernelIdentity, resolveModules } from "../../../src/vm/migration-modules.js";
import {
  judgeSupport,
  type MigrationSupport,
  probeMigrationSupport,
  readHugepagePool,
  readUserfaultfd,
} from "../../../src/vm/migration-probe.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, "../../fixtures/migration", name), "utf8")) as MigrationSupport;
const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-mig-support-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("judging the probe", () => {
  it("QEMU 7.2: free-page hinting yes, multifd zero-page detection and switchover-ack no", () => {
    const v = judgeSupport(fixture("probe-qemu-7.2.22.json"), 8192);
    expect(v.freePageHint.ok).toBe(true);
    expect(v.multifdZeroPage).toEqual({
      ok: false,
      why: "QEMU 7.2.22 has no zero-page-detection parameter (QEMU 9.0+): zero pages are found by the one migration thread",
    });
    expect(v.switchoverAck.ok).toBe(false);
    expect(v.hugepages).toEqual({ ok: false, why: "no hugepage pool on this host" });
  });

  it("QEMU 10.0: all three, zero pages detected in the multifd threads by default", () => {
    const v = judgeSupport(fixture("probe-qemu-10.0.2.json"), 8192);
    expect(v.freePageHint.ok).toBe(true);
    expect(v.multifdZeroPage.ok).toBe(true);
    expect(v.multifdZeroPage.why).toContain("zero-page-detection=multifd");
    expect(v.switchoverAck.ok).toBe(true);
  });

  it("postcopy where QEMU has postcopy-ram and the kernel userfaultfd; dirty-limit never under TCG", () => {
    const s7 = fixture("probe-qemu-7.2.22.json");
    const s10 = fixture("probe-qemu-10.0.2.json");
    expect(judgeSupport(s7, 2048).postcopy.ok).toBe(true);
    expect(
      judgeSupport({ ...s7, userfaultfd: { kernel: false, unprivileged: null } }, 2048).postcopy,
    ).toEqual({
      ok: false,
      why: "this kernel has no userfaultfd (the destination needs it for postcopy)",
    });
    const noPc = { ...s7, capabilities: { ...s7.capabilities } };
    delete noPc.capabilities["postcopy-ram"];
    expect(judgeSupport(noPc, 2048).postcopy.ok).toBe(false);
    // 7.2 lists no dirty-limit; 10.0 lists it but QEMU refuses it without KVM's dirty ring
    expect(judgeSupport(s7, 2048).dirtyLimit.why).toContain("no dirty-limit capability");
    expect(judgeSupport(s10, 2048, "tcg").dirtyLimit).toEqual({
      ok: false,
      why: "dirty-limit needs KVM's dirty ring (-accel kvm,dirty-ring-size=N); this run is TCG",
    });
    expect(judgeSupport(s10, 2048, "kvm").dirtyLimit.ok).toBe(false);
  });

  it("reads userfaultfd from a host tree", () => {
    const root = join(tmp, "uffd");
    mkdirSync(join(root, "proc/sys/vm"), { recursive: true });
    expect(readUserfaultfd(root)).toEqual({ kernel: false, unprivileged: null });
    writeFileSync(join(root, "proc/sys/vm/unprivileged_userfaultfd"), "0\n");
    expect(readUserfaultfd(root)).toEqual({ kernel: true, unprivileged: false });
  });

  it("hugepages only when the pool holds source and destination", () => {
    const s = fixture("probe-qemu-7.2.22.json");
    const pool = { sizeKiB: 2048, total: 64, free: 64, mount: "/dev/hugepages" };
    expect(judgeSupport({ ...s, hugepages: pool }, 64).hugepages.ok).toBe(true); // 32 pages a side
    expect(judgeSupport({ ...s, hugepages: pool }, 8192).hugepages.why).toBe(
      "64 free 2 MiB hugepages, 8192 needed for source + destination of 8192 MiB",
    );
    expect(judgeSupport({ ...s, hugepages: { ...pool, mount: null } }, 64).hugepages.ok).toBe(false);
    const noHint = { ...s, balloonProperties: s.balloonProperties.filter((p) => p !== "free-page-hint") };
    expect(judgeSupport(noHint, 64).freePageHint).toEqual({
      ok: false,
      why: "QEMU 7.2.22: virtio-balloon-pci lacks free-page-hint",
    });
  });

  it("reads the 2 MiB pool and its hugetlbfs mount from a host tree", () => {
    const root = join(tmp, "host");
    mkdirSync(join(root, "sys/kernel/mm/hugepages/hugepages-2048kB"), { recursive: true });
    mkdirSync(join(root, "proc"));
    writeFileSync(join(root, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"), "512\n");
    writeFileSync(join(root, "sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"), "500\n");
    writeFileSync(
      join(root, "proc/mounts"),
      "hugetlbfs /mnt/huge1g hugetlbfs rw,relatime,pagesize=1024M 0 0\nhugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n",
    );
    expect(readHugepagePool(root)).toEqual({ sizeKiB: 2048, total: 512, free: 500, mount: "/dev/hugepages" });
    expect(readHugepagePool(join(tmp, "nothing"))).toBeNull();
  });
});

describe("the running QEMU, probed", () => {
  it("answers over QMP from -machine none and leaves no QEMU behind", async () => {
    const s = await probeMigrationSupport();
    expect(s.qemu).toMatch(/^\d+\.\d+\.\d+$/);
    expect(s.capabilities).toHaveProperty("multifd");
    expect(s.parameters).toHaveProperty("downtime-limit", 300); // QEMU's default, read, not assumed
    expect(s.balloonProperties).toContain("free-page-hint");
    // the probe's QEMU is this process's child: none may be left running
    expect(liveChildren().filter((c) => c.command.includes("qemu-system"))).toEqual([]);
  }, 30_000);
});

describe("the balloon driver's modules", () => {
  const ko = (depends: string) => Buffer.from(`\0license=GPL\0depends=${depends}\0vermagic=6.1\0`);
  it("loads the PCI transport and the driver after their dependencies, each once", () => {
    const mod = join(tmp, "lib/modules/6.1.0-57-rt-amd64");
    mkdirSync(join(mod, "kernel/drivers/virtio"), { recursive: true });
    // the dependency graph of Debian's 6.1 modules (modinfo depends=)
    writeFileSync(join(mod, "kernel/drivers/virtio/virtio.ko"), ko(""));
    writeFileSync(join(mod, "kernel/drivers/virtio/virtio_ring.ko"), ko("virtio"));
    writeFileSync(join(mod, "kernel/drivers/virtio/virtio_pci_modern_dev.ko"), ko(""));
    writeFileSync(join(mod, "kernel/drivers/virtio/virtio_pci_legacy_dev.ko"), ko(""));
    writeFileSync(
      join(mod, "kernel/drivers/virtio/virtio_pci.ko"),
      ko("virtio_pci_modern_dev,virtio_ring,virtio,virtio_pci_legacy_dev"),
    );
    writeFileSync(join(mod, "kernel/drivers/virtio/virtio_balloon.ko"), ko("virtio_ring,virtio"));
    const order = resolveModules(mod, ["virtio_pci", "virtio_balloon"])?.map((m) => m.name);
    expect(order).toEqual([
      "virtio_pci_modern_dev.ko",
      "virtio.ko",
      "virtio_ring.ko",
      "virtio_pci_legacy_dev.ko",
      "virtio_pci.ko",
      "virtio_balloon.ko",
    ]);
    expect(resolveModules(mod, ["virtio_mem"])).toBeNull();
  });

  it("knows a kernel's release from the RT guest builder's manifest, else from its name", () => {
    const dir = join(tmp, "img");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "manifest.json"),
      JSON.stringify({
        kernelRelease: "6.1.0-57-rt-amd64",
        packages: { "linux-image-6.1.0-57-rt-amd64": "6.1.192-3" },
      }),
    );
    expect(kernelIdentity(join(dir, "vmlinuz"))).toEqual({
      release: "6.1.0-57-rt-amd64",
      version: "6.1.192-3",
    });
    expect(kernelIdentity("/boot/vmlinuz-6.1.0-28-amd64")).toEqual({
      release: "6.1.0-28-amd64",
      version: null,
    });
    expect(kernelIdentity("/tmp/bzImage")).toBeNull();
  });
});

describe("downtime-limit headroom", () => {
  it("starts at half the SLA and takes the worst excess seen off the SLA, within 1 ms … SLA/2", () => {
    expect(headroomDowntimeLimit(10, [])).toBe(5);
    expect(headroomDowntimeLimit(10, [{ limitMs: 5, downtimeMs: 3 }])).toBe(5); // under the limit: no change
    expect(headroomDowntimeLimit(10, [{ limitMs: 5, downtimeMs: 11 }])).toBe(4); // 6 ms over
    expect(
      headroomDowntimeLimit(10, [
        { limitMs: 5, downtimeMs: 7 },
        { limitMs: 4, downtimeMs: 19 },
        { limitMs: 1, downtimeMs: null },
      ]),
    ).toBe(1); // 15 ms over: QEMU's floor
    expect(headroomDowntimeLimit(1, [])).toBe(1);
    expect(headroomDowntimeLimit(300, [{ limitMs: 150, downtimeMs: 160 }])).toBe(150);
  });
});
