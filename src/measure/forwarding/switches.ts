/**
 * The device under test between the generator's two namespaces: DPDK testpmd, Open vSwitch with its DPDK
 * userspace datapath, or (the bare-metal baseline) a Linux bridge. Each is built from real parts and registers
 * its own undo steps; the generator ends are the same for all three (see session.ts).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Kvm4nfvError, toolMissing } from "../../errors.js";
import { type Exec, which } from "../../exec.js";
import {
  addNamespace,
  captureOutput,
  configureEnd,
  type End,
  ipIn,
  sleep,
  stopStep,
  type Teardown,
  waitForInterface,
  waitForOutput,
} from "./plumbing.js";
import { type DpdkPort, parseDpdkVersion, testpmdArgv } from "./testpmd.js";

export type SwitchKind = "testpmd" | "ovs-dpdk" | "none";

export interface SwitchContext {
  exec: Exec;
  teardown: Teardown;
  /** Private state directory of this run (OVS db/run/log, hugetlbfs mount point, logs). */
  stateDir: string;
  hugeDir: string;
  /** Short unique tag used in interface, namespace and DPDK file-prefix names. */
  tag: string;
  a: End;
  b: End;
  mainCpu: number;
  pmdCpus: number[];
  fwdMode: "io" | "mac";
  /** VNF guests in the path (0 phy2phy, 1 pvp, 2 pvvp): two vhost-user ports each, sockets in the state dir. */
  guests?: number;
}

/** vhost-user socket of guest `g`'s port `p` (p 0 faces end A, p 1 faces end B). */
export function vhostSocket(stateDir: string, g: number, p: number): string {
  return join(stateDir, `vhu${g}${p}.sock`);
}

/**
 * testpmd's ports in paired order, so its default port topology (0↔1, 2↔3, …) is the chain:
 * tap A ↔ guest 0 port 0, guest 0 port 1 ↔ guest 1 port 0, …, last guest's port 1 ↔ tap B.
 */
export function testpmdChain(ctx: Pick<SwitchContext, "a" | "b" | "stateDir" | "guests">): DpdkPort[] {
  const ports: DpdkPort[] = [{ vdev: `net_tap0,iface=${ctx.a.ifname}`, peerMac: ctx.a.mac }];
  for (let g = 0; g < (ctx.guests ?? 0); g++) {
    for (let p = 0; p < 2; p++) {
      ports.push({
        vdev: `net_vhost${g * 2 + p},iface=${vhostSocket(ctx.stateDir, g, p)},queues=1`,
        peerMac: "",
      });
    }
  }
  ports.push({ vdev: `net_tap1,iface=${ctx.b.ifname}`, peerMac: ctx.b.mac });
  return ports;
}

/**
 * OVS flows of the chain: OpenFlow ports 1 (end A) and 2 (end B), guest g's vhost-user ports 3+2g and 4+2g.
 * phy2phy is VSPERF's 1⇄2; pvp 1⇄3, 4⇄2; pvvp 1⇄3, 4⇄5, 6⇄2.
 */
export function ovsChainFlows(guests: number): string[] {
  const hops: number[] = [1];
  for (let g = 0; g < guests; g++) hops.push(3 + 2 * g, 4 + 2 * g);
  hops.push(2);
  const flows: string[] = [];
  for (let i = 0; i < hops.length; i += 2) {
    flows.push(
      `in_port=${hops[i]},actions=output:${hops[i + 1]}`,
      `in_port=${hops[i + 1]},actions=output:${hops[i]}`,
    );
  }
  return flows;
}

export interface BuiltSwitch {
  kind: SwitchKind;
  /** How the generator's ends are attached, as stored in the run: "software ports: …". */
  ports: string;
  description: string;
  versions: Record<string, string>;
  /** Outputs kept with the run (testpmd's statistics, OVS's PMD stats and log). */
  collect(): Promise<Record<string, string>>;
}

export const OVS_VSWITCHD_DPDK = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk";
/** MiB of hugepage memory per NUMA node for OVS (dpdk-socket-mem), and for testpmd (-m). */
export const OVS_SOCKET_MEM_MIB = 512;
export const TESTPMD_MEM_MIB = 64;
const OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";

export function requireTools(kind: SwitchKind): void {
  const need: Array<[string, string]> = [
    ["ip", "apt-get install iproute2"],
    ["sockperf", "apt-get install sockperf"],
    ["taskset", "apt-get install util-linux"],
  ];
  if (kind === "testpmd") need.push(["dpdk-testpmd", "apt-get install dpdk-dev"]);
  if (kind === "ovs-dpdk") {
    need.push(
      [OVS_VSWITCHD_DPDK, "apt-get install openvswitch-switch-dpdk"],
      ["ovsdb-server", "apt-get install openvswitch-switch"],
      ["ovs-vsctl", "apt-get install openvswitch-switch"],
      ["ovs-ofctl", "apt-get install openvswitch-switch"],
      ["ovs-appctl", "apt-get install openvswitch-switch"],
    );
  }
  for (const [tool, hint] of need) if (!which(tool)) throw toolMissing(tool, hint);
}

const mask = (cpus: number[]) => `0x${cpus.reduce((m, c) => m | (1n << BigInt(c)), 0n).toString(16)}`;

/** testpmd with two net_tap ports whose kernel ends are moved into the generator's namespaces. */
export async function buildTestpmd(ctx: SwitchContext): Promise<BuiltSwitch> {
  const { exec, teardown } = ctx;
  const argv = testpmdArgv({
    mainLcore: ctx.mainCpu,
    forwardLcores: ctx.pmdCpus,
    filePrefix: `kvm4nfv-${ctx.tag}`,
    hugeDir: ctx.hugeDir,
    memoryMiB: TESTPMD_MEM_MIB,
    ports: testpmdChain(ctx),
    mode: ctx.fwdMode,
  });
  // stdin stays open: testpmd forwards until it reads a newline or gets SIGTERM, then prints its statistics.
  // stdbuf -oL: testpmd's printf output is block-buffered into a pipe, and "Press enter to exit" must be seen.
  const child = exec.start("stdbuf", ["-oL", "dpdk-testpmd", ...argv], { stdin: "pipe" });
  const output = captureOutput(child);
  stopStep(teardown, child);
  const versions: Record<string, string> = {};
  // Only once the ports are started may their kernel ends move: net_tap sets the link up by name in the
  // namespace it was created in.
  await waitForOutput(output, /Press enter to exit/, child, 60_000);
  await configureEnd(exec, ctx.a, ctx.b, true);
  await configureEnd(exec, ctx.b, ctx.a, true);
  return {
    kind: "testpmd",
    ports: `software ports: DPDK net_tap (TAP devices moved into the generator's network namespaces)${ctx.guests ? `; ${ctx.guests * 2} vhost-user ports (DPDK net_vhost, testpmd the server) to the VNF guest${ctx.guests > 1 ? "s" : ""}` : ""}`,
    description: `DPDK testpmd ${ctx.fwdMode} forwarding, PMD lcores ${ctx.pmdCpus.join(",")}, main lcore ${ctx.mainCpu}`,
    versions,
    async collect() {
      const dpdk = parseDpdkVersion(output());
      if (dpdk) versions.dpdk = dpdk;
      // Ask for the statistics the polite way (newline on stdin), then the teardown step has nothing to do.
      child.stdin?.write("\n");
      const done = await Promise.race([child.exited.then(() => true), sleep(5000).then(() => false)]);
      if (!done) await child.stop(3000);
      return { "testpmd.log": output(), "testpmd.argv": `dpdk-testpmd ${argv.join(" ")}` };
    },
  };
}

/** Open vSwitch with the DPDK datapath: its own ovsdb-server and ovs-vswitchd under the run's state dir. */
export async function buildOvsDpdk(ctx: SwitchContext): Promise<BuiltSwitch> {
  const { exec, teardown } = ctx;
  const dir = join(ctx.stateDir, "ovs");
  mkdirSync(dir, { recursive: true });
  // Every default path of the OVS tools points into `dir`: nothing of the system's OVS is read or written.
  const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir, OVS_PKGDATADIR: dir };
  const db = join(dir, "conf.db");
  const dbSock = `unix:${join(dir, "db.sock")}`;
  await exec.run("ovsdb-tool", ["create", db, OVS_SCHEMA], { env, timeoutMs: 10_000 });
  const ovsdb = exec.start(
    "ovsdb-server",
    [
      db,
      `--remote=p${dbSock}`,
      `--unixctl=${join(dir, "ovsdb-server.ctl")}`,
      `--pidfile=${join(dir, "ovsdb-server.pid")}`,
      `--log-file=${join(dir, "ovsdb-server.log")}`,
    ],
    { env },
  );
  captureOutput(ovsdb);
  stopStep(teardown, ovsdb);
  const vsctl = (...args: string[]) =>
    exec.run("ovs-vsctl", [`--db=${dbSock}`, "--timeout=20", ...args], { env, timeoutMs: 30_000 });
  // add-br is the first command that waits for ovs-vswitchd: DPDK's EAL init (mapping and zeroing 512 MiB of
  // hugepages, seconds of system time) comes first, and under the shared machine's load took over 20 s (CI).
  const vsctlSlow = (...args: string[]) =>
    exec.run("ovs-vsctl", [`--db=${dbSock}`, "--timeout=120", ...args], { env, timeoutMs: 130_000 });
  for (let i = 0; ; i++) {
    const r = await exec.run("ovs-vsctl", [`--db=${dbSock}`, "--timeout=1", "--no-wait", "init"], {
      env,
      allowFailure: true,
      timeoutMs: 5000,
    });
    if (r.exitCode === 0) break;
    if (i > 50)
      throw new Kvm4nfvError("TIMEOUT", `ovsdb-server did not answer on ${dbSock}: ${r.stderr.trim()}`);
    await sleep(200);
  }
  const pmdCount = ctx.pmdCpus.length;
  await vsctl(
    "--no-wait",
    "set",
    "Open_vSwitch",
    ".",
    "other_config:dpdk-init=true",
    `other_config:dpdk-lcore-mask=${mask([ctx.mainCpu])}`,
    `other_config:pmd-cpu-mask=${mask(ctx.pmdCpus)}`,
    // One NUMA node on this host; a lab host would give one figure per node (e.g. 1024,1024).
    // OVS sizes its mbuf pool for the MTU (halving on failure); 512 MiB leaves room for net_tap's GSO pool.
    `other_config:dpdk-socket-mem=${OVS_SOCKET_MEM_MIB}`,
    `other_config:dpdk-hugepage-dir=${ctx.hugeDir}`,
    `other_config:dpdk-extra=--file-prefix=kvm4nfv-${ctx.tag} --no-pci --no-telemetry`,
    // With guests: per-port mempools sized by each port's queues (~16 k mbufs) instead of the shared pool,
    // which OVS first tries at 256 k mbufs (~800 MiB) and DPDK's dynamic memory grows into the free hugepages
    // the guests are about to preallocate ("unable to map backing store for guest RAM").
    ...(ctx.guests ? ["other_config:per-port-memory=true"] : []),
  );
  const vswitchd = exec.start(
    OVS_VSWITCHD_DPDK,
    [
      dbSock,
      `--unixctl=${join(dir, "ovs-vswitchd.ctl")}`,
      `--pidfile=${join(dir, "ovs-vswitchd.pid")}`,
      `--log-file=${join(dir, "ovs-vswitchd.log")}`,
    ],
    { env },
  );
  const log = captureOutput(vswitchd);
  stopStep(teardown, vswitchd, 8000);
  await vsctlSlow("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev");
  // net_tap needs as many rx as tx queues; OVS gives a port one tx queue per PMD plus one.
  const nRxq = String(pmdCount + 1);
  for (const [i, end] of [ctx.a, ctx.b].entries()) {
    await vsctl(
      "add-port",
      "br0",
      `p${i}`,
      "--",
      "set",
      "Interface",
      `p${i}`,
      "type=dpdk",
      `options:dpdk-devargs=net_tap${i},iface=${end.ifname}`,
      `options:n_rxq=${nRxq}`,
      `ofport_request=${i + 1}`,
    );
  }
  // The guests' vhost-user ports: OVS the client (dpdkvhostuserclient), QEMU the server; OVS reconnects to a
  // socket that is not there yet, so these are added before the guests start.
  for (let g = 0; g < (ctx.guests ?? 0); g++) {
    for (let p = 0; p < 2; p++) {
      const name = `vhu${g}${p}`;
      await vsctl(
        "add-port",
        "br0",
        name,
        "--",
        "set",
        "Interface",
        name,
        "type=dpdkvhostuserclient",
        `options:vhost-server-path=${vhostSocket(ctx.stateDir, g, p)}`,
        `ofport_request=${3 + 2 * g + p}`,
      );
    }
  }
  const mgmt = `unix:${join(dir, "br0.mgmt")}`;
  // VSPERF's flows: port to port along the chain, nothing else (no NORMAL learning in the path).
  await exec.run("ovs-ofctl", ["del-flows", mgmt], { env, timeoutMs: 10_000 });
  for (const flow of ovsChainFlows(ctx.guests ?? 0))
    await exec.run("ovs-ofctl", ["add-flow", mgmt, flow], { env, timeoutMs: 10_000 });
  // OVS attaches a dpdk port, then reconfigures it (queues): the TAP device is re-created meanwhile. Move the
  // kernel ends only once both ports have an OpenFlow port number and no error, and their TAPs exist.
  for (const port of ["p0", "p1"]) {
    for (let i = 0; ; i++) {
      const r = await vsctl("--columns=ofport,error", "--format=json", "list", "Interface", port);
      const row = (JSON.parse(r.stdout) as { data: unknown[][] }).data[0] ?? [];
      const ofport = typeof row[0] === "number" ? row[0] : -1;
      const error = typeof row[1] === "string" ? row[1] : "";
      if (ofport > 0 && !error) break;
      if (i > 100)
        throw new Kvm4nfvError(
          "TOOL_FAILED",
          `OVS port ${port} did not come up: ${error || `ofport ${ofport}`}`,
        );
      await sleep(200);
    }
  }
  await waitForInterface(exec, ctx.a.ifname, vswitchd, 20_000);
  await waitForInterface(exec, ctx.b.ifname, vswitchd, 20_000);
  await sleep(1000);
  await configureEnd(exec, ctx.a, ctx.b, true);
  await configureEnd(exec, ctx.b, ctx.a, true);
  const version = await exec.run(OVS_VSWITCHD_DPDK, ["--version"], { allowFailure: true, timeoutMs: 10_000 });
  const ovsVersion = /Open vSwitch\)\s+(\S+)/.exec(version.stdout)?.[1];
  const versions: Record<string, string> = ovsVersion ? { "ovs-vswitchd": ovsVersion } : {};
  return {
    kind: "ovs-dpdk",
    ports: `software ports: DPDK net_tap as OVS dpdk ports (TAP devices moved into the generator's namespaces)${ctx.guests ? `; ${ctx.guests * 2} vhost-user ports (OVS dpdkvhostuserclient, QEMU the server) to the VNF guest${ctx.guests > 1 ? "s" : ""}` : ""}`,
    description: `Open vSwitch (DPDK datapath, datapath_type=netdev), PMD CPUs ${ctx.pmdCpus.join(",")} (pmd-cpu-mask ${mask(ctx.pmdCpus)}), lcore ${ctx.mainCpu}`,
    versions,
    async collect() {
      const dpdk = /DPDK (\d+\.\d+\.\d+)/.exec(log())?.[1];
      if (dpdk) versions.dpdk = dpdk;
      const appctl = (...args: string[]) =>
        exec.run("ovs-appctl", ["-t", join(dir, "ovs-vswitchd.ctl"), ...args], {
          env,
          allowFailure: true,
          timeoutMs: 10_000,
        });
      const pmd = await appctl("dpif-netdev/pmd-stats-show");
      const rxq = await appctl("dpif-netdev/pmd-rxq-show");
      const flows = await exec.run("ovs-ofctl", ["dump-flows", mgmt], {
        env,
        allowFailure: true,
        timeoutMs: 10_000,
      });
      return {
        "ovs-pmd-stats.txt": pmd.stdout,
        "ovs-pmd-rxq.txt": rxq.stdout,
        "ovs-flows.txt": flows.stdout,
        "ovs-vswitchd.log": log(),
      };
    },
  };
}

/** The bare-metal baseline: veth pairs into a Linux bridge in a third namespace (the kernel's datapath). */
export async function buildKernelBridge(ctx: SwitchContext): Promise<BuiltSwitch> {
  const { exec, teardown } = ctx;
  const sw = `kvf${ctx.tag}s`;
  await addNamespace(exec, teardown, sw);
  await ipIn(exec, sw, ["link", "add", "br0", "type", "bridge"]);
  for (const [i, end] of [ctx.a, ctx.b].entries()) {
    const inner = `p${i}`;
    // Created inside the switch namespace, the far end moved into the generator's: deleting the namespaces
    // deletes the pair.
    await ipIn(exec, sw, ["link", "add", inner, "type", "veth", "peer", "name", end.ifname, "netns", end.ns]);
    await ipIn(exec, sw, ["link", "set", inner, "master", "br0", "up"]);
  }
  await ipIn(exec, sw, ["link", "set", "br0", "up"]);
  await configureEnd(exec, ctx.a, ctx.b, false);
  await configureEnd(exec, ctx.b, ctx.a, false);
  return {
    kind: "none",
    ports: "kernel veth pairs into a Linux bridge (no DPDK; the kernel's own datapath)",
    description: "bare-metal baseline: Linux bridge in its own network namespace, veth ports",
    versions: {},
    async collect() {
      const r = await ipIn(exec, sw, ["-s", "link", "show"]);
      return { "bridge-links.txt": r.stdout };
    },
  };
}
