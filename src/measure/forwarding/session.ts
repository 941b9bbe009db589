/**
 * One forwarding test: build the topology (namespaces, hugepages, the switch, the generator), measure every
 * frame size (RFC 2544 throughput, then latency at a share of it), and tear everything down — always: on
 * success, on a failure, on a child's timeout, and on SIGINT/SIGTERM (through exec.ts's onInterrupt).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Exec, realExec } from "../../exec.js";
import { type LatencyResult, startSockperfGenerator } from "./generator.js";
import type { End } from "./plumbing.js";
import { addNamespace, deleteNamespace, reserveHugepages, unmount } from "./plumbing.js";
import { type SearchResult, searchThroughput } from "./rfc2544.js";
import type { SockperfLatencySummary } from "./sockperf.js";
import {
  type BuiltSwitch,
  buildKernelBridge,
  buildOvsDpdk,
  buildTestpmd,
  OVS_SOCKET_MEM_MIB,
  requireTools,
  type SwitchKind,
  TESTPMD_MEM_MIB,
  vhostSocket,
} from "./switches.js";
import { isMounted, STATE_PREFIX, type SweepActions, sweepStaleForwarding, Teardown } from "./teardown.js";
import {
  prepareVnf,
  startVnf,
  VNF_CMDLINE,
  VNF_FORWARDER,
  VNF_MEMORY_MIB,
  type VnfDescription,
  type VnfGuest,
} from "./vnf.js";

export type Topology = "phy2phy" | "pvp" | "pvvp";

export interface ForwardingOptions {
  topology: Topology;
  switch: SwitchKind;
  frameSizes: number[];
  durationS: number;
  /** Fixed rate (frames/s): one trial per frame size instead of the search (VSPERF's *_cont tests). */
  ratePps?: number;
  /** Latency is measured at this share of the throughput found (0.5 = 50 %). */
  latencyShare: number;
  /** PMD / forwarding CPUs, and the housekeeping CPU for main lcores and the generator. */
  pmdCpus: number[];
  mainCpu: number;
  /** CPU of the generator's server end: a second housekeeping CPU where there is one, else mainCpu. */
  serverCpu?: number;
  fwdMode: "io" | "mac";
  maxTrials: number;
  /** Seconds a sockperf run may overrun before it is killed (tests make it tiny to force a timeout). */
  graceS?: number;
  onProgress?: (line: string) => void;
  /** Called between phases ("built", "measured 64"…); a test can throw here to prove teardown. */
  onPhase?: (phase: string) => void | Promise<void>;
}

export interface FrameSizeResult {
  frameSize: number;
  search: SearchResult;
  latency: LatencyResult | null;
  startedAt: string;
  endedAt: string;
  /** sockperf's outputs for this frame size. */
  raw: Record<string, string>;
}

export interface ForwardingOutcome {
  switch: Omit<BuiltSwitch, "collect">;
  /** The VNF guests of PVP/PVVP (null for phy2phy): how they ran and forwarded. */
  vnf: VnfDescription | null;
  generator: { name: string; version: string | null; pingPong: SockperfLatencySummary | null };
  results: FrameSizeResult[];
  raw: Record<string, string>;
  hugepages: number;
  teardownProblems: string[];
}

/** Guests in the path: the VNFs of PVP (one) and PVVP (two chained). */
export function guestsFor(topology: Topology): number {
  return topology === "pvp" ? 1 : topology === "pvvp" ? 2 : 0;
}

/** 2 MiB pages reserved for the run: the switch's hugepage memory plus slack, plus each guest's RAM. */
export function hugepagesFor(kind: SwitchKind, guests = 0): number {
  if (kind === "none") return 0;
  return (
    (kind === "ovs-dpdk" ? OVS_SOCKET_MEM_MIB : TESTPMD_MEM_MIB) / 2 + 32 + guests * (VNF_MEMORY_MIB / 2)
  );
}

export async function runForwarding(o: ForwardingOptions, exec: Exec = realExec): Promise<ForwardingOutcome> {
  requireTools(o.switch);
  const say = o.onProgress ?? (() => {});
  const phase = o.onPhase ?? (() => {});
  const guests = guestsFor(o.topology);
  // The guest image (built once and cached) and the accelerator before anything is set up.
  const vnfBase = guests > 0 ? await prepareVnf(exec, say) : null;
  // What an earlier run killed mid-way (SIGKILL, its teardown cut short) left behind goes first.
  for (const line of await sweepStaleForwarding(sweepActions(exec))) say(`left by an earlier run: ${line}`);
  const stateDir = mkdtempSync(join(tmpdir(), STATE_PREFIX));
  const teardown = new Teardown(stateDir);
  teardown.add("remove state dir", async () => {
    // Never rm -rf into a hugetlbfs still mounted (its umount step failed): the problem is reported instead.
    if (!isMounted(join(stateDir, "hugepages"))) rmSync(stateDir, { recursive: true, force: true });
  });
  // Short and unique per process: interface names have 15 characters at most.
  const tag = (process.pid % 100_000).toString(36);
  const a: End = { ns: `kvf${tag}a`, ifname: `kvf${tag}a`, ip: "10.77.0.1", mac: "02:4b:56:46:00:0a" };
  const b: End = { ns: `kvf${tag}b`, ifname: `kvf${tag}b`, ip: "10.77.0.2", mac: "02:4b:56:46:00:0b" };
  try {
    let hugeDir = "";
    const pages = hugepagesFor(o.switch, guests);
    if (o.switch !== "none") {
      const mount = join(stateDir, "hugepages");
      mkdirSync(mount);
      hugeDir = (await reserveHugepages(exec, teardown, pages, mount)).hugeDir;
      say(`reserved ${pages} × 2 MiB hugepages, hugetlbfs at ${mount}`);
    }
    await addNamespace(exec, teardown, a.ns);
    await addNamespace(exec, teardown, b.ns);
    const ctx = {
      exec,
      teardown,
      stateDir,
      hugeDir,
      tag,
      a,
      b,
      mainCpu: o.mainCpu,
      pmdCpus: o.pmdCpus,
      fwdMode: o.fwdMode,
      guests,
    };
    const buildSwitch = async (): Promise<BuiltSwitch> => {
      const b =
        o.switch === "testpmd"
          ? await buildTestpmd(ctx)
          : o.switch === "ovs-dpdk"
            ? await buildOvsDpdk(ctx)
            : await buildKernelBridge(ctx);
      say(`${b.description}; ${b.ports}`);
      return b;
    };
    // The guests of PVVP boot side by side (each waits for its own bridge line); every one settles before the
    // run goes on or fails, so no boot is still under way when the teardown runs.
    const bootGuests = async (): Promise<VnfGuest[]> => {
      const boots = await Promise.allSettled(
        Array.from({ length: vnfBase ? guests : 0 }, (_, g) => {
          const mac = (p: number) => `52:54:00:4b:${g.toString(16).padStart(2, "0")}:0${p}`;
          return startVnf({
            exec,
            teardown,
            stateDir,
            hugeDir,
            index: g,
            ports: [
              { socket: vhostSocket(stateDir, g, 0), mac: mac(0) },
              { socket: vhostSocket(stateDir, g, 1), mac: mac(1) },
            ],
            qemuServer: o.switch === "ovs-dpdk",
            cpu: o.mainCpu,
            images: vnfBase!.images,
            accel: vnfBase!.accel,
            say,
          });
        }),
      );
      const failed = boots.find((b) => b.status === "rejected");
      if (failed) throw failed.reason;
      return boots.map((b) => (b as PromiseFulfilledResult<VnfGuest>).value);
    };
    // The switch first, for OVS too (QEMU the vhost-user server there): QEMU's vhost-user netdev waits for its
    // client before the guest starts (seen: no QMP greeting), so the guests cannot take their pages first.
    const built = await buildSwitch();
    const vnfs = await bootGuests();
    await phase("guests up");
    const gen = await startSockperfGenerator({
      exec,
      teardown,
      a,
      b,
      cpu: o.mainCpu,
      ...(o.serverCpu !== undefined ? { serverCpu: o.serverCpu } : {}),
      stateDir,
      ...(o.graceS !== undefined ? { graceS: o.graceS } : {}),
    });
    await phase("built");
    const results: FrameSizeResult[] = [];
    for (const frame of o.frameSizes) {
      const raw: Record<string, string> = {};
      const startedAt = new Date().toISOString();
      const trial = async (rate: number | null) => {
        const t = await gen.trial(frame, rate, o.durationS);
        say(
          `${frame} B: offered ${Math.round(t.offeredPps)} fps${rate === null ? " (generator max)" : ` (asked ${Math.round(rate)})`}, lost ${t.lost} of ${t.sent}`,
        );
        return t;
      };
      const search: SearchResult =
        o.ratePps !== undefined
          ? await (async () => {
              const t = await trial(o.ratePps!);
              return {
                throughputPps: t.lost === 0 ? t.offeredPps : 0,
                best: t.lost === 0 ? t : null,
                limitedBy: "device" as const,
                trials: [t],
              };
            })()
          : await searchThroughput(trial, { maxTrials: o.maxTrials, resolution: 0.02 });
      // Latency at a share of the zero-loss rate; with no zero-loss rate at all, at the share of the fixed rate.
      const base = search.throughputPps > 0 ? search.throughputPps : (o.ratePps ?? 0);
      let latency: LatencyResult | null = null;
      if (base > 0) {
        latency = await gen.latency(frame, Math.max(1, base * o.latencyShare), o.durationS);
        say(
          `${frame} B: latency at ${Math.round(latency.ratePps)} fps: avg ${latency.summary.avgUs} µs, max ${latency.summary.maxUs} µs`,
        );
        raw["sockperf-under-load.txt"] = latency.output;
      }
      search.trials.forEach((t, i) => {
        raw[`sockperf-throughput-${i}.txt`] = t.output;
      });
      results.push({ frameSize: frame, search, latency, startedAt, endedAt: new Date().toISOString(), raw });
      await phase(`measured ${frame}`);
    }
    const raw = await built.collect();
    vnfs.forEach((v, i) => {
      raw[`vnf${i}-console.txt`] = v.console();
    });
    raw["sockperf-ping-pong.txt"] = gen.pingPong.output;
    const { collect: _c, ...sw } = built;
    return {
      switch: sw,
      vnf: vnfBase
        ? {
            vnf: `RT guest${guests > 1 ? "s" : ""} ×${guests} (${vnfBase.images.kernelRelease}, ${vnfBase.accel.toUpperCase()}, 1 vCPU, ${VNF_MEMORY_MIB} MiB on 2 MiB hugepages, share=on)`,
            forwarder: VNF_FORWARDER,
            accel: vnfBase.accel,
            guestKernel: vnfBase.images.kernelRelease,
            guestCmdline: VNF_CMDLINE,
            guestMemoryMiB: VNF_MEMORY_MIB,
            notes: vnfBase.notes,
            qemuVersion: vnfBase.qemuVersion,
          }
        : null,
      generator: { name: gen.name, version: gen.version, pingPong: gen.pingPong.summary },
      results,
      raw,
      hugepages: pages,
      teardownProblems: teardown.problems,
    };
  } finally {
    const problems = await teardown.run();
    if (problems.length) say(`teardown problems: ${problems.join("; ")}`);
  }
}

/** The real undo actions for sweepStaleForwarding (the same as a run's own teardown steps). */
export function sweepActions(exec: Exec = realExec): SweepActions {
  return {
    kill: (pid) => {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    },
    delNetns: async (name) => {
      // Whatever still runs in it (a sockperf client started by the dead run) goes with it.
      const pids = await exec.run("ip", ["netns", "pids", name], { allowFailure: true, timeoutMs: 30_000 });
      for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // gone already
        }
      }
      await deleteNamespace(exec, name);
    },
    umount: (path) => unmount(exec, path),
    giveBackHugepages: (nrPath, pages) => {
      const now = Number(readFileSync(nrPath, "utf8").trim());
      writeFileSync(nrPath, String(Math.max(0, now - pages)));
    },
  };
}
