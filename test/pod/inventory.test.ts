import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeError } from "../../src/errors.js";
import { fanOut, loadPod, parsePod, podPath, resolveTargets, selectNodes } from "../../src/pod/inventory.js";

const FIX = "test/pod/fixtures";

function oneLine(fn: () => unknown): { text: string; exitCode: number } {
  try {
    fn();
  } catch (err) {
    const d = describeError(err, false);
    expect(d.text.split("\n")).toHaveLength(1);
    return d;
  }
  throw new Error("did not throw");
}

describe("pod.yaml (Yardstick's inventory)", () => {
  it("reads Yardstick's own sample: names, roles, users, keys, default port 22", () => {
    const pod = loadPod(`${FIX}/yardstick-pod.yaml.sample`);
    expect(pod.nodes).toEqual([
      {
        name: "athena",
        role: "Controller",
        ip: "10.229.47.137",
        user: "root",
        port: 22,
        keyFilename: "/root/yardstick/yardstick/resources/files/yardstick_key",
      },
      {
        name: "ares",
        role: "Controller",
        ip: "10.229.47.138",
        user: "root",
        port: 22,
        keyFilename: "/root/yardstick/yardstick/resources/files/yardstick_key",
      },
    ]);
  });

  it("reads a real password inventory (compass) and selects by role, case-insensitively", () => {
    const pod = loadPod(`${FIX}/yardstick-compass-physical.yaml`);
    expect(pod.nodes).toHaveLength(5);
    expect(pod.nodes[0]!.password).toBe("root");
    expect(selectNodes(pod, "role:compute").map((n) => n.name)).toEqual(["node4", "node5"]);
    expect(selectNodes(pod, "all").map((n) => n.name)).toEqual(["node1", "node2", "node3", "node4", "node5"]);
    expect(selectNodes(pod, "node2,role:Compute,node2").map((n) => n.name)).toEqual([
      "node2",
      "node4",
      "node5",
    ]);
  });

  it("keeps Yardstick's other keys (interfaces…) out of the way, resolves relative keys beside pod.yaml, reads ssh_port and jump", () => {
    const pod = parsePod(
      "nodes:\n- {name: j, role: Jump, ip: 10.0.0.1, key_filename: keys/id, ssh_port: '2222'}\n- {name: c1, ip: 10.0.0.2, key_filename: /k, jump: j, interfaces: {xe0: {vpci: '0000:05:00.0'}}}\n",
      "/etc/pods/p.yaml",
    );
    expect(pod.nodes[0]).toMatchObject({ port: 2222, keyFilename: "/etc/pods/keys/id", role: "Jump" });
    expect(pod.nodes[1]).toMatchObject({ jump: "j", role: "Compute", user: "root", port: 22 });
  });

  it.each([
    ["nodes: [", /p\.yaml: not YAML/],
    ["foo: 1", /p\.yaml: nodes: /],
    ["nodes: []", /p\.yaml: nodes: at least one node/],
    ["nodes:\n- {role: Compute, ip: 1.2.3.4}", /p\.yaml: nodes\.0\.name: /],
    ["nodes:\n- {name: a, ip: 1.2.3.4, ssh_port: 99999}", /p\.yaml: nodes\.0\.ssh_port: /],
    ["nodes:\n- {name: a, ip: '-oProxyCommand=x'}", /p\.yaml: nodes\.0\.ip: /],
    ["nodes:\n- {name: a, ip: '-v'}", /p\.yaml: nodes\.0\.ip: /],
    ["nodes:\n- {name: a, ip: 'a b'}", /p\.yaml: nodes\.0\.ip: a host name or IP address/],
    ["nodes:\n- {name: a, ip: h}\n- {name: a, ip: h}", /nodes\.1\.name: "a" appears twice/],
    ["nodes:\n- {name: a, ip: h, jump: b}", /nodes\.0\.jump: no node named "b"/],
  ])("refuses bad inventory %j in one line naming the file and key, exit 2", (text, re) => {
    const d = oneLine(() => parsePod(text, "p.yaml"));
    expect(d.text).toMatch(re);
    expect(d.exitCode).toBe(2);
  });

  it("--node needs a pod; unknown nodes and roles name what exists (exit 2)", () => {
    expect(oneLine(() => resolveTargets({ node: "a" })).text).toMatch(/--node needs an inventory/);
    const pod = loadPod(`${FIX}/yardstick-pod.yaml.sample`);
    const d = oneLine(() => selectNodes(pod, "zeus"));
    expect(d.exitCode).toBe(2);
    expect(d.text).toMatch(/no such node .*nodes there: athena, ares/);
    expect(oneLine(() => selectNodes(pod, "role:Compute")).text).toMatch(/roles there: Controller/);
    expect(oneLine(() => loadPod("/nonexistent/pod.yaml")).text).toMatch(
      /--pod \/nonexistent\/pod.yaml: no such file/,
    );
    expect(resolveTargets({})).toBeNull(); // no --node: this machine, as before
  });

  it("takes KVM4NFV_POD when --pod is not given", () => {
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-pod-"));
    writeFileSync(join(dir, "pod.yaml"), "nodes:\n- {name: n, ip: h}\n");
    expect(podPath(undefined, { KVM4NFV_POD: join(dir, "pod.yaml") })).toBe(join(dir, "pod.yaml"));
    expect(podPath("x.yaml", { KVM4NFV_POD: "y.yaml" })).toBe("x.yaml");
  });

  it("fans out with bounded concurrency, keeps the order, and keeps going past a failing node", async () => {
    const pod = loadPod(`${FIX}/yardstick-compass-physical.yaml`);
    let running = 0;
    let peak = 0;
    const results = await fanOut(
      pod.nodes,
      async (n) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        if (n.name === "node2") throw new Error("down");
        return n.name;
      },
      2,
    );
    expect(peak).toBe(2);
    expect(results.map((r) => (r.ok ? r.value : "ERR"))).toEqual(["node1", "ERR", "node3", "node4", "node5"]);
  });
});
