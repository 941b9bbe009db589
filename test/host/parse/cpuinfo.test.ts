import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuIdentity, parseCpuInfo } from "../../../src/host/parse/cpuinfo.js";

const REAL = readFileSync("test/fixtures/real/dev-vm/proc_cpuinfo", "utf8");
const BASELINE = readFileSync("test/fixtures/snapshots/baseline-untuned/proc/cpuinfo", "utf8");

describe("parseCpuInfo", () => {
  it("reads every stanza of the real dev VM's /proc/cpuinfo", () => {
    const s = parseCpuInfo(REAL);
    expect(s.map((x) => x.processor)).toEqual([0, 1]);
    const id = cpuIdentity(s[0]);
    expect(id.vendor).toBe("AuthenticAMD");
    expect(id.family).toBe(25);
    expect(id.model).toBe(1);
    expect(id.modelName).toBe("AMD EPYC");
    expect(id.flags).toContain("hypervisor");
    expect(id.flags).toContain("tsc_deadline_timer");
    expect(id.flags).not.toContain("");
  });

  it("reads the baseline Xeon stanzas with tabs in keys", () => {
    const s = parseCpuInfo(BASELINE);
    expect(s).toHaveLength(36);
    expect(s[35]!.fields["physical id"]).toBe("1");
    expect(s[35]!.fields["core id"]).toBe("27");
    expect(s[35]!.fields.apicid).toBe("118");
    const id = cpuIdentity(s[0]);
    expect(id).toMatchObject({
      vendor: "GenuineIntel",
      family: 6,
      model: 63,
      stepping: 2,
      microcode: "0x2d",
    });
    expect(id.flags).toEqual(expect.arrayContaining(["vmx", "ept", "constant_tsc", "nonstop_tsc"]));
  });

  it("splits CPUs even without a blank line, and ignores junk lines", () => {
    const s = parseCpuInfo("processor : 0\nflags : a b\nnot a field\nprocessor : 1\nflags : c\n");
    expect(s.map((x) => x.processor)).toEqual([0, 1]);
    expect(cpuIdentity(s[1]).flags).toEqual(["c"]);
  });

  it("gives nulls and no flags for empty input", () => {
    expect(parseCpuInfo("")).toEqual([]);
    expect(cpuIdentity(undefined)).toEqual({
      vendor: null,
      modelName: null,
      family: null,
      model: null,
      stepping: null,
      microcode: null,
      flags: [],
    });
  });
});
