/**
 * `kvm4nfv results import FILE…`: bring tool outputs measured elsewhere (cyclictest --json, -h histograms,
 * -q lines, oslat) into the store, so they can be compared and reported next to kvm4nfv's own runs. A
 * kvm4nfv JSON export (a RunRecord) is accepted too, to move runs between stores.
 *
 * Nothing about the host is known for a plain tool output: the environment is left null/unknown rather than
 * guessed from this machine. What the file itself cannot tell is stored as such (params.notes): a file in
 * nanoseconds (cyclictest -N) is stored in µs, threads whose CPU is unknown keep their thread number with
 * params.cpusKnown = false, a run without a histogram has no percentiles. The run's time is the tool's own
 * start_time/end_time when the file has them, else the file's modification time (params.timesFrom says which). The verdict is the SLA (default the seeds' min=50,avg=100,max=1000) applied to the
 * imported figures. All files are parsed before anything is saved: one bad file stores nothing.
 */
import { statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { InputError, Kvm4nfvError, UsageError } from "../errors.js";
import { READ_LIMITS, readBounded } from "../host/fs.js";
import { detectAndParse } from "../measure/parse/detect.js";
import { DEFAULT_SLA, evaluateSla, parseSla } from "../measure/sla.js";
import type { RunRecord, TestType } from "../measure/types.js";
import { type StoreOption, withStore } from "./store.js";

export interface ImportOptions extends StoreOption {
  label?: string | undefined;
  sla?: string | undefined;
  /** The command line the text files came from (their -N, -a, -h), for outputs that do not record it. */
  cmdline?: string | undefined;
}

function readInput(path: string): { content: string; mtime: Date } {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${path} is a directory; give the tool output files`);
    // non-blocking, regular files only, capped: a FIFO or /dev/zero is refused instead of hanging or filling memory
    return { content: readBounded(path, READ_LIMITS.toolOutput).toString("utf8"), mtime: st.mtime };
  } catch (err) {
    if (err instanceof Kvm4nfvError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT") throw new UsageError(`cannot import ${path}: no such file`);
    throw new InputError("BAD_INPUT", `cannot read ${path}: ${e.message}`);
  }
}

const TYPES: readonly TestType[] = ["timer", "oslat", "migration"];

/**
 * A kvm4nfv `results export --format json` file (one run, or an array of runs): checked just enough to be
 * stored and read back safely. Null when the file is not one, so the tool parsers get their turn.
 */
function asExportedRuns(name: string, content: string): RunRecord[] | null {
  const head = content.trimStart();
  if (!head.startsWith("{") && !head.startsWith("[")) return null;
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch {
    if (head.startsWith("[")) throw new InputError("BAD_INPUT", `${name}: not valid JSON`);
    return null; // let the tool parsers say what is wrong with it
  }
  if (Array.isArray(data)) {
    if (data.length === 0) throw new InputError("BAD_INPUT", `${name}: an empty list of runs`);
    return data.map((d, i) => {
      const run = asExportedRun(`${name} [${i}]`, d);
      if (!run) throw new InputError("BAD_INPUT", `${name} [${i}]: not a kvm4nfv run export`);
      return run;
    });
  }
  const run = asExportedRun(name, data);
  return run ? [run] : null;
}

function asExportedRun(name: string, data: unknown): RunRecord | null {
  const r = data as Partial<RunRecord>;
  if (typeof r !== "object" || r === null || !("verdict" in r) || !("environment" in r)) return null;
  const ok =
    TYPES.includes(r.type as TestType) &&
    typeof r.label === "string" &&
    typeof r.startedAt === "string" &&
    typeof r.endedAt === "string" &&
    Array.isArray(r.cpus) &&
    typeof r.metrics === "object" &&
    typeof r.params === "object" &&
    typeof r.raw === "object" &&
    typeof r.environment === "object" &&
    typeof r.verdict?.status === "string";
  if (!ok)
    throw new InputError("BAD_INPUT", `${name}: looks like a kvm4nfv run export but fields are missing`);
  return { ...(r as RunRecord), id: null };
}

/** The runs one file holds: one for a tool output, one or more for a kvm4nfv JSON export. */
export function buildImportedRuns(
  path: string,
  content: string,
  mtime: Date,
  options: { label?: string | undefined; sla?: string | undefined; cmdline?: string | undefined } = {},
): RunRecord[] {
  // errors name the file as the user gave it
  const exported = asExportedRuns(path, content);
  if (exported)
    return options.label ? exported.map((r) => ({ ...r, label: options.label as string })) : exported;
  return [buildImportedRun(path, content, mtime, options)];
}

export function buildImportedRun(
  path: string,
  content: string,
  mtime: Date,
  options: { label?: string | undefined; sla?: string | undefined; cmdline?: string | undefined } = {},
): RunRecord {
  const name = basename(path);
  const exported = asExportedRuns(path, content);
  if (exported?.length === 1) return options.label ? { ...exported[0]!, label: options.label } : exported[0]!;
  const parsed = detectAndParse(path, content, options.cmdline ? { cmdline: options.cmdline } : {});
  const limits = parseSla(options.sla ?? DEFAULT_SLA);
  const when = mtime.toISOString();
  const params: Record<string, unknown> = {
    importedFrom: resolve(path),
    format: parsed.format,
    // The tool's own start time when the file has one; else the modification time is the only clue.
    timesFrom: parsed.startedAt ? "the tool's start_time/end_time" : "file modification time",
    unitInFile: parsed.unit,
    cpusKnown: parsed.cpusKnown,
  };
  if (parsed.cmdline) params.cmdline = parsed.cmdline;
  if (parsed.notes.length) params.notes = parsed.notes;
  return {
    id: null,
    type: parsed.tool === "oslat" ? "oslat" : "timer",
    label: options.label ?? name.replace(/\.(json|txt|log|out)$/, ""),
    startedAt: parsed.startedAt ?? when,
    endedAt: parsed.endedAt ?? parsed.startedAt ?? when,
    params,
    environment: {
      hostname: null,
      kernelRelease: null,
      kernelCmdline: null,
      cpuModel: null,
      realtimeKernel: null,
      toolVersions: parsed.toolVersion ? { [parsed.tool]: parsed.toolVersion } : {},
      where: "host",
    },
    cpus: parsed.cpus,
    metrics: parsed.extra,
    raw: { [name]: content },
    verdict: judged(limits, parsed),
  };
}

/** The SLA verdict; where the file names threads only, the summary says "thread N", not "CPU N". */
function judged(limits: ReturnType<typeof parseSla>, parsed: ReturnType<typeof detectAndParse>) {
  const verdict = evaluateSla(limits, parsed.cpus);
  if (parsed.cpusKnown) return verdict;
  return { ...verdict, summary: verdict.summary.replace(/\bon CPU (\d+)/g, "on thread $1") };
}

export function importAction(files: string[], opts: ImportOptions): { text: string; exitCode: number } {
  const runs = files.flatMap((f) => {
    const { content, mtime } = readInput(f);
    return buildImportedRuns(f, content, mtime, opts).map((run) => ({ file: f, run }));
  });
  return withStore(opts, (store) => {
    const lines = runs.map(({ file, run }) => {
      const id = store.saveRun(run);
      const n = run.cpus.length;
      const what =
        run.params.cpusKnown === false
          ? `${n} thread${n === 1 ? "" : "s"}, CPUs unknown`
          : `${n} CPU${n === 1 ? "" : "s"}`;
      const notes = Array.isArray(run.params.notes) ? (run.params.notes as string[]) : [];
      return `imported ${file} as run ${id} (${run.type}, ${what}, ${run.verdict.status})${notes.map((x) => `\n  note: ${x}`).join("")}`;
    });
    return { text: lines.join("\n"), exitCode: 0 };
  });
}
