/**
 * Yardstick renders every task file as a Jinja2 template with the task arguments (`--task-args` YAML/JSON,
 * `--task-args-file`) before reading it as YAML. kvm4nfv does the same with nunjucks (Jinja2's syntax), with
 * the two behaviours of Yardstick's TaskTemplate that task files rely on:
 *  - an undefined variable is an error (Yardstick refuses "Please specify template task argument: X");
 *    `{{ x | default(1) }}` and `{% set x = x or 1 %}` stay valid, as there;
 *  - a list or mapping argument renders as inline YAML (Yardstick's finalize_for_yaml), None as `~`.
 * Errors are one line naming the file, the line and the variable.
 */
import { readFileSync } from "node:fs";
import nunjucks from "nunjucks";
import { parse as parseYaml } from "yaml";
import { InputError } from "../errors.js";

export type TaskArgs = Record<string, unknown>;

/** Parse --task-args text (YAML or JSON, a mapping), as Yardstick's parse_task_args does. */
export function parseTaskArgs(text: string, source: string): TaskArgs {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputError("BAD_INPUT", `${source}: not YAML/JSON: ${firstLine(err)}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new InputError(
      "BAD_INPUT",
      `${source}: must be a mapping of names to values, e.g. '{"loops": 1000}'`,
    );
  }
  return doc as TaskArgs;
}

/** --task-args-file first, --task-args over it (Yardstick's order). */
export function collectTaskArgs(flags: {
  taskArgs?: string | undefined;
  taskArgsFile?: string | undefined;
}): TaskArgs {
  const args: TaskArgs = {};
  if (flags.taskArgsFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.taskArgsFile, "utf8");
    } catch (err) {
      throw new InputError(
        "BAD_INPUT",
        `--task-args-file ${flags.taskArgsFile}: ${(err as NodeJS.ErrnoException).code ?? "cannot read"}`,
      );
    }
    Object.assign(args, parseTaskArgs(text, `--task-args-file ${flags.taskArgsFile}`));
  }
  if (flags.taskArgs !== undefined) Object.assign(args, parseTaskArgs(flags.taskArgs, "--task-args"));
  return args;
}

function firstLine(err: unknown): string {
  return String((err as Error).message ?? err).split("\n")[0]!;
}

/** Values as Jinja2 prints them in Yardstick: containers as inline YAML (JSON is inline YAML), None as ~. */
function yamlish(value: unknown): unknown {
  if (value === null) return "~";
  if (Array.isArray(value) || (typeof value === "object" && value !== null)) {
    const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
      ? value.map(yamlish)
      : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, yamlish(v)]));
    Object.defineProperty(copy, "toString", { value: () => JSON.stringify(value), enumerable: false });
    return copy;
  }
  return value;
}

interface AstNode {
  typename: string;
  value?: unknown;
  lineno: number;
  fields?: string[];
  children?: AstNode[];
  [field: string]: unknown;
}

/** Names Jinja2/nunjucks provide themselves (Yardstick also let Python's builtins through). */
const PROVIDED = new Set([
  "range",
  "cycler",
  "joiner",
  "loop",
  "dict",
  "list",
  "int",
  "str",
  "float",
  "len",
  "bool",
  "True",
  "False",
  "None",
  "true",
  "false",
  "none",
]);

/**
 * Yardstick's TaskTemplate check: the variables the template reads that no argument gives, less those it
 * declares itself (`{% set x = … %}`, loop variables) and those with `| default(`. First use wins for the line.
 */
function missingVariables(text: string, args: TaskArgs): Array<{ name: string; line: number }> {
  // nunjucks exports its parser (the typings omit it)
  const parser = (
    nunjucks as unknown as { parser: { parse(src: string, ext: unknown[], opts: object): unknown } }
  ).parser;
  const root = parser.parse(text, [], {}) as AstNode;
  const declared = new Set<string>();
  const used: Array<{ name: string; line: number }> = [];
  const names = (n: unknown): string[] => {
    const node = n as AstNode | undefined;
    if (!node) return [];
    if (node.typename === "Symbol") return [String(node.value)];
    return (node.children ?? []).flatMap(names);
  };
  const walk = (n: unknown): void => {
    if (!n || typeof n !== "object") return;
    const node = n as AstNode;
    if (node.typename === "Set") {
      for (const t of (node.targets as AstNode[]) ?? []) for (const x of names(t)) declared.add(x);
      walk(node.value);
      walk(node.body);
      return;
    }
    if (node.typename === "For") {
      for (const x of names(node.name)) declared.add(x);
      walk(node.arr);
      walk(node.body);
      walk(node.else_);
      return;
    }
    if (node.typename === "Filter") {
      walk(node.args);
      return;
    }
    if (node.typename === "Symbol") used.push({ name: String(node.value), line: node.lineno + 1 });
    for (const c of node.children ?? []) walk(c);
    for (const f of node.fields ?? []) {
      if (f === "children") continue;
      const v = node[f];
      if (Array.isArray(v)) v.forEach(walk);
      else walk(v);
    }
  };
  walk(root);
  const seen = new Set<string>();
  return used.filter(({ name }) => {
    if (seen.has(name) || declared.has(name) || name in args || PROVIDED.has(name)) return false;
    seen.add(name);
    return !new RegExp(`${name}\\s*\\|\\s*default\\(`).test(text);
  });
}

export function renderTask(text: string, file: string, args: TaskArgs): string {
  // Yardstick's semantics: a variable nothing defines is an error before rendering; otherwise Jinja2's
  // default Undefined renders as "" (e.g. a {{x}} in a comment above its {% set x = x or … %}).
  const env = new nunjucks.Environment(null, { autoescape: false });
  const context = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, yamlish(v)]));
  let missing: Array<{ name: string; line: number }>;
  try {
    missing = missingVariables(text, args);
    if (missing.length === 0) return env.renderString(text, context);
  } catch (err) {
    const msg = String((err as Error).message ?? err);
    const pos = /\[Line (\d+), Column (\d+)\]/.exec(msg);
    const detail = msg.split("\n").slice(1).join(" ").trim() || msg;
    throw new InputError("BAD_INPUT", `${file}:${pos ? pos[1] : "?"}: template error: ${detail}`);
  }
  const first = missing[0]!;
  const all = missing.map((m) => `"${m.name}"`).join(", ");
  throw new InputError(
    "BAD_INPUT",
    `${file}:${first.line}: template variable${missing.length > 1 ? "s" : ""} ${all} ${missing.length > 1 ? "are" : "is"} not defined`,
    `give ${missing.length > 1 ? "them" : "it"} with --task-args '{"${first.name}": …}' or --task-args-file`,
  );
}
