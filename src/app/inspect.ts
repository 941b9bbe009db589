/** The core of `kvm4nfv inspect`: open the machine or snapshot, read it, and render or capture it. */
import { openHostFs } from "../host/fs.js";
import { inspectJson, renderInspect } from "../host/inspect-render.js";
import { readHost } from "../host/read.js";
import { saveSnapshot } from "../host/snapshot.js";
import { type Outcome, outcome } from "./outcome.js";

export interface InspectOptions {
  root?: string;
  json?: boolean;
  save?: string;
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
