import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { openHostFs } from "../../src/host/fs.js";
import { inspectJson, renderInspect } from "../../src/host/inspect-render.js";
import { readHost } from "../../src/host/read.js";

const TUNED = "test/fixtures/snapshots/baseline-tuned";
const tuned = readHost(openHostFs(TUNED));

describe("inspect rendering", () => {
  it("writes CPU sets as cpulist strings in JSON", () => {
    const j = inspectJson(tuned) as {
      topology: {
        sockets: number;
        cores: number;
        threadsPerCore: number;
        numaNodes: { id: number; cpus: string }[];
      };
      runtime: { isolated: string; workqueue: { cpumask: string }; irqs: { affinity: string }[] };
    };
    expect(j.topology.numaNodes.map((n) => ({ id: n.id, cpus: n.cpus }))).toEqual([
      { id: 0, cpus: "0-17" },
      { id: 1, cpus: "18-35" },
    ]);
    expect(j.runtime.isolated).toBe("20-35");
    expect(j.runtime.workqueue.cpumask).toBe("0-19");
    expect(j.runtime.irqs[0]!.affinity).toBe("0-19");
  });

  it("draws the topology per node and socket with isolated CPUs marked", () => {
    const text = renderInspect(tuned);
    expect(text).toContain("2 socket(s), 36 core(s), 1 thread(s) per core, 2 NUMA node(s)");
    expect(text).toContain("node 1: CPUs 18-35");
    expect(text).toContain("socket 1: [18] [19] [20*] [21*]");
    expect(text).not.toContain("[19*]");
    expect(text).toContain("PREEMPT_RT");
    expect(text).toMatch(/isolated CPUs\s+20-35/);
    expect(text).toMatch(/IRQs\s+30, 0 may run on isolated CPUs/);
  });

  it("groups SMT siblings into one core", () => {
    const smt = {
      ...tuned,
      topology: {
        ...tuned.topology,
        cpus: tuned.topology.cpus.map((c) =>
          c.cpu === 0 ? { ...c, siblings: [0, 1] } : c.cpu === 1 ? { ...c, core: 0, siblings: [0, 1] } : c,
        ),
      },
    };
    expect(renderInspect(smt)).toContain("socket 0: [0,1] [2] [3]");
  });
});

describe("kvm4nfv inspect (CLI)", () => {
  it("prints the documented JSON for a snapshot", () => {
    const r = spawnSync("node", ["bin/kvm4nfv.js", "inspect", "--root", TUNED, "--json"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.topology.sockets).toBe(2);
    expect(j.topology.cores).toBe(36);
    expect(j.topology.threadsPerCore).toBe(1);
    expect(j.topology.numaNodes[1]).toMatchObject({ id: 1, cpus: "18-35" });
    expect(j.kernel.release).toBe("4.18.0-348.rt7.130.el8.x86_64");
    expect(j.kernel.cmdline).toContain("isolcpus=20-35");
  });

  it("answers a --root that is not a snapshot with one line and exit 2", () => {
    const r = spawnSync("node", ["bin/kvm4nfv.js", "inspect", "--root", "test/fixtures/real"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("is not a snapshot");
    const missing = spawnSync("node", ["bin/kvm4nfv.js", "inspect", "--root", "/no/such/dir"], {
      encoding: "utf8",
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe("kvm4nfv: --root /no/such/dir: no such directory");
  });
});

describe("inspect: the text never contradicts the JSON (issue 11 §2)", () => {
  const real = (name: string) => readHost(openHostFs(`test/fixtures/real/lscpu/${name}`));

  it.each(["x86_64-epyc_7451", "ppc64-POWER7-64cpu", "arm-A510-A710-A715-X3"])(
    "%s: topology counts, NUMA nodes, SMT, isolated CPUs and hugepages agree",
    (name) => {
      const host = real(name);
      const j = inspectJson(host) as {
        topology: {
          sockets: number;
          cores: number;
          threadsPerCore: number;
          smtControl: string | null;
          numaNodes: { id: number; cpus: string | null }[];
        };
        runtime: { isolated: string | null; hugepages: { bySize: Record<string, unknown> } };
      };
      const text = renderInspect(host);
      const t = j.topology;
      expect(text).toContain(
        `${t.sockets} socket(s), ${t.cores} core(s), ${t.threadsPerCore} thread(s) per core`,
      );
      expect(text).toContain(`SMT ${t.smtControl ?? "?"}`);
      if (t.numaNodes.length === 0) expect(text).toContain("NUMA nodes unknown");
      for (const n of t.numaNodes) {
        expect(text).toContain(
          `node ${n.id}: CPUs ${n.cpus === null ? "unknown" : n.cpus || "none (memory only)"}`,
        );
      }
      expect(text).toMatch(
        new RegExp(`isolated CPUs\\s+${j.runtime.isolated === null ? "\\?" : j.runtime.isolated || "none"}`),
      );
      // No hugepages directory in the dump: the JSON has {} and the text says unknown, not "no hugepages".
      if (Object.keys(j.runtime.hugepages.bySize).length === 0)
        expect(text).toMatch(/hugepages\s+hugepages \?/);
      if (j.runtime.isolated === null) expect(text).not.toContain("no isolated CPUs");
    },
  );

  it("an absent /sys/kernel/iommu_groups is '?' in the text and null in the JSON", () => {
    const host = real("x86_64-epyc_7451");
    expect(host.runtime.iommu.groups).toBeNull();
    expect(renderInspect(host)).toMatch(/IOMMU\s+groups \?/);
  });
});
