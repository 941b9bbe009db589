/** What `kvm4nfv report` does behind the CLI: load runs from the store, render, write the file. */
import { writeFileSync } from "node:fs";
import { Kvm4nfvError, UsageError } from "../errors.js";
import { parseRunId, withStore } from "../results/actions.js";
import { renderReport } from "./html.js";

export function reportAction(ids: string[], opts: { output: string; store?: string | undefined }): string {
  if (!opts.output.endsWith(".html") && !opts.output.endsWith(".htm")) {
    throw new UsageError(`-o ${opts.output}: the report is HTML, give a file name ending in .html`);
  }
  const runIds = ids.map(parseRunId);
  const { html, source } = withStore(opts, (store) => ({
    html: renderReport(
      runIds.map((id) => store.getRun(id)),
      { source: store.path },
    ),
    source: store.path,
  }));
  try {
    writeFileSync(opts.output, html);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT" || e.code === "EISDIR" || e.code === "ENOTDIR") {
      throw new UsageError(
        `cannot write ${opts.output}: ${e.code === "ENOENT" ? "no such directory" : e.message}`,
      );
    }
    throw new Kvm4nfvError("PERMISSION", `cannot write ${opts.output}: ${e.message}`, { cause: err });
  }
  return `wrote ${opts.output} (${runIds.length} run${runIds.length === 1 ? "" : "s"} from ${source}, ${Math.round(html.length / 1024)} KiB)`;
}
