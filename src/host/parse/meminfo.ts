/**
 * /proc/meminfo and /sys/devices/system/node/nodeN/meminfo ("Node 0 MemTotal:  123 kB"): key → number.
 * Values in kB stay in KiB; counts (HugePages_Total) stay counts.
 */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^(?:Node\s+\d+\s+)?([\w()]+):\s+(\d+)(?:\s*kB)?\s*$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}
