/**
 * What `kvm4nfv results …` does, behind the CLI: parse the user's ids and values, open the store, and return
 * the text to print. The CLI file only declares flags and prints what these return; options typed by its tables.
 */
import type {
  ResultsCompareOpts,
  ResultsExportOpts,
  ResultsImportOpts,
  ResultsListOpts,
  ResultsShowOpts,
} from "../cli/results.js";
import { UsageError } from "../errors.js";
import { formatForwardingRuns } from "../measure/forwarding/format.js";
import type { TestType } from "../measure/types.js";
import { compareRuns, DEFAULT_THRESHOLD_PCT, parseThreshold } from "../results/compare.js";
import { exportRuns, parseFormat } from "../results/export.js";
import { formatComparison, formatRun, formatRunList } from "../results/format.js";
import type { ImportOptions } from "../results/import.js";
import { type StoreOption, withStore } from "../results/store.js";
import { parsePositiveInt } from "../units.js";
import type { Outcome as AppOutcome, KeysMatch, SameKeys } from "./outcome.js";

/** `results import`'s table names exactly the importer's options (src/results/import.ts), or this does not build. */
export type ImportFlagsMatch = KeysMatch<SameKeys<ResultsImportOpts, ImportOptions>>;

export { type StoreOption, withStore };

/** The text to print and the exit code to leave (1 when a comparison found regressions). */
export type Outcome = AppOutcome<string>;

export function parseRunId(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(
      `bad run id "${text}": expected a positive whole number, as \`kvm4nfv results list\` shows`,
    );
  }
  return Number(text);
}

const TYPES: readonly TestType[] = [
  "timer",
  "oslat",
  "migration",
  "forwarding",
  "timerlat",
  "osnoise",
  "hwlat",
  "irq",
];

function parseType(text: string | undefined): TestType | undefined {
  if (text === undefined) return undefined;
  if ((TYPES as readonly string[]).includes(text)) return text as TestType;
  throw new UsageError(`unknown run type "${text}": expected ${TYPES.join(", ")}`);
}

function parseLimit(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parsePositiveInt(text, "--limit", [1, Number.MAX_SAFE_INTEGER]);
}

export function listAction(opts: ResultsListOpts): Outcome {
  const type = parseType(opts.type);
  const limit = parseLimit(opts.limit);
  return withStore(opts, (store) => {
    const runs = store.listRuns({
      ...(type ? { type } : {}),
      ...(limit ? { limit } : {}),
      ...(opts.node !== undefined ? { node: opts.node } : {}),
    });
    return {
      output: opts.json ? JSON.stringify(runs, null, 2) : formatRunList(runs),
      exitCode: 0,
      notes: [],
    };
  });
}

export function showAction(id: string, opts: ResultsShowOpts): Outcome {
  const runId = parseRunId(id);
  return withStore(opts, (store) => {
    const run = store.getRun(runId);
    return { output: opts.json ? JSON.stringify(run, null, 2) : formatRun(run), exitCode: 0, notes: [] };
  });
}

export function compareAction(a: string, b: string, opts: ResultsCompareOpts): Outcome {
  const idA = parseRunId(a);
  const idB = parseRunId(b);
  const thresholdPct = opts.threshold === undefined ? DEFAULT_THRESHOLD_PCT : parseThreshold(opts.threshold);
  return withStore(opts, (store) => {
    const [runA, runB] = [store.getRun(idA), store.getRun(idB)];
    const c = compareRuns(runA, runB, { thresholdPct });
    // Forwarding runs: throughput and latency of both, side by side, above the metric-by-metric comparison.
    const fw =
      runA.type === "forwarding" && runB.type === "forwarding"
        ? `${formatForwardingRuns([runA, runB])}\n\n`
        : "";
    return {
      output: opts.json ? JSON.stringify(c, null, 2) : fw + formatComparison(c),
      exitCode: c.regressions > 0 ? 1 : 0,
      notes: [],
    };
  });
}

export function exportAction(ids: string[], opts: ResultsExportOpts): Outcome {
  const format = parseFormat(opts.format ?? "json");
  const runIds = ids.map(parseRunId);
  return withStore(opts, (store) => ({
    output: exportRuns(
      runIds.map((id) => store.getRun(id)),
      format,
    ),
    exitCode: 0,
    notes: [],
  }));
}

/** `results import`: the importer (src/results/import.ts) under the handler contract. */
export async function importResults(files: string[], opts: ResultsImportOpts): Promise<Outcome> {
  const { importAction } = await import("../results/import.js");
  const { text, exitCode } = importAction(files, opts);
  return { output: text, exitCode, notes: [] };
}
