/**
 * `test oslat|timerlat|osnoise|hwlat --node NAME` against a real OpenSSH sshd on 127.0.0.1 (test/pod/sshd.ts):
 * the node's own oslat runs under the node-side supervisor, the stored run carries the node's name and exactly
 * what oslat printed there, and nothing is left on the node. This host's kernel has no timerlat, osnoise or
 * hwlat tracer, and neither has the node (it is this host): those tests say so in one line naming the node,
 * exit 3. A node without rt-tests is told with the package to install.
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { childrenOf, cli, pgrep, settle } from "../../pod/helpers.js";
import { type LocalSshd, startTestPod } from "../../pod/sshd.js";

let sshd: LocalSshd;
let env: NodeJS.ProcessEnv;

const lastCpu = Number(readFileSync("/sys/devices/system/cpu/online", "utf8").trim().split(/[-,]/).pop());
const tracers = (() => {
  try {
    return readFileSync("/sys/kernel/tracing/available_tracers", "utf8").trim().split(/\s+/);
  } catch {
    return null;
  }
})();
const runDirs = () => readdirSync("/tmp").filter((f) => f.startsWith("kvm4nfv-run-"));

beforeAll(async () => {
  ({ sshd, env } = await startTestPod("kvm4nfv-instr-node-"));
});

afterAll(async () => {
  await sshd?.stop();
});

afterEach(async () => {
  expect(await settle(() => pgrep("kvm4nfv-ssh-"))).toEqual([]);
  expect(await settle(() => childrenOf(sshd.pid))).toEqual([]);
});

describe("test oslat --node", () => {
  it.skipIf(lastCpu < 1)(
    "runs the node's oslat and stores what it printed, with the node's name",
    async () => {
      const before = new Set(runDirs());
      const r = await cli(
        env,
        "test",
        "oslat",
        "--node",
        "local",
        "--duration",
        "2s",
        "--cpus",
        String(lastCpu),
        "--sla",
        "max=1000",
        "--json",
      );
      expect([0, 1], r.stderr).toContain(r.status);
      const run = JSON.parse(r.stdout);
      expect(run.type).toBe("oslat");
      expect(run.params.node).toBe("local");
      expect(run.params.command).toBe(`oslat -c ${lastCpu} -C 0 -D 2 -b 1002`);
      const printed = run.raw["oslat.stdout"] as string;
      const line = (label: string) => Number(new RegExp(`^\\s*${label}:\\s+(\\S+)`, "m").exec(printed)![1]);
      expect(run.cpus[0].cpu).toBe(lastCpu);
      expect(run.cpus[0].maxUs).toBe(line("Maximum"));
      expect(run.cpus[0].avgUs).toBe(line("Average"));
      expect(run.environment.toolVersions.oslat).toMatch(/^\d+\.\d+/);
      expect(r.status).toBe(run.verdict.status === "pass" ? 0 : 1);
      // stored, and found by node
      const listed = JSON.parse((await cli(env, "results", "list", "--node", "local", "--json")).stdout);
      expect(listed.map((x: { id: number }) => x.id)).toContain(run.id);
      // nothing left on the node: no oslat, no run directory
      expect(await settle(() => pgrep("^oslat "))).toEqual([]);
      expect(runDirs().filter((d) => !before.has(d))).toEqual([]);
    },
  );

  it("a node without rt-tests is told what to install (exit 3)", async () => {
    const r = await cli(
      env,
      "test",
      "oslat",
      "--node",
      "bare",
      "--duration",
      "1s",
      "--cpus",
      String(lastCpu),
    );
    expect(r.status).toBe(3);
    // after the progress line, one error line
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("kvm4nfv:"));
    expect(errors[0]).toBe(
      "kvm4nfv: oslat is not installed on node bare (on bare run: apt-get install rt-tests)",
    );
    expect(r.stderr).toContain("apt-get install rt-tests");
  });

  it("--where guest and --node exclude each other (exit 2)", async () => {
    const r = await cli(env, "test", "oslat", "--node", "local", "--where", "guest");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--where guest runs here, not on a node/);
  });
});

describe("test timerlat|osnoise|hwlat --node on a kernel without the tracers", () => {
  for (const [tool, tracer] of [
    ["timerlat", "timerlat"],
    ["osnoise", "osnoise"],
    ["hwlat", "hwlat"],
  ] as const) {
    it.skipIf(tracers === null || tracers.includes(tracer))(
      `${tool}: one line naming the node and the missing tracer, exit 3`,
      async () => {
        const r = await cli(env, "test", tool, "--node", "local", "--duration", "1s");
        expect(r.status, r.stderr).toBe(3);
        const first = r.stderr.trim().split("\n")[0] ?? "";
        expect(
          first.startsWith(
            `kvm4nfv: node local: the running kernel has no ${tracer} tracer (it has: ${tracers!.join(" ")}) (measure in the RT guest with --where guest`,
          ),
        ).toBe(true);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      },
    );
  }
});
