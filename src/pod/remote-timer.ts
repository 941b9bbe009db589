/**
 * `test timer --node N`: the node's own cyclictest (and stress-ng for --load), planned, run and judged exactly
 * as on this host (planTimerTest, withLoad, runCyclictestLive, assembleTimerRecord), through RemoteExec.
 * The node's facts come from one reader round trip; the JSON cyclictest writes is read back from the node's
 * run directory, which is removed afterwards. The stored run carries the node's name (params.node).
 */
import { formatCpuList } from "../host/parse/cpulist.js";
import { probeCyclictest, probeStressNg, readEnvironment } from "../measure/environment.js";
import { runCyclictestLive } from "../measure/live-cyclictest.js";
import { withLoad } from "../measure/load.js";
import { withProgress } from "../measure/progress.js";
import { assembleTimerRecord, chooseCpus, planTimerTest, type TimerTestOptions } from "../measure/timer.js";
import type { RunRecord } from "../measure/types.js";
import { newRunDir, RemoteExec } from "./remote-exec.js";
import { fetchNode } from "./remote-fs.js";
import type { SshSession } from "./ssh.js";

export async function runRemoteTimer(session: SshSession, options: TimerTestOptions): Promise<RunRecord> {
  const node = session.node.name;
  // Interrupted (Ctrl-C, lost link), the node's watchdogs kill the tools and remove this directory too.
  const dir = newRunDir();
  const exec = new RemoteExec(session, dir);
  const fs = await fetchNode(session);
  const features = await probeCyclictest(exec);
  const load = options.load ?? "idle";
  const toolVersions: Record<string, string> = {};
  if (features.version) toolVersions.cyclictest = features.version;
  if (load !== "idle") {
    const v = await probeStressNg(exec);
    if (v) toolVersions["stress-ng"] = v;
  }
  const jsonPath = `${dir}/cyclictest.json`;
  const plan = planTimerTest(options, features, chooseCpus(fs, options.cpus), jsonPath);
  const environment = readEnvironment(fs, toolVersions);
  const startedAt = new Date().toISOString();
  const raw: Record<string, string> = {};
  await exec.run("mkdir", ["-m", "700", dir, `${dir}/stress`]);
  try {
    const result = await withLoad(
      { kind: load, cpus: plan.housekeeping, durationMs: plan.expectedMs, tempDir: `${dir}/stress` },
      exec,
      async (running) => {
        const title = `cyclictest on node ${node}, CPU ${formatCpuList(plan.cpus)}${load === "idle" ? "" : ` under ${load} load`}`;
        let runningMax = 0;
        const r = await withProgress(
          title,
          plan.expectedMs,
          () =>
            runCyclictestLive(exec, plan.args, plan.expectedMs + 60_000, (us) => {
              if (us > runningMax) runningMax = us;
            }),
          { ...options.progress, status: () => (runningMax ? `max so far ${runningMax} µs` : "") },
        );
        if (running) raw["stress-ng.output"] = running.output();
        return r;
      },
    );
    const json = features.json ? await exec.run("cat", [jsonPath], { allowFailure: true }) : undefined;
    const record = assembleTimerRecord({
      options,
      plan,
      where: "host",
      load,
      startedAt,
      environment,
      raw,
      output: { ...result, json: json && json.exitCode === 0 ? json.stdout : undefined },
      extraParams: { node },
    });
    return record;
  } finally {
    await exec.run("rm", ["-rf", dir], { allowFailure: true }).catch(() => undefined);
  }
}
