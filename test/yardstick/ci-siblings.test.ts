/**
 * The seven daily task files kvmfornfv's CI generated (ci-siblings.ts: its own sed lines on the real file) read
 * and mapped by kvm4nfv: the tc name, the stress load where the CI put it, and host-setup0/1.sh gone for the
 * guest-stress ones (so no host plan is applied for them).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadTask } from "../../src/yardstick/run-task.js";
import { CI_TESTS, ciSibling } from "./ci-siblings.js";

const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-ysci-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pod = join(dir, "pod.yaml");
writeFileSync(pod, "nodes:\n-\n    name: kvm\n    role: Controller\n    ip: 127.0.0.1\n    user: root\n");

describe("kvmfornfv CI's generated task files", () => {
  it.each(CI_TESTS)("%s", (name) => {
    const file = ciSibling(dir, name, 1000);
    expect(readFileSync(file, "utf8")).toContain(`tc: "kvmfornfv_cyclictest_${name}"`);
    const { task, prepared } = loadTask(file, { pod });
    expect(task.name).toBe(`kvmfornfv_cyclictest_${name}`);
    const p = prepared[0]!;
    expect(p.scenario.tc).toBe(`kvmfornfv_cyclictest_${name}`);
    expect(p.scenario.options.loops).toBe(1000);
    const [host, guest] = name.split("_") as [string, string];
    const kind = (s: string) => (s === "idle" ? "idle" : s.replace("stress", ""));
    expect(p.setup.hostLoad).toBe(kind(host));
    expect(p.setup.guestLoad).toBe(kind(guest));
    const guestStress = guest !== "idle";
    expect(p.setup.tuneCmdline).toBe(!guestStress);
    expect(p.setup.tuneRuntime).toBe(!guestStress);
    expect(p.setup.guest).toBe(true); // host-run-qemu.sh stays in every one
    expect(p.summary).toContain("--where guest");
  });
});
