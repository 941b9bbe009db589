/** Yardstick task files: real ones read as Yardstick read them; bad input refused with file:line and key. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadTask } from "../../src/yardstick/run-task.js";
import { parseScenarioName } from "../../src/yardstick/scenario-name.js";
import { renderTask } from "../../src/yardstick/template.js";

const FIX = "test/fixtures/yardstick";
const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-ys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pod = join(dir, "pod.yaml");
writeFileSync(pod, "nodes:\n-\n    name: kvm\n    role: Controller\n    ip: 127.0.0.1\n    user: root\n");
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error & { exitCode?: number };
  }
  throw new Error("no error");
};

describe("real task files", () => {
  it("reads kvmfornfv's cyclictest task as Yardstick did", () => {
    const { task, prepared, teardown } = loadTask(`${FIX}/kvmfornfv_cyclictest_hostenv_guestenv.yaml`, {
      pod,
    });
    const s = task.scenarios[0]!;
    expect(task.name).toBe("kvmfornfv_cyclictest_hostenv_guestenv");
    expect(s.options).toEqual({
      affinity: 1,
      breaktrace: 1000,
      interval: 1000,
      priority: 99,
      loops: 600000,
      threads: 1,
      histogram: 90,
    });
    expect(s.runner).toEqual({ type: "Duration", durationS: 1, intervalS: 1 });
    expect(s.sla).toEqual({
      limits: { max_min_latency: 50, max_avg_latency: 100, max_max_latency: 1000 },
      action: "monitor",
    });
    expect(prepared[0]!.setup.guest).toBe(true);
    expect(prepared[0]!.setup.steps.map((x) => x.script)).toEqual([
      "host-setup0.sh",
      "reboot",
      "host-setup1.sh",
      "host-install-qemu.sh",
      "host-run-qemu.sh",
      "guest: guest-setup0.sh",
      "guest: reboot",
      "guest: guest-setup1.sh",
    ]);
    expect(teardown[0]!.script).toBe("kvm: disable_trace.bash");
    expect(prepared[0]!.node?.local).toBe(true);
  });

  it("reads kvmfornfv's migration task", () => {
    const { prepared } = loadTask(`${FIX}/migrate-node-context.yaml`, { pod });
    expect(prepared[0]!.summary).toContain("downtime limit 100 ms");
    expect(prepared[0]!.summary).toContain("SLA total ≤ 10000 ms, downtime ≤ 100 ms, setup ≤ 500 ms");
  });

  it("--set shortens an untemplated file without touching it (what kvmfornfv's CI did with sed)", () => {
    const { task } = loadTask(`${FIX}/kvmfornfv_cyclictest_hostenv_guestenv.yaml`, {
      pod,
      set: ["scenarios.0.options.loops=500"],
    });
    expect(task.scenarios[0]!.options.loops).toBe(500);
  });

  it("renders Yardstick's own templated file without arguments ({% set x = x or … %}), then refuses its type", () => {
    const e = err(() => loadTask(`${FIX}/yardstick-ping-template.yaml`, {}));
    expect(e.message).toMatch(
      /yardstick-ping-template\.yaml:22: scenarios\.0\.type: scenario type "Ping" is not supported/,
    );
    const r = renderTask('{% set packetsize = packetsize or "100" %}p: {{packetsize}}', "t", {
      packetsize: 64,
    });
    expect(r).toBe("p: 64");
    expect(err(() => loadTask(`${FIX}/yardstick-opnfv_yardstick_tc015.yaml`, {})).message).toMatch(
      /:23: scenarios\.0\.type: scenario type "Energy"/,
    );
  });

  it("refuses the bare stress_daily.sh of the cpustress sibling by name", () => {
    const e = err(() => loadTask(`${FIX}/kvmfornfv_cyclictest_cpustress_idle.yaml`, { pod }));
    expect(e.message).toMatch(
      /:43: scenarios\.0\.setup_options\.host_setup_seqs\.4: "stress_daily.sh": stress_daily.sh takes one of cpu, memory, io/,
    );
  });
});

describe("runners, SLA actions and task args", () => {
  it("reads an Iteration runner and action assert; --task-args-file under --task-args", () => {
    const f = write(
      "it.yaml",
      'schema: "yardstick:task:0.1"\n{% set loops = loops or 100 %}scenarios:\n- type: Cyclictest\n  options: {loops: {{ loops }}, interval: {{ interval }}}\n  runner: {type: Iteration, iterations: 3, interval: 0}\n  sla: {max_max_latency: 200}\n',
    );
    const args = write("args.yaml", "interval: 500\nloops: 7\n");
    const { task } = loadTask(f, { taskArgsFile: args, taskArgs: '{"loops": 9}' });
    const s = task.scenarios[0]!;
    expect(s.options).toEqual({ loops: 9, interval: 500 });
    expect(s.runner).toEqual({ type: "Iteration", iterations: 3, intervalS: 0 });
    expect(s.sla).toEqual({ limits: { max_max_latency: 200 }, action: "assert" }); // Yardstick's default action
  });
  it("refuses a runner, an option and an SLA key Yardstick's scenario does not have", () => {
    const base = 'schema: "yardstick:task:0.1"\nscenarios:\n- type: Cyclictest\n';
    expect(err(() => loadTask(write("r.yaml", `${base}  runner: {type: Arithmetic}\n`), {})).message).toMatch(
      /:4: scenarios\.0\.runner\.type: runner "Arithmetic" is not supported/,
    );
    expect(err(() => loadTask(write("o.yaml", `${base}  options:\n    duration: 5\n`), {})).message).toMatch(
      /:5: scenarios\.0\.options\.duration: not an option of Cyclictest/,
    );
    expect(err(() => loadTask(write("l.yaml", `${base}  sla:\n    max_rtt: 5\n`), {})).message).toMatch(
      /:5: scenarios\.0\.sla\.max_rtt: not an SLA of Cyclictest/,
    );
  });
});

describe("bad input: one line, file:line:key, exit 2", () => {
  it("undefined template variable", () => {
    const f = write(
      "u.yaml",
      'schema: "yardstick:task:0.1"\nscenarios:\n- type: Cyclictest\n  options:\n    loops: {{ loops }}\n',
    );
    const e = err(() => loadTask(f, {}));
    expect(e.message).toBe(`${f}:5: template variable "loops" is not defined`);
    expect(e.exitCode).toBe(2);
    expect(loadTask(f, { taskArgs: '{"loops": 20}' }).task.scenarios[0]!.options.loops).toBe(20);
  });
  it("YAML syntax error", () => {
    const f = write("s.yaml", 'schema: "yardstick:task:0.1"\nscenarios:\n- type: Cyclictest\n  options: [\n');
    expect(err(() => loadTask(f, {})).message).toMatch(new RegExp(`^${f}:\\d+: YAML syntax error`));
  });
  it("unknown scenario type", () => {
    const f = write("t.yaml", 'schema: "yardstick:task:0.1"\nscenarios:\n-\n  type: Iperf3\n');
    expect(err(() => loadTask(f, {})).message).toBe(
      `${f}:4: scenarios.0.type: scenario type "Iperf3" is not supported (kvm4nfv runs Cyclictest and QemuMigrate)`,
    );
  });
  it("a node the pod lacks", () => {
    const f = write(
      "n.yaml",
      `schema: "yardstick:task:0.1"\nscenarios:\n- type: Cyclictest\n  host: compute9.LF\ncontext:\n  type: Node\n  name: LF\n  file: ${pod}\n`,
    );
    expect(err(() => loadTask(f, {})).message).toMatch(
      new RegExp(`^${f}:4: scenarios\\.0\\.host: node "compute9" is not in ${pod}`),
    );
  });
  it("an unknown setup script, by name", () => {
    const f = write(
      "x.yaml",
      'schema: "yardstick:task:0.1"\nscenarios:\n- type: Cyclictest\n  setup_options:\n    host_setup_seqs:\n    - "host-setup0.sh"\n    - "enable-trace.sh"\n',
    );
    expect(err(() => loadTask(f, {})).message).toBe(
      `${f}:7: scenarios.0.setup_options.host_setup_seqs.1: setup script "enable-trace.sh" is not one kvm4nfv knows; refused, nothing was run`,
    );
  });
});

describe("OPNFV scenario names", () => {
  it("parses Yardstick's KVM suites' names", () => {
    for (const n of ["os-nosdn-kvm-ha", "os-nosdn-kvm-noha", "os-nosdn-kvm_ovs_dpdk_bar-ha"])
      expect(parseScenarioName(n, "t").kvm4nfv).toBe(true);
    expect(parseScenarioName("os-odl_l2-fdio-noha", "t")).toMatchObject({
      controller: "odl_l2",
      features: ["fdio"],
      mode: "noha",
    });
    expect(parseScenarioName("os-nosdn-nofeature-ha", "t").features).toEqual([]);
    expect(err(() => parseScenarioName("os-nosdn-kvm-active", "--deploy-scenario")).message).toMatch(
      /mode "active" must be ha or noha/,
    );
    expect(err(() => parseScenarioName("kvm-ha", "x")).message).toMatch(/is not an OPNFV scenario name/);
  });
});
