/** Small helpers shared by the command files: printing and exit codes. Nothing heavy: this loads at start-up. */

/** Print a command's output (text or JSON) to stdout. */
export function print(output: string | object): void {
  const text = typeof output === "string" ? output : JSON.stringify(output, null, 2);
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Set the exit code without exiting, so pending writes and child cleanup finish. */
export function setExit(code: number): void {
  process.exitCode = code;
}
