/**
 * A real OpenSSH sshd on 127.0.0.1 for the pod tests: its own host key, config, authorized key, port and
 * pid file in a temporary directory; started by the test and stopped by it (stop() waits until it is gone).
 * The client key and a pod.yaml naming the node are written beside it.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LocalSshd {
  dir: string;
  port: number;
  /** Client private key authorized for root. */
  key: string;
  /**
   * A second authorized key whose sessions get PATH=<dir>/bare: busybox's sh and core applets only, no
   * cyclictest or stress-ng (a node without rt-tests).
   */
  bareKey: string;
  /** The node's host public key line (what a known_hosts line must hold). */
  hostKeyPub: string;
  /** kvm4nfv's known_hosts for the tests (empty at first; trust() fills it). */
  knownHosts: string;
  /** The known_hosts line that trusts this node's host key ("[127.0.0.1]:PORT TYPE KEY COMMENT"). */
  knownHostsLine: string;
  /** Trust the node once, as a user would: write knownHostsLine into knownHosts. */
  trust(): void;
  pid: number;
  /** Write a pod.yaml; each entry is a node on this sshd unless it says otherwise. */
  writePod(nodes: Array<Record<string, unknown>>, name?: string): string;
  /** Replace the host key and restart (for "changed host key"). */
  rotateHostKey(): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function keygen(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kvm4nfv-test", "-f", path]);
}

async function waitListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const { connect } = await import("node:net");
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startSshd(): Promise<LocalSshd> {
  const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-sshd-"));
  const port = await freePort();
  const hostKey = join(dir, "host_ed25519");
  const key = join(dir, "client_ed25519");
  const bareKey = join(dir, "bare_ed25519");
  keygen(hostKey);
  keygen(key);
  keygen(bareKey);
  const bare = join(dir, "bare");
  mkdirSync(bare);
  for (const applet of [
    "sh",
    "cat",
    "mkdir",
    "rm",
    "rmdir",
    "setsid",
    "sleep",
    "kill",
    "readlink",
    "printf",
    "echo",
  ]) {
    symlinkSync("/bin/busybox", join(bare, applet));
  }
  writeFileSync(
    join(dir, "authorized_keys"),
    `${readFileSync(`${key}.pub`, "utf8").trim()}\nenvironment="PATH=${bare}" ${readFileSync(`${bareKey}.pub`, "utf8").trim()}\n`,
  );
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege-separation directory
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "PermitUserEnvironment yes",
      "AllowTcpForwarding yes",
      "MaxSessions 64",
      "MaxStartups 64",
      "PrintMotd no",
      "Subsystem sftp internal-sftp",
      "",
    ].join("\n"),
  );
  let stderr = "";
  let child: ChildProcess;
  const launch = async () => {
    child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    await waitListening(port, child, () => stderr);
  };
  await launch();
  const knownHosts = join(dir, "known_hosts");
  const stopChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 3000);
    await gone;
    clearTimeout(t);
  };
  const sshd: LocalSshd = {
    dir,
    port,
    key,
    bareKey,
    get hostKeyPub() {
      return readFileSync(`${hostKey}.pub`, "utf8").trim();
    },
    knownHosts,
    get knownHostsLine() {
      return `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, "utf8").trim()}`;
    },
    trust() {
      writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    },
    get pid() {
      return child.pid ?? -1;
    },
    writePod(nodes, name = "pod.yaml") {
      const lines = ["nodes:"];
      for (const n of nodes) {
        const entry: Record<string, unknown> = {
          role: "Compute",
          ip: "127.0.0.1",
          user: "root",
          key_filename: key,
          ssh_port: port,
          ...n,
        };
        lines.push("-");
        for (const [k, v] of Object.entries(entry))
          if (v !== undefined) lines.push(`    ${k}: ${JSON.stringify(v)}`);
      }
      const path = join(dir, name);
      writeFileSync(path, `${lines.join("\n")}\n`);
      return path;
    },
    async rotateHostKey() {
      await stopChild();
      keygen(hostKey);
      await launch();
    },
    async stop() {
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
  } as LocalSshd;
  return sshd;
}

/**
 * The usual test pod: a started sshd whose host key is trusted, a pod.yaml with node `local` (full PATH) and
 * node `bare` (no rt-tests), and a fresh store; env points kvm4nfv at all three.
 */
export async function startTestPod(
  storePrefix: string,
): Promise<{ sshd: LocalSshd; env: NodeJS.ProcessEnv; store: string }> {
  const sshd = await startSshd();
  sshd.trust(); // trust the node once, as a user would
  const pod = sshd.writePod([{ name: "local" }, { name: "bare", key_filename: sshd.bareKey }]);
  const store = join(mkdtempSync(join(tmpdir(), storePrefix)), "results.db");
  return {
    sshd,
    store,
    env: { KVM4NFV_KNOWN_HOSTS: sshd.knownHosts, KVM4NFV_POD: pod, KVM4NFV_STORE: store },
  };
}
