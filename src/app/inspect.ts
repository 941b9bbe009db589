/** The core of `kvm4nfv inspect`: open the machine or snapshot, read it, and render or capture it. */
import type { InspectOpts } from "../cli/inspect.js";
import { type Exec, realExec } from "../exec.js";
import { formatFileList } from "../host/files.js";
import { openHostFs } from "../host/fs.js";
import { inspectJson, renderInspect } from "../host/inspect-render.js";
import { readHost } from "../host/read.js";
import { saveSnapshot } from "../host/snapshot.js";
import { readSriov } from "../host/sriov.js";
import { liveIpLink } from "../host/sriov-iplink.js";
import { type Outcome, outcome } from "./outcome.js";

/** What this machine's paths take of `inspect`'s option table (src/cli/inspect.ts). */
export type InspectOptions = Pick<InspectOpts, "root" | "json" | "save">;

/** `inspect --list-files`: the files kvm4nfv reads, one glob pattern a line. */
export function listFilesCommand(): Outcome<string> {
  return outcome(formatFileList());
}

/** What to print: text, or the JSON object. */
export function inspectAction(opts: InspectOptions): Outcome {
  const fs = openHostFs(opts.root);
  if (opts.save !== undefined) {
    const saved = saveSnapshot(fs, opts.save);
    if (opts.json) return outcome({ saved: saved.dir, files: saved.files, bytes: saved.bytes });
    return outcome(
      `saved ${saved.files} files (${Math.ceil(saved.bytes / 1024)} KiB) from ${fs.root} to ${saved.dir}\n`,
    );
  }
  const host = readHost(fs);
  return outcome(opts.json ? inspectJson(host) : renderInspect(host));
}

/**
 * inspect on a live machine with SR-IOV PFs: the VFs' MAC/VLAN/trust/spoofchk from `ip -d link show` (netlink
 * only, never in sysfs); a snapshot keeps them in its capture file.
 */
export async function inspectLive(opts: InspectOptions, exec: Exec = realExec): Promise<Outcome> {
  const fs = openHostFs(opts.root);
  if (opts.save !== undefined || !fs.live) return inspectAction(opts);
  const host = readHost(fs);
  if ((host.sriov?.pfs.length ?? 0) > 0) host.sriov = readSriov(fs, await liveIpLink(exec));
  return outcome(opts.json ? inspectJson(host) : renderInspect(host));
}
