/**
 * `kvm4nfv run task FILE.yaml`: a Yardstick task file run the way Yardstick ran it — rendered with the task
 * arguments, every scenario checked before the first runs, each scenario repeated by its runner (Duration:
 * again until `duration` seconds have passed, at least once; Iteration: `iterations` times), each run judged
 * by the task's SLA (monitor: noted, the task goes on; assert: the scenario stops and fails) — through
 * kvm4nfv's own measurements (test timer for Cyclictest, test migration for QemuMigrate). Each run is stored
 * as usual and becomes one tc_data record of Yardstick's result file and one InfluxDB point.
 */
import { writeFileSync } from "node:fs";
import { UsageError } from "../errors.js";
import { readInputFile } from "../input-file.js";
import type { RunRecord } from "../measure/types.js";
import type { RunTaskFlags } from "./flags.js";
import { loadContextPods, scenarioNode } from "./nodes.js";
import {
  formatResult,
  lineProtocol,
  newTaskId,
  postInflux,
  resultInfo,
  type TcRecord,
  type YardstickResult,
} from "./output.js";
import { describeScenario, parseScenarioName, type ScenarioName } from "./scenario-name.js";
import { type PreparedScenario, prepareScenario } from "./scenarios.js";
import { mapTeardown } from "./setup-seqs.js";
import { readTask, type Task } from "./task.js";
import { collectTaskArgs, renderTask } from "./template.js";

export interface RunTaskOutcome {
  text: string;
  exitCode: number;
  result: YardstickResult | null;
  runs: RunRecord[];
}

/** Everything that can be wrong with the input, found before anything runs. */
export function loadTask(
  file: string,
  flags: RunTaskFlags,
): {
  task: Task;
  prepared: PreparedScenario[];
  teardown: Array<{ script: string; does: string }>;
  scenario: ScenarioName | null;
} {
  const text = readInputFile(file);
  const rendered = renderTask(text, file, collectTaskArgs(flags));
  const task = readTask(rendered, file, flags.set ?? []);
  const pods = loadContextPods(task, flags.pod);
  const teardown = mapTeardown(task);
  const prepared = task.scenarios.map((s) => {
    return prepareScenario(task, s, scenarioNode(task, s, pods), flags);
  });
  const podScenario = [...pods.values()].map((p) => p.scenario).find((s) => s !== null) ?? null;
  const source =
    flags.deployScenario !== undefined
      ? "--deploy-scenario"
      : task.deployScenario
        ? `${file}: scenario`
        : podScenario
          ? "pod file: scenario"
          : process.env.DEPLOY_SCENARIO
            ? "DEPLOY_SCENARIO"
            : null;
  const name =
    flags.deployScenario ?? task.deployScenario ?? podScenario ?? process.env.DEPLOY_SCENARIO ?? null;
  const scenario = name !== null && name !== "unknown" ? parseScenarioName(name, source ?? "scenario") : null;
  return { task, prepared, teardown, scenario };
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

export async function runTask(
  file: string,
  flags: RunTaskFlags,
  log: (line: string) => void = () => {},
): Promise<RunTaskOutcome> {
  if (flags.where !== undefined && flags.where !== "host" && flags.where !== "guest") {
    throw new UsageError(`--where "${flags.where}" is not a place`, "expected host or guest");
  }
  const { task, prepared, teardown, scenario } = loadTask(file, flags);
  const lines: string[] = [
    `Yardstick task ${task.file} (${task.scenarios.length} scenario${task.scenarios.length > 1 ? "s" : ""})`,
  ];
  if (scenario) lines.push(`deploy scenario: ${describeScenario(scenario)}`);
  for (const p of prepared) {
    lines.push(`scenario ${p.scenario.index}: ${p.summary}`);
    for (const st of p.setup.steps) lines.push(`  ${st.script} → ${st.does}`);
  }
  for (const t of teardown) lines.push(`teardown ${t.script} → ${t.does}`);
  if (flags.dryRun) return { text: lines.join("\n"), exitCode: 0, result: null, runs: [] };
  for (const l of lines) log(l);

  const { openStore } = await import("../results/store.js");
  const store = openStore(flags.store);
  const taskId = newTaskId();
  const runs: RunRecord[] = [];
  const tcData: TcRecord[] = [];
  let criteria: "PASS" | "FAIL" = "PASS";
  try {
    let sequence = 1;
    for (const p of prepared) {
      const notes = await p.setUp();
      for (const n of notes) {
        lines.push(`  ${n}`);
        log(`  ${n}`);
      }
      const runner = p.scenario.runner;
      const start = Date.now();
      for (let i = 0; ; i++) {
        // Yardstick's runners wait `interval` before every run (pre_run_wait_time), the first included.
        if (runner.intervalS > 0) await sleep(runner.intervalS);
        const one = await p.runOnce();
        const run = one.run;
        run.params.yardstick = {
          task: task.name,
          taskId,
          scenario: p.scenario.index,
          type: p.scenario.type,
          sequence,
          tc: p.scenario.tc,
          node: p.node?.name ?? null,
        };
        if (scenario) run.params.deployScenario = scenario.name;
        run.id = store.saveRun(run);
        runs.push(run);
        tcData.push({ timestamp: Date.now() / 1000, sequence, data: one.data, errors: one.slaError });
        const line = `  run ${run.id} (sequence ${sequence}): ${one.describe}${one.slaError ? ` — SLA: ${one.slaError.trim()}` : ""}`;
        lines.push(line);
        log(line);
        sequence++;
        if (one.slaError && p.scenario.sla?.action === "assert") {
          criteria = "FAIL";
          lines.push(`  sla action assert: scenario ${p.scenario.index} stopped`);
          break;
        }
        const done =
          runner.type === "Iteration"
            ? i + 1 >= runner.iterations
            : Date.now() - start > runner.durationS * 1000;
        if (done) break;
      }
    }
  } finally {
    store.close();
  }
  const result = formatResult(taskId, resultInfo(process.env, scenario?.name ?? null), {
    [task.name]: { criteria, tc_data: tcData },
  });
  const out = flags.outputFile ?? "/tmp/yardstick.out";
  writeFileSync(out, `${JSON.stringify(result)}\n`);
  lines.push(
    `Yardstick result (file dispatcher format) written to ${out}; stored run${runs.length > 1 ? "s" : ""} ${runs.map((r) => r.id).join(", ")} in ${store.path}`,
  );
  if (flags.influx) {
    const body = lineProtocol(result);
    await postInflux(flags.influx, flags.influxDb ?? "yardstick", body);
    lines.push(
      `${body.trim().split("\n").length} point(s) written to InfluxDB ${flags.influx} db ${flags.influxDb ?? "yardstick"}, measurement ${task.name}`,
    );
  }
  lines.push(`criteria: ${criteria}`);
  const text = flags.json ? JSON.stringify(result, null, 2) : lines.join("\n");
  return { text, exitCode: criteria === "PASS" ? 0 : 1, result, runs };
}

export type { RunTaskFlags };
