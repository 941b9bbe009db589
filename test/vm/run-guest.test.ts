/**
 * Real boots of the built RT guest under TCG (KVM hangs or aborts on this CI host). Each boot takes tens of
 * seconds on a loaded 2-CPU machine, so the file keeps to a handful of them. Every test also checks that no
 * QEMU of this process is left (pgrep on the unique -name prefix).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { Kvm4nfvError, UsageError } from "../../src/errors.js";
import { liveChildren } from "../../src/exec.js";
import { ensureGuestImages, type GuestImages } from "../../src/vm/guest-build.js";
import { launchGuest } from "../../src/vm/launcher.js";
import { resolveAccel, runGuest } from "../../src/vm/run-guest.js";
import { defaultSpec } from "../../src/vm/spec.js";
import { interceptExec } from "../helpers/exec.js";

let images: GuestImages;
beforeAll(async () => {
  images = await ensureGuestImages();
}, 300_000);

function qemusOf(pid: number): string[] {
  try {
    return execFileSync("pgrep", ["-a", "-f", `kvm4nfv-guest-${pid}-`], { encoding: "utf8" })
      .trim()
      .split("\n");
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const tcg = () => defaultSpec(images, { accel: "tcg" });

describe("runGuest (real TCG boot)", () => {
  it("boots, runs cyclictest on the isolated vCPU, brings its JSON back, and ends QEMU", async () => {
    const spec = { ...tcg(), vcpuPins: { 0: 0, 1: 1 }, housekeepingCpus: [0] };
    const r = await runGuest(spec, {
      script: "uname -r\ncyclictest -m -p99 -i1000 -D3 -t1 -a1 -q --json=/out/cyclictest.json\n",
      timeoutMs: 240_000,
    });
    expect(r.accel).toBe("tcg");
    expect(r.exitCode).toBe(0);
    expect(r.outputs.stdout?.split("\n")[0]).toBe(images.kernelRelease);
    expect(r.guestKernelRelease).toBe(images.kernelRelease);
    expect(r.guestCmdline).toContain("isolcpus=1 nohz_full=1 rcu_nocbs=1");
    expect(r.guestSetup).toContain("kernel/sched_rt_runtime_us=-1");
    expect(r.guestSetup).toContain("kernel/timer_migration=0");
    const json = JSON.parse(r.outputs["cyclictest.json"] ?? "{}") as {
      num_threads: number;
      thread: Record<string, { cpu: number; cycles: number; max: number }>;
    };
    expect(json.num_threads).toBe(1);
    expect(json.thread["0"]?.cpu).toBe(1);
    expect(json.thread["0"]?.cycles).toBeGreaterThan(0);
    expect(r.bootMs).toBeGreaterThan(0);
    expect(r.notes.some((n) => n.includes("TCG"))).toBe(true);
    const vcpu1 = r.threads.find((t) => t.vcpu === 1);
    expect(vcpu1?.allowed).toEqual([1]);
    expect(r.threads.filter((t) => t.vcpu === null).every((t) => t.allowed.join() === "0")).toBe(true);
    expect(r.console).toContain("KVM4NFV-INIT-UP");
    expect(alive(r.qemuPid)).toBe(false);
    expect(qemusOf(process.pid)).toEqual([]);
    expect(liveChildren().filter((c) => c.command.includes("qemu-system"))).toEqual([]);
  }, 300_000);

  it("fails with GUEST_FAILED and the last console lines when the guest does not come up in time, and kills QEMU", async () => {
    const err = await runGuest(tcg(), { script: "sleep 600\n", timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Kvm4nfvError);
    expect((err as Kvm4nfvError).code).toBe("GUEST_FAILED");
    expect((err as Error).message).toMatch(
      /guest \(tcg\) (did not come up|did not finish its job) within 1500 ms; last console lines:/,
    );
    expect(qemusOf(process.pid)).toEqual([]);
  }, 60_000);
});

describe("launchGuest", () => {
  it("refuses an impossible pinning before starting anything (exit 2)", async () => {
    const started: string[] = [];
    const exec = interceptExec({
      start: (f, a, o, next) => {
        started.push(f);
        return next(f, a, o);
      },
    });
    const err = await launchGuest({ ...tcg(), vcpuPins: { 1: 64 } }, { exec, hostCpus: [0, 1] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toBe("cannot pin vCPU 1 to CPU 64: the host has CPUs 0-1");
    expect(started).toEqual([]);
  });

  it("runGuest refuses an impossible pinning before the KVM probe or anything else starts", async () => {
    const started: string[] = [];
    const exec = interceptExec({
      start: (f, a, o, next) => {
        started.push(f);
        return next(f, a, o);
      },
    });
    const spec = { ...tcg(), accel: "auto" as const, housekeepingCpus: [5] };
    const err = await runGuest(spec, { script: "true\n", timeoutMs: 1000 }, { exec, hostCpus: [0, 1] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe("housekeeping CPU 5 does not exist: the host has CPUs 0-1");
    expect(started).toEqual([]);
  });

  it("a missing hugepage mount is bad input (exit 2) with a mount hint, before anything starts", async () => {
    const err = await runGuest(
      { ...tcg(), hugepagePath: "/nonexistent/hugetlbfs-1g" },
      { script: "true\n", timeoutMs: 1000 },
    ).catch((e: unknown) => e);
    expect((err as Kvm4nfvError).code).toBe("BAD_INPUT");
    expect((err as Kvm4nfvError).exitCode).toBe(2);
    expect((err as Error).message).toBe("hugepage path /nonexistent/hugetlbfs-1g does not exist");
    expect((err as Kvm4nfvError).hint).toMatch(/^mount hugetlbfs there first/);
    expect(qemusOf(process.pid)).toEqual([]);
  });

  it("file-backed guest RAM (the hugepage argv) is accepted by the real QEMU (with mem-lock): memdev preallocated and shared", async () => {
    // No hugetlbfs on the CI host: /dev/shm exercises the same memory-backend-file argv.
    const g = await launchGuest(
      { ...tcg(), memoryMiB: 128, hugepagePath: "/dev/shm", memLock: true },
      { paused: true },
    );
    try {
      const memdevs =
        await g.qmp.execute<Array<{ id: string; size: number; prealloc: boolean; share: boolean }>>(
          "query-memdev",
        );
      expect(memdevs).toEqual([
        expect.objectContaining({ id: "mem", size: 128 * 1024 * 1024, prealloc: true, share: true }),
      ]);
    } finally {
      await g.stop();
    }
    expect(qemusOf(process.pid)).toEqual([]);
  });

  it("reports QEMU's own error when it exits at start-up, leaving nothing behind", async () => {
    const err = await launchGuest(tcg(), { extraArgs: ["-device", "no-such-device-kvm4nfv"] }).catch(
      (e: unknown) => e,
    );
    expect((err as Kvm4nfvError).code).toBe("GUEST_FAILED");
    expect((err as Error).message).toMatch(/QEMU exited at start-up: .*no-such-device-kvm4nfv/);
    expect(qemusOf(process.pid)).toEqual([]);
  });

  it("kills QEMU when a step after start fails (pinning tool error)", async () => {
    const exec = interceptExec({
      run: async (file, args, options, next) => {
        if (file === "taskset") throw new Kvm4nfvError("TOOL_FAILED", "taskset refused (test)");
        return next(file, args, options);
      },
    });
    const err = await launchGuest({ ...tcg(), vcpuPins: { 0: 0 } }, { exec }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("taskset refused (test)");
    expect(qemusOf(process.pid)).toEqual([]);
  });

  it("starts paused with every thread pinned, answers QMP, and stop() ends it", async () => {
    const g = await launchGuest(
      { ...tcg(), vcpuPins: { 0: 1, 1: 1 }, housekeepingCpus: [0] },
      { paused: true },
    );
    try {
      const status = await g.qmp.execute<{ status: string }>("query-status");
      expect(status.status).toBe("prelaunch");
      expect(g.threads.filter((t) => t.vcpu !== null).map((t) => t.allowed)).toEqual([[1], [1]]);
      expect(g.threads.find((t) => t.vcpu === null)?.allowed).toEqual([0]);
      expect(qemusOf(process.pid)).toHaveLength(1);
    } finally {
      await g.stop();
    }
    expect(alive(g.pid)).toBe(false);
    expect(qemusOf(process.pid)).toEqual([]);
  });
});

describe("accelerator choice", () => {
  it("auto probes KVM with a short boot and falls back to TCG with a reason", async () => {
    const r = await resolveAccel({ ...tcg(), accel: "auto" });
    if (r.accel === "tcg") expect(r.note).toMatch(/TCG/);
    else expect(r.note).toBeNull();
    expect(qemusOf(process.pid)).toEqual([]);
  }, 60_000);

  it("a KVM guest that hangs is caught by the probe's time limit: TCG, with the reason, and QEMU killed", async () => {
    // Stand-in for "Linux hangs under KVM here": the probe's KVM argv is rewritten into a TCG guest whose
    // first process (cat on the console) never exits, so the init marker never comes.
    const hanging = interceptExec({
      start: (file, args, o, next) => {
        const a = args.map((x) =>
          x === "q35,accel=kvm"
            ? "q35,accel=tcg"
            : x.startsWith("host,")
              ? "max"
              : x.startsWith("console=")
                ? `${x} rdinit=/bin/cat`
                : x,
        );
        return next(file, a, o);
      },
    });
    const r = await resolveAccel({ ...tcg(), accel: "auto" }, { exec: hanging, probeTimeoutMs: 3000 });
    expect(r.accel).toBe("tcg");
    expect(r.note).toMatch(
      /^KVM probe boot failed \(guest \(kvm\) did not come up within 3000 ms; last console lines:/,
    );
    expect(r.note).toMatch(/falling back to TCG$/);
    expect(qemusOf(process.pid)).toEqual([]);
  }, 60_000);

  it("forced accelerators are not probed", async () => {
    await expect(resolveAccel({ ...tcg(), accel: "tcg" })).resolves.toEqual({ accel: "tcg", note: null });
  });
});

describe("Ctrl-C", () => {
  it("SIGINT to `kvm4nfv guest run` kills its QEMU and exits 130", async () => {
    const child = spawn(
      process.execPath,
      ["bin/kvm4nfv.js", "guest", "run", "--accel", "tcg", "--", "sleep 600"],
      {
        stdio: "ignore",
      },
    );
    const pid = child.pid ?? -1;
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    // Wait (by polling, not by timing) until its QEMU exists.
    for (let i = 0; i < 1200 && qemusOf(pid).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(qemusOf(pid)).toHaveLength(1);
    // Its temp dirs, read off QEMU's own command line: the job's initrd copy and the QMP/console dir.
    const dirs = [...(qemusOf(pid)[0] ?? "").matchAll(/\/tmp\/kvm4nfv-(?:vm|job)-\w+/g)].map((m) => m[0]);
    expect(new Set(dirs).size).toBe(2);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    for (let i = 0; i < 50 && qemusOf(pid).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(qemusOf(pid)).toEqual([]);
    expect(dirs.filter((d) => existsSync(d))).toEqual([]);
  }, 180_000);
});
