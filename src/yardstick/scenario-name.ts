/**
 * OPNFV deployment scenario names: `os-[controller]-[feature]-[mode]-[option]` (e.g. os-nosdn-kvm-ha,
 * os-nosdn-kvm_ovs_dpdk-noha, os-odl_l2-fdio-ha; k8-… for Kubernetes). Features combine with "_"
 * (kvm_ovs_dpdk = kvm + ovs + dpdk); "nofeature" means none; mode is ha or noha; the option is optional.
 * KVM4NFV's scenarios are the ones whose features include kvm.
 */
import { InputError } from "../errors.js";

export interface ScenarioName {
  name: string;
  platform: "os" | "k8";
  controller: string;
  features: string[];
  mode: "ha" | "noha";
  option: string | null;
  /** A KVM4NFV scenario (feature kvm). */
  kvm4nfv: boolean;
}

/** SDN controllers the OPNFV releases named in scenarios. */
export const CONTROLLERS = [
  "nosdn",
  "odl",
  "odl_l2",
  "odl_l3",
  "onos",
  "ocl",
  "ovn",
  "opencontrail",
  "calico",
  "flannel",
  "canal",
  "weave",
  "multus",
];

export function parseScenarioName(text: string, source: string): ScenarioName {
  const name = text.trim();
  const form = "expected os-CONTROLLER-FEATURE-ha|noha[-OPTION], e.g. os-nosdn-kvm-ha";
  const parts = name.split("-");
  if (parts.length < 4 || parts.length > 5 || parts.some((p) => !/^[a-z0-9_]+$/.test(p))) {
    throw new InputError("BAD_INPUT", `${source}: "${name}" is not an OPNFV scenario name`, form);
  }
  const [platform, controller, feature, mode, option] = parts as [string, string, string, string, string?];
  if (platform !== "os" && platform !== "k8") {
    throw new InputError(
      "BAD_INPUT",
      `${source}: "${name}": starts with "${platform}", expected os (OpenStack) or k8 (Kubernetes)`,
      form,
    );
  }
  if (!CONTROLLERS.includes(controller)) {
    throw new InputError(
      "BAD_INPUT",
      `${source}: "${name}": controller "${controller}" is not one OPNFV used`,
      `known: ${CONTROLLERS.join(", ")}`,
    );
  }
  if (mode !== "ha" && mode !== "noha") {
    throw new InputError("BAD_INPUT", `${source}: "${name}": mode "${mode}" must be ha or noha`, form);
  }
  const features = feature === "nofeature" ? [] : feature.split("_").filter((f) => f !== "");
  return {
    name,
    platform,
    controller,
    features,
    mode,
    option: option ?? null,
    kvm4nfv: features.includes("kvm"),
  };
}

/** One line for results and reports: "os-nosdn-kvm-ha (controller nosdn, features kvm, HA)". */
export function describeScenario(s: ScenarioName): string {
  const f = s.features.length ? `features ${s.features.join("+")}` : "no feature";
  return `${s.name} (controller ${s.controller}, ${f}, ${s.mode === "ha" ? "HA" : "no HA"}${s.option ? `, option ${s.option}` : ""})`;
}
