/** What a forwarding run must not leave behind: processes, namespaces, mounts, state dirs, hugepages. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";

// ps truncates comm to 15 characters: ovs-vswitchd-dpdk shows as "ovs-vswitchd-dp".
const NAMES = ["dpdk-testpmd", "ovs-vswitchd", "ovs-vswitchd-dp", "ovsdb-server", "sockperf"];

export function leftovers(): string[] {
  const out: string[] = [];
  const ps = execFileSync("ps", ["-eo", "pid=,stat=,comm="], { encoding: "utf8" });
  for (const line of ps.split("\n")) {
    const [pid, stat, comm] = line.trim().split(/\s+/);
    // A zombie is dead already (waiting for init to reap it); anything else still runs.
    if (comm && NAMES.includes(comm) && !stat?.startsWith("Z")) out.push(`process ${pid} ${comm}`);
  }
  const ns = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  for (const line of ns.split("\n")) if (/^kvf/.test(line)) out.push(`namespace ${line.split(" ")[0]}`);
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    if (line.includes("kvm4nfv-fwd-")) out.push(`mount ${line.split(" ")[1]}`);
  }
  for (const d of readdirSync(tmpdir())) if (d.startsWith("kvm4nfv-fwd-")) out.push(`dir ${tmpdir()}/${d}`);
  return out;
}

export function hugepages(): number {
  return Number(readFileSync("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "utf8").trim());
}

export const canForward =
  process.getuid?.() === 0 &&
  ["dpdk-testpmd", "sockperf", "ovsdb-server"].every((t) => {
    try {
      execFileSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  });

/** QEMUs with vhost-user netdevs (the VNF guests of pvp/pvvp) still running. */
export function vhostQemus(): string[] {
  return execFileSync("ps", ["-eo", "args="], { encoding: "utf8" })
    .split("\n")
    .filter((l) => /qemu-system.*vhost-user/.test(l));
}
