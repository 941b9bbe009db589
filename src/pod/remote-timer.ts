/**
 * `test timer --node N`: the node's own cyclictest (and stress-ng for --load), planned, run and judged exactly
 * as on this host (probeTimerTools, planTimerTest, measureTimer: cyclictest under the load, its JSON, assembleTimerRecord), through RemoteExec.
 * The node's facts come from one reader round trip; the JSON cyclictest writes is read back from the node's
 * run directory, which is removed afterwards. The stored run carries the node's name (params.node).
 */
import { readEnvironment } from "../measure/environment.js";
import {
  chooseCpus,
  measureTimer,
  planTimerTest,
  probeTimerTools,
  type TimerTestOptions,
} from "../measure/timer.js";
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
  const load = options.load ?? "idle";
  const { features, toolVersions } = await probeTimerTools(exec, load);
  const jsonPath = `${dir}/cyclictest.json`;
  const plan = planTimerTest(options, features, chooseCpus(fs, options.cpus), jsonPath);
  const environment = readEnvironment(fs, toolVersions);
  await exec.run("mkdir", ["-m", "700", dir, `${dir}/stress`]);
  try {
    const readJson = async () => {
      if (!features.json) return undefined;
      const json = await exec.run("cat", [jsonPath], { allowFailure: true });
      return json.exitCode === 0 ? json.stdout : undefined;
    };
    return await measureTimer(exec, {
      options,
      plan,
      load,
      environment,
      readJson,
      node,
      tempDir: `${dir}/stress`,
    });
  } finally {
    await exec.run("rm", ["-rf", dir], { allowFailure: true }).catch(() => undefined);
  }
}
