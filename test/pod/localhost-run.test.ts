/**
 * Remote execution over a real sshd on 127.0.0.1: tools run under the node-side supervisor, and whatever ends
 * the local side — stop(), a killed ssh client, a dropped connection, Ctrl-C of the CLI — nothing stays running
 * on the node (its process groups, read from the supervisor's pgid files on the node, are gone). Then the
 * real timer test on the node, stored with the node's name.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { describeError } from "../../src/errors.js";
import { RemoteExec } from "../../src/pod/remote-exec.js";
import { SshSession } from "../../src/pod/ssh.js";
import { childrenOf, cli, pgrep, settle } from "./helpers.js";
import { type LocalSshd, startTestPod } from "./sshd.js";

let sshd: LocalSshd;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ({ sshd, env } = await startTestPod("kvm4nfv-podstore-"));
});

afterAll(async () => {
  await sshd?.stop();
});

afterEach(async () => {
  expect(await settle(() => pgrep("kvm4nfv-ssh-"))).toEqual([]);
  expect(await settle(() => childrenOf(sshd.pid))).toEqual([]);
});

function session(name = "local"): SshSession {
  return new SshSession(
    {
      name,
      role: "Compute",
      ip: "127.0.0.1",
      user: "root",
      port: sshd.port,
      keyFilename: name === "bare" ? sshd.bareKey : sshd.key,
    },
    { knownHosts: sshd.knownHosts },
  );
}

/** Process groups the supervisor started under these run directories, as the node sees them. */
function groups(dirs: string[]): number[] {
  return dirs.flatMap((d) =>
    existsSync(join(d, "pgid")) ? [Number(readFileSync(join(d, "pgid"), "utf8"))] : [],
  );
}

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startSleepers(exec: RemoteExec, tag: number) {
  // a group of three: the shell and two sleeps (one a grandchild), all must go
  const child = exec.start("sh", ["-c", `sleep ${tag} & sleep ${tag + 1}; wait`]);
  const deadline = Date.now() + 10_000;
  const sleeping = () => pgrep(`^sleep ${tag}`).length + pgrep(`^sleep ${tag + 1}`).length;
  while ((groups(exec.runDirs).length === 0 || sleeping() < 2) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(sleeping()).toBe(2);
  const [pgid] = groups(exec.runDirs);
  expect(pgid).toBeGreaterThan(1);
  expect(alive(pgid!)).toBe(true);
  return { child, pgid: pgid! };
}

describe("supervised remote processes", () => {
  it("stop() ends the whole remote process group", async () => {
    const s = session();
    await s.connect();
    try {
      const exec = new RemoteExec(s);
      const { child, pgid } = await startSleepers(exec, 7_100_001);
      await child.stop();
      expect(await settle(() => pgrep("^sleep 710000")), "sleepers left on the node").toEqual([]);
      expect(await settle(() => (alive(pgid) ? [String(pgid)] : []))).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("a killed local ssh client (kvm4nfv killed) leaves nothing on the node", async () => {
    const s = session();
    await s.connect();
    try {
      const exec = new RemoteExec(s);
      const { child, pgid } = await startSleepers(exec, 7_200_001);
      process.kill(child.pid, "SIGKILL");
      expect(await settle(() => pgrep("^sleep 720000"))).toEqual([]);
      expect(await settle(() => (alive(pgid) ? [String(pgid)] : []))).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("a dropped connection (the control master dies) leaves nothing on the node", async () => {
    const s = session();
    await s.connect();
    const exec = new RemoteExec(s);
    const { pgid } = await startSleepers(exec, 7_300_001);
    const master = pgrep("-M -N -T -S /tmp/kvm4nfv-ssh-");
    expect(master).toHaveLength(1);
    process.kill(Number(master[0]!.split(" ")[0]), "SIGKILL");
    expect(await settle(() => pgrep("^sleep 730000"))).toEqual([]);
    expect(await settle(() => (alive(pgid) ? [String(pgid)] : []))).toEqual([]);
    await s.close();
  });

  it("a node without cyclictest: one line with the apt-get to run there (exit 3)", async () => {
    const s = session("bare");
    try {
      const err = await new RemoteExec(s)
        .run("cyclictest", ["--help"], { allowFailure: true })
        .catch((e: unknown) => e);
      const d = describeError(err, false);
      expect(d.exitCode).toBe(3);
      expect(d.text).toBe(
        "kvm4nfv: cyclictest is not installed on node bare (on bare run: apt-get install rt-tests)",
      );
    } finally {
      await s.close();
    }
  });
});

describe("test timer --node", () => {
  it("runs the node's cyclictest, stores the run with the node's name; results list --node finds it", async () => {
    const r = await cli(env, "test", "timer", "--node", "local", "--duration", "2s", "--cpus", "1", "--json");
    expect([0, 1]).toContain(r.status);
    const run = JSON.parse(r.stdout);
    expect(run.params.node).toBe("local");
    expect(run.params.cpus).toBe("1");
    expect(run.cpus[0].samples).toBeGreaterThan(1000);
    expect(run.raw["cyclictest.json"]).toContain('"thread"');
    expect(run.environment.toolVersions.cyclictest).toMatch(/^\d/);
    const listed = await cli(env, "results", "list", "--node", "local", "--json");
    expect(JSON.parse(listed.stdout).map((x: { id: number }) => x.id)).toContain(run.id);
    const other = await cli(env, "results", "list", "--node", "elsewhere", "--json");
    expect(JSON.parse(other.stdout)).toEqual([]);
    // the run directory and each supervisor's are removed on the node (the watchdogs finish a moment later)
    expect(await settle(() => readdirSync("/tmp").filter((d) => d.startsWith("kvm4nfv-run-")))).toEqual([]);
  });

  it("Ctrl-C during a loaded run leaves neither cyclictest nor stress-ng on the node", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(
      "node",
      [
        "bin/kvm4nfv.js",
        "test",
        "timer",
        "--node",
        "local",
        "--duration",
        "60s",
        "--cpus",
        "1",
        "--load",
        "cpu",
      ],
      {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const runDirs = () =>
      readdirSync("/tmp")
        .filter((d) => d.startsWith("kvm4nfv-run-"))
        .map((d) => join("/tmp", d));
    const deadline = Date.now() + 20_000;
    // wait until both supervised tools run on the node (two supervisors with pgid files)
    while (groups(runDirs()).length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const pgids = groups(runDirs());
    expect(pgids.length, stderr).toBe(2);
    expect(pgids.every(alive)).toBe(true);
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(await settle(() => pgids.filter(alive).map(String))).toEqual([]);
    expect(await settle(() => pgrep("kvm4nfv-supervise"))).toEqual([]);
    // the run's directory went with them, and kvm4nfv's control-socket directory here
    expect(await settle(() => readdirSync("/tmp").filter((d) => d.startsWith("kvm4nfv-run-")))).toEqual([]);
    expect(readdirSync("/tmp").filter((d) => d.startsWith("kvm4nfv-ssh-"))).toEqual([]);
  });

  it("a node without cyclictest: exit 3 and the apt-get line", async () => {
    const r = await cli(env, "test", "timer", "--node", "bare", "--duration", "1s");
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toBe(
      "kvm4nfv: cyclictest is not installed on node bare (on bare run: apt-get install rt-tests)",
    );
  });
});
