/**
 * Export runs for other tools: JSON (the RunRecord itself), JUnit XML (CI dashboards: one testsuite per run,
 * one testcase per SLA limit, a failure when the limit broke) and InfluxDB line protocol (Grafana, as the
 * original KVM4NFV dispatched its Yardstick results). Pure functions returning text.
 */
import { UsageError } from "../errors.js";
import { PERCENTILE_KEYS, type RunRecord, type SlaLimit } from "../measure/types.js";
import { xmlEscape } from "../xml.js";
import { cpusKnown } from "./compare.js";

export type ExportFormat = "json" | "junit" | "influx";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["json", "junit", "influx"];

export function parseFormat(text: string): ExportFormat {
  if ((EXPORT_FORMATS as readonly string[]).includes(text)) return text as ExportFormat;
  throw new UsageError(`unknown export format "${text}": expected ${EXPORT_FORMATS.join(", ")}`);
}

export function exportRuns(runs: readonly RunRecord[], format: ExportFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(runs.length === 1 ? runs[0] : runs, null, 2)}\n`;
    case "junit":
      return toJunit(runs);
    case "influx":
      return toInflux(runs);
  }
}

// ---------------------------------------------------------------- JUnit

function seconds(run: RunRecord): string {
  const ms = Date.parse(run.endedAt) - Date.parse(run.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? (ms / 1000).toFixed(3) : "0";
}

function limitName(l: SlaLimit): string {
  return `${l.metric} <= ${l.limitUs} us`;
}

interface Case {
  name: string;
  failure?: string;
  error?: string;
}

function casesOf(run: RunRecord): Case[] {
  if (run.verdict.status === "error") return [{ name: "run completed", error: run.verdict.summary }];
  // Migration verdicts carry their ms limits in the µs-named SlaLimit fields, without saying which figure
  // each limit is for: one case carrying the verdict (its summary names what broke, in ms) is the honest form.
  if (run.verdict.limits.length === 0 || run.type === "migration") {
    return [
      run.verdict.status === "fail" ? { name: "verdict", failure: run.verdict.summary } : { name: "verdict" },
    ];
  }
  return run.verdict.limits.map((l) => {
    const b = run.verdict.breaches.find((x) => x.metric === l.metric && x.limitUs === l.limitUs);
    return b
      ? {
          name: limitName(l),
          failure: `${l.metric} ${b.observedUs} us > ${l.limitUs} us on ${cpusKnown(run) ? "CPU" : "thread"} ${b.cpu}`,
        }
      : { name: limitName(l) };
  });
}

function toJunit(runs: readonly RunRecord[]): string {
  const suites = runs.map((run) => ({ run, cases: casesOf(run) }));
  const count = (f: (c: Case) => boolean) => suites.reduce((n, s) => n + s.cases.filter(f).length, 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="kvm4nfv" tests="${count(() => true)}" failures="${count((c) => !!c.failure)}" errors="${count((c) => !!c.error)}">`,
  );
  for (const { run, cases } of suites) {
    const env = run.environment;
    const cls = xmlEscape(`kvm4nfv.${run.type}`);
    const attrs = [
      `name="${xmlEscape(`${run.type} ${run.label}${run.id === null ? "" : ` (run ${run.id})`}`)}"`,
      `tests="${cases.length}"`,
      `failures="${cases.filter((c) => c.failure).length}"`,
      `errors="${cases.filter((c) => c.error).length}"`,
      `timestamp="${xmlEscape(run.startedAt)}"`,
      `time="${seconds(run)}"`,
    ];
    if (env.hostname) attrs.push(`hostname="${xmlEscape(env.hostname)}"`);
    out.push(`  <testsuite ${attrs.join(" ")}>`);
    const props: Array<[string, string | null | undefined]> = [
      ["kernel", env.kernelRelease],
      ["cmdline", env.kernelCmdline],
      ["cpu_model", env.cpuModel],
      ["realtime_kernel", env.realtimeKernel === null ? null : String(env.realtimeKernel)],
      ["where", env.where],
      ["accelerator", env.accelerator],
      ...Object.entries(env.toolVersions).map(([k, v]): [string, string] => [`version.${k}`, v]),
    ];
    out.push("    <properties>");
    for (const [k, v] of props) {
      if (v !== null && v !== undefined)
        out.push(`      <property name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`);
    }
    out.push("    </properties>");
    for (const c of cases) {
      const head = `    <testcase classname="${cls}" name="${xmlEscape(c.name)}" time="0"`;
      if (c.failure) {
        out.push(`${head}>`);
        out.push(`      <failure type="sla" message="${xmlEscape(c.failure)}"/>`);
        out.push("    </testcase>");
      } else if (c.error) {
        out.push(`${head}>`);
        out.push(`      <error type="run" message="${xmlEscape(c.error)}"/>`);
        out.push("    </testcase>");
      } else out.push(`${head}/>`);
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------- InfluxDB line protocol
// Checked against a real InfluxDB 1.6 (Debian's influxdb, test/consumers/influx.test.ts): written through /write,
// read back through /query.

/**
 * A backslash InfluxDB 1.x cannot carry: one that ends the text or comes right before a character the line
 * protocol escapes. 1.x keeps other backslashes verbatim, but `\` then `,`, `=` or space reads as an escape and a
 * tag value ending in `\` is rejected however it is escaped ("invalid tag format", influxdata/influxdb#6154).
 * kvm4nfv writes such a backslash as `/` (the text stays readable and distinct from the one without it).
 */
const UNCARRIED_BACKSLASH = /\\(?=[,= ]|$)/g;

/** Measurement names: escape commas and spaces. */
export function influxMeasurement(text: string): string {
  return text
    .replace(/\r?\n/g, " ")
    .replace(UNCARRIED_BACKSLASH, "/")
    .replace(/[, ]/g, (c) => `\\${c}`);
}

/** Tag keys, tag values and field keys: escape commas, equals signs and spaces (newlines cannot be carried). */
export function influxKey(text: string): string {
  return text
    .replace(/\r?\n/g, " ")
    .replace(UNCARRIED_BACKSLASH, "/")
    .replace(/[,= ]/g, (c) => `\\${c}`);
}

/** String field values: double-quoted, escaping backslash and double quote. */
function influxString(text: string): string {
  return `"${text.replace(/\r?\n/g, " ").replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

type FieldValue = number | string | boolean | null | undefined;

/**
 * Fields that count things are integers (`i` suffix): samples, overflows, bytes, pages, passes. InfluxDB fixes a
 * field's type by the first point written to a shard and rejects later points of another type, so a field is an
 * integer by its name, never by whether this run's value happens to be whole.
 */
export function isCountField(name: string): boolean {
  return /^(samples|overflows|passes)$|_(bytes|pages|count)$/.test(name);
}

/** Counts as integers, other numbers as floats (non-finite ones are not representable and skipped), strings
 * quoted, booleans as true/false. */
function fieldSet(fields: Array<[string, FieldValue]>): string {
  return fields
    .filter(([, v]) =>
      typeof v === "number" ? Number.isFinite(v) : typeof v === "string" || typeof v === "boolean",
    )
    .map(([k, v]) => {
      let value: string;
      if (typeof v === "string") value = influxString(v);
      else if (typeof v === "number" && isCountField(k)) {
        if (!Number.isInteger(v)) return null; // a count that is not whole is not a count: not written as one
        value = `${v}i`;
      } else value = String(v);
      return `${influxKey(k)}=${value}`;
    })
    .filter((f) => f !== null)
    .join(",");
}

function tagSet(tags: Record<string, string | null | undefined>): string {
  // Sorted by key, as InfluxDB recommends; empty tag values are invalid and left out.
  return Object.keys(tags)
    .sort()
    .map((k): [string, string] => [influxKey(k), influxKey(tags[k] ?? "")])
    .filter(([, v]) => v !== "")
    .map(([k, v]) => `,${k}=${v}`)
    .join("");
}

function timestampNs(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new UsageError(`run start time "${iso}" is not an ISO-8601 time`);
  return (BigInt(ms) * 1_000_000n).toString();
}

function toInflux(runs: readonly RunRecord[]): string {
  const lines: string[] = [];
  for (const run of runs) {
    const measurement = influxMeasurement(`kvm4nfv_${run.type}`);
    const ts = timestampNs(run.startedAt);
    // The run id is a tag: two runs with the same start time, host and label stay two series, never one point
    // overwriting the other.
    const base = {
      host: run.environment.hostname,
      test: run.type,
      label: run.label,
      run: run.id === null ? null : String(run.id),
    };
    for (const c of run.cpus) {
      const fields = fieldSet([
        ["min", c.minUs],
        ["avg", c.avgUs],
        ["max", c.maxUs],
        ["samples", c.samples],
        ["overflows", c.overflows],
        ...PERCENTILE_KEYS.map((k): [string, number | undefined] => [k, c.percentiles[k]?.valueUs]),
        // A percentile beyond the histogram is only a lower bound: say so next to the value.
        ...PERCENTILE_KEYS.filter((k) => c.percentiles[k]?.inOverflow).map((k): [string, boolean] => [
          `${k}_lower_bound`,
          true,
        ]),
      ]);
      // A run that names threads only is tagged by thread: its CPU is unknown, never written as a CPU.
      const where = cpusKnown(run) ? { cpu: String(c.cpu) } : { thread: String(c.thread) };
      lines.push(`${measurement}${tagSet({ ...base, ...where })} ${fields} ${ts}`);
    }
    const metricFields = fieldSet(Object.entries(run.metrics));
    if (metricFields) lines.push(`${measurement}${tagSet(base)} ${metricFields} ${ts}`);
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}
