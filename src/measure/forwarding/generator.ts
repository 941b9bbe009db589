/**
 * The traffic generator seam: one trial at a rate (frames sent, frames received → loss) and one latency run
 * at a rate. The implementation here is sockperf 3.x (UDP) between the two network namespaces: `sockperf
 * throughput` offers the load from end A (its count of messages sent is the offered load), the kernel's rx
 * counter of end B's interface counts what arrived (so loss is the path's, not the receiving socket's), and `sockperf under-load`
 * with --full-log gives every sampled message's latency (sockperf's RTT/2). A lab generator (TRex) would be
 * another implementation of the same interface; none is installable here, so there is none.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Kvm4nfvError } from "../../errors.js";
import type { Exec } from "../../exec.js";
import { captureOutput, type End, readCounters, sleep, stopStep, type Teardown } from "./plumbing.js";
import {
  parseSockperfFullLog,
  parseSockperfLatency,
  parseSockperfThroughput,
  parseSockperfVersion,
  type SockperfLatencySummary,
} from "./sockperf.js";

/** Ethernet header 14 + IPv4 20 + UDP 8 + FCS 4: a frame of F bytes carries F − 46 bytes of UDP payload. */
export const FRAME_OVERHEAD = 46;
export const MIN_FRAME = 64;
/** 1518 − 46 = 1472, a full 1500-byte MTU packet. */
export const MAX_FRAME = 1518;

export interface TrialResult {
  /** Rate asked of the generator (frames/s); null = as fast as it can. */
  requestedPps: number | null;
  durationS: number;
  sent: number;
  received: number;
  lost: number;
  lossPct: number;
  /** Frames per second actually offered (sent / duration). */
  offeredPps: number;
  output: string;
}

export interface LatencyResult {
  ratePps: number;
  summary: SockperfLatencySummary;
  /** Per-sample one-way latencies (µs). */
  samplesUs: number[];
  output: string;
  fullLog: string;
}

export interface Generator {
  name: string;
  version: string | null;
  /** The path's unloaded latency: the 1 s ping-pong (one message in flight) that proved it forwards. */
  pingPong: { summary: SockperfLatencySummary | null; output: string };
  trial(frameSize: number, ratePps: number | null, durationS: number): Promise<TrialResult>;
  latency(frameSize: number, ratePps: number, durationS: number): Promise<LatencyResult>;
}

export interface SockperfGeneratorOptions {
  exec: Exec;
  teardown: Teardown;
  a: End;
  b: End;
  /** CPU the generator's client is pinned to (housekeeping, away from the PMDs). */
  cpu: number;
  /**
   * CPU of the server (end B); default the client's. Sharing one CPU matters: under-load paces its sends by
   * spinning, so a server on the same CPU answers only when the scheduler preempts the client (milliseconds).
   */
  serverCpu?: number;
  stateDir: string;
  port?: number;
  /** Extra seconds a sockperf run may take beyond its duration before it is killed (a timeout). */
  graceS?: number;
  /** Latency samples wanted per second of an under-load run (sets --reply-every). */
  samplesPerSecond?: number;
}

export async function startSockperfGenerator(o: SockperfGeneratorOptions): Promise<Generator> {
  const { exec } = o;
  const port = String(o.port ?? 11111);
  const grace = (o.graceS ?? 30) * 1000;
  const inNs = (ns: string, args: string[], cpu = o.cpu) => [
    "netns",
    "exec",
    ns,
    "taskset",
    "-c",
    String(cpu),
    "sockperf",
    ...args,
  ];
  const v = await exec.run("sockperf", ["--version"], { allowFailure: true, timeoutMs: 10_000 });
  const version = parseSockperfVersion(`${v.stdout}\n${v.stderr}`);
  const server = exec.start("ip", inNs(o.b.ns, ["server", "-i", o.b.ip, "-p", port], o.serverCpu ?? o.cpu));
  const serverOutput = captureOutput(server);
  stopStep(o.teardown, server);
  // The server binds within a moment; a ping-pong second proves the whole path forwards both ways.
  await sleep(300);
  const check = await exec.run(
    "ip",
    inNs(o.a.ns, ["ping-pong", "-i", o.b.ip, "-p", port, "-t", "1", "-m", "18"]),
    {
      allowFailure: true,
      timeoutMs: 30_000,
    },
  );
  if (check.exitCode !== 0 || !/ReceivedMessages=[1-9]/.test(check.stdout + check.stderr)) {
    throw new Kvm4nfvError(
      "TOOL_FAILED",
      `the topology does not forward: sockperf ping-pong from ${o.a.ns} to ${o.b.ip} got no reply`,
      {
        hint: `${(check.stdout + check.stderr).trim().split("\n").slice(-2).join(" ")} | server: ${serverOutput().trim().slice(-200)}`,
      },
    );
  }
  const payload = (frame: number) => String(frame - FRAME_OVERHEAD);
  const pingOutput = check.stdout + check.stderr;
  let pingSummary: SockperfLatencySummary | null = null;
  try {
    pingSummary = parseSockperfLatency(pingOutput);
  } catch {
    // A ping-pong with replies but no statistics (too few in the valid window): the run goes on without it.
  }
  return {
    pingPong: { summary: pingSummary, output: pingOutput },
    name: "sockperf (UDP) between network namespaces; offered = sockperf messages sent, received = end B rx counter",
    version,
    async trial(frameSize, ratePps, durationS) {
      const args = [
        "throughput",
        "-i",
        o.b.ip,
        "-p",
        port,
        "-m",
        payload(frameSize),
        "-t",
        String(durationS),
      ];
      if (ratePps !== null) args.push(`--mps=${Math.max(1, Math.round(ratePps))}`);
      const sentBefore = await readCounters(exec, o.a.ns, o.a.ifname);
      const recvBefore = await readCounters(exec, o.b.ns, o.b.ifname);
      const r = await exec.run("ip", inNs(o.a.ns, args), { timeoutMs: durationS * 1000 + grace });
      // Frames still in flight (queues of the switch) arrive within milliseconds.
      await sleep(200);
      const sentAfter = await readCounters(exec, o.a.ns, o.a.ifname);
      const recvAfter = await readCounters(exec, o.b.ns, o.b.ifname);
      const output = r.stdout + r.stderr;
      const summary = parseSockperfThroughput(output);
      // Offered = what sockperf handed to its socket. Frames the switch's port cannot take in (a TAP whose
      // reader, the PMD, falls behind drops at its queue) never reach the interface's tx counter but are lost
      // all the same; the counter still wins when larger (sockperf's warm-up message is not in its total).
      const sent = Math.max(summary.sentMessages, sentAfter.txPackets - sentBefore.txPackets);
      const received = recvAfter.rxPackets - recvBefore.rxPackets;
      const lost = Math.max(0, sent - received);
      return {
        requestedPps: ratePps,
        durationS,
        sent,
        received,
        lost,
        lossPct: sent > 0 ? (100 * lost) / sent : 0,
        offeredPps: sent / Math.max(summary.seconds, durationS),
        output,
      };
    },
    async latency(frameSize, ratePps, durationS) {
      const log = join(o.stateDir, `sockperf-${frameSize}-${Date.now()}.csv`);
      const every = Math.max(1, Math.round(ratePps / (o.samplesPerSecond ?? 2000)));
      const args = [
        "under-load",
        "-i",
        o.b.ip,
        "-p",
        port,
        "-m",
        payload(frameSize),
        "-t",
        String(durationS),
        `--mps=${Math.max(1, Math.round(ratePps))}`,
        `--reply-every=${every}`,
        "--full-log",
        log,
      ];
      const r = await exec.run("ip", inNs(o.a.ns, args), { timeoutMs: durationS * 1000 + grace });
      const output = r.stdout + r.stderr;
      const fullLog = readFileSync(log, "utf8");
      return {
        ratePps,
        summary: parseSockperfLatency(output),
        samplesUs: parseSockperfFullLog(fullLog),
        output,
        fullLog,
      };
    },
  };
}
