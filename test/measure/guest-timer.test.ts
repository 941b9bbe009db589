/**
 * The timer test inside the RT guest: the pure parts (load names, pinning, the guest's job script) and one
 * real run — the Debian PREEMPT_RT guest booted by QEMU (TCG here), real cyclictest, stored in a real store.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  guestJobScript,
  guestPinning,
  loadComboName,
  parseLoadCombo,
} from "../../src/measure/guest-timer.js";
import { openStore } from "../../src/results/store.js";

describe("seeds' load names", () => {
  it("parses HOST_GUEST combinations", () => {
    expect(parseLoadCombo("idle_idle")).toEqual({ host: "idle", guest: "idle" });
    expect(parseLoadCombo("memorystress_idle")).toEqual({ host: "memory", guest: "idle" });
    expect(parseLoadCombo("idle_iostress")).toEqual({ host: "idle", guest: "io" });
    expect(loadComboName("cpu", "idle")).toBe("cpustress_idle");
  });

  it.each(["idle", "cpu_idle", "idle_idle_idle", "memorystress_", "x_y"])("refuses %j", (text) => {
    expect(() => parseLoadCombo(text)).toThrow(/is not a HOST_GUEST load combination/);
  });
});

describe("guest pinning", () => {
  it("puts vCPU 1 on the host's isolated CPU and keeps housekeeping for vCPU 0 and QEMU", () => {
    expect(guestPinning([0, 1, 2, 3], [2, 3])).toEqual({ rtCpu: 2, housekeeping: [0, 1] });
  });

  it("uses the last CPU when nothing is isolated (this 2-vCPU machine)", () => {
    expect(guestPinning([0, 1], [])).toEqual({ rtCpu: 1, housekeeping: [0] });
  });

  it("refuses a CPU the host does not have, and a pinning that leaves no housekeeping CPU", () => {
    expect(() => guestPinning([0, 1], [], [7])).toThrow("host CPU 7 is not online");
    expect(() => guestPinning([0], [], [0])).toThrow(/no housekeeping host CPU/);
  });
});

describe("guest job script", () => {
  it("runs cyclictest with the planned arguments and stops the guest load after it", () => {
    const script = guestJobScript(
      ["-m", "-a", "1", "--json=/out/cyclictest.json"],
      ["--cpu", "1", "--taskset", "0"],
    );
    const lines = script.split("\n");
    const load = lines.findIndex((l) => l.startsWith("stress-ng '--cpu'"));
    const measure = lines.findIndex((l) => l.startsWith("cyclictest '-m'"));
    const kill = lines.findIndex((l) => l.startsWith("kill"));
    expect(load).toBeGreaterThan(-1);
    expect(measure).toBeGreaterThan(load);
    expect(kill).toBeGreaterThan(measure);
    expect(script).toContain("'--json=/out/cyclictest.json' > /out/cyclictest.stdout");
    expect(guestJobScript(["-m"], null)).not.toContain("stress-ng '");
  });

  it("passes the syntax check of a real POSIX shell", () => {
    const r = spawnSync("sh", ["-n"], {
      input: guestJobScript(["-m", "it's"], ["--vm", "1"]),
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
  });
});

describe("a real timer test in the RT guest", () => {
  const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-guest-timer-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("boots the PREEMPT_RT guest, runs cyclictest on vCPU 1 and stores a run marked with its accelerator", () => {
    const store = join(dir, "r.db");
    const r = spawnSync(
      "node",
      ["bin/kvm4nfv.js", "test", "timer", "--where", "guest", "--duration", "3s", "--store", store, "--json"],
      { encoding: "utf8", timeout: 280_000 },
    );
    expect([0, 1]).toContain(r.status); // the SLA verdict, whichever it is: not a crash
    const printed = JSON.parse(r.stdout) as { id: number };
    const s = openStore(store);
    const run = s.getRun(printed.id);
    s.close();
    expect(run.label).toBe("idle_idle");
    expect(run.params.where).toBe("guest");
    expect(["kvm", "tcg"]).toContain(run.environment.accelerator);
    expect(run.environment.guestKernelRelease).toMatch(/-rt-amd64$/);
    expect(run.environment.guestCmdline).toContain("isolcpus=1");
    // cyclictest's own figures, as it wrote them in the guest.
    const json = JSON.parse(run.raw["cyclictest.json"]!) as {
      thread: Record<string, { min: number; max: number; cpu: number }>;
    };
    const t0 = Object.values(json.thread)[0]!;
    expect(run.cpus[0]).toMatchObject({ cpu: 1, minUs: t0.min, maxUs: t0.max });
    if (run.environment.accelerator === "tcg") expect(r.stdout + r.stderr).toMatch(/TCG/);
    // QEMU's -name is unique to this run; other tests' guests may be running alongside.
    const left = spawnSync("pgrep", ["-f", "--", `-name ${String(run.params.qemuName)},`], {
      encoding: "utf8",
    });
    expect(left.stdout.trim()).toBe("");
  }, 300_000);
});
