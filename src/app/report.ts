/**
 * What `kvm4nfv report` does behind the CLI: load runs from the store, render, write the file. Options typed by
 * src/cli/report.ts's table.
 */
import { renameSync, writeFileSync } from "node:fs";
import type { ReportOpts } from "../cli/report.js";
import { Kvm4nfvError, UsageError } from "../errors.js";
import { renderReport } from "../report/html.js";
import { type Outcome, outcome } from "./outcome.js";
import { parseRunId, withStore } from "./results.js";

export function reportAction(ids: string[], opts: ReportOpts): Outcome<string> {
  checkReportPath(opts.output);
  const runIds = ids.map(parseRunId);
  const { html, source } = withStore(opts, (store) => ({
    html: renderReport(
      runIds.map((id) => store.getRun(id)),
      { source: store.path },
    ),
    source: store.path,
  }));
  writeReportFile(opts.output, html);
  return outcome(
    `wrote ${opts.output} (${runIds.length} run${runIds.length === 1 ? "" : "s"} from ${source}, ${Math.round(html.length / 1024)} KiB)`,
  );
}

/** Refuse a report path that is not .html before any work is done. */
export function checkReportPath(output: string): void {
  if (!output.endsWith(".html") && !output.endsWith(".htm")) {
    throw new UsageError(`-o ${output}: the report is HTML, give a file name ending in .html`);
  }
}

/** Write the report whole (a temp file renamed over the target), with one clear line when it cannot. */
export function writeReportFile(output: string, html: string): void {
  try {
    const tmp = `${output}.tmp-${process.pid}`;
    writeFileSync(tmp, html);
    renameSync(tmp, output);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT" || e.code === "EISDIR" || e.code === "ENOTDIR") {
      throw new UsageError(
        `cannot write ${output}: ${e.code === "ENOENT" ? "no such directory" : e.message}`,
      );
    }
    throw new Kvm4nfvError("PERMISSION", `cannot write ${output}: ${e.message}`, { cause: err });
  }
}
