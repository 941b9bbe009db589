import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import {
  parseBandwidth,
  parseCaps,
  parseDurationMs,
  parseMemoryMiB,
  parseParams,
  parseSla,
  parseWorkload,
} from "../../../src/measure/migration/args.js";
import { planFromFlags } from "../../../src/measure/migration/command.js";

describe("migration flag parsers", () => {
  it("reads bandwidths: bits are decimal, bytes binary, as QEMU's max-bandwidth wants bytes/s", () => {
    expect(parseBandwidth("10Gbit")).toBe(1_250_000_000);
    expect(parseBandwidth("10Gbps")).toBe(1_250_000_000);
    expect(parseBandwidth("100Mbit")).toBe(12_500_000);
    expect(parseBandwidth("1G")).toBe(2 ** 30);
    expect(parseBandwidth("128MiB/s")).toBe(134_217_728);
    expect(parseBandwidth("2.5Gbit")).toBe(312_500_000);
    expect(parseBandwidth("1000")).toBe(1000);
  });

  it("refuses bandwidths it cannot read, with a UsageError (exit 2)", () => {
    for (const bad of ["fast", "10Gbot", "-1G", "0", ""]) {
      expect(() => parseBandwidth(bad)).toThrow(UsageError);
    }
    try {
      parseBandwidth("10Gbot");
    } catch (err) {
      expect((err as UsageError).exitCode).toBe(2);
      expect((err as Error).message).toContain("--bandwidth");
    }
  });

  it("reads durations and memory sizes", () => {
    expect(parseDurationMs("10ms")).toBe(10);
    expect(parseDurationMs("2s")).toBe(2000);
    expect(parseDurationMs("500us")).toBe(0.5);
    expect(parseDurationMs("1m")).toBe(60_000);
    expect(parseDurationMs("7")).toBe(7);
    expect(() => parseDurationMs("10 parsecs")).toThrow(UsageError);
    expect(parseMemoryMiB("8G")).toBe(8192);
    expect(parseMemoryMiB("512M")).toBe(512);
    expect(parseMemoryMiB("512MiB")).toBe(512);
    expect(() => parseMemoryMiB("64M")).toThrow(/at least 128M/);
    expect(() => parseMemoryMiB("lots")).toThrow(UsageError);
  });

  it("reads an SLA over the seeds' default and names unknown keys", () => {
    expect(parseSla("total=2s,downtime=10ms")).toEqual({ totalMs: 2000, downtimeMs: 10 });
    expect(parseSla("downtime=5ms")).toEqual({ totalMs: 2000, downtimeMs: 5 });
    expect(parseSla("setup=500ms,guest-downtime=50ms")).toMatchObject({ setupMs: 500, guestDowntimeMs: 50 });
    expect(() => parseSla("latency=3ms")).toThrow(/--sla: cannot read "latency=3ms"/);
    expect(() => parseSla("total=")).toThrow(UsageError);
  });

  it("reads capabilities with on/off forms and refuses unknown ones", () => {
    expect(parseCaps("multifd,return-path,-xbzrle")).toEqual({
      multifd: true,
      "return-path": true,
      xbzrle: false,
    });
    expect(parseCaps("postcopy-ram=on,auto-converge=off")).toEqual({
      "postcopy-ram": true,
      "auto-converge": false,
    });
    expect(() => parseCaps("turbo")).toThrow(/unknown migration capability "turbo"/);
  });

  it("reads parameters with typed values", () => {
    expect(
      parseParams("multifd-channels=4,downtime-limit=10ms,max-bandwidth=10Gbit,xbzrle-cache-size=256M"),
    ).toEqual({
      "multifd-channels": 4,
      "downtime-limit": 10,
      "max-bandwidth": 1_250_000_000,
      "xbzrle-cache-size": 256 * 2 ** 20,
    });
    expect(() => parseParams("multifd-channels=four")).toThrow(/whole number/);
    expect(() => parseParams("warp-factor=9")).toThrow(/--params: cannot read/);
    expect(() => parseParams("downtime-limit")).toThrow(UsageError);
  });

  it("reads workloads", () => {
    expect(parseWorkload("idle")).toEqual({ kind: "idle" });
    expect(parseWorkload("dirty:512")).toEqual({ kind: "dirty", rateMiBs: 512, wssMiB: null });
    expect(parseWorkload("dirty:512M/s,wss=1G")).toEqual({ kind: "dirty", rateMiBs: 512, wssMiB: 1024 });
    expect(() => parseWorkload("busy")).toThrow(UsageError);
    expect(() => parseWorkload("dirty:0")).toThrow(/> 0/);
  });
});

describe("planFromFlags", () => {
  it("defaults to the seeds: 8 GiB idle guest, 10 Gbit/s cap, SLA 2 s / 10 ms, downtime limit with headroom", () => {
    const plan = planFromFlags({});
    expect(plan.mode).toBe("single");
    expect(plan.options.memoryMiB).toBe(8192);
    expect(plan.options.sla).toEqual({ totalMs: 2000, downtimeMs: 10 });
    // No --downtime-limit: the headroom rule starts at half the SLA's 10 ms.
    expect(plan.adaptiveDowntime).toBe(true);
    expect(plan.config.params).toMatchObject({ "max-bandwidth": 1_250_000_000, "downtime-limit": 5 });
    expect(plan.config.caps.multifd).toBeUndefined();
    expect(plan.guest).toEqual({ freePageHint: false, hugepages: false });
    // Given, it is used as is; the headroom follows a given SLA.
    expect(planFromFlags({ downtimeLimit: "10ms" })).toMatchObject({ adaptiveDowntime: false });
    expect(planFromFlags({ downtimeLimit: "10ms" }).config.params["downtime-limit"]).toBe(10);
    expect(planFromFlags({ sla: "downtime=30ms" }).config.params["downtime-limit"]).toBe(15);
  });

  it("reads --guest and refuses what it does not know", () => {
    expect(planFromFlags({ guest: "free-page-hint,hugepages" }).guest).toEqual({
      freePageHint: true,
      hugepages: true,
    });
    expect(planFromFlags({ guest: "plain" }).guest).toEqual({ freePageHint: false, hugepages: false });
    expect(() => planFromFlags({ guest: "x-ignore-shared" })).toThrow(UsageError);
    expect(() => planFromFlags({ guest: "hugepages", sweep: true })).toThrow(/--guest does not apply/);
  });

  it("converges a dirtying guest by postcopy at once unless told otherwise; idle guests stay precopy", () => {
    const dirty = planFromFlags({ workload: "dirty:512,wss=1G" });
    expect(dirty.config.caps).toMatchObject({ "postcopy-ram": true, "postcopy-blocktime": true });
    expect(dirty.config.postcopyAfterPasses).toBe(0);
    expect(planFromFlags({}).config.caps["postcopy-ram"]).toBeUndefined();
    expect(planFromFlags({}).config.postcopyAfterPasses).toBeUndefined();
    expect(planFromFlags({ postcopyAfter: "2" }).config.postcopyAfterPasses).toBe(2);
    const never = planFromFlags({ workload: "dirty:512", postcopyAfter: "never" });
    expect(never.config.caps["postcopy-ram"]).toBeUndefined();
    expect(planFromFlags({ workload: "dirty:512", caps: "-postcopy-ram" }).config.postcopyAfterPasses).toBe(
      undefined,
    );
    expect(() => planFromFlags({ postcopyAfter: "soon" })).toThrow(UsageError);
    expect(() => planFromFlags({ postcopyAfter: "-1" })).toThrow(/not a number of passes/);
  });

  it("lets --caps and --params override kvm4nfv's choice", () => {
    const plan = planFromFlags({ caps: "-multifd,return-path", params: "multifd-channels=4" });
    expect(plan.config.name).toBe("kvm4nfv+custom");
    expect(plan.config.caps).toMatchObject({ multifd: false, "return-path": true });
    expect(plan.config.params["multifd-channels"]).toBe(4);
  });

  it("refuses contradictory or impossible requests before anything starts", () => {
    expect(() => planFromFlags({ sweep: true, compareDefaults: true })).toThrow(/exclusive/);
    expect(() => planFromFlags({ sweep: true, caps: "xbzrle" })).toThrow(/do not apply/);
    expect(() => planFromFlags({ accel: "hvf" })).toThrow(/not an accelerator/);
    expect(() => planFromFlags({ repeat: "0" })).toThrow(/--repeat/);
    expect(() => planFromFlags({ memory: "512M", workload: "dirty:64,wss=1G" })).toThrow(/does not fit/);
    expect(() => planFromFlags({ downtimeLimit: "500us" })).toThrow(/at least 1ms/);
  });
});
