/**
 * sockperf 3.x client outputs, parsed. sockperf reports one-way latency as half the round trip (RTT/2) of
 * each sampled message; `--full-log FILE` writes every sample as "packet, txTime(sec), rxTime(sec),
 * latency(usec)". Its console lines carry ANSI colour codes (stripped here) and the "sockperf: " prefix.
 */
import { InputError } from "../../errors.js";

export interface SockperfLatencySummary {
  /** [Total Run] figures (warm-up included). */
  sentMessages: number;
  receivedMessages: number;
  /** [Valid Duration] figures: what the statistics below are computed from. */
  validSent: number | null;
  validReceived: number | null;
  avgUs: number;
  stdDevUs: number | null;
  dropped: number;
  duplicated: number;
  outOfOrder: number;
  observations: number;
  minUs: number;
  maxUs: number;
  /** sockperf's own percentiles, keyed "50.000", "99.990", … → µs. */
  percentiles: Record<string, number>;
  /** "--mps=600000 --burst=1 --reply-every=1 --msg-size=18 --time=2" */
  parameters: string | null;
}

export interface SockperfThroughputSummary {
  sentMessages: number;
  seconds: number;
  messageRate: number;
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

function need(m: RegExpExecArray | null, what: string): RegExpExecArray {
  if (!m) throw new InputError("BAD_TOOL_OUTPUT", `sockperf output has no ${what}`);
  return m;
}

/** The client's summary of ping-pong or under-load. Throws BAD_TOOL_OUTPUT when a figure is missing. */
export function parseSockperfLatency(output: string): SockperfLatencySummary {
  const text = stripAnsi(output);
  const total = need(
    /\[Total Run\] RunTime=[\d.]+ sec; Warm up time=\d+ msec; SentMessages=(\d+); ReceivedMessages=(\d+)/.exec(
      text,
    ),
    "[Total Run] line",
  );
  const valid = /\[Valid Duration\] RunTime=[\d.]+ sec; SentMessages=(\d+); ReceivedMessages=(\d+)/.exec(
    text,
  );
  const avg = need(/avg-latency=([\d.]+)(?: \(std-dev=([\d.]+)\))?/.exec(text), "avg-latency");
  const drops = need(
    /# dropped messages = (\d+); # duplicated messages = (\d+); # out-of-order messages = (\d+)/.exec(text),
    "dropped-messages line",
  );
  const obs = need(/Total (\d+) observations/.exec(text), "observation count");
  const max = need(/<MAX> observation =\s*([\d.]+)/.exec(text), "<MAX> observation");
  const min = need(/<MIN> observation =\s*([\d.]+)/.exec(text), "<MIN> observation");
  const percentiles: Record<string, number> = {};
  for (const m of text.matchAll(/---> percentile ([\d.]+) =\s*([\d.]+)/g)) {
    percentiles[m[1]!] ??= Number(m[2]);
  }
  const params = /test was performed using the following parameters: (.+)/.exec(text);
  return {
    sentMessages: Number(total[1]),
    receivedMessages: Number(total[2]),
    validSent: valid ? Number(valid[1]) : null,
    validReceived: valid ? Number(valid[2]) : null,
    avgUs: Number(avg[1]),
    stdDevUs: avg[2] === undefined ? null : Number(avg[2]),
    dropped: Number(drops[1]),
    duplicated: Number(drops[2]),
    outOfOrder: Number(drops[3]),
    observations: Number(obs[1]),
    minUs: Number(min[1]),
    maxUs: Number(max[1]),
    percentiles,
    parameters: params ? params[1]!.trim() : null,
  };
}

/** `sockperf throughput` client: "Total of N messages sent in T sec" and "Message Rate is R [msg/sec]". */
export function parseSockperfThroughput(output: string): SockperfThroughputSummary {
  const text = stripAnsi(output);
  const total = need(/Total of (\d+) messages sent in ([\d.]+) sec/.exec(text), "'Total of … messages' line");
  const rate = need(/Message Rate is (\d+) \[msg\/sec\]/.exec(text), "Message Rate line");
  return { sentMessages: Number(total[1]), seconds: Number(total[2]), messageRate: Number(rate[1]) };
}

/** The per-sample latencies (µs, sockperf's RTT/2) of a --full-log file, in file order. */
export function parseSockperfFullLog(text: string): number[] {
  const lines = text.split("\n");
  const header = lines.findIndex((l) => /^packet, txTime\(sec\), rxTime\(sec\), latency\(usec\)/.test(l));
  if (header < 0)
    throw new InputError("BAD_TOOL_OUTPUT", "sockperf --full-log has no 'packet, txTime…' header");
  const out: number[] = [];
  for (const line of lines.slice(header + 1)) {
    const m = /^\s*\d+,\s*[\d.]+,\s*[\d.]+,\s*([\d.]+)\s*$/.exec(line);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

/** "sockperf, version 3.7-no.git" → "3.7". */
export function parseSockperfVersion(text: string): string | null {
  const m = /version #?(\d+(?:\.\d+)+)/.exec(stripAnsi(text));
  return m ? m[1]! : null;
}
