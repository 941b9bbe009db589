/** `kvm4nfv report ID… -o FILE.html`: one self-contained HTML report of stored runs. Flags only; the work is in src/report/. */
import type { Command } from "@commander-js/extra-typings";
import { type OptsOf, storeOption } from "./options.js";
import { finish } from "./run.js";

const declareReport = (program: Command) =>
  program
    .command("report")
    .description(
      "write a self-contained HTML report (latency plots, percentiles, verdicts, host facts) of stored runs",
    )
    .argument("<id...>", "run ids; with several, a comparison section is added")
    .requiredOption("-o, --output <file>", "HTML file to write")
    .addOption(storeOption());
export type ReportOpts = OptsOf<ReturnType<typeof declareReport>>;

export function register(program: Command): void {
  declareReport(program).action(async (ids, opts) => {
    const { reportAction } = await import("../app/report.js");
    finish(reportAction(ids, opts));
  });
}
