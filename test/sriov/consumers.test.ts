/**
 * The libvirt and Kubernetes outputs against their real consumers: virt-xml-validate (libvirt-clients) for the
 * hostdev interfaces inside a domain, ajv with the sriov-network-operator's published CRD schema for the
 * SriovNetworkNodePolicy, and the device plugin's config format (origins: test/fixtures/sriov/k8s/ORIGIN.md).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { RootFs } from "../../src/host/fs.js";
import { readSriov } from "../../src/host/sriov.js";
import { parseSriovFlag, resolveSriov } from "../../src/sriov/request.js";
import { emitK8s } from "../../src/tuning/emit/k8s.js";
import { emitHostdevInterfaces } from "../../src/tuning/emit/libvirt-hostdev.js";

const SNAP = "test/fixtures/snapshots";
const K8S = "test/fixtures/sriov/k8s";
const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-sriov-consumers-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function domain(devices: string): string {
  return `<domain type='kvm'>
  <name>sriov-guest</name>
  <memory unit='KiB'>1048576</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
${devices}  </devices>
</domain>
`;
}

function validate(xml: string): { ok: boolean; out: string } {
  const f = join(tmp, `d-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(f, xml);
  const r = spawnSync("virt-xml-validate", [f, "domain"], { encoding: "utf8" });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

describe("libvirt hostdev interfaces", () => {
  const info = readSriov(new RootFs(join(SNAP, "sriov-x710-provisioned")));
  it("VFs with MAC and VLAN are a valid domain for virt-xml-validate", () => {
    const vfs = info.pfs[0]?.vfs ?? [];
    const xml = domain(
      emitHostdevInterfaces([
        { vf: vfs[0]!, mac: vfs[0]?.mac ?? "", vlan: 100 },
        { vf: vfs[4]!, vlan: 0 },
      ]),
    );
    expect(xml).toContain("<interface type='hostdev' managed='yes'>");
    expect(xml).toContain("<address type='pci' domain='0x0000' bus='0x86' slot='0x02' function='0x0'/>");
    expect(xml).toContain("<tag id='100'/>");
    const r = validate(xml);
    expect(r.out).toContain("validates");
    expect(r.ok).toBe(true);
  });
  it("the validator rejects a broken interface (the check can fail)", () => {
    const xml = domain("    <interface type='hostdev' managed='maybe'><source/></interface>\n");
    expect(validate(xml).ok).toBe(false);
  });
});

/** The CRD's openAPIV3Schema as JSON Schema: structural OpenAPI is JSON Schema but for `default` placement rules. */
function crdSchema(): object {
  const crd = parseYaml(
    readFileSync(join(K8S, "sriovnetwork.openshift.io_sriovnetworknodepolicies.yaml"), "utf8"),
  );
  const schema = crd.spec.versions[0].schema.openAPIV3Schema;
  const strip = (o: unknown): unknown => {
    if (Array.isArray(o)) return o.map(strip);
    if (o && typeof o === "object")
      return Object.fromEntries(
        Object.entries(o)
          .filter(([k]) => k !== "default")
          .map(([k, v]) => [k, strip(v)]),
      );
    return o;
  };
  return strip(schema) as object;
}

const SELECTOR_KEYS = new Set([
  "vendors",
  "devices",
  "drivers",
  "pciAddresses",
  "pfNames",
  "rootDevices",
  "linkTypes",
  "ddpProfiles",
  "isRdma",
  "needVhostNet",
  "vdpaType",
  "acpiIndexes",
  "auxTypes",
]);

/** The device plugin's config.json rules (its README/types; no published schema). Returns problems. */
function devicePluginProblems(config: { resourceList?: unknown }): string[] {
  const problems: string[] = [];
  if (!Array.isArray(config.resourceList)) return ["resourceList is not a list"];
  for (const r of config.resourceList as Record<string, unknown>[]) {
    if (typeof r.resourceName !== "string" || !/^[a-zA-Z0-9_]+$/.test(r.resourceName))
      problems.push(`bad resourceName ${String(r.resourceName)}`);
    if (
      r.deviceType !== undefined &&
      !["netDevice", "accelerator", "auxNetDevice"].includes(String(r.deviceType))
    )
      problems.push(`bad deviceType ${String(r.deviceType)}`);
    for (const k of Object.keys(r))
      if (
        ![
          "resourceName",
          "resourcePrefix",
          "deviceType",
          "excludeTopology",
          "selectors",
          "additionalInfo",
        ].includes(k)
      )
        problems.push(`unknown key ${k}`);
    const sel = (r.selectors ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(sel)) {
      if (!SELECTOR_KEYS.has(k)) problems.push(`unknown selector ${k}`);
      else if (
        !["isRdma", "needVhostNet", "vdpaType"].includes(k) &&
        !(Array.isArray(v) && v.every((x) => typeof x === "string"))
      )
        problems.push(`selector ${k} is not a list of strings`);
    }
    for (const pf of (sel.pfNames ?? []) as string[])
      if (!/^[^#]+(#\d+(-\d+)?(,\d+(-\d+)?)*)?$/.test(pf)) problems.push(`bad pfNames entry ${pf}`);
  }
  return problems;
}

describe("Kubernetes YAML", () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validatePolicy = ajv.compile(crdSchema());

  for (const [snapshot, flag] of [
    ["sriov-x710-provisioned", "ens2f0:8:physnet1,ens2f1:4:physnet2:vfio-pci"],
    ["sriov-cx5-untuned", "ens1f0:8:physnet1"],
  ] as const) {
    it(`${snapshot}: SriovNetworkNodePolicy valid against the operator's CRD; ConfigMap in the plugin's format`, () => {
      const a = resolveSriov(parseSriovFlag(flag), readSriov(new RootFs(join(SNAP, snapshot))));
      const docs = parseAllDocuments(emitK8s(a)).map((d) => d.toJS());
      const policies = docs.filter((d) => d.kind === "SriovNetworkNodePolicy");
      expect(policies).toHaveLength(a.length);
      for (const p of policies) {
        const ok = validatePolicy(p);
        expect(validatePolicy.errors ?? []).toEqual([]);
        expect(ok).toBe(true);
        expect(p.apiVersion).toBe("sriovnetwork.openshift.io/v1");
      }
      expect(policies.map((p) => [p.spec.numVfs, p.spec.deviceType, p.spec.nicSelector.pfNames])).toEqual(
        a.map((x) => [x.vfs, x.deviceType, [x.pf.netdev]]),
      );
      const cm = docs.find((d) => d.kind === "ConfigMap");
      const config = JSON.parse(cm.data["config.json"]);
      expect(devicePluginProblems(config)).toEqual([]);
    });
  }

  it("the CRD schema rejects a wrong policy and the format check accepts the plugin's own sample", () => {
    expect(
      validatePolicy({
        apiVersion: "sriovnetwork.openshift.io/v1",
        kind: "SriovNetworkNodePolicy",
        spec: { numVfs: -1, deviceType: "dpdk" },
      }),
    ).toBe(false);
    const sample = parseYaml(readFileSync(join(K8S, "sriov-network-device-plugin-configMap.yaml"), "utf8"));
    expect(devicePluginProblems(JSON.parse(sample.data["config.json"]))).toEqual([]);
    expect(
      devicePluginProblems({ resourceList: [{ resourceName: "bad-name", selectors: { vendor: ["8086"] } }] }),
    ).toHaveLength(2);
  });
});

describe("bad input: one line, exit 2", () => {
  const cli = (args: string[]) => spawnSync("node", ["bin/kvm4nfv.js", ...args], { encoding: "utf8" });
  const root = join(SNAP, "sriov-x710-untuned");
  it.each([
    [["--sriov", "ens2f0:65:physnet1"], /at most 64 VFs/],
    [["--sriov", "eth9:4:physnet1"], /eth9 is not an SR-IOV physical function/],
    [["--sriov", "ens2f0:4:physnet1,ens2f1:4:physnet1"], /physnet1 is mapped to both ens2f0 and ens2f1/],
    [["--sriov", "ens2f0:four:physnet1"], /expected IFACE:VFS:PHYSNET/],
  ])("%j", (args, message) => {
    const r = cli(["sriov", "emit", "--emit", "nova", "--root", root, ...args]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
  it("a testbed.py with anything but literals", () => {
    const f = join(tmp, "testbed.py");
    writeFileSync(
      f,
      "from fabric.api import env\nhost1 = 'root@10.0.0.1'\nenv.sriov = {\n  host1: [{'interface': 'ens2f0', 'VF': __import__('os').system('id'), 'physnets': ['physnet1']}]\n}\n",
    );
    const r = cli(["sriov", "emit", "--emit", "nova", "--root", root, "--sriov-from", f]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/testbed.py:4: .*literals only/);
  });
  it("the seed's own stanza is read", () => {
    const f = join(tmp, "seed-testbed.py");
    writeFileSync(
      f,
      "env.sriov = {\n    host1 :[{'interface' : 'ens2f0', 'VF' : 7, 'physnets' : ['physnet1']},\n            {'interface' : 'ens2f1', 'VF' : 7, 'physnets' : ['physnet2']}],\n    host2 :[{'interface' : 'eth0', 'VF' : 7, 'physnets' : ['physnet3']}]\n}\n",
    );
    const out = execFileSync(
      "node",
      [
        "bin/kvm4nfv.js",
        "sriov",
        "emit",
        "--emit",
        "neutron",
        "--root",
        root,
        "--sriov-from",
        f,
        "--testbed-host",
        "host1",
      ],
      { encoding: "utf8" },
    );
    expect(out).toContain("physical_device_mappings = physnet1:ens2f0,physnet2:ens2f1");
    const r = cli([
      "sriov",
      "emit",
      "--emit",
      "neutron",
      "--root",
      root,
      "--sriov-from",
      f,
      "--testbed-host",
      "host2",
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/eth0 is not an SR-IOV physical function/);
  });
});
