/**
 * Running tools on a node, through the Exec interface the measurements already use (probeCyclictest,
 * withLoad, runCyclictestLive run unchanged against it).
 *
 * Nothing outlives kvm4nfv on the node. Every long-running tool starts under a small POSIX sh supervisor:
 *  - the tool runs in its own session and process group (`setsid`), its pgid written to <run dir>/pgid;
 *  - a watchdog holds the SSH channel's stdin (the local ssh client keeps it open) and, when it reaches
 *    end-of-file — the local side stopped it, kvm4nfv was interrupted or killed, or the connection dropped and
 *    sshd closed the session — kills the whole group (TERM, then KILL).
 * stop() closes stdin first (the orderly way), then ends the local ssh client.
 */
import { randomBytes } from "node:crypto";
import { DEBIAN_PACKAGE, Kvm4nfvError } from "../errors.js";
import type { Child, Exec, RunOptions, RunResult, StartOptions } from "../exec.js";
import type { SshSession } from "./ssh.js";

const MISSING = "kvm4nfv-missing:";

/** Checks the tool is there, then replaces itself with it (so status and output are the tool's). */
const RUN = `command -v "$1" >/dev/null 2>&1 || { echo "${MISSING} $1" >&2; exit 127; }; exec "$@"`;

/**
 * $1 = run directory (created here), $2 = a scratch directory to remove when the tool had to be killed ("" for
 * none: after a normal end the caller still reads and removes it), the rest = argv of the tool.
 */
export const SUPERVISOR = [
  "d=$1; s=$2; shift 2",
  `for t in "$1" setsid; do command -v "$t" >/dev/null 2>&1 || { echo "${MISSING} $t" >&2; exit 127; }; done`,
  'mkdir -p -m 700 "$d" || exit 126',
  "exec 3<&0",
  'setsid "$@" </dev/null 3<&- &',
  "p=$!",
  'echo "$p" > "$d/pgid"',
  `( trap '' HUP INT TERM PIPE; cat <&3 >/dev/null 2>&1; if kill -0 -"$p" 2>/dev/null; then kill -TERM -"$p" 2>/dev/null; sleep 1; kill -KILL -"$p" 2>/dev/null; [ -n "$s" ] && rm -rf "$s"; fi; rm -f "$d/pgid"; rmdir "$d" 2>/dev/null ) >/dev/null 2>&1 </dev/null &`,
  "exec 3<&-",
  'wait "$p"; rc=$?',
  "exit $rc",
].join("\n");

export function missingTool(node: string, stderr: string): Kvm4nfvError | undefined {
  const m = new RegExp(`${MISSING} (\\S+)`).exec(stderr);
  if (!m) return undefined;
  const tool = m[1]!;
  const pkg = DEBIAN_PACKAGE[tool] ?? (tool === "setsid" ? "util-linux" : tool);
  return new Kvm4nfvError("TOOL_MISSING", `${tool} is not installed on node ${node}`, {
    hint: `on ${node} run: apt-get install ${pkg}`,
  });
}

export function newRunDir(): string {
  return `/tmp/kvm4nfv-run-${randomBytes(8).toString("hex")}`;
}

export class RemoteExec implements Exec {
  /** Run directories of the supervised children started (for tests that look on the node). */
  readonly runDirs: string[] = [];
  /** `scratch`: the caller's directory on the node, removed there if a tool has to be killed. */
  constructor(
    readonly session: SshSession,
    private readonly scratch = "",
  ) {}

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const r = await this.session.run(["sh", "-c", RUN, "sh", file, ...args], {
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    if (r.exitCode === 127) {
      const missing = missingTool(this.session.node.name, r.stderr);
      if (missing) throw missing;
    }
    if (!options.allowFailure && r.exitCode !== 0) {
      const last = r.stderr.trim().split("\n").pop() ?? "";
      throw new Kvm4nfvError(
        "TOOL_FAILED",
        `${file} on node ${this.session.node.name} exited with ${r.exitCode}${last ? `: ${last}` : ""}`,
      );
    }
    return { ...r, command: `${this.session.node.name}: ${r.command.split(" -- ").pop() ?? file}` };
  }

  start(file: string, args: readonly string[], _options: StartOptions = {}): Child {
    const dir = newRunDir();
    this.runDirs.push(dir);
    const inner = this.session.start([
      "sh",
      "-c",
      SUPERVISOR,
      "kvm4nfv-supervise",
      dir,
      this.scratch,
      file,
      ...args,
    ]);
    const node = this.session.node.name;
    const exited = inner.exited;
    return {
      pid: inner.pid,
      command: `${node}: ${[file, ...args].join(" ")}`,
      stdout: inner.stdout,
      stderr: inner.stderr,
      stdin: inner.stdin,
      onLine: inner.onLine,
      exited,
      async stop(graceMs = 3000) {
        // EOF on the watchdog's stdin: the node kills the group; then the channel closes by itself.
        inner.stdin?.end();
        const gone = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), graceMs)),
        ]);
        if (!gone) await inner.stop(1000);
      },
    };
  }

  /** Exec.which is synchronous and cannot ask a node: remote tools are checked when they start. */
  which(_file: string): string | undefined {
    return undefined;
  }
}
