/** `kvm4nfv results list | show | compare | export | import`: the stored runs. Flags only; the work is in src/results/. */
import type { Command } from "@commander-js/extra-typings";
import { type Defaulted, type OptsOf, storeOption } from "./options.js";
import { finish } from "./run.js";

async function actions() {
  return import("../app/results.js");
}

const declareList = (results: Command) =>
  results
    .command("list")
    .description("list stored runs, newest first")
    .addOption(storeOption())
    .option("--type <type>", "only runs of this type: timer, oslat, migration")
    .option("--limit <n>", "at most n runs")
    .option("--node <name>", "only runs made on this pod node (test timer --node)")
    .option("--json", "print JSON");
export type ResultsListOpts = OptsOf<ReturnType<typeof declareList>>;

const declareShow = (results: Command) =>
  results
    .command("show")
    .description("show one run: verdict, host facts, per-CPU latencies and percentiles")
    .argument("<id>", "run id")
    .addOption(storeOption())
    .option("--json", "print the whole run record as JSON");
export type ResultsShowOpts = OptsOf<ReturnType<typeof declareShow>>;

const declareCompare = (results: Command) =>
  results
    .command("compare")
    .description("compare run B against run A per CPU and metric (exit 1 when B regressed)")
    .argument("<a>", "baseline run id")
    .argument("<b>", "run id to judge against the baseline")
    .option("--threshold <pct>", "flag B/A worse than this", "10%")
    .addOption(storeOption())
    .option("--json", "print JSON");
export type ResultsCompareOpts = Defaulted<OptsOf<ReturnType<typeof declareCompare>>, "threshold">;

const declareExport = (results: Command) =>
  results
    .command("export")
    .description("export runs as JSON, JUnit XML or InfluxDB line protocol on stdout")
    .argument("<id...>", "run ids")
    .option("--format <format>", "json, junit or influx", "json")
    .addOption(storeOption());
export type ResultsExportOpts = Defaulted<OptsOf<ReturnType<typeof declareExport>>, "format">;

const declareImport = (results: Command) =>
  results
    .command("import")
    .description(
      "store tool outputs measured elsewhere (cyclictest --json/-h/-q, oslat) or kvm4nfv JSON exports",
    )
    .argument("<file...>", "files to import, one run each")
    .option("--label <label>", "label for the imported runs (default: the file name)")
    .option("--sla <limits>", "SLA to judge them by, e.g. min=50,avg=100,max=1000,p99.99=30 (µs)")
    .option(
      "--cmdline <line>",
      "the cyclictest command line of text outputs (its -N unit, -a CPUs, -h width)",
    )
    .addOption(storeOption());
export type ResultsImportOpts = OptsOf<ReturnType<typeof declareImport>>;

export function register(program: Command): void {
  const results = program
    .command("results")
    .description("list, show, compare, export and import measured runs");
  declareList(results).action(async (opts) => finish((await actions()).listAction(opts)));
  declareShow(results).action(async (id, opts) => finish((await actions()).showAction(id, opts)));
  declareCompare(results).action(async (a, b, opts) => finish((await actions()).compareAction(a, b, opts)));
  declareExport(results).action(async (ids, opts) => finish((await actions()).exportAction(ids, opts)));
  declareImport(results).action(async (files, opts) => {
    finish(await (await actions()).importResults(files, opts));
  });
}
