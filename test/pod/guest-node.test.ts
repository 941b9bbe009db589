/**
 * The RT guest as a second, real node: another kernel (Debian's PREEMPT_RT), its own CPUs, /proc and /sys,
 * reached over real SSH (its dropbear, through QEMU user-net hostfwd on 127.0.0.1). Booted ONCE for the file
 * (TCG boots take a minute or more here). On it: inspect, check, a timer test, and a LIVE
 * plan → apply --yes → check → revert of its run-time settings (sysctls, IRQ affinity, kernel-thread
 * priorities), byte for byte; then nothing of kvm4nfv's runs on the node, and QEMU is gone.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootGuestNode, type GuestNode } from "./guest-node.js";
import { cli, pgrep, settle } from "./helpers.js";

let guest: GuestNode;
let env: NodeJS.ProcessEnv;
let work: string;

beforeAll(async () => {
  guest = await bootGuestNode();
  env = {
    KVM4NFV_KNOWN_HOSTS: guest.knownHosts,
    KVM4NFV_POD: guest.writePod(),
    KVM4NFV_STORE: join(guest.dir, "results.db"),
  };
  work = mkdtempSync(join(tmpdir(), "kvm4nfv-guestwork-"));
}, 400_000);

afterAll(async () => {
  await guest?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  expect(await settle(() => pgrep("kvm4nfv-guest-node"))).toEqual([]);
});

/** Look on the node with plain OpenSSH (not kvm4nfv): one shell command, its output. */
function onNode(command: string): string {
  return execFileSync(
    "ssh",
    [
      "-o",
      "BatchMode=yes",
      "-o",
      `UserKnownHostsFile=${guest.knownHosts}`,
      "-o",
      "StrictHostKeyChecking=yes",
      "-i",
      guest.key,
      "-p",
      String(guest.port),
      "root@127.0.0.1",
      command,
    ],
    { encoding: "utf8", timeout: 120_000 },
  );
}

const RUNTIME_FILES = [
  "/proc/sys/kernel/timer_migration",
  "/proc/sys/vm/stat_interval",
  "/proc/sys/kernel/sched_rt_runtime_us",
  "/proc/sys/kernel/watchdog",
  "/proc/irq/default_smp_affinity",
];

/**
 * Exact bytes of the run-time settings and every thread's policy/priority, as the node reports them (kworkers
 * are left out: their names follow the work they happen to run). The threads are listed inside $(...) before
 * any pipe starts: listed with `| grep | sort` running beside the loop, the reader's own grep and sort were in
 * the listing or not depending on which process the node scheduled first (a diff that was the reader's own).
 */
function settings(): string {
  return onNode(
    `for f in ${RUNTIME_FILES.join(" ")} /proc/irq/*/smp_affinity_list; do printf '%s=' "$f"; cat "$f" 2>/dev/null | od -An -c | tr -s ' ' | tr -d '\\n'; echo; done; ` +
      "t=$(for p in /proc/[0-9]*; do [ -r $p/stat ] || continue; c=$(cat $p/comm 2>/dev/null); s=$(cut -d')' -f2 $p/stat 2>/dev/null | cut -d' ' -f40,41); echo \"$c $s\"; done); " +
      "printf '%s\\n' \"$t\" | grep -v '^kworker/' | sort",
  );
}

describe("the RT guest as a node over SSH", () => {
  it("inspect --node reads the guest's own kernel, cmdline and CPUs (not this host's)", async () => {
    const r = await cli(env, "inspect", "--node", "rtguest", "--json");
    expect(r.status, r.stderr).toBe(0);
    const h = JSON.parse(r.stdout);
    expect(h.kernel.release).toBe(guest.kernelRelease);
    expect(h.kernel.realtime).toBe(true);
    expect(h.kernel.cmdline).toContain("kvm4nfv.sshd=1");
    expect(h.topology.online).toBe("0-1");
    expect(JSON.stringify(h.cpu)).toMatch(/QEMU TCG CPU/);
    expect(h.source).toBe("rtguest:/");
  }, 120_000);

  it("check --role guest --node audits it: PREEMPT_RT passes there", async () => {
    const r = await cli(env, "check", "--role", "guest", "--node", "rtguest", "--format", "json");
    expect([0, 1]).toContain(r.status);
    const report = JSON.parse(r.stdout);
    const rt = report.findings.find((f: { id: string }) => f.id === "kernel.preempt-rt");
    expect(rt?.level).toBe("pass");
    expect(report.rtCpus).toBe("1");
  }, 120_000);

  it("test timer --node runs the guest's cyclictest on its isolated vCPU", async () => {
    const r = await cli(env, "test", "timer", "--node", "rtguest", "--duration", "2s", "--json");
    expect([0, 1], r.stderr).toContain(r.status);
    const run = JSON.parse(r.stdout);
    expect(run.params.node).toBe("rtguest");
    expect(run.params.cpus).toBe("1");
    expect(run.environment.kernelRelease).toBe(guest.kernelRelease);
    expect(run.environment.realtimeKernel).toBe(true);
    expect(run.cpus[0].samples).toBeGreaterThan(100);
    const listed = await cli(env, "results", "list", "--node", "rtguest", "--json");
    expect(JSON.parse(listed.stdout).map((x: { id: number }) => x.id)).toContain(run.id);
  }, 120_000);

  it("LIVE plan → apply --yes → check → revert of the guest's run-time settings, byte for byte", async () => {
    // put the guest off its tuned state first, so the plan has sysctls, IRQ affinities and kthreads to change
    onNode(
      "echo 1 > /proc/sys/kernel/timer_migration; echo 3 > /proc/irq/default_smp_affinity; for f in /proc/irq/*/smp_affinity_list; do echo 0-1 > $f 2>/dev/null; done; true",
    );
    const before = settings();
    const snap = join(work, "snap");
    const saved = await cli(env, "inspect", "--node", "rtguest", "--save", snap);
    expect(saved.status, saved.stderr).toBe(0);
    const planFile = join(work, "plan.json");
    const plan = await cli(env, "plan", "--role", "guest", "--root", snap, "--cpus", "1", "-o", planFile);
    expect(plan.status, plan.stderr).toBe(0);
    const checkBefore = JSON.parse(
      (await cli(env, "check", "--role", "guest", "--node", "rtguest", "--format", "json")).stdout,
    );

    const dry = await cli(env, "apply", planFile, "--node", "rtguest");
    expect(dry.status, dry.stderr).toBe(0);
    expect(settings()).toBe(before); // a dry run changes nothing
    expect(dry.stdout).toContain("/proc/sys/kernel/timer_migration");

    const applied = await cli(env, "apply", planFile, "--node", "rtguest", "--yes");
    expect(applied.status, applied.stderr).toBe(0);
    expect(applied.stdout).toContain("rtguest:/var/lib/kvm4nfv/journal.json");
    // read back on the node as local apply does; IRQs the kernel keeps (EIO) are tolerated, not unverified
    expect(applied.stdout).toContain("verified: every planned setting reads back as planned");
    const during = settings();
    expect(during).not.toBe(before);
    expect(during).toMatch(/timer_migration= +0 \\n/);
    const journal = onNode("cat /var/lib/kvm4nfv/journal.json")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const kinds = new Set(
      journal
        .slice(1)
        .map((e: { kind: string; path?: string }) =>
          e.kind === "file" ? (e.path!.startsWith("/proc/irq/") ? "irq" : "sysctl") : e.kind,
        ),
    );
    expect([...kinds].sort()).toEqual(expect.arrayContaining(["irq", "sysctl", "sched"]));

    const checkAfter = JSON.parse(
      (await cli(env, "check", "--role", "guest", "--node", "rtguest", "--format", "json")).stdout,
    );
    expect(checkAfter.summary.fail).toBeLessThan(checkBefore.summary.fail + 1);
    expect(checkAfter.summary.pass).toBeGreaterThan(checkBefore.summary.pass);

    const reverted = await cli(env, "revert", "--node", "rtguest");
    expect(reverted.status, reverted.stderr).toBe(0);
    // every kernel file written is reported restored (newest first: the first sysctl written comes back last)
    expect(reverted.stdout).toContain("restored /proc/sys/kernel/timer_migration");
    expect(reverted.stdout).toContain("restored /proc/irq/default_smp_affinity");
    expect(settings()).toBe(before);
    expect(onNode("ls /var/lib/kvm4nfv/")).toMatch(/journal\.json\.reverted-/);
  }, 400_000);

  it("a write the kernel takes but does not keep is NOT verified (exit 1); revert still restores it", async () => {
    // sched_rr_timeslice_ms: writing 0 succeeds and resets it to the kernel's default (100 ms at HZ=1000), so
    // the node reads back something else than planned — a setting that did not take, on a real kernel
    const rr = "/proc/sys/kernel/sched_rr_timeslice_ms";
    onNode(`echo 50 > ${rr}; echo 1 > /proc/sys/vm/stat_interval`);
    const made = JSON.parse(
      (
        await cli(
          env,
          "plan",
          "--role",
          "guest",
          "--root",
          join(work, "snap"),
          "--cpus",
          "1",
          "--emit",
          "json",
        )
      ).stdout,
    );
    const write = (path: string, value: string) => ({
      kind: "write",
      path,
      value,
      compare: "int",
      why: "test",
    });
    const planFile = join(work, "rr-plan.json");
    writeFileSync(
      planFile,
      JSON.stringify({ ...made, runtime: [write(rr, "0"), write("/proc/sys/vm/stat_interval", "10")] }),
    );
    const applied = await cli(env, "apply", planFile, "--node", "rtguest", "--yes");
    expect(applied.status, applied.stderr).toBe(1);
    expect(applied.stdout).toContain(`changed ${rr}: 50 -> 0`);
    expect(applied.stdout).toMatch(new RegExp(`NOT verified: still ${rr}: \\d+ -> 0`));
    expect(applied.stdout).not.toContain("NOT verified: still /proc/sys/vm/stat_interval");
    expect(onNode("cat /proc/sys/vm/stat_interval").trim()).toBe("10");
    const reverted = await cli(env, "revert", "--node", "rtguest");
    expect(reverted.status, reverted.stderr).toBe(0);
    expect(onNode(`cat ${rr} /proc/sys/vm/stat_interval`).split("\n").slice(0, 2)).toEqual(["50", "1"]);
  }, 200_000);

  it("leaves nothing of kvm4nfv running on the node", async () => {
    const ps = onNode("ps -o pid,args");
    expect(ps).not.toMatch(/cyclictest|stress-ng|kvm4nfv-supervise|kvm4nfv-run-/);
    expect(onNode("ls /tmp")).not.toMatch(/kvm4nfv-run-/);
    expect(await settle(() => pgrep("kvm4nfv-ssh-"))).toEqual([]);
  }, 120_000);
});
