/**
 * Comparing a kernel file's current text with a planned value by meaning: the kernel prints one set in several
 * spellings (masks with or without leading zero groups), THP shows every choice with the selected one in brackets,
 * and sysctls end with a newline. A second apply must see "already done" in all of these.
 */
import { parseCpuList, parseCpuMask, sameCpus } from "../../host/parse/cpulist.js";
import type { Compare } from "../plan-types.js";

/** "always madvise [never]" → "never"; anything else: trimmed. */
export function selectedValue(text: string): string {
  const m = /\[([^\]]+)\]/.exec(text);
  return (m ? m[1]! : text).trim();
}

export function sameValue(
  compare: Compare,
  current: string,
  desired: string,
  accept?: readonly string[],
): boolean {
  const cur = compare === "selected" ? selectedValue(current) : current.trim();
  if (accept?.includes(cur)) return true;
  try {
    switch (compare) {
      case "int":
        return cur !== "" && Number(cur) === Number(desired.trim());
      case "min":
        return cur !== "" && Number(cur) >= Number(desired.trim());
      case "cpulist":
        return sameCpus(parseCpuList(cur), parseCpuList(desired));
      case "cpumask":
        return sameCpus(parseCpuMask(cur), parseCpuMask(desired));
      default:
        return cur === desired.trim();
    }
  } catch {
    // an unreadable current value is simply "not what we want"
    return false;
  }
}

/** Kernel files: never created by apply, and answer writes with errno values of their own. */
export function isKernelPath(path: string): boolean {
  return path.startsWith("/proc/") || path.startsWith("/sys/");
}

/** Set KEY=value lines in a shell-style config file; other lines (comments included) stay as they are. */
export function setKeys(text: string, keys: Record<string, string>): string {
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  for (const [key, value] of Object.entries(keys)) {
    const line = `${key}=${value}`;
    const at = lines.findIndex((l) => l.startsWith(`${key}=`));
    if (at >= 0) lines[at] = line;
    else lines.push(line);
  }
  return `${lines.join("\n")}\n`;
}
