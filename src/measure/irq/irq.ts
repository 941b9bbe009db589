/**
 * The device-interrupt test (the KVM4NFV plan's second test: "a device triggers an interrupt every 1 ms,
 * delivered to the VNF"), with real parts. Debian 12 ships no ivshmem-server, so the device is QEMU's
 * virtio-serial: a second port (kvm4nfv.irq) whose host end is a unix socket. Every period the host writes a
 * 4-byte sequence number; QEMU puts it in the port's virtqueue and raises the device's interrupt in the guest;
 * the virtio_console driver's handler wakes the responder — busybox cat pinned to the RT vCPU 1, echoing the
 * port onto itself — whose write comes back through the other virtqueue. The host times each round trip
 * (send → echo received): interrupt delivery, the handler, the wake-up of the responder and the way back.
 * Stored like the timer test: one result for vCPU 1, 1 µs histogram, min/avg/max, the lost ones counted.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Exec, realExec } from "../../exec.js";
import { loadComboName } from "../guest-timer.js";
import type { LoadKind } from "../load.js";
import { GUEST_RT_VCPU, runInRtGuest } from "../rtla/rt-guest.js";
import { evaluateSla, formatSla, parseSla } from "../sla.js";
import { computePercentiles, histogramFromCounts } from "../stats.js";
import type { CpuResult, RunRecord, SlaLimit } from "../types.js";

export const IRQ_PORT = "kvm4nfv.irq";
export const DEFAULT_IRQ_SLA = "max=1000";

export interface IrqOptions {
  durationMs?: number;
  /** Interrupt period (default 1000 µs, the plan's 1 ms). */
  periodUs?: number;
  cpus?: readonly number[];
  load?: LoadKind;
  accel?: "auto" | "kvm" | "tcg";
  sla?: readonly SlaLimit[];
  label?: string;
  onNote?: (note: string) => void;
}

/** Guest side: find the port, pin the echo responder to vCPU 1, say ready, run for the length of the test. */
export function irqGuestScript(durationMs: number): string {
  return [
    "P=''",
    `for n in /sys/class/virtio-ports/*; do [ "$(cat $n/name 2>/dev/null)" = "${IRQ_PORT}" ] && P=/dev/$(basename $n); done`,
    'echo "$P" > /out/irq.port',
    '[ -c "$P" ] || exit 3',
    "cat /proc/interrupts > /out/irq.interrupts.before",
    // One read-write descriptor: a virtio console port can be open only once at a time.
    `taskset -c ${GUEST_RT_VCPU} sh -c "exec 3<>$P; printf R >&3; exec cat <&3 >&3" 2> /out/irq.responder.stderr & R=$!`,
    `sleep ${Math.ceil(durationMs / 1000) + 20}`,
    'kill "$R" 2>/dev/null; wait "$R" 2>/dev/null',
    "cat /proc/interrupts > /out/irq.interrupts.after",
    "",
  ].join("\n");
}

export interface IrqSamples {
  sent: number;
  rttsUs: number[];
  /** ms from connect to the guest's ready byte. */
  readyAfterMs: number | null;
}

/**
 * Host side: connect to QEMU's socket (retrying until it exists), wait for the responder's "R", then send a
 * sequence number every period for durationMs and time each echo. Resolves after a grace period for the last.
 */
export function sendInterrupts(
  path: string,
  durationMs: number,
  periodUs: number,
  giveUpMs: number,
): Promise<IrqSamples> {
  return new Promise((resolve) => {
    const started = Date.now();
    const sentAt = new Map<number, bigint>();
    const rtts: number[] = [];
    let sock: Socket | null = null;
    let buf = Buffer.alloc(0);
    let ready = false;
    let readyAfterMs: number | null = null;
    let seq = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      sock?.destroy();
      resolve({ sent: seq, rttsUs: rtts, readyAfterMs });
    };
    // Unref'd: if the guest fails, a waiting sender must not keep kvm4nfv alive (QEMU's exit closes the socket).
    const giveUp = setTimeout(finish, giveUpMs);
    giveUp.unref();
    const onData = (chunk: Buffer) => {
      const now = process.hrtime.bigint();
      buf = Buffer.concat([buf, chunk]);
      if (!ready) {
        const at = buf.indexOf(0x52); // "R"
        if (at < 0) return;
        buf = buf.subarray(at + 1);
        ready = true;
        readyAfterMs = Date.now() - started;
        startSending();
      }
      while (buf.length >= 4) {
        const n = buf.readUInt32BE(0);
        buf = buf.subarray(4);
        const t = sentAt.get(n);
        if (t !== undefined) {
          rtts.push(Number(now - t) / 1000);
          sentAt.delete(n);
        }
      }
    };
    const startSending = () => {
      const t0 = process.hrtime.bigint();
      const periodNs = BigInt(Math.round(periodUs * 1000));
      const end = t0 + BigInt(durationMs) * 1_000_000n;
      // A fixed schedule (t0 + k·period), not "period after the last send": timer slack does not accumulate.
      const tick = () => {
        if (done || !sock) return;
        const now = process.hrtime.bigint();
        while (t0 + BigInt(seq) * periodNs <= now && t0 + BigInt(seq) * periodNs < end) {
          const b = Buffer.alloc(4);
          b.writeUInt32BE(seq);
          sentAt.set(seq, process.hrtime.bigint());
          sock.write(b);
          seq++;
        }
        if (now >= end) {
          clearTimeout(giveUp);
          setTimeout(finish, 2000);
          return;
        }
        setTimeout(tick, Math.max(0, Number(t0 + BigInt(seq) * periodNs - process.hrtime.bigint()) / 1e6));
      };
      tick();
    };
    const attempt = () => {
      if (done) return;
      if (!existsSync(path)) {
        setTimeout(attempt, 100).unref();
        return;
      }
      const s = connect(path);
      s.on("connect", () => {
        sock = s;
      });
      s.on("data", onData);
      s.on("error", () => {
        if (!sock) setTimeout(attempt, 200).unref();
      });
      s.on("close", () => {
        if (sock === s) finish();
      });
    };
    attempt();
  });
}

export function irqCpuResult(rttsUs: readonly number[], sent: number, histogramUs: number): CpuResult {
  const counts = new Array<number>(histogramUs).fill(0);
  let overflows = 0;
  for (const r of rttsUs) {
    const us = Math.round(r);
    if (us >= histogramUs) overflows++;
    else counts[us]!++;
  }
  const histogram = histogramFromCounts(counts, overflows, histogramUs);
  const n = rttsUs.length;
  return {
    cpu: GUEST_RT_VCPU,
    thread: 0,
    minUs: n ? Math.round(Math.min(...rttsUs)) : 0,
    avgUs: n ? Math.round((rttsUs.reduce((a, b) => a + b, 0) / n) * 100) / 100 : 0,
    maxUs: n ? Math.round(Math.max(...rttsUs)) : 0,
    samples: n,
    overflows,
    histogram,
    percentiles: n && sent ? computePercentiles(histogram) : {},
  };
}

export async function runIrqTest(options: IrqOptions = {}, exec: Exec = realExec): Promise<RunRecord> {
  const durationMs = options.durationMs ?? 60_000;
  const periodUs = options.periodUs ?? 1000;
  const sla = [...(options.sla ?? parseSla(DEFAULT_IRQ_SLA))];
  const histogramUs = Math.max(1000, ...sla.map((l) => Math.ceil(l.limitUs) + 1));
  const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-irq-"));
  const sockPath = join(dir, "irq.sock");
  let samples: IrqSamples = { sent: 0, rttsUs: [], readyAfterMs: null };
  try {
    const outcome = await runInRtGuest(
      {
        script: irqGuestScript(durationMs),
        expectedMs: durationMs + 20_000,
        hostLoad: options.load ?? "idle",
        extraArgs: [
          "-chardev",
          `socket,id=kvm4nfvirq,path=${sockPath},server=on,wait=off`,
          "-device",
          `virtserialport,bus=vser0.0,chardev=kvm4nfvirq,name=${IRQ_PORT}`,
        ],
        alongside: async () => {
          samples = await sendInterrupts(sockPath, durationMs, periodUs, durationMs + 240_000);
        },
        ...(options.cpus ? { cpus: options.cpus } : {}),
        ...(options.accel ? { accel: options.accel } : {}),
        ...(options.onNote ? { onNote: options.onNote } : {}),
      },
      exec,
    );
    const cpu = irqCpuResult(samples.rttsUs, samples.sent, histogramUs);
    const out = outcome.result.outputs;
    const raw = { ...outcome.raw };
    for (const k of ["irq.port", "irq.interrupts.before", "irq.interrupts.after", "irq.responder.stderr"])
      if (out[k]) raw[k] = out[k]!;
    const load = loadComboName(options.load ?? "idle", "idle");
    const lost = samples.sent - samples.rttsUs.length;
    const verdict =
      samples.sent === 0
        ? {
            status: "error" as const,
            limits: sla,
            breaches: [],
            summary: "no interrupt was sent: the guest's responder never said it was ready",
          }
        : evaluateSla(sla, [cpu]);
    if (samples.sent > 0 && lost > 0 && verdict.status === "pass") {
      verdict.status = "fail";
      verdict.summary = `${lost} of ${samples.sent} interrupts got no answer`;
    }
    return {
      id: null,
      type: "irq",
      label: options.label ?? load,
      startedAt: outcome.startedAt,
      endedAt: new Date().toISOString(),
      params: {
        where: "guest",
        cpus: String(GUEST_RT_VCPU),
        durationMs,
        periodUs,
        load,
        sla: formatSla(sla),
        device: `virtio-serial port ${IRQ_PORT} (unix socket on the host), echo responder: busybox cat on vCPU ${GUEST_RT_VCPU}`,
        command: `every ${periodUs} µs: host writes 4 bytes → guest IRQ → cat echoes → host`,
        ...outcome.params,
      },
      environment: outcome.environment,
      cpus: [cpu],
      metrics: {
        samples: cpu.samples,
        worstMaxUs: cpu.maxUs,
        sent: samples.sent,
        answered: samples.rttsUs.length,
        lost,
        readyAfterMs: samples.readyAfterMs,
      },
      raw,
      verdict,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
