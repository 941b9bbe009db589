/**
 * A ghw snapshot (github.com/jaypipes/ghw testdata, origin in the fixture's ORIGIN) of a real KVM guest with
 * CPUs 2-3 offline: offline CPUs have no topology directory and leave their node's cpulist, yet keep their
 * cpuN/nodeM link. Expected reading: the fixture's EXPECTED, taken from the capture's own files.
 */
import { describe, expect, it } from "vitest";
import { openHostFs } from "../../src/host/fs.js";
import { renderInspect } from "../../src/host/inspect-render.js";
import { formatCpuList } from "../../src/host/parse/cpulist.js";
import { readHost } from "../../src/host/read.js";
import { derivePlan } from "../../src/tuning/plan.js";

const host = readHost(openHostFs("test/fixtures/real/ghw/offline-cpus"));

describe("ghw snapshot with offline CPUs", () => {
  it("reads online 0-1 of possible 0-3, two one-thread cores in two sockets", () => {
    expect(formatCpuList(host.topology.online)).toBe("0-1");
    expect(formatCpuList(host.topology.possible)).toBe("0-3");
    expect(host.topology.cpus.filter((c) => !c.online).map((c) => c.cpu)).toEqual([2, 3]);
    expect(host.topology).toMatchObject({ cores: 2, threadsPerCore: 1, sockets: 2 });
  });

  it("places the offline CPUs on node 0 by their cpuN/node0 links, though node0/cpulist lists only 0-1", () => {
    expect(host.topology.numaNodes.map((n) => [n.id, formatCpuList(n.cpus ?? [])])).toEqual([[0, "0-1"]]);
    expect(host.topology.cpus.map((c) => c.node)).toEqual([0, 0, 0, 0]);
  });

  it("draws the offline CPUs as offline, not on an unknown node", () => {
    const text = renderInspect(host);
    expect(text).not.toContain("node ?");
    expect(text).toContain("(off)");
  });

  it("plans only online CPUs", () => {
    const p = derivePlan(host, { role: "host", cpus: [1] });
    expect(p.isolated).toEqual([1]);
    expect(p.node).toBe(0);
  });
});
