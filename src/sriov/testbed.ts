/**
 * The SR-IOV document's testbed.py stanza (§3.A1):
 *   env.sriov = { host1: [{'interface': 'eth0', 'VF': 7, 'physnets': ['physnet1']}, …], … }
 * parsed as a literal, never executed: a tiny tokenizer/parser for dicts, lists, strings, integers, True/False/
 * None, with bare names allowed only as the host keys (testbed.py uses host variables such as host1 there).
 * Anything else (a call, an operator, an attribute, a comprehension) is refused with its line.
 */
import { InputError } from "../errors.js";
import type { SriovItem } from "./request.js";

type Lit = string | number | boolean | null | Lit[] | { [k: string]: Lit } | { name: string };

interface Tok {
  t: "str" | "num" | "name" | "punct";
  v: string;
  line: number;
}

function tokenize(src: string, where: string, firstLine: number): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = firstLine;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === "#") while (i < src.length && src[i] !== "\n") i++;
    else if (c === "'" || c === '"') {
      let j = i + 1;
      let s = "";
      while (j < src.length && src[j] !== c) {
        if (src[j] === "\\") {
          s += src[j + 1] ?? "";
          j += 2;
        } else if (src[j] === "\n") break;
        else s += src[j++];
      }
      if (src[j] !== c) throw new InputError("BAD_INPUT", `${where}:${line}: unterminated string`);
      toks.push({ t: "str", v: s, line });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+/.exec(src.slice(i)) as RegExpExecArray;
      toks.push({ t: "num", v: m[0], line });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i)) as RegExpExecArray;
      toks.push({ t: "name", v: m[0], line });
      i += m[0].length;
    } else if ("{}[]:,".includes(c)) {
      toks.push({ t: "punct", v: c, line });
      i++;
    } else
      throw new InputError(
        "BAD_INPUT",
        `${where}:${line}: "${c}" is not allowed in env.sriov (literals only)`,
      );
  }
  return toks;
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly where: string,
  ) {}
  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private fail(msg: string, tok = this.peek()): never {
    throw new InputError("BAD_INPUT", `${this.where}:${tok?.line ?? "end"}: ${msg}`);
  }
  private expect(v: string): void {
    const t = this.toks[this.i++];
    if (t?.t !== "punct" || t.v !== v) this.fail(`expected "${v}"${t ? `, found "${t.v}"` : ""}`, t);
  }
  value(allowName = false): Lit {
    const t = this.toks[this.i++];
    if (!t) return this.fail("unexpected end of env.sriov");
    if (t.t === "str") return t.v;
    if (t.t === "num") return Number(t.v);
    if (t.t === "name") {
      if (t.v === "True") return true;
      if (t.v === "False") return false;
      if (t.v === "None") return null;
      const next = this.peek();
      if (next && next.t === "punct" && !",:]}".includes(next.v))
        this.fail(`"${t.v}${next.v}…" is not a literal`, t);
      if (next && next.t !== "punct") this.fail(`"${t.v} ${next.v}" is not a literal`, t);
      if (!allowName) this.fail(`"${t.v}" is a name, not a literal (names are allowed only as host keys)`, t);
      return { name: t.v };
    }
    if (t.v === "[") {
      const out: Lit[] = [];
      while (this.peek()?.v !== "]") {
        out.push(this.value());
        if (this.peek()?.v === ",") this.i++;
        else if (this.peek()?.v !== "]") this.fail("expected , or ]");
      }
      this.i++;
      return out;
    }
    if (t.v === "{") {
      const out: { [k: string]: Lit } = {};
      while (this.peek()?.v !== "}") {
        const k = this.value(true);
        const key =
          typeof k === "string"
            ? k
            : typeof k === "object" && k !== null && "name" in k
              ? (k as { name: string }).name
              : null;
        if (key === null) this.fail("a dict key must be a string or a host name", t);
        this.expect(":");
        out[key] = this.value();
        if (this.peek()?.v === ",") this.i++;
        else if (this.peek()?.v !== "}") this.fail("expected , or }");
      }
      this.i++;
      return out;
    }
    return this.fail(`unexpected "${t.v}"`, t);
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
}

/** The text right of `env.sriov =` up to its balanced closing brace. */
function extractStanza(src: string, where: string): { text: string; line: number } {
  const m = /^[ \t]*env\.sriov[ \t]*=[ \t]*/m.exec(src);
  if (!m) throw new InputError("BAD_INPUT", `${where}: no env.sriov = {…} stanza`);
  const start = m.index + m[0].length;
  let depth = 0;
  let quote: string | null = null;
  for (let j = start; j < src.length; j++) {
    const c = src[j];
    if (quote) {
      if (c === "\\") j++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#") while (j < src.length && src[j] !== "\n") j++;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return { text: src.slice(start, j + 1), line: src.slice(0, start).split("\n").length };
    } else if (depth === 0 && c !== undefined && !/\s/.test(c)) {
      throw new InputError("BAD_INPUT", `${where}: env.sriov must be a literal dict`);
    }
  }
  throw new InputError("BAD_INPUT", `${where}: env.sriov is not closed`);
}

export function parseTestbed(src: string, where: string): Map<string, SriovItem[]> {
  const { text, line } = extractStanza(src, where);
  const toks = tokenize(text, where, line);
  const p = new Parser(toks, where);
  const v = p.value();
  if (!p.done()) throw new InputError("BAD_INPUT", `${where}: trailing text after env.sriov`);
  if (typeof v !== "object" || v === null || Array.isArray(v) || "name" in v)
    throw new InputError("BAD_INPUT", `${where}: env.sriov must be a dict of host → list`);
  const out = new Map<string, SriovItem[]>();
  for (const [host, list] of Object.entries(v as Record<string, Lit>)) {
    if (!Array.isArray(list))
      throw new InputError("BAD_INPUT", `${where}: env.sriov[${host}] must be a list`);
    out.set(
      host,
      list.map((e, k) => {
        const d = e as Record<string, Lit>;
        const iface = d?.interface;
        const vf = d?.VF;
        const physnets = d?.physnets;
        if (
          typeof iface !== "string" ||
          typeof vf !== "number" ||
          !Array.isArray(physnets) ||
          !physnets.every((x) => typeof x === "string") ||
          physnets.length === 0
        )
          throw new InputError(
            "BAD_INPUT",
            `${where}: env.sriov[${host}][${k}] needs 'interface' (string), 'VF' (integer) and 'physnets' (list of strings)`,
          );
        return { iface, vfs: vf, physnets: physnets as string[], deviceType: "netdevice" as const };
      }),
    );
  }
  return out;
}
