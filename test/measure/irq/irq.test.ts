/**
 * The device-interrupt test: the host sender's schedule and timing against a local echo socket (the guest's
 * responder stands in), the record's figures, and one real run in the RT guest (one boot): virtio-serial
 * interrupts every 1 ms to busybox cat on vCPU 1, every round trip timed.
 */
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { irqCpuResult, irqGuestScript, runIrqTest, sendInterrupts } from "../../../src/measure/irq/irq.js";

describe("interrupt sender", () => {
  it("waits for the responder's R, sends a sequence number every period and times each echo", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "kvm4nfv-irqt-")), "s.sock");
    const server = createServer((c) => {
      c.write("xR"); // noise before the ready byte is skipped
      c.pipe(c);
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const s = await sendInterrupts(path, 300, 1000, 10_000);
      expect(s.sent).toBeGreaterThanOrEqual(295);
      expect(s.sent).toBeLessThanOrEqual(301);
      expect(s.rttsUs).toHaveLength(s.sent);
      expect(s.readyAfterMs).not.toBeNull();
      expect(Math.min(...s.rttsUs)).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });

  it("gives up (nothing sent) when no responder ever answers", async () => {
    const s = await sendInterrupts("/nonexistent/kvm4nfv.sock", 100, 1000, 500);
    expect(s).toEqual({ sent: 0, rttsUs: [], readyAfterMs: null });
  });

  it("builds the result: 1 µs buckets, overflows above the width, min/avg/max of the round trips", () => {
    const c = irqCpuResult([10.4, 20.6, 1500], 4, 1000);
    expect(c).toMatchObject({ cpu: 1, minUs: 10, maxUs: 1500, samples: 3, overflows: 1 });
    expect(c.histogram!.buckets).toEqual([
      [10, 1],
      [21, 1],
    ]);
    expect(irqGuestScript(5000)).toMatch(/taskset -c 1 sh -c "exec 3<>\$P; printf R >&3; exec cat <&3 >&3"/);
  });
});

describe("test irq in the RT guest (real, one boot)", { timeout: 500_000 }, () => {
  it("delivers an interrupt every 1 ms to the guest and times the round trips", async () => {
    const run = await runIrqTest({ durationMs: 5000 });
    expect(run.type).toBe("irq");
    expect(run.raw["irq.port"]).toMatch(/^\/dev\/vport\d+p\d+/);
    expect(run.metrics.sent).toBeGreaterThan(4000);
    expect(Number(run.metrics.answered)).toBeGreaterThan(0);
    expect(run.cpus[0]!.samples).toBe(run.metrics.answered);
    expect(run.environment.accelerator).toMatch(/^(kvm|tcg)$/);
    // The port's interrupt count in the guest grew.
    const count = (t: string) =>
      (t.split("\n").find((l) => /virtio\d+-virtqueues|virtio\d+-input/.test(l)) ?? "").length;
    expect(count(run.raw["irq.interrupts.after"] ?? "")).toBeGreaterThan(0);
  });
});
