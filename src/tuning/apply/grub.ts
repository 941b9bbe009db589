/**
 * /etc/default/grub: put the planned parameters into GRUB_CMDLINE_LINUX and keep every other parameter (a planned
 * key replaces an earlier value of the same key). Compared as sets so a second apply changes nothing.
 */
import { formatCmdline, parseCmdline } from "../plan-cmdline.js";

const LINE = /^GRUB_CMDLINE_LINUX=(["']?)(.*)\1\s*$/;

export function grubCmdline(text: string): string | null {
  let found: string | null = null;
  for (const line of text.split("\n")) {
    const m = LINE.exec(line);
    if (m) found = m[2]!;
  }
  return found;
}

function asSet(cmdline: string): Set<string> {
  return new Set(parseCmdline(cmdline).map((p) => (p.value === undefined ? p.key : `${p.key}=${p.value}`)));
}

/** Planned parameters the running (or configured) command line lacks. */
export function missingParams(planned: string, actual: string): string[] {
  const have = asSet(actual);
  return [...asSet(planned)].filter((p) => !have.has(p));
}

/** The new /etc/default/grub text, or the same text when it already carries every planned parameter. */
export function updateGrub(text: string, planned: string): string {
  const current = grubCmdline(text);
  if (current !== null && missingParams(planned, current).length === 0) return text;
  const keys = new Set(parseCmdline(planned).map((p) => p.key));
  const kept = parseCmdline(current ?? "").filter((p) => !keys.has(p.key));
  const merged = [formatCmdline(kept.map((p) => ({ ...p, why: "" }))), planned]
    .filter((s) => s !== "")
    .join(" ");
  const line = `GRUB_CMDLINE_LINUX="${merged}"`;
  if (current === null) return `${text.replace(/\n?$/, "\n")}${line}\n`;
  const lines = text.split("\n");
  let last = -1;
  lines.forEach((l, i) => {
    if (LINE.test(l)) last = i;
  });
  lines[last] = line;
  return lines.join("\n");
}
