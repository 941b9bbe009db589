/**
 * VF options on a live machine: liveIpLink runs the real `ip -d link show` (iproute2 6.1 here). No SR-IOV NIC
 * exists on this machine, so what can be tested live is that real output of ordinary interfaces — this machine's,
 * and a veth pair (the kernel here loads no modules: no dummy) in a network namespace this test makes and removes — yields no VF (their
 * `link/ether` lines are not `vf N` lines), and that a failing ip leaves the options unknown. The VF lines
 * themselves are tested on real captures (discovery.test.ts, test/fixtures/sriov/ip-link/).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { realExec } from "../../src/exec.js";
import { liveIpLink, parseIpLinkVfs } from "../../src/host/sriov-iplink.js";
import { fakeExec } from "../helpers/exec.js";

const NS = `kvm4nfv-sriov-${process.pid}`;
afterAll(() => {
  try {
    execFileSync("ip", ["netns", "del", NS], { stdio: "ignore" });
  } catch {
    // not made
  }
});

describe("ip -d link show, live", () => {
  it("this machine's real output: interfaces, no VF", async () => {
    const text = await liveIpLink(realExec);
    expect(text).toMatch(/^1: lo: <LOOPBACK/m);
    expect(parseIpLinkVfs(text ?? "").size).toBe(0);
  });

  it("a veth pair in a namespace of our own: real -d output, still no VF; a VF capture appended is read", () => {
    execFileSync("ip", ["netns", "add", NS]);
    execFileSync("ip", ["-n", NS, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"]);
    const text = execFileSync("ip", ["-n", NS, "-d", "link", "show"], { encoding: "utf8" });
    expect(text).toMatch(/^\s+veth addrgenmode /m);
    expect(text).toMatch(/veth0@veth1: </);
    expect(text).toMatch(/^\s+link\/ether /m);
    expect(parseIpLinkVfs(text).size).toBe(0);
    // the same real output followed by a real PF capture: the PF's VFs are found, the veth's lines are not taken
    const cap = readFileSync(join(import.meta.dirname, "../fixtures/sriov/ip-link/vlan-qos.txt"), "utf8");
    const both = parseIpLinkVfs(`${text}${cap}`);
    expect([...both.keys()]).toEqual(["ens1f1"]);
    expect(both.get("ens1f1")?.map((v) => v.vlan)).toEqual([564, 564]);
  });

  it("ip missing or failing: unknown, never guessed", async () => {
    expect(await liveIpLink(fakeExec({ tools: [] }))).toBeUndefined();
    expect(await liveIpLink(fakeExec({ answer: () => ({ exitCode: 1 }) }))).toBeUndefined();
    const exec = fakeExec({ answer: () => ({ stdout: "1: lo: <LOOPBACK>\n" }) });
    expect(await liveIpLink(exec)).toBe("1: lo: <LOOPBACK>\n");
    expect(exec.calls).toEqual(["ip -d link show"]);
  });
});
