import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { parseCpuList } from "../../src/host/parse/cpulist.js";
import { buildQemuArgv, cpuModel } from "../../src/vm/argv.js";
import { defaultSpec, parsePins, validateSpec } from "../../src/vm/spec.js";

const paths = { qmpSocket: "/w/qmp.sock", consoleLog: "/w/console.log", outputFile: "/w/output.txt" };
const spec = defaultSpec({ kernel: "/img/vmlinuz", initrd: "/img/initrd.img" });

/** The value following a flag (first occurrence). */
function flagValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
}

describe("buildQemuArgv", () => {
  it("KVM: host CPU with invtsc (needs migratable=off), tsc-deadline, no PMU", () => {
    const argv = buildQemuArgv(spec, "kvm", paths, { name: "g1", paused: false });
    expect(flagValue(argv, "-name")).toBe("g1,debug-threads=on");
    expect(flagValue(argv, "-machine")).toBe("q35,accel=kvm");
    expect(flagValue(argv, "-cpu")).toBe("host,migratable=off,+invtsc,+tsc-deadline,pmu=off");
    expect(flagValue(argv, "-smp")).toBe("2");
    expect(flagValue(argv, "-m")).toBe("512M");
    expect(argv).not.toContain("-S");
    expect(argv).not.toContain("-realtime");
  });

  it("TCG: -cpu max and accel=tcg", () => {
    const argv = buildQemuArgv(spec, "tcg", paths, { name: "g", paused: true });
    expect(flagValue(argv, "-machine")).toBe("q35,accel=tcg");
    expect(flagValue(argv, "-cpu")).toBe("max");
    expect(cpuModel("tcg")).toBe("max");
    expect(argv).toContain("-S");
  });

  it("kernel, initrd, cmdline, console, QMP and the virtio-serial result port", () => {
    const argv = buildQemuArgv(spec, "tcg", paths, { name: "g", paused: false });
    expect(flagValue(argv, "-kernel")).toBe("/img/vmlinuz");
    expect(flagValue(argv, "-initrd")).toBe("/img/initrd.img");
    expect(flagValue(argv, "-append")).toContain(
      "isolcpus=1 nohz_full=1 rcu_nocbs=1 mce=off idle=poll tsc=reliable",
    );
    expect(flagValue(argv, "-serial")).toBe("file:/w/console.log");
    expect(flagValue(argv, "-qmp")).toBe("unix:/w/qmp.sock,server=on,wait=off");
    expect(flagValue(argv, "-chardev")).toBe("file,id=kvm4nfvout,path=/w/output.txt");
    expect(argv).toContain("virtserialport,bus=vser0.0,chardev=kvm4nfvout,name=kvm4nfv.0");
    expect(argv).toContain("-no-reboot");
  });

  it("hugepages: memory-backend-file with prealloc, tied to the machine", () => {
    const hp = { ...spec, hugepagePath: "/mnt/hugetlbfs-1g", memoryMiB: 1024 };
    const argv = buildQemuArgv(hp, "kvm", paths, { name: "g", paused: false });
    expect(flagValue(argv, "-object")).toBe(
      "memory-backend-file,id=mem,size=1024M,mem-path=/mnt/hugetlbfs-1g,share=on,prealloc=on",
    );
    expect(flagValue(argv, "-machine")).toBe("q35,accel=kvm,memory-backend=mem");
  });

  it("no hugepages: no memory backend object", () => {
    const argv = buildQemuArgv(spec, "kvm", paths, { name: "g", paused: false });
    expect(argv).not.toContain("-object");
    expect(flagValue(argv, "-machine")).not.toContain("memory-backend");
  });

  it("mem-lock uses -overcommit (QEMU 6 removed -realtime mlock)", () => {
    expect(
      flagValue(
        buildQemuArgv({ ...spec, memLock: true }, "kvm", paths, { name: "g", paused: false }),
        "-overcommit",
      ),
    ).toBe("mem-lock=on");
    expect(buildQemuArgv(spec, "kvm", paths, { name: "g", paused: false })).not.toContain("-overcommit");
  });

  it("appends extra arguments last (e.g. -incoming for a migration target)", () => {
    const argv = buildQemuArgv(spec, "kvm", paths, {
      name: "g",
      paused: true,
      extraArgs: ["-incoming", "defer"],
    });
    expect(argv.slice(-2)).toEqual(["-incoming", "defer"]);
  });
});

describe("validateSpec", () => {
  const host = [0, 1];
  it("accepts pins on existing CPUs", () => {
    expect(() =>
      validateSpec({ ...spec, vcpuPins: { 0: 0, 1: 1 }, housekeepingCpus: [0] }, host),
    ).not.toThrow();
  });
  it("refuses a vCPU pinned to a CPU the host does not have", () => {
    const err = (() => {
      try {
        validateSpec({ ...spec, vcpuPins: { 1: 7 } }, host);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).message).toBe("cannot pin vCPU 1 to CPU 7: the host has CPUs 0-1");
  });
  it("refuses two SCHED_FIFO vCPUs sharing one host CPU (equal FIFO priorities never time-slice)", () => {
    expect(() => validateSpec({ ...spec, vcpuPins: { 0: 1, 1: 1 }, vcpuFifoPriority: 1 }, host)).toThrow(
      "vCPUs 0 and 1 are both pinned to CPU 1 with SCHED_FIFO: one would starve the other",
    );
    expect(() => validateSpec({ ...spec, vcpuPins: { 0: 1, 1: 1 } }, host)).not.toThrow();
  });
  it("refuses a pin for a vCPU the guest does not have", () => {
    expect(() => validateSpec({ ...spec, vcpuPins: { 2: 0 } }, host)).toThrow(
      "cannot pin vCPU 2: the guest has vCPUs 0-1",
    );
  });
  it("refuses missing housekeeping CPUs, bad priorities, tiny memory and overlong cmdlines", () => {
    expect(() => validateSpec({ ...spec, housekeepingCpus: [3] }, host)).toThrow(
      /housekeeping CPU 3 does not exist/,
    );
    expect(() => validateSpec({ ...spec, vcpuFifoPriority: 100 }, host)).toThrow(/priority must be 1..99/);
    expect(() => validateSpec({ ...spec, memoryMiB: 16 }, host)).toThrow(/at least 64 MiB/);
    expect(() => validateSpec({ ...spec, vcpus: 0 }, host)).toThrow(/vCPU count/);
    expect(() => validateSpec({ ...spec, cmdline: "x".repeat(2100) }, host)).toThrow(/limit is 2048/);
  });
});

describe("parsePins", () => {
  const list = (t: string) => parseCpuList(t, "--cpus");
  it("reads VCPU:CPU pairs", () => {
    expect(parsePins("0:2,1:3", list)).toEqual({ 0: 2, 1: 3 });
  });
  it("reads a cpulist as vCPU i → i-th CPU", () => {
    expect(parsePins("4-5", list)).toEqual({ 0: 4, 1: 5 });
  });
  it("rejects a malformed pair", () => {
    expect(() => parsePins("0:a", list)).toThrow(/bad vCPU pin "0:a"/);
  });
});
