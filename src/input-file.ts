/** Reading a file the user named: its text, or one line saying why not (exit 2), named as the user gave it. */
import { readFileSync } from "node:fs";
import { InputError } from "./errors.js";

/** `label` names the file in the message ("--pod pod.yaml", "pod file pod.yaml"); hint is the error's hint. */
export function readInputFile(file: string, label: string = file, hint?: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      "BAD_INPUT",
      `${label}: ${code === "ENOENT" ? "no such file" : `cannot read (${code})`}`,
      hint,
    );
  }
}
