/** Running the real CLI (bin/kvm4nfv.js, the built dist/) as an attacker would: argv, env, a hard time limit. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const BIN = join(import.meta.dirname, "../../bin/kvm4nfv.js");

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run kvm4nfv; a run that blocks is killed after `timeoutMs` (status null, signal SIGKILL): the test then fails. */
export function cli(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; umask?: string } = {},
): CliResult {
  const started = Date.now();
  const argv = options.umask
    ? ["sh", ["-c", `umask ${options.umask} && exec node "$0" "$@"`, BIN, ...args]]
    : ["node", [BIN, ...args]];
  const r = spawnSync(argv[0] as string, argv[1] as string[], {
    encoding: "utf8",
    timeout: options.timeoutMs ?? 30_000,
    killSignal: "SIGKILL",
    env: { ...process.env, ...options.env },
  });
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    ms: Date.now() - started,
  };
}
