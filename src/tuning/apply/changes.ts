/**
 * From a plan to the concrete changes on one machine: globs expanded, current values read through the root, and
 * every item already in the planned state dropped (compared by meaning, so a second apply finds nothing to do).
 */
import { dirname } from "node:path";
import type { HostFs } from "../../host/fs.js";
import { describeSriovChange, type SriovChange, sriovChanges } from "../../sriov/provision.js";
import type { RuntimeItem } from "../plan-types.js";
import { grubCmdline, missingParams, updateGrub } from "./grub.js";
import type { FileMeta, WriteIo } from "./io.js";
import { isKernelPath, sameValue, selectedValue, setKeys } from "./values.js";

export interface FileChange {
  kind: "file";
  path: string;
  real: string;
  /** exact current bytes; undefined when the file does not exist */
  old: Buffer | undefined;
  /** mode and owner of an existing config file (revert gives them back) */
  meta?: FileMeta;
  next: string;
  kernel: boolean;
  tolerate?: string[];
  restore?: string;
  /** directories to create first, outermost first */
  mkdirs: string[];
  /** what changes, when the whole file would say too little ("GRUB_CMDLINE_LINUX += …") */
  summary?: string;
}

export interface SchedChange {
  kind: "sched";
  pid: number;
  comm: string;
  oldPolicy: number;
  oldPriority: number;
  priority: number;
}

export type Change = FileChange | SchedChange;

export interface Planned {
  changes: Change[];
  /** items that cannot be done here, and why (not failures) */
  skipped: string[];
  /** service/mount actions for a live machine */
  live: RuntimeItem[];
  /** SR-IOV VF counts and VF bindings (src/sriov/provision.ts applies and reverts them), in plan order */
  sriov: SriovChange[];
}

/** Every change as apply's dry run lists it: files and threads, then the SR-IOV ones. */
export function describePlanned(p: Planned, live: boolean): string[] {
  return [...p.changes.map(describeChange), ...p.sriov.map((c) => describeSriovChange(c, live))];
}

function short(text: string | undefined): string {
  if (text === undefined) return "(absent)";
  const t = text.trim();
  if (t.includes("\n")) return `(${t.split("\n").length} lines)`;
  return t.length > 80 ? `${t.slice(0, 77)}...` : t === "" ? '""' : t;
}

export function describeChange(c: Change): string {
  if (c.kind === "sched")
    return `${c.comm} (pid ${c.pid}): policy ${c.oldPolicy}/${c.oldPriority} -> FIFO ${c.priority}`;
  if (c.summary !== undefined) return `${c.path}: ${c.summary}`;
  return `${c.path}: ${short(c.old?.toString("utf8"))} -> ${short(c.next)}`;
}

/** `dir` and its parents that do not exist yet (machine paths, outermost first). */
export function missingDirsOf(fs: HostFs, io: WriteIo, dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; d !== "/" && !io.exists(fs.resolve(d)); d = dirname(d)) out.unshift(d);
  return out;
}

/** Parent directories of the file `path` that do not exist yet. */
function missingDirs(fs: HostFs, io: WriteIo, path: string): string[] {
  return missingDirsOf(fs, io, dirname(path));
}

/** Expand the one `*` segment of a path ("/proc/irq/*", "/sys/devices/system/cpu/cpu*"): a `*` stands for a number. */
export function expand(fs: HostFs, path: string): string[] {
  const parts = path.split("/");
  const at = parts.findIndex((p) => p.includes("*"));
  if (at < 0) return [path];
  const dir = parts.slice(0, at).join("/") || "/";
  const rest = parts.slice(at + 1).join("/");
  const [pre, post] = parts[at]!.split("*") as [string, string];
  const re = new RegExp(`^${pre}(\\d+)${post}$`);
  return (fs.list(dir) ?? [])
    .flatMap((n) => {
      const m = re.exec(n);
      return m ? [{ n, k: Number(m[1]) }] : [];
    })
    .sort((a, b) => a.k - b.k)
    .map(({ n }) => `${dir}/${n}/${rest}`)
    .filter((p) => fs.exists(p));
}

/** /proc/PID/stat: rt_priority is field 40 and policy field 41 (1-based), counted after the ")" of the comm. */
export function schedOf(stat: string): { policy: number; priority: number } | undefined {
  const fields = stat
    .slice(stat.lastIndexOf(")") + 2)
    .trim()
    .split(/\s+/);
  const priority = Number(fields[40 - 3]);
  const policy = Number(fields[41 - 3]);
  return Number.isFinite(priority) && Number.isFinite(policy) ? { policy, priority } : undefined;
}

function commMatches(pattern: string, comm: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
  return re.test(comm);
}

export function planChanges(fs: HostFs, io: WriteIo, runtime: RuntimeItem[], cmdline: string): Planned {
  const changes: Change[] = [];
  const skipped: string[] = [];
  const live: RuntimeItem[] = [];
  const sriov: SriovChange[] = [];
  const file = (path: string, next: string, extra: Partial<FileChange> = {}) => {
    const real = fs.resolve(path);
    const old = io.readBytes(real);
    const meta = old !== undefined && !isKernelPath(path) ? io.meta(real) : undefined;
    changes.push({
      kind: "file",
      path,
      real,
      old,
      next,
      kernel: isKernelPath(path),
      mkdirs: old === undefined ? missingDirs(fs, io, path) : [],
      ...(meta === undefined ? {} : { meta }),
      ...extra,
    });
  };
  for (const item of runtime) {
    switch (item.kind) {
      case "write": {
        const paths = expand(fs, item.path);
        if (paths.length === 0) skipped.push(`${item.path}: not present on this machine`);
        for (const path of paths) {
          const old = io.readBytes(fs.resolve(path));
          if (old === undefined && isKernelPath(path)) {
            skipped.push(`${path}: not present on this machine (kernel files are never created)`);
            continue;
          }
          const cur = old?.toString("utf8");
          if (cur !== undefined && sameValue(item.compare, cur, item.value, item.accept)) continue;
          const extra: Partial<FileChange> = {};
          if (item.tolerate) extra.tolerate = item.tolerate;
          // A kernel file shows all choices ("always madvise [never]") but takes only one back.
          if (item.compare === "selected" && cur !== undefined) extra.restore = selectedValue(cur);
          file(path, `${item.value}\n`, extra);
        }
        break;
      }
      case "keys": {
        const cur = io.readBytes(fs.resolve(item.path))?.toString("utf8") ?? "";
        const next = setKeys(cur, item.keys);
        const set = Object.entries(item.keys).map(([k, v]) => `${k}=${v}`);
        if (next !== cur) file(item.path, next, { summary: `set ${set.join(" ")}` });
        break;
      }
      case "file": {
        const cur = io.readBytes(fs.resolve(item.path))?.toString("utf8");
        if (cur !== item.content) file(item.path, item.content);
        break;
      }
      case "sched": {
        if (!fs.live) {
          skipped.push(`chrt ${item.comm}: kernel thread priorities are set on a live machine only`);
          break;
        }
        for (const pid of (fs.list("/proc") ?? []).filter((n) => /^\d+$/.test(n))) {
          const comm = fs.read(`/proc/${pid}/comm`)?.trim();
          if (comm === undefined || !commMatches(item.comm, comm)) continue;
          const now = schedOf(fs.read(`/proc/${pid}/stat`) ?? "");
          if (now === undefined) continue;
          if (now.policy === 1 && now.priority === item.priority) continue;
          changes.push({
            kind: "sched",
            pid: Number(pid),
            comm,
            oldPolicy: now.policy,
            oldPriority: now.priority,
            priority: item.priority,
          });
        }
        break;
      }
      case "sriov-vfs":
      case "pci-driver": {
        const r = sriovChanges(fs, io, item, sriov);
        if (r.change) sriov.push(r.change);
        if (r.skipped) skipped.push(r.skipped);
        break;
      }
      case "service":
      case "mount":
        if (fs.live) live.push(item);
        else
          skipped.push(`${item.kind} ${item.kind === "mount" ? item.target : item.name}: live machine only`);
        break;
    }
  }
  const grub = io.readBytes(fs.resolve("/etc/default/grub"))?.toString("utf8");
  if (grub === undefined) {
    skipped.push(`/etc/default/grub: absent; put this on your bootloader's kernel command line: ${cmdline}`);
  } else {
    const next = updateGrub(grub, cmdline);
    const add = missingParams(cmdline, grubCmdline(grub) ?? "");
    if (next !== grub) file("/etc/default/grub", next, { summary: `GRUB_CMDLINE_LINUX += ${add.join(" ")}` });
  }
  return { changes, skipped, live, sriov };
}
