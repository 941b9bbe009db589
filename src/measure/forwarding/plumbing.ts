/**
 * The parts a forwarding topology is made of on this host, each undone by a Teardown that always runs
 * (success, failure, timeout, Ctrl-C): network namespaces for the generator's two ends, hugepages reserved for
 * the run (and given back), a hugetlbfs mount, and children started through src/exec.ts.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Kvm4nfvError } from "../../errors.js";
import type { Child, Exec } from "../../exec.js";
import { processStartTime } from "../../tempdir.js";
import { isMounted, type Teardown } from "./teardown.js";

export { Teardown } from "./teardown.js";

export const HUGEPAGES_2M = "/sys/kernel/mm/hugepages/hugepages-2048kB";

/**
 * Reserve `pages` more 2 MiB hugepages than the host had, mount a private hugetlbfs for them, and give both
 * back at teardown (the count is lowered by what was added, so another user's change meanwhile survives).
 */
export async function reserveHugepages(
  exec: Exec,
  teardown: Teardown,
  pages: number,
  mountPoint: string,
  sysDir = HUGEPAGES_2M,
): Promise<{ hugeDir: string; before: number; reserved: number }> {
  const nrPath = `${sysDir}/nr_hugepages`;
  const readNr = () => Number(readFileSync(nrPath, "utf8").trim());
  teardown.check("reserving hugepages");
  const before = readNr();
  writeFileSync(nrPath, String(before + pages));
  // Registered (and in the ledger) with no await after the write: nothing but a SIGKILL can come between.
  teardown.add(
    "give back hugepages",
    async () => {
      writeFileSync(nrPath, String(Math.max(0, readNr() - pages)));
    },
    { kind: "hugepages", nrPath, pages },
  );
  const free = Number(readFileSync(`${sysDir}/free_hugepages`, "utf8").trim());
  if (free < pages) {
    throw new Kvm4nfvError(
      "PERMISSION",
      `only ${free} free 2 MiB hugepages after asking the kernel for ${pages} more`,
      { hint: "memory is fragmented or too small; free memory or reserve hugepages at boot (hugepages=N)" },
    );
  }
  teardown.check(`mounting ${mountPoint}`);
  // Before the mount: a mount that timed out under load (killed after the kernel mounted) is still undone.
  teardown.add(`umount ${mountPoint}`, () => unmount(exec, mountPoint), { kind: "mount", path: mountPoint });
  await exec.run("mount", ["-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", mountPoint], {
    timeoutMs: 30_000,
  });
  return { hugeDir: mountPoint, before, reserved: pages };
}

export async function addNamespace(exec: Exec, teardown: Teardown, name: string): Promise<void> {
  teardown.check(`namespace ${name}`);
  // Before the create: an `ip netns add` killed by its timeout may have created it all the same.
  teardown.add(`delete namespace ${name}`, () => deleteNamespace(exec, name), { kind: "netns", name });
  await exec.run("ip", ["netns", "add", name], { timeoutMs: 30_000 });
  await ipIn(exec, name, ["link", "set", "lo", "up"]);
  // No IPv6 (router solicitations, MLD reports): the only frames on the wire are the generator's.
  await exec.run("ip", ["netns", "exec", name, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"], {
    timeoutMs: 30_000,
  });
}

/** `ip netns del` until /run/netns/NAME is gone (absent already: nothing to do). */
export async function deleteNamespace(exec: Exec, name: string): Promise<void> {
  for (let i = 0; existsSync(`/run/netns/${name}`); i++) {
    const r = await exec.run("ip", ["netns", "del", name], { allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode !== 0 && i >= 5) throw new Error(r.stderr.trim() || `ip netns del exited ${r.exitCode}`);
  }
}

/**
 * Unmount a hugetlbfs (not mounted: nothing to do). A DPDK process or QEMU just killed may hold its mappings
 * a moment longer: retry, then detach it lazily (the kernel frees it when the last mapping goes), so the mount
 * never outlives the run.
 */
export async function unmount(exec: Exec, mountPoint: string): Promise<void> {
  for (let i = 0; isMounted(mountPoint); i++) {
    const lazy = i >= 20;
    const r = await exec.run("umount", lazy ? ["-l", mountPoint] : [mountPoint], {
      allowFailure: true,
      timeoutMs: 30_000,
    });
    if (r.exitCode === 0) return;
    if (lazy) throw new Error(r.stderr.trim() || `umount -l exited with ${r.exitCode}`);
    await sleep(250);
  }
}

export function ipIn(exec: Exec, ns: string, args: string[]) {
  return exec.run("ip", ["-n", ns, ...args], { timeoutMs: 10_000 });
}

/** One end of the generator: an interface inside its namespace, addressed, with a static neighbour. */
export interface End {
  ns: string;
  ifname: string;
  ip: string;
  mac: string;
}

/** Move `ifname` (if not already there) into the end's namespace, address it and point it at the peer. */
export async function configureEnd(exec: Exec, end: End, peer: End, move: boolean): Promise<void> {
  if (move) await exec.run("ip", ["link", "set", end.ifname, "netns", end.ns], { timeoutMs: 10_000 });
  await ipIn(exec, end.ns, ["link", "set", end.ifname, "address", end.mac]);
  await ipIn(exec, end.ns, ["addr", "add", `${end.ip}/24`, "dev", end.ifname]);
  await ipIn(exec, end.ns, ["link", "set", end.ifname, "up"]);
  // Static neighbours: no ARP in the measured path, and mac forwarding's peer addresses are known up front.
  await ipIn(exec, end.ns, [
    "neigh",
    "replace",
    peer.ip,
    "lladdr",
    peer.mac,
    "dev",
    end.ifname,
    "nud",
    "permanent",
  ]);
}

export interface Counters {
  rxPackets: number;
  txPackets: number;
}

/** Kernel interface counters of `ifname` in `ns` (`ip -s -j link show`). */
export async function readCounters(exec: Exec, ns: string, ifname: string): Promise<Counters> {
  const r = await ipIn(exec, ns, ["-s", "-j", "link", "show", ifname]);
  const parsed = JSON.parse(r.stdout) as Array<{
    stats64?: { rx: { packets: number }; tx: { packets: number } };
  }>;
  const s = parsed[0]?.stats64;
  if (!s) throw new Kvm4nfvError("TOOL_FAILED", `ip -s -j link show ${ifname} in ${ns} gave no stats64`);
  return { rxPackets: s.rx.packets, txPackets: s.tx.packets };
}

/** Poll until `ifname` exists in the root namespace (a DPDK tap port coming up), or the child died. */
export async function waitForInterface(
  exec: Exec,
  ifname: string,
  child: Child,
  timeoutMs: number,
): Promise<void> {
  let dead = false;
  void child.exited.then(() => {
    dead = true;
  });
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await exec.run("ip", ["link", "show", ifname], { allowFailure: true, timeoutMs: 5000 });
    if (r.exitCode === 0) return;
    if (dead) throw new Kvm4nfvError("TOOL_FAILED", `${child.command} exited before ${ifname} appeared`);
    await sleep(200);
  }
  throw new Kvm4nfvError("TIMEOUT", `${ifname} did not appear within ${timeoutMs} ms (${child.command})`);
}

/** Poll a child's captured output until `pattern` shows up, or the child died, or `timeoutMs` passed. */
export async function waitForOutput(
  output: () => string,
  pattern: RegExp,
  child: Child,
  timeoutMs: number,
): Promise<void> {
  let dead = false;
  void child.exited.then(() => {
    dead = true;
  });
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (pattern.test(output())) return;
    if (dead) {
      const tail = output().trim().split("\n").slice(-3).join(" | ");
      throw new Kvm4nfvError(
        "TOOL_FAILED",
        `${child.command.split(" ")[0]} exited before it was ready: ${tail}`,
      );
    }
    await sleep(100);
  }
  throw new Kvm4nfvError("TIMEOUT", `${child.command.split(" ")[0]} was not ready within ${timeoutMs} ms`);
}

/** Keep the last `limit` characters a child writes to stdout and stderr (for the run's raw outputs). */
export function captureOutput(child: Child, limit = 200_000): () => string {
  let text = "";
  const add = (chunk: Buffer | string) => {
    text += String(chunk);
    if (text.length > limit * 2) text = text.slice(-limit);
  };
  // Child's own raw streams (not its line callback): a prompt without its newline ("Press enter…") must show.
  child.stdout?.on("data", add);
  child.stderr?.on("data", add);
  return () => text.slice(-limit);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Stop a child (SIGTERM, then SIGKILL) as a teardown step. */
export function stopStep(teardown: Teardown, child: Child, graceMs = 5000): void {
  const start = processStartTime(child.pid);
  teardown.add(
    `stop ${child.command.split(" ")[0]}`,
    () => child.stop(graceMs),
    start ? { kind: "pid", pid: child.pid, start } : undefined,
  );
}
