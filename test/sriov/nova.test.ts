/**
 * Real consumers of the SR-IOV output (python3-nova 26 from Debian 12): the emitted nova.conf is parsed by
 * oslo.config with Nova's registered options, its device_spec matched by nova.pci.whitelist/devspec, its aliases
 * parsed by nova.pci.request, and `sriov place`'s answer compared with nova.pci.stats.PciDeviceStats
 * .support_requests on the same inventory. Nova reads sysfs itself (the PF address in a device_spec matches VFs
 * through parent_addr, checked in /sys): the script runs in a private mount namespace (unshare -m) with the
 * snapshot's sys/ bound over /sys, so Nova's own sysfs code reads the fixture. Nothing outside is touched.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RootFs } from "../../src/host/fs.js";
import { readSriov } from "../../src/host/sriov.js";
import { parseMappings, placeOnNode } from "../../src/sriov/place.js";
import { parseSriovFlag, resolveSriov } from "../../src/sriov/request.js";
import { emitNova } from "../../src/tuning/emit/nova.js";

const SNAP = "test/fixtures/snapshots";
const haveNova = existsSync("/usr/lib/python3/dist-packages/nova/pci/stats.py");
const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-nova-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface NovaAnswer {
  device_spec: string[];
  alias: Record<string, { vendor_id: string; product_id: string; dev_type: string }[]>;
  filters: string[];
  pools: {
    vendor_id: string;
    product_id: string;
    numa_node: number | null;
    physical_network: string;
    count: number;
  }[];
  support: boolean[];
}

function nova(snapshot: string, conf: string, requests: [string, number][][]): NovaAnswer {
  const file = join(tmp, `nova-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, conf);
  const sys = join(process.cwd(), SNAP, snapshot, "sys");
  const script = join(process.cwd(), "test/sriov/nova_pci.py");
  const out = execFileSync(
    "unshare",
    [
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      'mount --bind "$1" /sys && exec /usr/bin/python3 "$2" "$3" "$4"',
      "sh",
      sys,
      script,
      file,
      JSON.stringify(requests),
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 },
  );
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as NovaAnswer;
}

/** Inventories: snapshot, the --sriov that configures it (its physnets), and request sets to compare. */
const INVENTORIES: { snapshot: string; sriov: string; requests: [string, number][][] }[] = [
  {
    snapshot: "sriov-x710-provisioned",
    sriov: "ens2f0:8:physnet1,ens2f1:4:physnet2",
    requests: [
      [["physnet1", 8]],
      [["physnet1", 9]],
      [
        ["physnet2", 4],
        ["physnet1", 8],
      ],
      [["physnet2", 5]],
      [["physnet3", 1]],
    ],
  },
  {
    snapshot: "sriov-cx5-provisioned",
    sriov: "ens1f0:4:physnet1,ens1f1:2:physnet3",
    requests: [
      [["physnet1", 4]],
      [["physnet1", 5]],
      [["physnet3", 2]],
      [
        ["physnet3", 2],
        ["physnet1", 1],
      ],
      [["physnet3", 3]],
    ],
  },
  {
    snapshot: "sriov-x710-untuned",
    sriov: "ens2f0:8:physnet1",
    requests: [[["physnet1", 1]], [["physnet2", 1]]],
  },
  {
    snapshot: "sriov-cx5-provisioned",
    sriov: "ens1f0:4:physnet1",
    requests: [[["physnet1", 4]], [["physnet3", 1]]],
  },
];

describe.skipIf(!haveNova)("nova.conf read by Nova's own code", () => {
  const info = readSriov(new RootFs(join(SNAP, "sriov-x710-provisioned")));
  const a = resolveSriov(parseSriovFlag("ens2f0:8:physnet1,ens2f1:4:physnet2"), info);

  it.each(["2025.1", "zed", "yoga", "newton", "mitaka"])(
    "release %s: device_spec and alias as Nova parses them",
    (release) => {
      const n = nova("sriov-x710-provisioned", emitNova(a, release), [[["physnet1", 8]]]);
      expect(n.device_spec.map((s) => JSON.parse(s))).toEqual([
        { vendor_id: "8086", product_id: "154c", address: "0000:86:00.0", physical_network: "physnet1" },
        { vendor_id: "8086", product_id: "154c", address: "0000:86:00.1", physical_network: "physnet2" },
      ]);
      expect(n.alias["physnet1-vf"]).toEqual([
        { vendor_id: "8086", product_id: "154c", dev_type: "type-VF" },
      ]);
      // The PF address matched all its VFs (Nova found them PFs in the snapshot's sysfs).
      expect(n.pools.map((p) => [p.physical_network, p.numa_node, p.count])).toEqual([
        ["physnet1", 1, 8],
        ["physnet2", 1, 4],
      ]);
      // [filter_scheduler] enabled_filters is read by Nova 26; the pre-Ocata [DEFAULT] scheduler_default_filters
      // of the SR-IOV document is not any more (removed in Nova), so only the new form can be checked here.
      if (!["newton", "mitaka"].includes(release)) expect(n.filters).toContain("PciPassthroughFilter");
    },
  );

  it("the old [DEFAULT] form keeps the document's scheduler lines", () => {
    const conf = emitNova(a, "mitaka");
    expect(conf).toMatch(/^\[DEFAULT\]\npci_passthrough_whitelist = /m);
    expect(conf).toMatch(/^scheduler_default_filters = .*PciPassthroughFilter$/m);
    expect(conf).toMatch(/^scheduler_available_filters = nova.scheduler.filters.all_filters$/m);
    expect(conf).not.toMatch(/^\[pci\]$/m);
  });
});

describe.skipIf(!haveNova)("sriov place agrees with Nova's PciDeviceStats.support_requests", () => {
  it.each(INVENTORIES.map((inv, i) => [i, inv] as const))("inventory %i", (_i, inv) => {
    const info = readSriov(new RootFs(join(SNAP, inv.snapshot)));
    const a = resolveSriov(parseSriovFlag(inv.sriov), info);
    const n = nova(inv.snapshot, emitNova(a), inv.requests);
    const mappings = parseMappings(a.map((x) => `${x.physnets[0]}:${x.pf.netdev}`).join(","), "test");
    const ours = inv.requests.map(
      (set) =>
        placeOnNode(
          inv.snapshot,
          info,
          mappings,
          set.map(([physnet, count]) => ({ physnet, count })),
        ).fits,
    );
    expect(ours).toEqual(n.support);
    // and the pools are Nova's: same keys, same free counts
    const pools = placeOnNode(inv.snapshot, info, mappings, [{ physnet: "x", count: 1 }]).pools;
    expect(
      pools.map((p) => [p.vendorId, p.productId, p.numaNode, p.physicalNetwork, p.count]).sort(),
    ).toEqual(
      n.pools.map((p) => [p.vendor_id, p.product_id, p.numa_node, p.physical_network, p.count]).sort(),
    );
    // the comparison can fail: every inventory has a request Nova refuses and (except the untuned one) one it takes
    expect(n.support).toContain(false);
    if (inv.snapshot !== "sriov-x710-untuned") expect(n.support).toContain(true);
  });
});
