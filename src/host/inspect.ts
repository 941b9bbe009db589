/** The core of `kvm4nfv inspect`: open the machine or snapshot, read it, and render or capture it. */
import { type Exec, realExec } from "../exec.js";
import { openHostFs } from "./fs.js";
import { inspectJson, renderInspect } from "./inspect-render.js";
import { readHost } from "./read.js";
import { saveSnapshot } from "./snapshot.js";
import { readSriov } from "./sriov.js";
import { liveIpLink } from "./sriov-iplink.js";

export interface InspectOptions {
  root?: string;
  json?: boolean;
  save?: string;
}

/** Returns what to print: text, or the JSON object. */
export function inspectAction(opts: InspectOptions): string | object {
  const fs = openHostFs(opts.root);
  if (opts.save !== undefined) {
    const saved = saveSnapshot(fs, opts.save);
    if (opts.json) return { saved: saved.dir, files: saved.files, bytes: saved.bytes };
    return `saved ${saved.files} files (${Math.ceil(saved.bytes / 1024)} KiB) from ${fs.root} to ${saved.dir}\n`;
  }
  const host = readHost(fs);
  return opts.json ? inspectJson(host) : renderInspect(host);
}

/**
 * inspect on a live machine with SR-IOV PFs: the VFs' MAC/VLAN/trust/spoofchk from `ip -d link show` (netlink
 * only, never in sysfs); a snapshot keeps them in its capture file.
 */
export async function inspectLive(opts: InspectOptions, exec: Exec = realExec): Promise<string | object> {
  const fs = openHostFs(opts.root);
  if (opts.save !== undefined || !fs.live) return inspectAction(opts);
  const host = readHost(fs);
  if ((host.sriov?.pfs.length ?? 0) > 0) host.sriov = readSriov(fs, await liveIpLink(exec));
  return opts.json ? inspectJson(host) : renderInspect(host);
}
