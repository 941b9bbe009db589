/**
 * Certain teardown for a forwarding run. Three ways a run once left its namespaces and hugetlbfs mount behind,
 * and what closes each:
 *  - an undo step was registered only after its create returned: a create that timed out under load (exec
 *    kills `ip netns add` or `mount` after the kernel already did it) left something no step knew of.
 *    Every create here registers its (idempotent) undo first.
 *  - a create that finished after teardown had started (SIGTERM mid-build: the interrupt hook ran the
 *    steps while the build's next `await` still completed and added a namespace to an emptied list).
 *    Once closed, `add` runs the undo at once and `check()` stops the build before its next create.
 *  - the process died mid-teardown (the interrupt grace ran out, SIGKILL, an OOM kill). Every create is also
 *    written to a ledger in the run's state dir, with the owner's pid and start time; the next forwarding run
 *    (or `sweepStaleForwarding`) undoes the ledgers of dead owners: children killed, namespaces deleted,
 *    mounts detached, hugepages given back.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm4nfvError } from "../../errors.js";
import { onInterrupt } from "../../exec.js";
import { ownerGone, processStartTime } from "../../tempdir.js";

/** Run state dirs: /tmp/kvm4nfv-fwd-XXXXXX (no tempdir.ts marker: its sweeper would rm -rf a live mount). */
export const STATE_PREFIX = "kvm4nfv-fwd-";
const OWNER_FILE = "fwd-owner";
const LEDGER_FILE = "ledger";

export type LedgerEntry =
  | { kind: "netns"; name: string }
  | { kind: "mount"; path: string }
  | { kind: "hugepages"; nrPath: string; pages: number }
  | { kind: "pid"; pid: number; start: string };

/** Undo steps, run newest first, each once; a failing step is recorded and the rest still run. */
export class Teardown {
  private steps: Array<{ name: string; undo: () => Promise<void> }> = [];
  private closed = false;
  private draining: Promise<string[]> | null = null;
  readonly problems: string[] = [];
  private readonly unregister: () => void;

  /** `stateDir`: where the ledger is kept (none: nothing survives a SIGKILL; unit tests). */
  constructor(private readonly stateDir?: string) {
    if (stateDir) {
      writeFileSync(join(stateDir, OWNER_FILE), `${process.pid} ${processStartTime(process.pid) ?? "?"}\n`);
    }
    // On SIGINT/SIGTERM the process exits through exec.ts; undo everything first.
    this.unregister = onInterrupt(async () => {
      await this.run();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Before each create: a teardown that has started means the run is over (interrupted); build nothing more. */
  check(what: string): void {
    if (this.closed)
      throw new Kvm4nfvError("TOOL_FAILED", `forwarding run torn down before ${what}: not creating it`);
  }

  /** Register an undo (before the create it undoes); `entry` also goes to the ledger for a later sweep. */
  add(name: string, undo: () => Promise<void>, entry?: LedgerEntry): void {
    if (entry && this.stateDir)
      appendFileSync(join(this.stateDir, LEDGER_FILE), `${JSON.stringify(entry)}\n`);
    this.steps.push({ name, undo });
    // Added after the teardown finished (a create that completed late): undo it now.
    if (this.closed && this.draining === null) this.draining = this.drain();
  }

  run(): Promise<string[]> {
    this.closed = true;
    if (this.draining === null) this.draining = this.drain();
    return this.draining;
  }

  private async drain(): Promise<string[]> {
    this.unregister();
    // pop(): steps added while draining (late creates) are undone too, newest first.
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.undo();
      } catch (err) {
        this.problems.push(`${step.name}: ${(err as Error).message}`);
      }
    }
    this.draining = null;
    return this.problems;
  }
}

export function readLedger(stateDir: string): LedgerEntry[] {
  let text = "";
  try {
    text = readFileSync(join(stateDir, LEDGER_FILE), "utf8");
  } catch {
    return [];
  }
  const out: LedgerEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as LedgerEntry);
    } catch {
      // a line cut by the kill: skip it
    }
  }
  return out;
}

export interface SweepActions {
  kill(pid: number): void;
  delNetns(name: string): Promise<void>;
  umount(path: string): Promise<void>;
  giveBackHugepages(nrPath: string, pages: number): void;
}

/**
 * Undo the ledgers of forwarding runs whose owner is gone; returns one line per thing undone. Runs of live
 * owners are never touched (two runs at once are fine).
 */
export async function sweepStaleForwarding(actions: SweepActions, dir = tmpdir()): Promise<string[]> {
  const done: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(STATE_PREFIX));
  } catch {
    return done;
  }
  for (const name of names) {
    const stateDir = join(dir, name);
    let owner: string;
    try {
      owner = readFileSync(join(stateDir, OWNER_FILE), "utf8");
    } catch {
      continue; // an older kvm4nfv's or a run just starting: not ours to judge
    }
    if (!ownerGone(owner)) continue;
    const entries = readLedger(stateDir).reverse();
    for (const e of entries) {
      try {
        if (e.kind === "pid") {
          // Only the very process that was started (a reused pid has another start time).
          if (processStartTime(e.pid) === e.start) {
            actions.kill(e.pid);
            done.push(`killed ${e.pid}`);
          }
        } else if (e.kind === "netns") {
          if (existsSync(`/run/netns/${e.name}`)) {
            await actions.delNetns(e.name);
            done.push(`deleted namespace ${e.name}`);
          }
        } else if (e.kind === "mount") {
          if (isMounted(e.path)) {
            await actions.umount(e.path);
            done.push(`unmounted ${e.path}`);
          }
        } else if (e.kind === "hugepages") {
          actions.giveBackHugepages(e.nrPath, e.pages);
          done.push(`gave back ${e.pages} hugepages`);
        }
      } catch (err) {
        done.push(`could not undo ${JSON.stringify(e)}: ${(err as Error).message}`);
      }
    }
    if (!isMounted(join(stateDir, "hugepages"))) rmSync(stateDir, { recursive: true, force: true });
  }
  return done;
}

/** Is `path` a mount point now (/proc/mounts, octal escapes as the kernel writes them)? */
export function isMounted(path: string, mounts = readMounts()): boolean {
  return mounts.some((m) => m === path);
}

function readMounts(): string[] {
  try {
    return readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) =>
        (l.split(" ")[1] ?? "").replace(/\\([0-7]{3})/g, (_, o: string) =>
          String.fromCharCode(parseInt(o, 8)),
        ),
      )
      .filter(Boolean);
  } catch {
    return [];
  }
}
