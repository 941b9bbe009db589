/** `kvm4nfv report ID… -o FILE.html`: one self-contained HTML report of stored runs. Flags only; the work is in src/report/. */
import type { Command } from "@commander-js/extra-typings";
import { storeOption } from "./options.js";
import { finish } from "./run.js";

export function register(program: Command): void {
  program
    .command("report")
    .description(
      "write a self-contained HTML report (latency plots, percentiles, verdicts, host facts) of stored runs",
    )
    .argument("<id...>", "run ids; with several, a comparison section is added")
    .requiredOption("-o, --output <file>", "HTML file to write")
    .addOption(storeOption())
    .action(async (ids, opts) => {
      const { reportAction } = await import("../app/report.js");
      finish(reportAction(ids, opts));
    });
}
