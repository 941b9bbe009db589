/**
 * kvm4nfv's temporary directories (/tmp/kvm4nfv-NAME-XXXXXX): each carries a marker with its owner's pid and that
 * process's start time. Directories are removed when their process exits (normally, or on SIGINT/SIGTERM/SIGHUP
 * through exec.ts's handlers); a process killed by SIGKILL cannot, so the next kvm4nfv that starts removes the
 * directories whose owner is gone (or whose pid now belongs to a process that started later). Kept free of heavy
 * imports: the CLI calls cleanStaleTempDirs at start-up.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const TEMP_PREFIX = "kvm4nfv-";
export const OWNER_MARKER = ".kvm4nfv-owner";

const mine = new Set<string>();

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** A new /tmp/kvm4nfv-NAME-XXXXXX owned by this process, removed when it exits. */
export function makeTempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${name}-`));
  writeFileSync(join(dir, OWNER_MARKER), `${process.pid} ${processStartTime(process.pid) ?? "?"}\n`);
  mine.add(dir);
  installExitCleanup();
  return dir;
}

/** Remove one of this process's temp directories now (callers that are done with it). */
export function removeTempDir(dir: string): void {
  mine.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

let installed = false;
function installExitCleanup(): void {
  if (installed) return;
  installed = true;
  process.on("exit", () => {
    for (const dir of mine) rmSync(dir, { recursive: true, force: true });
  });
}

/** Is the owner recorded in a marker ("PID STARTTIME") gone? Unreadable or malformed markers are left alone. */
export function ownerGone(marker: string): boolean {
  const m = /^(\d+) (\d+|\?)\s*$/.exec(marker);
  if (!m) return false;
  const started = processStartTime(Number(m[1]));
  if (started === undefined) return true;
  return m[2] !== "?" && started !== m[2];
}

/** Remove the temp directories of kvm4nfv processes that died without removing them; returns what was removed. */
export function cleanStaleTempDirs(dir = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(TEMP_PREFIX));
  } catch {
    return removed;
  }
  for (const name of names) {
    const path = join(dir, name);
    let marker: string;
    try {
      // existsSync first: a /tmp shared with many markerless kvm4nfv-* directories (tests') made every start
      // build and throw hundreds of ENOENT errors (~5-15 ms of a check here)
      if (!existsSync(join(path, OWNER_MARKER))) continue;
      marker = readFileSync(join(path, OWNER_MARKER), "utf8");
    } catch {
      continue; // not one with a marker (a test's, or an older kvm4nfv's): not ours to judge
    }
    if (!ownerGone(marker)) continue;
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // another cleaner got there first, or not ours to remove
    }
  }
  return removed;
}
