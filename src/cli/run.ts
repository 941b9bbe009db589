/** Small helpers shared by the command files: printing and exit codes. Nothing heavy: this loads at start-up. */
import type { Outcome } from "../app/outcome.js";
import { escapeControls } from "../errors.js";

/** Print a command's output (text or JSON) to stdout; control sequences from what was read are escaped. */
export function print(output: string | object): void {
  const text = typeof output === "string" ? escapeControls(output) : JSON.stringify(output, null, 2);
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Set the exit code without exiting, so pending writes and child cleanup finish. */
export function setExit(code: number): void {
  process.exitCode = code;
}

/**
 * A handler's outcome (src/app/outcome.ts): notes to stderr, the output to stdout, then its error lines (a failed
 * pod node's) to stderr as they are, the exit code set.
 */
export function finish(o: Outcome): void {
  for (const note of o.notes) process.stderr.write(`kvm4nfv: note: ${note}\n`);
  if (o.output !== "") print(o.output);
  for (const e of o.errors ?? []) process.stderr.write(`${e}\n`);
  setExit(o.exitCode);
}

/** Progress lines of a long handler, to stderr. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
