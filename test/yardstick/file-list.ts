/**
 * The file list the fleet role copies. `kvm4nfv inspect --list-files` prints it once the pod transport is in
 * this build; until then the same "KIND PATH" lines are made from what readHost reads on this machine
 * (RecordingFs, the recorder behind inspect --save).
 */
import { spawnSync } from "node:child_process";
import { RootFs } from "../../src/host/fs.js";
import { readHost } from "../../src/host/read.js";
import { RecordingFs } from "../../src/host/snapshot.js";

export function fileList(): string {
  const r = spawnSync("node", ["bin/kvm4nfv.js", "inspect", "--list-files"], { encoding: "utf8" });
  if (r.status === 0 && /^read \//m.test(r.stdout)) return r.stdout;
  const rec = new RecordingFs(new RootFs("/"));
  readHost(rec);
  return [
    ...[...rec.reads.keys()].map((p) => `read ${p}`),
    ...[...rec.lists.keys()].map((p) => `list ${p}`),
    ...[...rec.existing].map((p) => `exists ${p}`),
    "",
  ].join("\n");
}
