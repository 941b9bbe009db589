#!/usr/bin/env node
// Pod benchmark (issue 14): SSH round trips of `inspect --node`, and `check --node all` on 8 nodes against one.
// Nodes: a real OpenSSH sshd this script starts on 127.0.0.1 (own host key, config and authorized key; stopped at
// the end), listed 8 times under different names (each is its own SSH connection and fetch).
// Targets: inspect --node N ≤ 2 round trips over a warm control connection; check --node all (8) < 2× one node.
// Run after `npm run build`: node bench/pod.mjs [runs]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchNode } from "../dist/pod/remote-fs.js";
import { SshSession } from "../dist/pod/ssh.js";

const runs = Number(process.argv[2] ?? 7);
const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-bench-pod-"));
const port = await new Promise((res) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});
for (const k of ["host", "client"])
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, k)]);
writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "client.pub")));
mkdirSync("/run/sshd", { recursive: true });
writeFileSync(
  join(dir, "sshd_config"),
  `Port ${port}\nListenAddress 127.0.0.1\nHostKey ${join(dir, "host")}\nPidFile ${join(dir, "pid")}\n` +
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n` +
    "UsePAM no\nStrictModes no\nMaxSessions 64\nMaxStartups 64\n",
);
const sshd = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: "ignore" });
for (let up = false; !up; ) {
  up = await new Promise((r) =>
    connect(port, "127.0.0.1", function () {
      this.destroy();
      r(true);
    }).on("error", () => r(false)),
  );
  if (!up) await new Promise((r) => setTimeout(r, 50));
}
const knownHosts = join(dir, "known_hosts");
writeFileSync(
  knownHosts,
  `[127.0.0.1]:${port} ${readFileSync(join(dir, "host.pub"), "utf8").split(" ").slice(0, 2).join(" ")}\n`,
);
const node = (name) => ({
  name,
  role: "Compute",
  ip: "127.0.0.1",
  user: "root",
  port,
  keyFilename: join(dir, "client"),
});
const pod = join(dir, "pod.yaml");
writeFileSync(
  pod,
  `nodes:\n${Array.from({ length: 8 }, (_, i) => `- {name: n${i}, ip: 127.0.0.1, user: root, key_filename: ${join(dir, "client")}, ssh_port: ${port}}\n`).join("")}`,
);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  // 1. round trips and time of the remote read over a warm control connection (in-process)
  const s = new SshSession(node("n0"), { knownHosts });
  const t0 = performance.now();
  await s.connect();
  const handshake = performance.now() - t0;
  const fetchMs = [];
  let trips = 0;
  for (let i = 0; i < runs; i++) {
    const before = s.roundTrips;
    const t = performance.now();
    const fs = await fetchNode(s);
    fetchMs.push(performance.now() - t);
    trips = s.roundTrips - before;
    fs.dispose();
  }
  const { readHost } = await import("../dist/host/read.js");
  const tr = performance.now();
  readHost(await fetchNode(s));
  const readMs = performance.now() - tr;
  await s.close();
  console.log(
    `inspect --node: ${trips} SSH round trip(s) per read over the warm control connection (target ≤ 2)`,
  );
  console.log(
    `  handshake (ControlMaster) ${handshake.toFixed(0)} ms; one read (fetch) median ${median(fetchMs).toFixed(0)} ms of ${runs}; fetch + readHost ${readMs.toFixed(0)} ms`,
  );

  // 2. the CLI: one node against eight (all over the same sshd: eight connections, eight fetches)
  const env = { ...process.env, KVM4NFV_KNOWN_HOSTS: knownHosts, KVM4NFV_POD: pod };
  const time = (args) => {
    const t = performance.now();
    const r = spawnSync("node", ["bin/kvm4nfv.js", ...args], { env, encoding: "utf8" });
    if (r.status !== 0 && r.status !== 1) throw new Error(r.stderr);
    return performance.now() - t;
  };
  const one = [];
  const eight = [];
  const local = [];
  for (let i = 0; i < runs; i++) {
    local.push(time(["check", "--role", "host", "--format", "json"]));
    one.push(time(["check", "--role", "host", "--node", "n0", "--format", "json"]));
    eight.push(time(["check", "--role", "host", "--node", "all", "--format", "json"]));
  }
  const ratio = median(eight) / median(one);
  console.log(
    `check (CLI wall time, medians of ${runs}): local ${median(local).toFixed(0)} ms, --node n0 ${median(one).toFixed(0)} ms, --node all (8 nodes) ${median(eight).toFixed(0)} ms`,
  );
  console.log(`  8 nodes / 1 node = ${ratio.toFixed(2)}× (target < 2×)`);
} finally {
  sshd.kill("SIGTERM");
  await new Promise((r) => sshd.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
}
