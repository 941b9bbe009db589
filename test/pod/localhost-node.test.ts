/**
 * A real node over real SSH: an OpenSSH sshd this file starts on 127.0.0.1 (own host key, config, authorized
 * key and port) and stops. The CLI reads it with inspect and check, by name, through a jump host, and as
 * several nodes at once; every fault the issue lists is one line with its exit code; after each command
 * neither an ssh client nor an sshd session of ours is left.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { childrenOf, cli, pgrep, settle } from "./helpers.js";
import { freePort, type LocalSshd, startSshd } from "./sshd.js";

let sshd: LocalSshd;
let env: NodeJS.ProcessEnv;
let pod: string;

beforeAll(async () => {
  sshd = await startSshd();
  pod = sshd.writePod([{ name: "local" }, { name: "hop", role: "Controller", jump: "local" }]);
  env = { KVM4NFV_KNOWN_HOSTS: sshd.knownHosts, KVM4NFV_POD: pod };
  // First contact, accepted once on purpose; every later test runs with strict checking.
  const r = await cli(env, "inspect", "--node", "local", "--accept-new-host-key");
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
});

afterAll(async () => {
  await sshd?.stop();
});

afterEach(async () => {
  // nothing of ours left: no ssh client (control masters included), no session on the node's sshd
  expect(await settle(() => pgrep("kvm4nfv-ssh-"))).toEqual([]);
  expect(await settle(() => childrenOf(sshd.pid))).toEqual([]);
});

/** The parts of inspect --json that change by themselves between two reads. */
function steady(json: string): unknown {
  const h = JSON.parse(json);
  delete h.source;
  for (const n of h.topology?.numaNodes ?? []) delete n.memFreeKiB;
  return h;
}

describe("a localhost node through a real sshd", () => {
  it("inspect --node reads the same machine readHost reads locally", async () => {
    const [remote, local] = await Promise.all([
      cli(env, "inspect", "--node", "local", "--json"),
      cli(env, "inspect", "--json"),
    ]);
    expect(remote.status).toBe(0);
    expect(steady(remote.stdout)).toEqual(steady(local.stdout));
    expect(JSON.parse(remote.stdout).source).toBe("local:/");
  });

  it("check --node gives the local audit's findings; --node all fans out with one section per node (one through a jump host)", async () => {
    const local = await cli(env, "check", "--role", "host", "--format", "json");
    const remote = await cli(env, "check", "--role", "host", "--node", "local", "--format", "json");
    expect(remote.status).toBe(local.status);
    const ids = (t: string) =>
      (JSON.parse(t).findings as Array<{ id: string; level: string }>).map((f) => `${f.id}=${f.level}`);
    expect(ids(remote.stdout)).toEqual(ids(local.stdout));

    const all = await cli(env, "check", "--role", "host", "--node", "all");
    expect(all.stderr).toBe("");
    expect(all.stdout).toContain(`== node local (root@127.0.0.1:${sshd.port}) ==`);
    expect(all.stdout).toContain(`== node hop (root@127.0.0.1:${sshd.port}) ==`);
    const byRole = await cli(env, "check", "--role", "host", "--node", "role:controller", "--format", "json");
    // one node selected (the only Controller, reached through "local"): its report as it is, as locally
    expect(JSON.parse(byRole.stdout)).toMatchObject({ role: "host", root: "hop:/" });
  });

  it("inspect --node --save captures a snapshot that reads back as the node", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "kvm4nfv-save-")), "snap");
    try {
      const saved = await cli(env, "inspect", "--node", "local", "--save", dir);
      expect(saved.status).toBe(0);
      expect(saved.stdout).toMatch(/saved \d+ files .* from node local to/);
      expect(existsSync(join(dir, "proc/cpuinfo"))).toBe(true);
      const [fromSnap, remote] = await Promise.all([
        cli(env, "inspect", "--root", dir, "--json"),
        cli(env, "inspect", "--node", "local", "--json"),
      ]);
      expect(steady(fromSnap.stdout)).toEqual(steady(remote.stdout));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("inspect --list-files prints the file list", async () => {
    const r = await cli(env, "inspect", "--list-files");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("read /proc/cpuinfo\n");
    expect(r.stdout).toContain("read /proc/irq/[0-9]*/smp_affinity_list\n");
  });
});

describe("faults: one clear line each", () => {
  const oneLine = (r: { stderr: string }) => {
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it("unknown node: exit 2 naming the nodes there", async () => {
    const r = await cli(env, "inspect", "--node", "zeus");
    expect(r.status).toBe(2);
    oneLine(r);
    expect(r.stderr).toMatch(/--node zeus: no such node in .*pod\.yaml \(nodes there: local, hop\)/);
  });

  it("--node with --root: exit 2", async () => {
    const r = await cli(
      env,
      "check",
      "--role",
      "host",
      "--node",
      "local",
      "--root",
      "test/fixtures/snapshots/dev-vm",
    );
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("kvm4nfv: --root and --node are exclusive (a snapshot or a node, not both)");
  });

  it("--node without an inventory: exit 2", async () => {
    const r = await cli({ KVM4NFV_POD: "" }, "check", "--role", "host", "--node", "local");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--node needs an inventory/);
  });

  it("unreachable host: exit 3", async () => {
    const port = await freePort(); // nothing listens there
    const p = sshd.writePod([{ name: "gone", ssh_port: port }], "gone.yaml");
    const r = await cli({ ...env, KVM4NFV_POD: p }, "inspect", "--node", "gone", "--accept-new-host-key");
    expect(r.status).toBe(3);
    oneLine(r);
    expect(r.stderr).toMatch(/node gone \(root@127\.0\.0\.1:\d+\) is unreachable: .*Connection refused/);
  });

  it("refused key: exit 3 with the ssh-copy-id hint", async () => {
    const { execFileSync } = await import("node:child_process");
    const other = join(sshd.dir, "unauthorized");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const p = sshd.writePod([{ name: "local", key_filename: other }], "badkey.yaml");
    const r = await cli({ ...env, KVM4NFV_POD: p }, "inspect", "--node", "local");
    expect(r.status).toBe(3);
    oneLine(r);
    expect(r.stderr).toMatch(/node local .* refused the key .*unauthorized for root .*ssh-copy-id/);
  });

  it("unknown host key: exit 3 unless --accept-new-host-key, which writes kvm4nfv's own known_hosts", async () => {
    const kh = join(sshd.dir, "fresh_known_hosts");
    const r = await cli({ ...env, KVM4NFV_KNOWN_HOSTS: kh }, "inspect", "--node", "local");
    expect(r.status).toBe(3);
    oneLine(r);
    expect(r.stderr).toMatch(/host key is not in .*fresh_known_hosts yet .*--accept-new-host-key/);
    expect(existsSync(kh)).toBe(false);
    const ok = await cli(
      { ...env, KVM4NFV_KNOWN_HOSTS: kh },
      "inspect",
      "--node",
      "local",
      "--accept-new-host-key",
    );
    expect(ok.status).toBe(0);
    expect(readFileSync(kh, "utf8")).toContain(sshd.hostKeyPub.split(" ")[1]);
  });

  it("password entry: refused with a hint (keys only), exit 2", async () => {
    const p = sshd.writePod([{ name: "pw", key_filename: undefined, password: "root" }], "pw.yaml");
    const r = await cli({ ...env, KVM4NFV_POD: p }, "inspect", "--node", "pw");
    expect(r.status).toBe(2);
    oneLine(r);
    expect(r.stderr).toMatch(/password.*keys only.*KVM4NFV_ASKPASS/);
  });

  it("changed host key: refused clearly, even with --accept-new-host-key (exit 3); runs last, it restarts sshd", async () => {
    await sshd.rotateHostKey();
    const r = await cli(env, "inspect", "--node", "local", "--accept-new-host-key");
    expect(r.status).toBe(3);
    oneLine(r);
    expect(r.stderr).toMatch(
      /host key has CHANGED .*refusing to connect .*ssh-keygen -R '\[127\.0\.0\.1\]:\d+'/,
    );
  });
});
