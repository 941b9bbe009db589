/**
 * `kvm4nfv sriov place --pod pod.yaml [--node SEL] --request …`: the same PciPassthroughFilter decision as
 * `--root`, over the nodes of a pod. Each node is read over SSH in one round trip (src/pod: fetchNode, the
 * inventory's SSH options, a bounded fan-out); its physnet mappings are `--map NODE=PHYSNET:IFACE,…` or the node's
 * own /etc/neutron/plugins/ml2/sriov_agent.ini. A node that cannot be reached is a NO with the SSH error as its
 * reason, never the end of the others.
 */
import { describeError, InputError } from "../errors.js";
import { HOST_FILES } from "../host/files.js";
import { readSriov } from "../host/sriov.js";
import { fanOut, loadPod, type PodNode, podPath, selectNodes } from "../pod/inventory.js";
import { fetchNode } from "../pod/remote-fs.js";
import { withSession } from "../pod/ssh.js";
import {
  mappingsFromAgentIni,
  type NodeVerdict,
  type PlaceRequest,
  parseMappings,
  placeOnNode,
} from "./place.js";

export const AGENT_INI = "/etc/neutron/plugins/ml2/sriov_agent.ini";

export interface PodPlaceOptions {
  pod?: string | undefined;
  node?: string | undefined;
  /** NODE=PHYSNET:IFACE,… */
  maps: string[];
  acceptNewHostKey?: boolean | undefined;
  /** a directory on every node holding a snapshot copy (the pod tests' KVM4NFV_TEST_NODE_ROOT hook) */
  nodeRoot?: string | undefined;
}

function mapsByNode(maps: string[], nodes: PodNode[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of maps) {
    const at = m.indexOf("=");
    const name = at < 0 ? "" : m.slice(0, at);
    if (at < 0 || !nodes.some((n) => n.name === name))
      throw new InputError(
        "BAD_INPUT",
        `--map ${m}: expected NODE=PHYSNET:IFACE[,…] with a node of the pod (${nodes.map((n) => n.name).join(", ")})`,
      );
    out.set(name, m.slice(at + 1));
  }
  return out;
}

export async function placeOnPod(opts: PodPlaceOptions, req: PlaceRequest[]): Promise<NodeVerdict[]> {
  const file = podPath(opts.pod);
  if (file === undefined) throw new InputError("BAD_INPUT", "--pod: give pod.yaml (or set KVM4NFV_POD)");
  const pod = loadPod(file);
  const nodes = selectNodes(pod, opts.node ?? "all");
  const maps = mapsByNode(opts.maps, nodes);
  const root = opts.nodeRoot ?? "";
  const ssh = { pod, ...(opts.acceptNewHostKey ? { acceptNewHostKey: true } : {}) };
  const results = await fanOut(nodes, (node) =>
    withSession(node, ssh, async (s) => {
      const fs = await fetchNode(s, [...HOST_FILES, { kind: "read", pattern: AGENT_INI }], root);
      try {
        const text = maps.get(node.name) ?? mappingsFromAgentIni(fs.read(AGENT_INI) ?? "");
        if (text === undefined)
          return {
            node: node.name,
            fits: false,
            pools: [],
            reasons: [
              `no physical_device_mappings: give --map ${node.name}=PHYSNET:IFACE or keep ${AGENT_INI} on it`,
            ],
          };
        return placeOnNode(node.name, readSriov(fs), parseMappings(text, `node ${node.name}`), req);
      } finally {
        fs.dispose();
      }
    }),
  );
  return results.map((r): NodeVerdict => {
    if (r.ok) return r.value;
    const { text } = describeError(r.error, false);
    return {
      node: r.node.name,
      fits: false,
      pools: [],
      reasons: [`unreachable: ${text.replace(/^kvm4nfv: /, "")}`],
    };
  });
}
