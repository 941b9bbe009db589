/**
 * VF options as `ip link show` / `ip -d link show` print them (iproute2 ip/iplink.c print_vfinfo): the kernel
 * keeps a VF's administrative MAC, VLAN, QoS, spoof checking, trust and link state in the PF driver and reports
 * them over netlink (IFLA_VF_*), never in sysfs. Two layouts exist: iproute2 ≥ 5 `vf 0     link/ether MAC brd …`
 * and older `vf 0 MAC MAC, …`. Pure: text in, facts out (liveIpLink below runs ip on a live machine).
 */
import type { Exec } from "../exec.js";

export interface VfOptions {
  vf: number;
  mac: string | null;
  /** 0 / absent means no VLAN: print_vfinfo prints ", vlan N" only when it is set. */
  vlan: number | null;
  qos: number | null;
  spoofchk: boolean | null;
  trust: boolean | null;
  linkState: string | null;
}

const LINK_HEADER = /^\d+:\s+([^:@\s]+)(?:@[^:\s]+)?:\s+</;
const VF_LINE = /^\s+vf (\d+)\s+(?:link\/ether ([0-9a-fx:]+)|MAC ([0-9a-fx:]+))(.*)$/i;

function onOff(rest: string, label: string): boolean | null {
  const m = new RegExp(`, ${label} (on|off)`).exec(rest);
  return m === null ? null : m[1] === "on";
}

/** Interface name → its VFs' options, in VF order. Interfaces without VF lines are absent. */
export function parseIpLinkVfs(text: string): Map<string, VfOptions[]> {
  const out = new Map<string, VfOptions[]>();
  let current: string | null = null;
  for (const line of text.split("\n")) {
    const head = LINK_HEADER.exec(line);
    if (head) {
      current = head[1] ?? null;
      continue;
    }
    const vf = VF_LINE.exec(line);
    if (!vf || current === null) continue;
    const rest = vf[4] ?? "";
    const mac = (vf[2] ?? vf[3] ?? "").toLowerCase();
    const vlan = /, vlan (\d+)/.exec(rest);
    const qos = /, qos (\d+)/.exec(rest);
    const state = /, link-state (\w+)/.exec(rest);
    const list = out.get(current) ?? [];
    list.push({
      vf: Number(vf[1]),
      mac: /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac) ? mac : null,
      vlan: vlan ? Number(vlan[1]) : 0,
      qos: qos ? Number(qos[1]) : 0,
      spoofchk: onOff(rest, "spoof checking"),
      trust: onOff(rest, "trust"),
      linkState: state?.[1] ?? null,
    });
    out.set(current, list);
  }
  return out;
}

/**
 * On a live machine the VF options come from the kernel over netlink: `ip -d link show` (argv through the exec
 * seam). Undefined when ip is missing or fails: the options are then unknown (null), never guessed.
 */
export async function liveIpLink(exec: Exec): Promise<string | undefined> {
  if (exec.which("ip") === undefined) return undefined;
  const r = await exec.run("ip", ["-d", "link", "show"], { allowFailure: true, timeoutMs: 10_000 });
  return r.exitCode === 0 ? r.stdout : undefined;
}
