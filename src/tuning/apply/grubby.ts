/**
 * grubby (Fedora, RHEL, CentOS Stream): boot entries there carry their own kernel arguments (BLS entries under
 * /boot/loader/entries), so editing /etc/default/grub and running grub2-mkconfig does not reach the kernels already
 * installed. Apply records each entry's arguments from `grubby --info=ALL`, then adds the planned ones with
 * `grubby --update-kernel=ALL --args=…`; revert gives each entry back exactly the values it had for those keys.
 * Pure functions here; apply.ts and revert.ts run the argv they return.
 */
import { parseCmdline } from "../plan-cmdline.js";

export interface GrubbyEntry {
  kernel: string;
  args: string;
}

/** Entries of `grubby --info=ALL` (blocks of key=value lines; values quoted by BLS grubby, bare by the old one). */
export function parseGrubbyInfo(text: string): GrubbyEntry[] {
  const out: GrubbyEntry[] = [];
  let kernel: string | undefined;
  let args: string | undefined;
  const flush = () => {
    if (kernel !== undefined && args !== undefined) out.push({ kernel, args });
    kernel = undefined;
    args = undefined;
  };
  for (const line of text.split("\n")) {
    const m = /^(\w+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const value = m[2]!.replace(/^"(.*)"$/, "$1");
    if (m[1] === "index") flush();
    else if (m[1] === "kernel") kernel = value;
    else if (m[1] === "args") args = value;
  }
  flush();
  return out;
}

const token = (p: { key: string; value?: string }) => (p.value === undefined ? p.key : `${p.key}=${p.value}`);

/** The argv that add the planned parameters to every boot entry. */
export function grubbyAddArgv(planned: string): string[] {
  return ["--update-kernel=ALL", `--args=${planned}`];
}

/**
 * The argv that undo the add on one entry: drop every planned key, then put back the entry's own earlier values of
 * those keys (an `isolcpus=1-3` it had before comes back as it was). Nothing is touched for keys the plan never had.
 */
export function grubbyRestoreArgv(entry: GrubbyEntry, planned: string): string[][] {
  const keys = new Set(parseCmdline(planned).map((p) => p.key));
  const hadBefore = parseCmdline(entry.args).filter((p) => keys.has(p.key));
  const argv = [[`--update-kernel=${entry.kernel}`, `--remove-args=${[...keys].join(" ")}`]];
  if (hadBefore.length > 0) {
    argv.push([`--update-kernel=${entry.kernel}`, `--args=${hadBefore.map(token).join(" ")}`]);
  }
  return argv;
}
