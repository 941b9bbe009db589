/**
 * `check` reads only what its rules need (issue 12's speed target): on a generated 2-socket 112-CPU SMT snapshot
 * (bench/make-big-snapshot.mjs), a CPU named by an earlier CPU's sibling list takes its package, core and siblings
 * from it, and no IRQ affinity file is opened unless a rule asks. The borrowed values must be what the CPU's own
 * files say.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HostFs, openHostFs } from "../../src/host/fs.js";
import { readHost } from "../../src/host/read.js";
import { readCpuList, readInt } from "../../src/host/read-util.js";
import { runCheck } from "../../src/tuning/check.js";

let dir: string;
let big: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kvm4nfv-read-files-"));
  big = execFileSync("node", ["bench/make-big-snapshot.mjs", join(dir, "big")], { encoding: "utf8" }).trim();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function counting(fs: HostFs): { fs: HostFs; read: string[] } {
  const read: string[] = [];
  return {
    read,
    fs: {
      root: fs.root,
      live: fs.live,
      read: (p) => {
        read.push(p);
        return fs.read(p);
      },
      list: (p) => fs.list(p),
      readlink: (p) => fs.readlink(p),
      exists: (p) => fs.exists(p),
      resolve: (p) => fs.resolve(p),
    },
  };
}

describe("check on a 112-CPU snapshot", () => {
  it("reads one thread's topology files per core, and no IRQ affinity without RT CPUs", () => {
    const { fs, read } = counting(openHostFs(big));
    const host = readHost(fs);
    const report = runCheck(host, { role: "host" });
    expect(report.summary.fail).toBeGreaterThan(0);
    const topo = read.filter((p) => p.includes("/topology/"));
    const cpusRead = new Set(topo.map((p) => Number(/cpu(\d+)\/topology/.exec(p)![1])));
    expect([...cpusRead].sort((a, b) => a - b)).toEqual(Array.from({ length: 56 }, (_, i) => i));
    expect(read.filter((p) => /^\/proc\/irq\/\d/.test(p))).toEqual([]);
  });

  it("gives every thread what its own topology files say", () => {
    const raw = openHostFs(big);
    const host = readHost(raw);
    expect(host.topology.cpus).toHaveLength(112);
    for (const c of host.topology.cpus) {
      const t = `/sys/devices/system/cpu/cpu${c.cpu}/topology`;
      expect(c.siblings).toEqual(readCpuList(raw, `${t}/core_cpus_list`));
      expect(c.core).toBe(readInt(raw, `${t}/core_id`));
      expect(c.socket).toBe(readInt(raw, `${t}/physical_package_id`));
    }
    expect(host.topology).toMatchObject({ sockets: 2, cores: 56, threadsPerCore: 2 });
  });

  it("reads the IRQ affinities when a rule needs them (RT CPUs given)", () => {
    const { fs, read } = counting(openHostFs(big));
    const report = runCheck(readHost(fs), { role: "host", cpus: "2-3" });
    expect(report.findings.find((f) => f.id === "os.irq-affinity")?.level).toBe("fail");
    expect(read.filter((p) => p.endsWith("/smp_affinity_list")).length).toBe(1900);
  });
});
