/** Small helpers shared by the command files: printing and exit codes. Nothing heavy: this loads at start-up. */
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
