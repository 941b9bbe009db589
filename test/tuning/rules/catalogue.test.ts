import { describe, expect, it } from "vitest";
import { runCheck } from "../../../src/tuning/check.js";
import { RULES } from "../../../src/tuning/rules/index.js";
import { buildHost, buildVm, withCmdline } from "../../helpers/host.js";

const REQUIRED = [
  "os.cpu-isolation.isolcpus",
  "os.rcu-nocbs",
  "os.irq-affinity",
  "os.rt-throttling",
  "os.watchdog",
  "os.hugepages",
  "platform.hyperthreading",
  "kernel.preempt-rt",
];

describe("rule catalogue", () => {
  it("has unique, stable kebab-case ids dotted by their area", () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z]+(\.[a-z0-9]+(-[a-z0-9]+)*)+$/);
      expect(r.id.startsWith(`${r.area}.`), r.id).toBe(true);
      expect(r.source, r.id).toMatch(/seed|tuning-anchors|kvm4nfv-original/);
    }
    for (const id of REQUIRED) expect(ids).toContain(id);
  });

  it("gives every finding evidence and an expectation, and every failure a remedy", () => {
    const hosts = [
      buildHost(),
      buildVm(),
      withCmdline(buildHost({ runtime: { sysctl: { "kernel.watchdog": "1" }, ksmRun: 1 } }), {
        isolcpus: undefined,
      }),
    ];
    for (const host of hosts) {
      for (const role of ["host", "guest"]) {
        for (const f of runCheck(host, { role }).findings) {
          expect(f.evidence, f.id).not.toBe("");
          expect(f.expected, f.id).not.toBe("");
          if (f.level === "fail" || f.level === "warn") expect(f.remedy, f.id).toBeTruthy();
        }
      }
    }
  });

  it("passes or cannot see every rule on the tuned builder host", () => {
    const bad = runCheck(buildHost(), { role: "host" }).findings.filter(
      (f) => f.level === "fail" || f.level === "warn",
    );
    expect(bad.map((f) => f.id)).toEqual([]);
  });

  it("refuses an unknown role, an empty --cpus and CPUs the machine lacks", () => {
    expect(() => runCheck(buildHost(), { role: "router" })).toThrow(/unknown role "router"/);
    expect(() => runCheck(buildHost(), { role: "host", cpus: " " })).toThrow(/--cpus is empty/);
    expect(() => runCheck(buildHost(), { role: "host", cpus: "30-40" })).toThrow(/no online CPU 36-40/);
  });
});
