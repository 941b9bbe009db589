/** The file list the fleet role copies: what `kvm4nfv inspect --list-files` prints (the operator's step). */
import { spawnSync } from "node:child_process";

export function fileList(): string {
  const r = spawnSync("node", ["bin/kvm4nfv.js", "inspect", "--list-files"], { encoding: "utf8" });
  if (r.status !== 0 || !/^read \//m.test(r.stdout))
    throw new Error(`kvm4nfv inspect --list-files failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
