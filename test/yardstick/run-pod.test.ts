/**
 * `run task --pod` against a node reached over SSH: a real OpenSSH sshd on 127.0.0.1 with a throwaway key (the
 * pod tests' test/pod/sshd.ts), listed in pod.yaml as node `kvm` — the name the real kvmfornfv task file's
 * `host: kvm.LF` gives. The task file runs unmodified (loops shortened with --set as kvmfornfv's CI did with
 * sed): its host_setup_seqs become a dry-run apply of the node's own host plan over SSH, its Cyclictest runs
 * with the node's own cyclictest (the pod's remote timer test), and the run is stored with the node's name.
 * Nothing may stay running: no cyclictest, no session under the sshd, no run directory.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { childrenOf, pgrep, settle } from "../pod/helpers.js";
import { type LocalSshd, startSshd } from "../pod/sshd.js";
import { ciSibling } from "./ci-siblings.js";
import { kvm4nfv, shortTaskArgs, shownRun, TASK, tmpDirs } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-yspod-"));
const store = join(dir, "results.db");
let sshd: LocalSshd;
let pod: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sshd = await startSshd();
  sshd.trust();
  pod = sshd.writePod([{ name: "kvm", role: "Controller" }]);
  env = { ...process.env, KVM4NFV_KNOWN_HOSTS: sshd.knownHosts, KVM4NFV_STORE: store };
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  expect(await settle(() => childrenOf(sshd.pid)), "sessions left under the test sshd").toEqual([]);
  // this test's control masters (other files' nodes listen on other ports)
  expect(await settle(() => pgrep(`-p ${sshd.port} -l root -M -N`))).toEqual([]);
});

const runDirs = () => tmpDirs("kvm4nfv-run-");

const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
  kvm4nfv(args, { timeoutMs: 180_000, env: { ...env, ...extraEnv } });

describe("run task --pod: the task's host over SSH", () => {
  it("runs the real kvmfornfv task on node kvm over SSH; the result file and the store name the node", async () => {
    const before = new Set(runDirs());
    const out = join(dir, "yardstick.out");
    const r = cli(shortTaskArgs(pod, out, "--deploy-scenario", "os-nosdn-kvm-ha"));
    expect(r.stderr).not.toMatch(/^kvm4nfv: /m);
    expect(r.status, r.stderr).toBe(0); // action: monitor
    // the summary says how the node is reached; host-setup0/1.sh became a dry-run apply of the node's own plan
    expect(r.stderr).toContain(`on node kvm (ssh root@127.0.0.1:${sshd.port})`);
    // host-setup0/1.sh: the node's own host plan for CPU 1 (affinity), applied as a dry run over SSH
    expect(r.stderr).toContain("host-setup on node kvm (dry run; --yes applies it):");
    expect(r.stderr).toMatch(
      /^ {4}(would change \/|reboot required: the running kernel command line lacks )/m,
    );
    const doc = JSON.parse(readFileSync(out, "utf8"));
    expect(doc.result.info.deploy_scenario).toBe("os-nosdn-kvm-ha");
    const tc = doc.result.testcases.kvmfornfv_cyclictest_hostenv_guestenv;
    expect(tc.criteria).toBe("PASS");
    expect(tc.tc_data).toHaveLength(1);
    for (const v of Object.values(tc.tc_data[0].data)) expect(v).toMatch(/^\d{5}$/);

    const listed = JSON.parse(cli(["results", "list", "--node", "kvm", "--json"]).stdout);
    expect(listed).toHaveLength(1);
    const run = shownRun(listed[0].id, undefined, env);
    expect(run.params.node).toBe("kvm");
    expect(run.params.yardstick).toMatchObject({
      task: "kvmfornfv_cyclictest_hostenv_guestenv",
      node: "kvm",
      type: "Cyclictest",
      sequence: 1,
    });
    expect(run.params.cpus).toBe("1"); // affinity: 1
    // loops 1000 through the node's cyclictest -l; breaktrace 1000 (-b) ends it early only past 1000 µs
    const c = run.cpus[0];
    expect(c.samples).toBeGreaterThan(0);
    expect(c.samples).toBeLessThanOrEqual(1000);
    if (c.samples < 1000) expect(c.maxUs, JSON.stringify(run.params)).toBeGreaterThan(1000);
    expect(run.params.command ?? JSON.stringify(run.params)).toMatch(/-l 1000\b/);
    expect(run.environment.toolVersions.cyclictest).toMatch(/^\d/);
    // what cyclictest printed on the node is what the tc_data record holds (Yardstick's awk of the trailer)
    expect(Number(tc.tc_data[0].data.max)).toBe(run.cpus[0].maxUs);
    // the node's run directory is gone (only directories that existed before may remain: other files' runs)
    expect(await settle(() => runDirs().filter((d) => !before.has(d)))).toEqual([]);
  }, 180_000);

  it("kvmfornfv CI's cpustress_idle (stress_daily.sh cpu after host-run-qemu.sh) loads the node with stress-ng", async () => {
    const file = ciSibling(dir, "cpustress_idle", 1000);
    const r = cli([
      "run",
      "task",
      file,
      "--pod",
      pod,
      "--where",
      "host",
      "-o",
      join(dir, "cpu.out"),
      "--json",
    ]);
    expect(r.stderr).not.toMatch(/^kvm4nfv: /m);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc.result.testcases)).toEqual(["kvmfornfv_cyclictest_cpustress_idle"]);
    const listed = JSON.parse(cli(["results", "list", "--node", "kvm", "--json"]).stdout) as Array<{
      id: number;
    }>;
    const run = shownRun(Math.max(...listed.map((x) => x.id)), undefined, env);
    expect(run.params.load).toBe("cpu");
    expect(run.params.yardstick.tc).toBe("kvmfornfv_cyclictest_cpustress_idle");
    expect(run.environment.toolVersions["stress-ng"]).toMatch(/\d/);
    expect(run.raw["stress-ng.output"]).toBeDefined();
    // stress-ng and cyclictest ran under the sshd: afterEach finds nothing left there
  }, 180_000);

  it("the file's own mapping (cyclictest in a guest) on a node over SSH is refused with one line, exit 2", () => {
    const r = cli(["run", "task", TASK, "--pod", pod]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /kvmfornfv_cyclictest_hostenv_guestenv\.yaml:\d+: scenarios\.0\.host: node "kvm" \(127\.0\.0\.1\) would run cyclictest in a guest there/,
    );
  });

  it("a node whose host key kvm4nfv does not know: the pod's one-line refusal, nothing run", () => {
    const r = cli(["run", "task", TASK, "--pod", pod, "--where", "host", "-o", join(dir, "x.out")], {
      KVM4NFV_KNOWN_HOSTS: join(dir, "empty_known_hosts"),
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^kvm4nfv: .*host key/m);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("--accept-new-host-key trusts the node on first contact, into kvm4nfv's known_hosts", () => {
    const kh = join(dir, "first_known_hosts");
    const r = cli(
      [
        "run",
        "task",
        TASK,
        "--pod",
        pod,
        "--where",
        "host",
        "--accept-new-host-key",
        "-o",
        join(dir, "a.out"),
      ],
      { KVM4NFV_KNOWN_HOSTS: kh },
    );
    expect(r.status, r.stderr).toBe(0);
    const key = sshd.hostKeyPub.split(" ").slice(0, 2).join(" ");
    expect(readFileSync(kh, "utf8")).toContain(`[127.0.0.1]:${sshd.port} ${key}`);
  }, 180_000);
});
