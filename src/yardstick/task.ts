/**
 * A Yardstick task file (schema "yardstick:task:0.1"), rendered and read: scenarios of the two types KVM4NFV
 * used (Cyclictest, QemuMigrate) with their options, host, runner, SLA and setup sequences, and the Node
 * context that names the pod file. Everything is checked before anything runs; each problem is one line
 * naming the file, the line and the key (exit 2).
 */
import { basename, extname } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { InputError } from "../errors.js";

export const SCHEMA = "yardstick:task:0.1";
export const SCENARIO_TYPES = ["Cyclictest", "QemuMigrate"] as const;
export type ScenarioType = (typeof SCENARIO_TYPES)[number];

export type Runner =
  | { type: "Duration"; durationS: number; intervalS: number }
  | { type: "Iteration"; iterations: number; intervalS: number };

export interface Sla {
  /** Yardstick's keys as written (max_min_latency, max_totaltime, …) with their values. */
  limits: Record<string, number>;
  action: "monitor" | "assert";
}

export interface Scenario {
  index: number;
  line: number;
  type: ScenarioType;
  options: Record<string, unknown>;
  /** `host: NODE.CONTEXT` */
  host: { node: string; context: string; line: number } | null;
  runner: Runner;
  tc: string | null;
  sla: Sla | null;
  hostSetup: Array<{ script: string; line: number }>;
  guestSetup: Array<{ script: string; line: number }>;
}

export interface NodeContext {
  name: string;
  file: string;
  line: number;
  teardown: Array<{ node: string; script: string; line: number }>;
}

export interface Task {
  file: string;
  /** The task's name as Yardstick derives it: the file's basename without extension. */
  name: string;
  scenarios: Scenario[];
  contexts: NodeContext[];
  /** Free metadata (kvm4nfv's `scenario: os-…` deploy-scenario name, when the file or --scenario gives one). */
  deployScenario: string | null;
}

const CYCLICTEST_OPTIONS = [
  "affinity",
  "breaktrace",
  "interval",
  "priority",
  "loops",
  "threads",
  "histogram",
];
const MIGRATE_OPTIONS = [
  "smp",
  "migrate_to_port",
  "incoming_ip",
  "qmp_src_path",
  "qmp_dst_path",
  "max_down_time",
];
export const SLA_KEYS: Record<ScenarioType, string[]> = {
  Cyclictest: ["max_min_latency", "max_avg_latency", "max_max_latency"],
  QemuMigrate: ["max_totaltime", "max_downtime", "max_setuptime"],
};

class Reader {
  readonly lines = new LineCounter();
  constructor(readonly file: string) {}
  line(node: unknown): number {
    const range = (node as Node | undefined)?.range;
    return range ? this.lines.linePos(range[0]).line : 1;
  }
  fail(node: unknown, key: string, what: string, hint?: string): never {
    throw new InputError("BAD_INPUT", `${this.file}:${this.line(node)}: ${key}: ${what}`, hint);
  }
}

function get(map: Node | null | undefined, key: string): Node | undefined {
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && String(pair.key.value) === key) return (pair.value as Node | null) ?? undefined;
  }
  return undefined;
}

function scalar(node: Node | undefined): unknown {
  return isScalar(node) ? node.value : undefined;
}

function num(
  r: Reader,
  node: Node | undefined,
  key: string,
  opts: { min?: number; int?: boolean } = {},
): number {
  const v = scalar(node);
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) r.fail(node, key, `expected a number, got ${JSON.stringify(v ?? null)}`);
  if (opts.int && !Number.isInteger(n)) r.fail(node, key, `expected a whole number, got ${n}`);
  if (opts.min !== undefined && n < opts.min) r.fail(node, key, `must be at least ${opts.min}, got ${n}`);
  return n;
}

function str(r: Reader, node: Node | undefined, key: string): string {
  const v = scalar(node);
  if (typeof v !== "string" && typeof v !== "number") r.fail(node, key, "expected a string");
  return String(v);
}

/** Apply `--set a.b.0.c=VALUE` overrides (VALUE read as YAML) to the parsed document. */
function applySets(doc: ReturnType<typeof parseDocument>, file: string, sets: readonly string[]): void {
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0)
      throw new InputError(
        "BAD_INPUT",
        `--set ${s}: expected PATH=VALUE, e.g. scenarios.0.options.loops=1000`,
      );
    const path = s
      .slice(0, eq)
      .split(".")
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    if (!isMap(parent) && !isSeq(parent)) {
      throw new InputError(
        "BAD_INPUT",
        `--set ${s}: ${file} has no ${path.slice(0, -1).join(".") || "top level"} to set it in`,
      );
    }
    doc.setIn(path, doc.createNode(parseDocument(s.slice(eq + 1)).toJS()));
  }
}

export function readTask(rendered: string, file: string, sets: readonly string[] = []): Task {
  const r: Reader = new Reader(file);
  const doc = parseDocument(rendered, { lineCounter: r.lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? r.lines.linePos(e.pos[0]).line;
    throw new InputError("BAD_INPUT", `${file}:${line}: YAML syntax error: ${e.message.split("\n")[0]}`);
  }
  if (sets.length) applySets(doc, file, sets);
  const root = doc.contents as Node | null;
  if (!isMap(root))
    r.fail(root, "(top level)", "a Yardstick task is a mapping with schema, scenarios and context");
  const schema = get(root, "schema");
  if (scalar(schema) !== SCHEMA) {
    r.fail(schema ?? root, "schema", `expected "${SCHEMA}", got ${JSON.stringify(scalar(schema) ?? null)}`);
  }
  const list = get(root, "scenarios");
  if (!isSeq(list) || list.items.length === 0)
    r.fail(list ?? root, "scenarios", "expected a list of scenarios");
  // The scenario types first: a task of another type is refused for its type, whatever its context is.
  list.items.forEach((item, i) => {
    const typeNode = get(item as Node, "type");
    const type = scalar(typeNode);
    if (!SCENARIO_TYPES.includes(type as ScenarioType)) {
      r.fail(
        typeNode ?? (item as Node),
        `scenarios.${i}.type`,
        `scenario type ${JSON.stringify(type ?? null)} is not supported (kvm4nfv runs ${SCENARIO_TYPES.join(" and ")})`,
      );
    }
  });
  const contexts = readContexts(r, root);
  const scenarios = list.items.map((item, i) => readScenario(r, item as Node, i, contexts));
  const meta = scalar(get(root, "scenario"));
  return {
    file,
    name: basename(file, extname(file)),
    scenarios,
    contexts,
    deployScenario: typeof meta === "string" ? meta : null,
  };
}

function readContexts(r: Reader, root: Node): NodeContext[] {
  const one = get(root, "context");
  const many = get(root, "contexts");
  const nodes: Node[] = one ? [one] : isSeq(many) ? (many.items as Node[]) : [];
  return nodes.map((c, i) => {
    const key = one ? "context" : `contexts.${i}`;
    const type = scalar(get(c, "type"));
    if (type !== "Node") {
      r.fail(
        get(c, "type") ?? c,
        `${key}.type`,
        `context type ${JSON.stringify(type ?? "Heat (Yardstick's default)")} is not supported: kvm4nfv runs Node contexts (file: pod.yaml)`,
      );
    }
    const name = str(r, get(c, "name"), `${key}.name`);
    const file = str(r, get(c, "file"), `${key}.file`);
    const teardown: NodeContext["teardown"] = [];
    const td = get(get(c, "env"), "teardown");
    if (td !== undefined) {
      if (!isSeq(td)) r.fail(td, `${key}.env.teardown`, "expected a list of {NODE: {script: FILE}}");
      td.items.forEach((item, j) => {
        if (!isMap(item)) r.fail(item, `${key}.env.teardown.${j}`, "expected {NODE: {script: FILE}}");
        for (const pair of item.items) {
          const node = String((pair.key as { value?: unknown }).value);
          const script = get(pair.value as Node, "script");
          teardown.push({
            node,
            script: str(r, script, `${key}.env.teardown.${j}.${node}.script`),
            line: r.line(script),
          });
        }
      });
    }
    return { name, file, line: r.line(c), teardown };
  });
}

function readSeqs(
  r: Reader,
  setup: Node | undefined,
  key: string,
  base: string,
): Array<{ script: string; line: number }> {
  const seq = get(setup, key);
  if (seq === undefined) return [];
  if (!isSeq(seq)) r.fail(seq, `${base}.${key}`, "expected a list of script names");
  return seq.items.map((s, j) => ({
    script: str(r, s as Node, `${base}.${key}.${j}`).trim(),
    line: r.line(s),
  }));
}

function readScenario(r: Reader, node: Node, i: number, contexts: NodeContext[]): Scenario {
  const base = `scenarios.${i}`;
  if (!isMap(node)) r.fail(node, base, "expected a mapping");
  const typeNode = get(node, "type");
  const type = scalar(typeNode);
  if (!SCENARIO_TYPES.includes(type as ScenarioType)) {
    r.fail(
      typeNode ?? node,
      `${base}.type`,
      `scenario type ${JSON.stringify(type ?? null)} is not supported (kvm4nfv runs ${SCENARIO_TYPES.join(" and ")})`,
    );
  }
  const t = type as ScenarioType;
  const options: Record<string, unknown> = {};
  const opts = get(node, "options");
  if (opts !== undefined && !isMap(opts)) r.fail(opts, `${base}.options`, "expected a mapping");
  const known = t === "Cyclictest" ? CYCLICTEST_OPTIONS : MIGRATE_OPTIONS;
  for (const pair of isMap(opts) ? opts.items : []) {
    const k = String((pair.key as { value?: unknown }).value);
    if (!known.includes(k))
      r.fail(pair.key, `${base}.options.${k}`, `not an option of ${t} (${known.join(", ")})`);
    const v = pair.value as Node;
    options[k] = k.startsWith("qmp_")
      ? str(r, v, `${base}.options.${k}`)
      : num(r, v, `${base}.options.${k}`, { min: 0 });
  }
  let host: Scenario["host"] = null;
  const hostNode = get(node, "host");
  if (hostNode !== undefined) {
    const h = str(r, hostNode, `${base}.host`);
    const dot = h.lastIndexOf(".");
    if (dot <= 0) r.fail(hostNode, `${base}.host`, `expected NODE.CONTEXT (e.g. kvm.LF), got "${h}"`);
    const ctx = h.slice(dot + 1);
    if (!contexts.some((c) => c.name === ctx)) {
      r.fail(
        hostNode,
        `${base}.host`,
        `"${h}" names context "${ctx}", and the task defines ${contexts.map((c) => `"${c.name}"`).join(", ") || "no context"}`,
      );
    }
    host = { node: h.slice(0, dot), context: ctx, line: r.line(hostNode) };
  }
  const runnerNode = get(node, "runner");
  let runner: Runner = { type: "Duration", durationS: 60, intervalS: 1 };
  if (runnerNode !== undefined) {
    const rt = scalar(get(runnerNode, "type"));
    const interval = get(runnerNode, "interval");
    const intervalS = interval === undefined ? 1 : num(r, interval, `${base}.runner.interval`, { min: 0 });
    if (rt === "Duration") {
      const d = get(runnerNode, "duration");
      runner = {
        type: "Duration",
        durationS: d === undefined ? 60 : num(r, d, `${base}.runner.duration`, { min: 0 }),
        intervalS,
      };
    } else if (rt === "Iteration") {
      const it = get(runnerNode, "iterations");
      runner = {
        type: "Iteration",
        iterations: it === undefined ? 1 : num(r, it, `${base}.runner.iterations`, { min: 1, int: true }),
        intervalS,
      };
    } else {
      r.fail(
        get(runnerNode, "type") ?? runnerNode,
        `${base}.runner.type`,
        `runner ${JSON.stringify(rt ?? null)} is not supported (Duration, Iteration)`,
      );
    }
  }
  let sla: Sla | null = null;
  const slaNode = get(node, "sla");
  if (slaNode !== undefined) {
    if (!isMap(slaNode)) r.fail(slaNode, `${base}.sla`, "expected a mapping");
    const limits: Record<string, number> = {};
    let action: Sla["action"] = "assert"; // Yardstick's default when sla has no action
    for (const pair of slaNode.items) {
      const k = String((pair.key as { value?: unknown }).value);
      if (k === "action") {
        const a = scalar(pair.value as Node);
        if (a !== "monitor" && a !== "assert")
          r.fail(pair.value, `${base}.sla.action`, `expected monitor or assert, got ${JSON.stringify(a)}`);
        action = a;
      } else if (SLA_KEYS[t].includes(k)) {
        limits[k] = num(r, pair.value as Node, `${base}.sla.${k}`, { min: 0 });
      } else {
        r.fail(pair.key, `${base}.sla.${k}`, `not an SLA of ${t} (${SLA_KEYS[t].join(", ")}, action)`);
      }
    }
    sla = { limits, action };
  }
  const setup = get(node, "setup_options");
  const tc = scalar(get(node, "tc"));
  return {
    index: i,
    line: r.line(node),
    type: t,
    options,
    host,
    runner,
    tc: typeof tc === "string" ? tc : null,
    sla,
    hostSetup: readSeqs(r, setup, "host_setup_seqs", `${base}.setup_options`),
    guestSetup: readSeqs(r, setup, "guest_setup_seqs", `${base}.setup_options`),
  };
}
