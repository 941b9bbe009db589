/** Small sysfs/procfs values and shell-variable files (/etc/default/*). Content in, value out. */

/** The trimmed content, or null for a missing file. */
export function value(text: string | undefined): string | null {
  if (text === undefined) return null;
  return text.trim();
}

/** The bracketed choice of a sysfs selector: "always madvise [never]" → "never"; a plain value is itself. */
export function selected(text: string | undefined): string | null {
  if (text === undefined) return null;
  const m = /\[([^\]]+)\]/.exec(text);
  if (m) return m[1]!.trim();
  const t = text.trim();
  return t === "" ? null : t;
}

/** Y/N, y/n, 1/0, on/off, true/false, enabled/disabled → boolean; anything else → null. */
export function bool(text: string | undefined): boolean | null {
  if (text === undefined) return null;
  const t = text.trim().toLowerCase();
  if (["y", "yes", "1", "on", "true", "enabled"].includes(t)) return true;
  if (["n", "no", "0", "off", "false", "disabled"].includes(t)) return false;
  return null;
}

/** A decimal integer (negative allowed, e.g. sched_rt_runtime_us = -1) or null. */
export function int(text: string | undefined): number | null {
  if (text === undefined) return null;
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : null;
}

/**
 * A shell-variable file such as /etc/default/grub: `KEY=value`, `KEY="value"`, `KEY='value'`, `export KEY=…`;
 * comments and anything else ignored. A key set twice keeps the last value, as the shell would.
 */
export function parseShellVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    if (v.startsWith('"')) {
      const end = v.lastIndexOf('"');
      v = end > 0 ? v.slice(1, end) : v.slice(1);
    } else if (v.startsWith("'")) {
      const end = v.lastIndexOf("'");
      v = end > 0 ? v.slice(1, end) : v.slice(1);
    } else {
      v = v.replace(/\s+#.*$/, "");
    }
    out[m[1]!] = v;
  }
  return out;
}
