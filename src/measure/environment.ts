/**
 * RunEnvironment: how a measurement was made — enough to judge it later (a 40 µs max on a non-RT kernel in
 * a VM is a different fact from the same figure on PREEMPT_RT bare metal). Read through the HostFs seam so
 * tests can use a snapshot; tool versions come from the tools themselves.
 */
import { hostname } from "node:os";
import type { Exec } from "../exec.js";
import type { HostFs } from "../host/fs.js";
import type { RunEnvironment } from "./types.js";

/** "cyclictest V 2.40" / "oslat V 2.40" (first line of --help) → "2.40". */
export function parseRtTestsVersion(helpText: string, tool: string): string | null {
  const m = new RegExp(`^${tool} V (\\S+)`, "m").exec(helpText);
  return m ? m[1]! : null;
}

/** "stress-ng, version 0.15.06 (gcc …)" → "0.15.06". */
export function parseStressNgVersion(text: string): string | null {
  const m = /stress-ng,? version (\S+)/.exec(text);
  return m ? m[1]! : null;
}

export function cpuModelFromCpuinfo(cpuinfo: string | undefined): string | null {
  const m = cpuinfo ? /^model name\s*:\s*(.+)$/m.exec(cpuinfo) : null;
  return m ? m[1]!.trim() : null;
}

/** PREEMPT_RT: /sys/kernel/realtime is "1" on RT kernels; the version string says PREEMPT_RT too. */
export function isRealtimeKernel(fs: HostFs): boolean | null {
  const flag = fs.read("/sys/kernel/realtime");
  if (flag !== undefined) return flag.trim() === "1";
  const version = fs.read("/proc/sys/kernel/version") ?? fs.read("/proc/version");
  if (version === undefined) return null;
  return /PREEMPT_RT\b/.test(version);
}

export function readEnvironment(fs: HostFs, toolVersions: Record<string, string>): RunEnvironment {
  const trimmed = (path: string) => fs.read(path)?.trim() || null;
  return {
    hostname: fs.live ? hostname() : trimmed("/proc/sys/kernel/hostname"),
    kernelRelease: trimmed("/proc/sys/kernel/osrelease"),
    kernelCmdline: trimmed("/proc/cmdline"),
    cpuModel: cpuModelFromCpuinfo(fs.read("/proc/cpuinfo")),
    realtimeKernel: isRealtimeKernel(fs),
    toolVersions,
    where: "host",
  };
}

/** `cyclictest --help`: its version and the options this build knows (2.x dropped -n; 1.x lacks --json). */
export interface CyclictestFeatures {
  version: string | null;
  json: boolean;
  mainAffinity: boolean;
  /** -n (clock_nanosleep) must be passed before 2.0 and is rejected since. */
  nanosleepFlag: boolean;
  tracemark: boolean;
}

export async function probeCyclictest(exec: Exec): Promise<CyclictestFeatures> {
  const r = await exec.run("cyclictest", ["--help"], { allowFailure: true, timeoutMs: 10_000 });
  const help = `${r.stdout}\n${r.stderr}`;
  return {
    version: parseRtTestsVersion(help, "cyclictest"),
    json: help.includes("--json"),
    mainAffinity: help.includes("--mainaffinity"),
    nanosleepFlag: /^\s*-n\b/m.test(help),
    tracemark: help.includes("--tracemark"),
  };
}

export async function probeStressNg(exec: Exec): Promise<string | null> {
  const r = await exec.run("stress-ng", ["--version"], { allowFailure: true, timeoutMs: 10_000 });
  return parseStressNgVersion(`${r.stdout}\n${r.stderr}`);
}
