/**
 * The kernel command line, split the way the kernel's next_arg() does: whitespace separates arguments except
 * inside double quotes, `key=value` or bare `flag`, quotes around the value (or the whole argument) are
 * removed, and a lone `--` ends the kernel's parameters (everything after it goes to init).
 */

export interface CmdlineArg {
  key: string;
  /** null for a bare flag such as `quiet` */
  value: string | null;
}

export interface ParsedCmdline {
  /** every argument in order, repeated keys kept (hugepagesz=/hugepages= pairs depend on order) */
  args: CmdlineArg[];
  /** key → value, "" for a bare flag; a repeated key keeps the last value, as the kernel does */
  params: Record<string, string>;
  /** arguments after `--`, passed to init */
  init: string[];
}

function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inQuote = false;
  let started = false;
  for (const ch of text) {
    if (ch === '"') {
      inQuote = !inQuote;
      cur += ch;
      started = true;
    } else if (/\s/.test(ch) && !inQuote) {
      if (started) out.push(cur);
      cur = "";
      started = false;
    } else {
      cur += ch;
      started = true;
    }
  }
  if (started) out.push(cur);
  return out;
}

function unquote(s: string): string {
  let t = s;
  if (t.startsWith('"')) {
    t = t.slice(1);
    if (t.endsWith('"')) t = t.slice(0, -1);
  }
  return t;
}

export function parseCmdline(text: string): ParsedCmdline {
  const args: CmdlineArg[] = [];
  const params: Record<string, string> = {};
  const init: string[] = [];
  let afterDashes = false;
  for (const raw of splitArgs(text)) {
    if (afterDashes) {
      init.push(unquote(raw));
      continue;
    }
    if (raw === "--") {
      afterDashes = true;
      continue;
    }
    // A fully quoted argument ("a=b c") loses its outer quotes first, as next_arg() does.
    const whole = raw.startsWith('"') ? unquote(raw) : raw;
    const eq = whole.indexOf("=");
    const key = eq < 0 ? whole : whole.slice(0, eq);
    const value = eq < 0 ? null : unquote(whole.slice(eq + 1));
    if (key === "") continue;
    args.push({ key, value });
    params[key] = value ?? "";
  }
  return { args, params, init };
}

/** All values given for a key, in order (e.g. every `hugepagesz=`). */
export function allValues(parsed: ParsedCmdline, key: string): string[] {
  return parsed.args.filter((a) => a.key === key).map((a) => a.value ?? "");
}
