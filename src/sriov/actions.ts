/**
 * The cores of `kvm4nfv sriov emit` and `kvm4nfv sriov place`: open the host(s), read SR-IOV state, resolve the
 * request, and return what to print. Bad input throws InputError (exit 2) before anything is written.
 */
import { readFileSync } from "node:fs";
import { InputError } from "../errors.js";
import { type Exec, realExec } from "../exec.js";
import { openHostFs } from "../host/fs.js";
import { readSriov, type SriovInfo } from "../host/sriov.js";
import { liveIpLink } from "../host/sriov-iplink.js";
import { emitK8s } from "../tuning/emit/k8s.js";
import { emitHostdevInterfaces, type HostdevInterface } from "../tuning/emit/libvirt-hostdev.js";
import { emitNeutron } from "../tuning/emit/neutron.js";
import { DEFAULT_RELEASE, emitNova, novaMajor } from "../tuning/emit/nova.js";
import { emitOpenstackCommands } from "../tuning/emit/openstack-commands.js";
import {
  mappingsFromAgentIni,
  type NodeVerdict,
  parseMappings,
  parsePlaceRequest,
  placeOnNode,
  renderPlacement,
} from "./place.js";
import { parseSriovFlag, resolveSriov, type SriovAssignment } from "./request.js";
import { parseTestbed } from "./testbed.js";

export const SRIOV_FORMATS = ["nova", "neutron", "openstack-commands", "libvirt", "k8s"] as const;
export type SriovFormat = (typeof SRIOV_FORMATS)[number];

export interface EmitOptions {
  root?: string;
  sriov?: string;
  sriovFrom?: string;
  testbedHost?: string;
  format: string;
  openstackRelease?: string;
  testbedText?: string;
  /** `ip -d link show` of a live machine (liveIpLink): the VFs' MAC and VLAN for --emit libvirt */
  ipLink?: string;
}

export function sriovAssignments(
  opts: Pick<EmitOptions, "root" | "sriov" | "sriovFrom" | "testbedHost" | "testbedText"> & {
    ipLink?: string;
  },
): SriovAssignment[] {
  return assignmentsOf(readSriov(openHostFs(opts.root), opts.ipLink), opts);
}

/** The --sriov / --sriov-from request resolved against a host's PFs (plan and emit share it). */
export function assignmentsOf(
  info: SriovInfo,
  opts: Pick<EmitOptions, "sriov" | "sriovFrom" | "testbedHost" | "testbedText">,
): SriovAssignment[] {
  if (opts.sriov !== undefined && opts.sriovFrom !== undefined)
    throw new InputError("BAD_INPUT", "give --sriov or --sriov-from, not both");
  if (opts.sriov !== undefined) return resolveSriov(parseSriovFlag(opts.sriov), info);
  if (opts.sriovFrom !== undefined) {
    let text = opts.testbedText;
    if (text === undefined) {
      try {
        text = readFileSync(opts.sriovFrom, "utf8");
      } catch {
        throw new InputError("BAD_INPUT", `--sriov-from ${opts.sriovFrom}: cannot read it`);
      }
    }
    const hosts = parseTestbed(text, opts.sriovFrom);
    const names = [...hosts.keys()];
    const host = opts.testbedHost ?? (names.length === 1 ? names[0] : undefined);
    if (host === undefined)
      throw new InputError(
        "BAD_INPUT",
        `${opts.sriovFrom}: env.sriov names ${names.join(", ")}: choose one with --testbed-host`,
      );
    const items = hosts.get(host);
    if (!items)
      throw new InputError(
        "BAD_INPUT",
        `${opts.sriovFrom}: env.sriov has no host ${host} (it has ${names.join(", ")})`,
      );
    return resolveSriov(items, info, `${opts.sriovFrom} (${host})`);
  }
  throw new InputError(
    "BAD_INPUT",
    "say which VFs: --sriov IFACE:VFS:PHYSNET[,…] or --sriov-from testbed.py",
  );
}

export function sriovEmit(opts: EmitOptions): string {
  if (!(SRIOV_FORMATS as readonly string[]).includes(opts.format))
    throw new InputError("BAD_INPUT", `--emit ${opts.format}: unknown (one of: ${SRIOV_FORMATS.join(", ")})`);
  const release = opts.openstackRelease ?? DEFAULT_RELEASE;
  const major = novaMajor(release);
  const a = sriovAssignments(opts);
  switch (opts.format as SriovFormat) {
    case "nova":
      return emitNova(a, release);
    case "neutron":
      return emitNeutron(a);
    case "openstack-commands":
      return emitOpenstackCommands(a, { form: major < 15 ? "legacy" : "openstack" });
    case "k8s":
      return emitK8s(a);
    case "libvirt": {
      // One interface per enabled VF of each PF (the first VF when none is enabled yet: the address it will have).
      const ifaces: HostdevInterface[] = a.flatMap((x) =>
        x.pf.vfs.slice(0, x.vfs).map((vf) => ({
          vf,
          ...(vf.mac && vf.mac !== "00:00:00:00:00:00" ? { mac: vf.mac } : {}),
          ...((x.vlan ?? vf.vlan) ? { vlan: (x.vlan ?? vf.vlan) as number } : {}),
        })),
      );
      if (ifaces.length === 0)
        throw new InputError(
          "BAD_INPUT",
          "--emit libvirt: no VF is enabled yet on these PFs (enable them first: plan --sriov)",
        );
      return emitHostdevInterfaces(ifaces);
    }
  }
}

export interface PlaceOptions {
  request: string;
  roots: string[];
  json?: boolean;
  /** the nodes of a pod, over SSH (place-pod.ts) */
  pod?: string | undefined;
  node?: string | undefined;
  maps?: string[];
  acceptNewHostKey?: boolean | undefined;
}

/** "SNAP" or "SNAP@physnet1:ens2f0,…" */
function splitRoot(spec: string): { root: string; mappings?: string } {
  const at = spec.lastIndexOf("@");
  return at < 0 ? { root: spec } : { root: spec.slice(0, at), mappings: spec.slice(at + 1) };
}

export async function sriovPlace(opts: PlaceOptions): Promise<{ output: string | object; exitCode: number }> {
  const req = parsePlaceRequest(opts.request);
  const viaPod = opts.pod !== undefined || opts.node !== undefined;
  if (opts.roots.length === 0 && !viaPod)
    throw new InputError(
      "BAD_INPUT",
      "give the nodes: --pod pod.yaml [--node SEL], or --root SNAP[@PHYSNET:IFACE,…]",
    );
  if (!viaPod && (opts.maps?.length ?? 0) > 0) throw new InputError("BAD_INPUT", "--map is for --pod nodes");
  const verdicts: NodeVerdict[] = opts.roots.map((spec) => {
    const { root, mappings } = splitRoot(spec);
    const fs = openHostFs(root);
    const text = mappings ?? mappingsFromAgentIni(fs.read("/etc/neutron/plugins/ml2/sriov_agent.ini") ?? "");
    if (text === undefined)
      throw new InputError(
        "BAD_INPUT",
        `--root ${root}: no physical_device_mappings (give --root ${root}@PHYSNET:IFACE,… or keep etc/neutron/plugins/ml2/sriov_agent.ini in the snapshot)`,
      );
    return placeOnNode(root, readSriov(fs), parseMappings(text, `--root ${spec}`), req);
  });
  if (viaPod) {
    const { placeOnPod } = await import("./place-pod.js");
    verdicts.push(
      ...(await placeOnPod(
        {
          pod: opts.pod,
          node: opts.node,
          maps: opts.maps ?? [],
          acceptNewHostKey: opts.acceptNewHostKey,
          nodeRoot: process.env.KVM4NFV_TEST_NODE_ROOT?.replace(/\/+$/, "") || undefined,
        },
        req,
      )),
    );
  }
  const fits = verdicts.some((v) => v.fits);
  return {
    output: opts.json ? { request: req, nodes: verdicts } : renderPlacement(verdicts, req),
    exitCode: fits ? 0 : 1,
  };
}

/** sriov emit on a live machine: the VF options read with `ip -d link show` first. */
export async function sriovEmitLive(opts: EmitOptions, exec: Exec = realExec): Promise<string> {
  const live = openHostFs(opts.root).live;
  const ipLink = live ? await liveIpLink(exec) : undefined;
  return sriovEmit(ipLink === undefined ? opts : { ...opts, ipLink });
}
