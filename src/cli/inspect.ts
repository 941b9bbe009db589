/** `kvm4nfv inspect`: show what kvm4nfv knows about a host, or capture it as a snapshot. Flags only. */
import type { Command } from "@commander-js/extra-typings";
import type { OptsOf } from "./options.js";
import { ACCEPT_NEW_OPTION, NODE_OPTION, POD_OPTION } from "./pod-options.js";
import { finish } from "./run.js";

const declareInspect = (program: Command) =>
  program
    .command("inspect")
    .description("show the host's CPUs, topology, kernel and run-time tuning (or save them as a snapshot)")
    .option("--root <dir>", "read a snapshot directory instead of the live machine")
    .option("--json", "print the Host model as JSON (CPU sets as cpulists; see docs/inspect-json.md)")
    .option("--save <dir>", "capture the files kvm4nfv reads into DIR (a snapshot for --root)")
    .option("--list-files", "print the files kvm4nfv reads (one glob pattern a line) and exit")
    .option(...POD_OPTION)
    .option(...NODE_OPTION)
    .option(...ACCEPT_NEW_OPTION);
export type InspectOpts = OptsOf<ReturnType<typeof declareInspect>>;

export function register(program: Command): void {
  declareInspect(program).action(async (opts) => {
    if (opts.listFiles) {
      const { listFilesCommand } = await import("../app/inspect.js");
      return finish(listFilesCommand());
    }
    if (opts.node !== undefined) {
      const { inspectOnNodes } = await import("../app/nodes.js");
      return finish(await inspectOnNodes(opts));
    }
    const { inspectLive } = await import("../app/inspect.js");
    finish(await inspectLive(opts));
  });
}
