/** Kernel .config text: `CONFIG_X=y|m|"string"|123` and `# CONFIG_X is not set` (→ "n"). */
export function parseKconfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const t = line.trim();
    const unset = /^#\s*(CONFIG_\w+) is not set$/.exec(t);
    if (unset) {
      out[unset[1]!] = "n";
      continue;
    }
    const set = /^(CONFIG_\w+)=(.*)$/.exec(t);
    if (!set) continue;
    let value = set[2]!.trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out[set[1]!] = value;
  }
  return out;
}
