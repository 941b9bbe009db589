/** Temp copies of snapshots and whole-tree hashes, for apply/revert tests (nothing live is ever touched). */
import { createHash } from "node:crypto";
import {
  cpSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type HostFs, openHostFs, RootFs } from "../../../src/host/fs.js";
import { readHost } from "../../../src/host/read.js";
import { emitJson } from "../../../src/tuning/emit/json.js";
import { derivePlan } from "../../../src/tuning/plan.js";
import type { PlanOptions } from "../../../src/tuning/plan-types.js";

export const SNAPSHOTS = join(import.meta.dirname, "../../fixtures/snapshots");

export interface Scratch {
  dir: string;
  root: string;
  plan: string;
  journal: string;
  cleanup(): void;
}

/** A temp copy of a snapshot plus a plan for it (written as `plan --emit json` would) and a journal path outside. */
export function scratch(
  snapshot = "baseline-untuned",
  options: PlanOptions = { role: "host", rtCpus: 16 },
): Scratch {
  const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-apply-"));
  const root = join(dir, "root");
  cpSync(join(SNAPSHOTS, snapshot), root, { recursive: true, verbatimSymlinks: true });
  const plan = join(dir, "plan.json");
  writeFileSync(plan, emitJson(derivePlan(readHost(openHostFs(root)), options)));
  return {
    dir,
    root,
    plan,
    journal: join(dir, "journal.json"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * relative path → sha256 for every file, "dir" for every directory, the target of every symlink (never followed)
 * and the type of anything else (a FIFO is never opened): equal maps = byte-identical trees. With `meta`, each
 * entry also carries its mode and owner.
 */
export function hashTree(root: string, options: { meta?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const meta = options.meta ? ` ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}` : "";
      if (st.isSymbolicLink()) {
        out[relative(root, p)] = `-> ${readlinkSync(p)}`;
      } else if (st.isDirectory()) {
        out[`${relative(root, p)}/`] = `dir${meta}`;
        walk(p);
      } else if (st.isFile()) {
        out[relative(root, p)] = createHash("sha256").update(readFileSync(p)).digest("hex") + meta;
      } else {
        out[relative(root, p)] = `special${meta}`;
      }
    }
  };
  walk(root);
  return out;
}

export const read = (root: string, path: string) => readFileSync(join(root, path), "utf8");

/**
 * A HostFs that says "live" but resolves every path into `root` (a RootFs on a directory is never live): the live
 * branches run, the real machine is never touched, even if a guard under test were broken.
 */
export function liveLike(root: string): HostFs {
  const inner = new RootFs(root);
  return {
    root: inner.root,
    live: true,
    read: (p) => inner.read(p),
    list: (p) => inner.list(p),
    readlink: (p) => inner.readlink(p),
    exists: (p) => inner.exists(p),
    resolve: (p) => inner.resolve(p),
  };
}
