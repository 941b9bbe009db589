/**
 * setup_options.host_setup_seqs / guest_setup_seqs → kvm4nfv's plan/apply and guest launch: which original
 * KVM4NFV script becomes what, where cyclictest runs because of it, and the refusal of a script kvm4nfv does not
 * know — by name, file and line, exit 2 through the CLI, before any scenario of the task has run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadTask } from "../../src/yardstick/run-task.js";

const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-yss-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pod = join(dir, "pod.yaml");
writeFileSync(pod, "nodes:\n-\n    name: kvm\n    role: Compute\n    ip: 127.0.0.1\n    user: root\n");
const task = (name: string, scenarios: string) => {
  const p = join(dir, name);
  writeFileSync(
    p,
    `schema: "yardstick:task:0.1"\nscenarios:\n${scenarios}context:\n  type: Node\n  name: LF\n  file: ${pod}\n`,
  );
  return p;
};
const cyclic = (host: string[], guest: string[] = []) =>
  `- type: Cyclictest\n  host: kvm.LF\n  options: {affinity: 1, loops: 100}\n  setup_options:\n    host_setup_seqs:\n${host.map((s) => `    - "${s}"\n`).join("")}${guest.length ? `    guest_setup_seqs:\n${guest.map((s) => `    - "${s}"\n`).join("")}` : ""}`;

describe("host_setup_seqs / guest_setup_seqs mapping", () => {
  it("host-setup0/1.sh → plan + apply; host-run-qemu.sh → cyclictest in kvm4nfv's RT guest", () => {
    const f = task("g.yaml", cyclic(["host-setup0.sh", "reboot", "host-setup1.sh", "host-run-qemu.sh"]));
    const p = loadTask(f, {}).prepared[0]!;
    expect(p.setup).toMatchObject({ tuneCmdline: true, tuneRuntime: true, guest: true });
    expect(p.summary).toContain("→ kvm4nfv test timer --where guest (guest vCPU 1)");
    const does = Object.fromEntries(p.setup.steps.map((s) => [s.script, s.does]));
    expect(does["host-setup0.sh"]).toMatch(/plan --role host, then apply \(a dry run unless --yes\)/);
    expect(does.reboot).toMatch(/never reboots a host/);
    expect(does["host-setup1.sh"]).toMatch(/run-time part of the same plan/);
    expect(does["host-run-qemu.sh"]).toMatch(/guest launch/);
  });

  it("without host-run-qemu.sh cyclictest runs on the node itself; stress_daily.sh becomes the load", () => {
    const f = task(
      "h.yaml",
      cyclic(["host-setup1.sh", "stress_daily.sh cpu"], ["guest-setup1.sh", "stress_daily.sh memory"]),
    );
    const p = loadTask(f, {}).prepared[0]!;
    expect(p.setup).toMatchObject({
      tuneCmdline: false,
      tuneRuntime: true,
      guest: false,
      hostLoad: "cpu",
      guestLoad: "memory",
    });
    expect(p.summary).toContain("→ kvm4nfv test timer --where host on CPU 1 on node kvm (this machine)");
    expect(p.setup.steps.map((s) => s.script)).toEqual([
      "host-setup1.sh",
      "stress_daily.sh cpu",
      "guest: guest-setup1.sh",
      "guest: stress_daily.sh memory",
    ]);
  });

  it("an unknown guest script is refused by name and line", () => {
    const f = task("u.yaml", cyclic(["host-setup0.sh"], ["guest-setup0.sh", "install-dpdk.sh"]));
    expect(() => loadTask(f, {})).toThrow(
      `${f}:11: scenarios.0.setup_options.guest_setup_seqs.1: setup script "install-dpdk.sh" is not one kvm4nfv knows; refused, nothing was run`,
    );
  });

  it("through the CLI: one line, exit 2, and the first (valid) scenario did not run either", () => {
    const f = task("two.yaml", cyclic(["host-setup1.sh"]) + cyclic(["host-setup1.sh", "host-setup2.sh"]));
    const store = join(dir, "results.db");
    const out = join(dir, "yardstick.out");
    const r = spawnSync(
      "node",
      ["bin/kvm4nfv.js", "run", "task", f, "--where", "host", "--store", store, "-o", out],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^kvm4nfv: .*two\.yaml:15: scenarios\.1\.setup_options\.host_setup_seqs\.1: setup script "host-setup2\.sh" is not one kvm4nfv knows; refused, nothing was run \(known: host-setup0\.sh, reboot, /,
    );
    expect(existsSync(store)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });
});
