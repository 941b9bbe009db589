/**
 * apply/revert --node over a real sshd on 127.0.0.1, on a snapshot copy under a temporary directory (never this
 * shared host's own settings: the RT-guest node test does sysctls, IRQs and kthreads live). The node's machine is
 * that copy (KVM4NFV_TEST_NODE_ROOT, as --root is locally), so the plan's paths are real plan targets
 * (/etc/sysctl.d, /etc/tuned) the allowlist accepts. The plan is a real `kvm4nfv plan --root` of the copy; the
 * journal lives on the node (here a path beside the copy, given with --journal) and is the same format as a local
 * apply's: readJournal reads it.
 */
import { spawn } from "node:child_process";
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readJournal } from "../../src/tuning/apply/journal.js";
import { childrenOf, cli, pgrep, settle } from "./helpers.js";
import { type LocalSshd, startSshd } from "./sshd.js";

let sshd: LocalSshd;
let env: NodeJS.ProcessEnv;
let dir: string;

beforeAll(async () => {
  sshd = await startSshd();
  const pod = sshd.writePod([{ name: "local" }]);
  env = { KVM4NFV_KNOWN_HOSTS: sshd.knownHosts, KVM4NFV_POD: pod };
  const r = await cli(env, "inspect", "--node", "local", "--accept-new-host-key");
  expect(r.status).toBe(0);
  dir = mkdtempSync(join(tmpdir(), "kvm4nfv-rapply-"));
});

afterAll(async () => {
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  expect(await settle(() => pgrep("kvm4nfv-ssh-"))).toEqual([]);
  expect(await settle(() => childrenOf(sshd.pid))).toEqual([]);
});

const SNAPSHOT = join(import.meta.dirname, "../fixtures/snapshots/dev-vm");

/** A snapshot copy with config files of awkward bytes, and a plan of it that rewrites them. */
async function setUp(name: string, count: number) {
  const base = join(dir, name);
  const root = join(base, "root");
  cpSync(SNAPSHOT, root, { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root, "etc/sysctl.d"), { recursive: true });
  const files: Record<string, Buffer> = {};
  const runtime: object[] = [];
  for (let i = 0; i < count; i++) {
    const path = `/etc/sysctl.d/kvm4nfv-f${i}.conf`;
    const p = join(root, path);
    files[p] = Buffer.from(`old ${i}: 'quote' "dq" $(id) \\ back\n%s%n\tTAB\nno-newline-end`);
    writeFileSync(p, files[p]!);
    runtime.push({ kind: "file", path, content: `new ${i}\n`, why: "test" });
  }
  runtime.push({
    kind: "file",
    path: "/etc/tuned/kvm4nfv-test/tuned.conf",
    content: "created\n",
    why: "test: a new file in new directories",
  });
  const made = await cli(env, "plan", "--role", "host", "--root", root, "--cpus", "1", "--emit", "json");
  expect(made.status, made.stderr).toBe(0);
  // "quiet" is on the snapshot's cmdline, and it has no /etc/default/grub: the boot side is only "skipped"
  const plan = { ...JSON.parse(made.stdout), runtime, cmdline: "quiet" };
  const planFile = join(base, "plan.json");
  writeFileSync(planFile, JSON.stringify(plan));
  return {
    base,
    root,
    files,
    planFile,
    journal: join(base, "journal.json"),
    nodeEnv: { ...env, KVM4NFV_TEST_NODE_ROOT: root },
  };
}

describe("apply/revert --node with the journal on the node", () => {
  it("dry run by default; --yes writes journaled; revert restores byte for byte and archives the journal", async () => {
    const { base, root, files, planFile, journal, nodeEnv: env } = await setUp("plain", 3);
    const dry = await cli(env, "apply", planFile, "--node", "local", "--journal", journal);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("f0.conf");
    expect(dry.stdout, "the plan must not touch this host's boot configuration").not.toContain(
      "GRUB_CMDLINE_LINUX +=",
    );
    expect(readFileSync(Object.keys(files)[0]!)).toEqual(Object.values(files)[0]);
    expect(existsSync(journal)).toBe(false);

    const yes = await cli(env, "apply", planFile, "--node", "local", "--journal", journal, "--yes");
    expect(yes.status, yes.stderr).toBe(0);
    for (const p of Object.keys(files)) expect(readFileSync(p, "utf8")).toMatch(/^new \d\n$/);
    expect(readFileSync(join(root, "etc/tuned/kvm4nfv-test/tuned.conf"), "utf8")).toBe("created\n");
    // read back from the node after the writes, as local apply does (check --against the plan)
    expect(yes.stdout).toContain("verified: every planned setting reads back as planned");
    expect(yes.stdout).not.toContain("NOT verified");
    // the node's journal is a local apply's: sealed, chained, verified by readJournal itself
    const read = readJournal(journal);
    expect(read.header.version).toBe(2);
    expect(read.torn).toBe(false);
    expect(read.intents).toHaveLength(1);
    expect(read.intents[0]!.writes.map((w) => w.path)).toEqual([
      ...Object.keys(files).map((p) => p.slice(root.length)),
      "/etc/tuned/kvm4nfv-test/tuned.conf",
    ]);
    expect(read.entries.filter((e) => e.kind === "file")).toHaveLength(4);
    expect(read.entries.flatMap((e) => (e.kind === "mkdir" ? [e.path] : []))).toEqual([
      "/etc/tuned",
      "/etc/tuned/kvm4nfv-test",
    ]);

    const again = await cli(env, "apply", planFile, "--node", "local", "--journal", journal, "--yes");
    expect(again.stdout).toMatch(/nothing to change/);

    const rev = await cli(env, "revert", "--node", "local", "--journal", journal);
    expect(rev.status, rev.stderr).toBe(0);
    for (const [p, old] of Object.entries(files)) expect(readFileSync(p)).toEqual(old);
    expect(existsSync(join(root, "etc/tuned"))).toBe(false);
    expect(existsSync(journal)).toBe(false);
    const archived = readdirSync(base).filter((f) => f.startsWith("journal.json.reverted-"));
    expect(archived).toHaveLength(1);
    // archived with the reverted mark chained on, as a local revert leaves it
    expect(readJournal(join(base, archived[0]!)).reverted).toBe(true);
    const none = await cli(env, "revert", "--node", "local", "--journal", journal);
    expect(none.status).toBe(2);
    expect(none.stderr.trim()).toMatch(/^kvm4nfv: no journal on node local .*nothing to revert$/);
  }, 90_000); // seven CLI runs over SSH: ~15 s alone, twice that while the suite loads the two CPUs

  it("a connection dropped mid-apply: one line, exit 4, and the node's journal lets revert finish", async () => {
    const { base, files, planFile, journal, nodeEnv: env } = await setUp("dropped", 6);
    const child = spawn(
      "node",
      ["bin/kvm4nfv.js", "apply", planFile, "--node", "local", "--journal", journal, "--yes"],
      {
        env: { ...process.env, ...env, KVM4NFV_TEST_REMOTE_PAUSE_S: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const closed = new Promise<number | null>((r) => child.on("close", (c) => r(c)));
    // wait for two writes on the node, then cut the link: kill the control master (the connection itself)
    const written = () => Object.keys(files).filter((p) => readFileSync(p, "utf8").startsWith("new")).length;
    const deadline = Date.now() + 20_000;
    while (written() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const master = pgrep("-M -N -T -S /tmp/kvm4nfv-ssh-");
    expect(master).toHaveLength(1);
    process.kill(Number(master[0]!.split(" ")[0]), "SIGKILL");
    const code = await closed;
    expect(code).toBe(4);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/node local: .*(connection was lost|did not finish).*kvm4nfv revert --node local/);
    // the node stopped (its script, named after the journal, is gone; at most the step under way finished)
    expect(await settle(() => pgrep(`kvm4nfv-apply ${journal}`))).toEqual([]);
    const partly = written();
    expect(partly).toBeGreaterThanOrEqual(2);
    expect(partly).toBeLessThan(6);

    // what the node has is a whole v2 journal: the intent and one entry per write made (or about to be)
    const read = readJournal(journal);
    expect(read.intents).toHaveLength(1);
    expect(read.entries.length).toBeGreaterThanOrEqual(partly);

    // a last line cut short as a crash mid-append leaves it: the next apply drops it and continues the chain
    appendFileSync(journal, '{"seq":99,"kind":"fi');
    expect(readJournal(journal).torn).toBe(true);
    const rest = await cli(env, "apply", planFile, "--node", "local", "--journal", journal, "--yes");
    expect(rest.status, rest.stderr).toBe(0);
    for (const p of Object.keys(files)) expect(readFileSync(p, "utf8")).toMatch(/^new \d\n$/);
    const continued = readJournal(journal);
    expect([continued.torn, continued.intents.length]).toEqual([false, 2]);

    appendFileSync(journal, '{"seq":');
    const rev = await cli(env, "revert", "--node", "local", "--journal", journal);
    expect(rev.status, rev.stderr).toBe(0);
    for (const [p, old] of Object.entries(files)) expect(readFileSync(p)).toEqual(old);
    expect(existsSync(journal)).toBe(false);
    const archived = readdirSync(base).filter((f) => f.startsWith("journal.json.reverted-"));
    expect(readJournal(join(base, archived[0]!))).toMatchObject({ reverted: true, torn: false });
  });

  it("a write undone on the node before apply ends does not read back: NOT verified, exit 1 (as locally)", async () => {
    const { files, planFile, journal, nodeEnv: env } = await setUp("undone", 3);
    const [first, ...rest] = Object.keys(files) as [string, ...string[]];
    const child = spawn(
      "node",
      ["bin/kvm4nfv.js", "apply", planFile, "--node", "local", "--journal", journal, "--yes"],
      {
        env: { ...process.env, ...env, KVM4NFV_TEST_REMOTE_PAUSE_S: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    const closed = new Promise<number | null>((r) => child.on("close", (c) => r(c)));
    // another agent on the node puts the first file back while apply is still writing the others
    const deadline = Date.now() + 20_000;
    while (!readFileSync(first, "utf8").startsWith("new") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    writeFileSync(first, "put back by another agent\n");
    expect(await closed).toBe(1);
    const name = first.slice(first.indexOf("/etc/"));
    expect(stdout).toContain(`NOT verified: still ${name}: put back by another agent -> new 0`);
    expect(stdout).not.toContain("verified: every planned setting");
    for (const p of rest) expect(stdout).not.toContain(`NOT verified: still ${p.slice(p.indexOf("/etc/"))}`);
    const rev = await cli(env, "revert", "--node", "local", "--journal", journal);
    expect(rev.status, rev.stderr).toBe(0);
    for (const [p, old] of Object.entries(files)) expect(readFileSync(p)).toEqual(old);
  });

  it("a changed node journal is refused before anything is written", async () => {
    const { files, planFile, journal, nodeEnv: env } = await setUp("tampered", 2);
    const yes = await cli(env, "apply", planFile, "--node", "local", "--journal", journal, "--yes");
    expect(yes.status, yes.stderr).toBe(0);
    const text = readFileSync(journal, "utf8");
    writeFileSync(journal, text.replace('"new 0\\n"', '"new 9\\n"'));
    const now = Object.keys(files).map((p) => readFileSync(p, "utf8"));
    const rev = await cli(env, "revert", "--node", "local", "--journal", journal);
    expect(rev.status).toBe(2);
    expect(rev.stderr.trim()).toMatch(
      /^kvm4nfv: node local: .*journal\.json line \d+ \(entry \d+\) is damaged: its checksum does not match/,
    );
    expect(Object.keys(files).map((p) => readFileSync(p, "utf8"))).toEqual(now);
    writeFileSync(journal, text);
    const again = await cli(env, "revert", "--node", "local", "--journal", journal);
    expect(again.status, again.stderr).toBe(0);
    for (const [p, old] of Object.entries(files)) expect(readFileSync(p)).toEqual(old);
  });
});
