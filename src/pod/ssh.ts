/**
 * The transport to a node: the system's OpenSSH client, always through src/exec.ts (argv arrays, tracked
 * children, killed with kvm4nfv).
 *
 *  - One handshake per kvm4nfv command: connect() starts a ControlMaster (`ssh -M -N`, a tracked foreground
 *    child, so it dies with kvm4nfv) on a socket in a private 0700 directory; every later call multiplexes
 *    over it (ControlMaster=no, same ControlPath). close() ends it. A one-shot session (inspect, check: one call)
 *    makes that call a plain ssh instead: still one handshake, one process fewer.
 *  - Never interactive: BatchMode=yes, ConnectTimeout, ServerAliveInterval (a dead link is noticed).
 *  - Host keys are never silently trusted: kvm4nfv keeps its own known_hosts ($KVM4NFV_KNOWN_HOSTS, else
 *    $XDG_CONFIG_HOME/kvm4nfv/known_hosts), StrictHostKeyChecking=yes, and accept-new only when the user asks
 *    (--accept-new-host-key); a changed key is refused (ssh refuses it under accept-new too).
 *  - Keys only: a password entry is refused with a hint, unless $KVM4NFV_ASKPASS names a helper that prints
 *    the password (ssh's SSH_ASKPASS; kvm4nfv hands it the inventory's password as $KVM4NFV_SSH_PASSWORD).
 *  - A jump host (`jump: NODE` in pod.yaml) is what ProxyJump does, spelled as ProxyCommand `ssh -W %h:%p`
 *    so that the jump connection gets the same known_hosts, key and options (ssh applies command-line -o
 *    options to the destination only, never to a ProxyJump hop).
 *  - The remote command is one string from shJoin(argv): the node's shell parses nothing of ours.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { UsageError } from "../errors.js";
import { type Child, type Exec, type RunResult, realExec } from "../exec.js";
import { jumpNode, type Pod, type PodNode } from "./inventory.js";
import { shJoin } from "./quote.js";
import { describeNode, SshError, sshFailure } from "./ssh-errors.js";

export interface SshOptions {
  pod?: Pod;
  /**
   * The command needs one round trip (inspect, check): its first call is a plain ssh (one handshake, one
   * process) instead of a control master plus a client; a second call still opens the master.
   */
  oneShot?: boolean;
  acceptNewHostKey?: boolean;
  knownHosts?: string;
  connectTimeoutS?: number;
  exec?: Exec;
  env?: NodeJS.ProcessEnv;
}

export function knownHostsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KVM4NFV_KNOWN_HOSTS?.trim()) return env.KVM4NFV_KNOWN_HOSTS;
  const base = env.XDG_CONFIG_HOME?.trim() ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
  return join(base, "kvm4nfv", "known_hosts");
}

/** ssh_config values are whitespace-split unless quoted. */
function cfg(value: string): string {
  return /[\s"]/.test(value) ? `"${value.replace(/"/g, "")}"` : value;
}

/** Control-socket directories still open: Ctrl-C ends kvm4nfv with process.exit (exec.ts), and they go too. */
const controlDirs = new Set<string>();
function trackControlDir(dir: string): void {
  if (controlDirs.size === 0 && !exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const d of controlDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  controlDirs.add(dir);
}
let exitHookInstalled = false;

export class SshSession {
  readonly node: PodNode;
  readonly knownHosts: string;
  /** SSH round trips made (handshake excluded), for the benchmarks. */
  roundTrips = 0;
  private readonly options: SshOptions;
  private readonly exec: Exec;
  private readonly env: NodeJS.ProcessEnv;
  private controlDir: string | undefined;
  private master: Child | undefined;
  private masterStderr = "";

  constructor(node: PodNode, options: SshOptions = {}) {
    this.node = node;
    this.options = options;
    this.exec = options.exec ?? realExec;
    this.env = options.env ?? process.env;
    this.knownHosts = options.knownHosts ?? knownHostsPath(this.env);
    this.oneShotLeft = options.oneShot === true;
    if (node.password !== undefined && node.keyFilename === undefined && !this.env.KVM4NFV_ASKPASS) {
      throw new UsageError(
        `${describeNode(node)}: pod.yaml gives a password, and kvm4nfv logs in with keys only`,
        "add key_filename for the node (ssh-copy-id puts the key there), or set KVM4NFV_ASKPASS to a helper that prints $KVM4NFV_SSH_PASSWORD",
      );
    }
    if (node.keyFilename !== undefined && !existsSync(node.keyFilename)) {
      throw new UsageError(`${describeNode(node)}: key_filename ${node.keyFilename}: no such file`);
    }
  }

  private ensureKnownHostsDir(): void {
    if (this.options.acceptNewHostKey) mkdirSync(dirname(this.knownHosts), { recursive: true, mode: 0o700 });
  }

  private usesAskpass(): boolean {
    return this.node.password !== undefined && this.node.keyFilename === undefined;
  }

  /** Options for one hop (this node or a jump node). */
  private hopOptions(node: PodNode): string[] {
    const askpass = node.password !== undefined && node.keyFilename === undefined;
    const o = [
      `BatchMode=${askpass ? "no" : "yes"}`,
      `ConnectTimeout=${this.options.connectTimeoutS ?? 10}`,
      "ServerAliveInterval=5",
      "ServerAliveCountMax=3",
      `UserKnownHostsFile=${cfg(this.knownHosts)}`,
      "GlobalKnownHostsFile=/dev/null",
      `StrictHostKeyChecking=${this.options.acceptNewHostKey ? "accept-new" : "yes"}`,
      "HashKnownHosts=no",
      "LogLevel=ERROR",
      "ForwardAgent=no",
      "ClearAllForwardings=yes",
      `PasswordAuthentication=${askpass ? "yes" : "no"}`,
      "KbdInteractiveAuthentication=no",
    ];
    if (node.keyFilename !== undefined) o.push(`IdentityFile=${cfg(node.keyFilename)}`, "IdentitiesOnly=yes");
    const args = o.flatMap((x) => ["-o", x]);
    args.push("-p", String(node.port), "-l", node.user);
    const jump = this.options.pod ? jumpNode(this.options.pod, node) : undefined;
    if (jump)
      args.push(
        "-o",
        `ProxyCommand=${shJoin(["ssh", ...this.hopOptions(jump), "-W", "%h:%p", "--", jump.ip])}`,
      );
    return args;
  }

  private controlPath(): string {
    if (!this.controlDir) {
      // Unix socket paths are short (108 bytes): a short private directory under /tmp, not $TMPDIR.
      const dir = mkdtempSync(join(existsSync("/tmp") ? "/tmp" : tmpdir(), "kvm4nfv-ssh-"));
      this.controlDir = dir;
      trackControlDir(dir);
    }
    return join(this.controlDir, "ctl");
  }

  private childEnv(): Record<string, string> | undefined {
    if (!this.usesAskpass()) return undefined;
    return {
      SSH_ASKPASS: this.env.KVM4NFV_ASKPASS ?? "",
      SSH_ASKPASS_REQUIRE: "force",
      KVM4NFV_SSH_PASSWORD: this.node.password ?? "",
    };
  }

  /** The ssh argv for one remote command over the control connection. */
  commandArgs(argv: readonly string[]): string[] {
    return [
      ...this.hopOptions(this.node),
      "-T",
      "-S",
      this.controlPath(),
      "-o",
      "ControlMaster=no",
      "--",
      this.node.ip,
      shJoin(argv),
    ];
  }

  /** The first call of a one-shot session has not been made yet: it goes without a control master. */
  private oneShotLeft: boolean;

  /** Open the control connection (the one handshake). Idempotent. */
  async connect(): Promise<void> {
    if (this.master) return;
    this.oneShotLeft = false;
    this.ensureKnownHostsDir();
    const ctl = this.controlPath();
    const env = this.childEnv();
    const master = this.exec.start(
      "ssh",
      [
        ...this.hopOptions(this.node),
        "-M",
        "-N",
        "-T",
        "-S",
        ctl,
        "-o",
        "ControlPersist=no",
        "--",
        this.node.ip,
      ],
      env ? { env } : {},
    );
    this.master = master;
    master.stderr?.on("data", (b: Buffer) => {
      this.masterStderr += b.toString();
    });
    let ended = false;
    void master.exited.then(() => {
      ended = true;
    });
    const deadline = Date.now() + ((this.options.connectTimeoutS ?? 10) + 20) * 1000;
    while (!existsSync(ctl)) {
      if (ended) {
        this.master = undefined;
        throw sshFailure(this.node, this.masterStderr, this.knownHosts, false);
      }
      if (Date.now() > deadline) {
        await master.stop(500);
        this.master = undefined;
        throw new SshError(
          "unreachable",
          `${describeNode(this.node)} is unreachable: no connection after ${this.options.connectTimeoutS ?? 10} s`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Run argv on the node and wait for it (one round trip). A non-zero status is returned, not thrown. */
  async run(
    argv: readonly string[],
    options: { input?: string; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    await this.connect();
    this.roundTrips++;
    const env = this.childEnv();
    const r = await this.exec.run("ssh", this.commandArgs(argv), {
      allowFailure: true,
      timeoutMs: options.timeoutMs ?? 120_000,
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(env ? { env } : {}),
    });
    if (r.exitCode === 255) throw sshFailure(this.node, r.stderr, this.knownHosts, this.master !== undefined);
    return r;
  }

  /**
   * Run argv with `input` on its stdin and keep stdout as bytes (exec.run decodes text; the reader's stream
   * can carry binary files such as /proc/config.gz). One round trip.
   */
  async runRaw(
    argv: readonly string[],
    input: string,
    timeoutMs = 120_000,
  ): Promise<{ exitCode: number; stdout: Buffer; stderr: string }> {
    const direct = this.oneShotLeft && !this.master;
    if (direct) {
      this.oneShotLeft = false;
      this.ensureKnownHostsDir();
    } else await this.connect();
    const child = direct ? this.startDirect(argv) : this.start(argv);
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout?.on("data", (b: Buffer) => chunks.push(Buffer.from(b)));
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.stdin?.end(input);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void child.stop(1000);
    }, timeoutMs);
    const { exitCode } = await child.exited;
    clearTimeout(timer);
    if (timedOut) {
      throw new SshError("lost", `${describeNode(this.node)}: no answer within ${timeoutMs} ms`);
    }
    // without a master, output from the node says the connection was made (then lost), none that it never was
    if (exitCode === 255)
      throw sshFailure(this.node, stderr, this.knownHosts, !direct || chunks.some((c) => c.length > 0));
    return { exitCode: exitCode ?? -1, stdout: Buffer.concat(chunks), stderr };
  }

  /** A one-shot session's only call: one ssh with its own connection (no control socket). */
  private startDirect(argv: readonly string[]): Child {
    this.roundTrips++;
    const env = this.childEnv();
    return this.exec.start(
      "ssh",
      [
        ...this.hopOptions(this.node),
        "-T",
        "-o",
        "ControlMaster=no",
        "-o",
        "ControlPath=none",
        "--",
        this.node.ip,
        shJoin(argv),
      ],
      { stdin: "pipe", ...(env ? { env } : {}) },
    );
  }

  /** Start argv on the node with stdin kept open (the remote watchdog's lifeline; see remote-exec.ts). */
  start(argv: readonly string[]): Child {
    if (!this.master) throw new Error("SshSession.start before connect()");
    this.roundTrips++;
    const env = this.childEnv();
    return this.exec.start("ssh", this.commandArgs(argv), { stdin: "pipe", ...(env ? { env } : {}) });
  }

  /** End the control connection and remove its socket directory. */
  async close(): Promise<void> {
    const m = this.master;
    this.master = undefined;
    if (m) await m.stop(2000);
    if (this.controlDir) {
      rmSync(this.controlDir, { recursive: true, force: true });
      controlDirs.delete(this.controlDir);
    }
    this.controlDir = undefined;
  }
}

/** Open a session, run fn, always close. */
export async function withSession<T>(
  node: PodNode,
  options: SshOptions,
  fn: (s: SshSession) => Promise<T>,
): Promise<T> {
  const s = new SshSession(node, options);
  try {
    if (!options.oneShot) await s.connect();
    return await fn(s);
  } finally {
    await s.close();
  }
}
