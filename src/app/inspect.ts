/** The core of `kvm4nfv inspect`: open the machine or snapshot, read it, and render or capture it. */
import { openHostFs } from "../host/fs.js";
import { inspectJson, renderInspect } from "../host/inspect-render.js";
import { readHost } from "../host/read.js";
import { saveSnapshot } from "../host/snapshot.js";

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
