/**
 * `kernel check PLAN --node` over a real sshd on 127.0.0.1 (src/pod's test sshd): the node is this machine, so its
 * verdict must be the local one, line for line — here a generic kernel, not the planned RT one (FAIL, exit 1).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../../pod/helpers.js";
import { type LocalSshd, startSshd } from "../../pod/sshd.js";

let sshd: LocalSshd;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sshd = await startSshd();
  env = { KVM4NFV_KNOWN_HOSTS: sshd.knownHosts, KVM4NFV_POD: sshd.writePod([{ name: "local" }]) };
});
afterAll(async () => {
  await sshd?.stop();
});

describe("kernel check --node", () => {
  it("gives the local verdict for a node that is this machine", { timeout: 120_000 }, async () => {
    const plan = join(sshd.dir, "rt-kernel.json");
    writeFileSync(plan, readFileSync(new URL("./plan-debian.json", import.meta.url)));
    const local = await cli(env, "kernel", "check", plan);
    const remote = await cli(env, "kernel", "check", plan, "--node", "local", "--accept-new-host-key");
    expect(remote.stderr).toBe("");
    expect(remote.stdout).toBe(local.stdout);
    expect(remote.status).toBe(local.status);
    expect(local.stdout).toMatch(/^(pass|FAIL): running kernel /);
  });
});
