/**
 * Kubernetes SR-IOV: the sriov-network-device-plugin's ConfigMap (config.json with a resourceList, one resource
 * per physnet, selecting the PF's VFs by vendor, VF device id, driver and pfNames) and, for clusters run by the
 * sriov-network-operator, one SriovNetworkNodePolicy per PF (numVfs, nicSelector, deviceType netdevice|vfio-pci).
 */
import { stringify } from "yaml";
import type { SriovAssignment } from "../../sriov/request.js";

export interface K8sOptions {
  namespace?: string;
  resourcePrefix?: string;
  nodeName?: string;
}

/** resourceName allows [A-Za-z0-9_] only (both projects validate ^[a-zA-Z0-9_]+$). */
export function resourceName(physnet: string): string {
  return physnet.replace(/[^A-Za-z0-9_]/g, "_");
}

/** The VF driver a resource selects: vfio-pci, or the VF netdev driver the PF's family uses. */
function vfDriver(a: SriovAssignment): string {
  if (a.deviceType === "vfio-pci") return "vfio-pci";
  const bound = a.pf.vfs.find((v) => v.driver !== null && v.driver !== "vfio-pci")?.driver;
  if (bound) return bound;
  return a.pf.driver === "i40e" || a.pf.driver === "ice"
    ? "iavf"
    : a.pf.driver === "ixgbe"
      ? "ixgbevf"
      : (a.pf.driver ?? "");
}

export function deviceResourceList(assignments: SriovAssignment[], opts: K8sOptions = {}) {
  return {
    resourceList: assignments.map((a) => ({
      resourceName: resourceName(a.physnets[0] ?? a.iface),
      resourcePrefix: opts.resourcePrefix ?? "kvm4nfv.io",
      deviceType: "netDevice",
      selectors: {
        vendors: [a.pf.vendorId ?? ""],
        devices: [a.pf.vfDeviceId ?? ""],
        drivers: [vfDriver(a)],
        pfNames: [`${a.pf.netdev ?? a.iface}#0-${Math.max(0, a.vfs - 1)}`],
      },
    })),
  };
}

export function emitK8s(assignments: SriovAssignment[], opts: K8sOptions = {}): string {
  const namespace = opts.namespace ?? "sriov-network-operator";
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "sriovdp-config", namespace: "kube-system" },
    data: { "config.json": `${JSON.stringify(deviceResourceList(assignments, opts), null, 2)}\n` },
  };
  const policies = assignments.map((a) => ({
    apiVersion: "sriovnetwork.openshift.io/v1",
    kind: "SriovNetworkNodePolicy",
    metadata: {
      name: `policy-${resourceName(a.physnets[0] ?? a.iface)
        .replaceAll("_", "-")
        .toLowerCase()}`,
      namespace,
    },
    spec: {
      resourceName: resourceName(a.physnets[0] ?? a.iface),
      nodeSelector: opts.nodeName
        ? { "kubernetes.io/hostname": opts.nodeName }
        : { "feature.node.kubernetes.io/network-sriov.capable": "true" },
      priority: 99,
      numVfs: a.vfs,
      nicSelector: {
        vendor: a.pf.vendorId ?? "",
        deviceID: a.pf.deviceId ?? "",
        pfNames: [a.pf.netdev ?? a.iface],
        rootDevices: [a.pf.pciAddress],
      },
      deviceType: a.deviceType,
    },
  }));
  return [configMap, ...policies].map((d) => `---\n${stringify(d)}`).join("");
}
