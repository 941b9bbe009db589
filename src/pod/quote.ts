/**
 * The one quoting function for remote shells. ssh hands the remote side a single string, which the node's
 * login shell parses; every argv kvm4nfv sends to a node goes through shJoin, so no input is ever parsed as
 * shell syntax there. Single quotes keep every byte literally in POSIX sh (dash, bash, busybox ash); the only
 * byte that cannot appear inside them is the single quote itself, written as '\'' (close, escaped, reopen).
 * NUL cannot travel in an argv at all and is refused.
 */
import { UsageError } from "../errors.js";

export function shQuote(arg: string): string {
  if (arg.includes("\0")) throw new UsageError("an argument for the remote shell contains a NUL byte");
  // Plain words stay readable in logs; everything else is single-quoted.
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/** argv → one command string that a POSIX shell splits back into exactly these words. */
export function shJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new UsageError("empty remote command");
  return argv.map(shQuote).join(" ");
}
