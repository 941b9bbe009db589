import { describe, expect, it } from "vitest";
import {
  guestDowntimeMs,
  type LoggedEvent,
  migrationMetrics,
  migrationVerdict,
} from "../../../src/measure/migration/metrics.js";
import {
  formatComparison,
  formatSweep,
  median,
  recommend,
  worst,
} from "../../../src/measure/migration/report.js";
import type { RunRecord } from "../../../src/measure/types.js";

// A real QEMU 7.2 query-migrate answer (512 MiB idle guest, multifd 2, TCG) and its events.
const QUERY = {
  status: "completed",
  "total-time": 95,
  downtime: 1,
  "setup-time": 4,
  ram: {
    total: 537403392,
    "dirty-sync-count": 2,
    "multifd-bytes": 91086976,
    "downtime-bytes": 0,
    remaining: 0,
    mbps: 8105.000263736264,
    transferred: 92068683,
    "precopy-bytes": 981707,
    duplicate: 109072,
    "dirty-pages-rate": 0,
    skipped: 0,
    "normal-bytes": 90644480,
    normal: 22130,
  },
};
const T = 1_763_790_000_000;
const EVENTS: LoggedEvent[] = [
  { side: "destination", event: "MIGRATION", timeMs: T - 5, data: { status: "setup" } },
  { side: "source", event: "MIGRATION", timeMs: T, data: { status: "setup" } },
  { side: "source", event: "MIGRATION_PASS", timeMs: T + 3, data: { pass: 1 } },
  { side: "source", event: "MIGRATION", timeMs: T + 4, data: { status: "active" } },
  { side: "source", event: "STOP", timeMs: T + 90.25, data: {} },
  { side: "source", event: "MIGRATION_PASS", timeMs: T + 90.5, data: { pass: 2 } },
  { side: "source", event: "MIGRATION", timeMs: T + 95, data: { status: "completed" } },
  { side: "destination", event: "RESUME", timeMs: T + 95.5, data: {} },
  { side: "destination", event: "MIGRATION", timeMs: T + 95.4, data: { status: "completed" } },
];

function run(
  name: string,
  metrics: Record<string, number | string | null>,
  status: "pass" | "fail" | "error",
  summary = "",
): RunRecord {
  return {
    id: null,
    type: "migration",
    label: name,
    startedAt: "",
    endedAt: "",
    params: {},
    environment: {
      hostname: null,
      kernelRelease: null,
      kernelCmdline: null,
      cpuModel: null,
      realtimeKernel: null,
      toolVersions: {},
      where: "guest",
    },
    cpus: [],
    metrics,
    raw: {},
    verdict: { status, limits: [], breaches: [], summary },
  };
}

describe("migration metrics", () => {
  it("maps query-migrate and the events to the run record's metric names", () => {
    const m = migrationMetrics(QUERY, EVENTS);
    expect(m).toMatchObject({
      status: "completed",
      total_time_ms: 95,
      downtime_ms: 1,
      setup_time_ms: 4,
      transferred_bytes: 92068683,
      zero_pages: 109072,
      normal_pages: 22130,
      passes: 2,
      dirty_sync_count: 2,
      dirty_pages_rate: 0,
      event_total_ms: 95,
    });
    expect(m.mbps).toBeCloseTo(8105, 0);
  });

  it("times the postcopy phase from the source's postcopy-active to completed", () => {
    const pc: LoggedEvent[] = [
      { side: "source", event: "MIGRATION", timeMs: T, data: { status: "setup" } },
      { side: "source", event: "MIGRATION", timeMs: T + 4, data: { status: "active" } },
      { side: "source", event: "MIGRATION", timeMs: T + 60, data: { status: "postcopy-active" } },
      { side: "source", event: "MIGRATION", timeMs: T + 1800.5, data: { status: "completed" } },
    ];
    expect(migrationMetrics({ status: "completed" }, pc).postcopy_phase_ms).toBe(1740.5);
    expect(migrationMetrics(QUERY, EVENTS).postcopy_phase_ms).toBeNull();
  });

  it("measures guest-visible downtime from the source's STOP to the destination's RESUME", () => {
    expect(guestDowntimeMs(EVENTS)).toBe(5.25);
    expect(guestDowntimeMs(EVENTS.filter((e) => e.event !== "RESUME"))).toBeNull();
    expect(guestDowntimeMs(EVENTS.filter((e) => e.event !== "STOP"))).toBeNull();
  });

  it("judges against the SLA and names what broke", () => {
    const sla = { totalMs: 2000, downtimeMs: 10 };
    expect(migrationVerdict({ total_time_ms: 95, downtime_ms: 1 }, sla).status).toBe("pass");
    const v = migrationVerdict({ total_time_ms: 3172, downtime_ms: 38 }, sla);
    expect(v.status).toBe("fail");
    expect(v.summary).toBe("total 3172 ms > 2000 ms; downtime 38 ms > 10 ms");
    expect(v.breaches).toHaveLength(2);
    // A limit that could not be checked is not a pass.
    expect(migrationVerdict({ total_time_ms: 95, downtime_ms: null }, sla).summary).toContain(
      "downtime not measured",
    );
    expect(migrationVerdict({}, sla, "destination went away").status).toBe("error");
  });
});

describe("comparison and sweep reports", () => {
  const defaults = run(
    "qemu-defaults",
    { total_time_ms: 2462, downtime_ms: 85, mbps: 800 },
    "fail",
    "downtime 85 ms > 10 ms",
  );
  const chosen = run("kvm4nfv", { total_time_ms: 400, downtime_ms: 2, mbps: 1600 }, "pass");

  it("prints QEMU defaults and kvm4nfv side by side with ratios", () => {
    const text = formatComparison([defaults], [chosen]);
    // median and worst per side: one run each, so both are that run
    expect(text).toMatch(/total time\s+2462 ms\s+2462 ms\s+400 ms\s+400 ms\s+6\.2x\s+6\.2x/);
    expect(text).toMatch(/downtime \(QMP\)\s+85 ms\s+85 ms\s+2 ms\s+2 ms\s+42\.5x/);
    expect(text).toMatch(
      /throughput\s+800 Mbit\/s\s+800 Mbit\/s\s+1600 Mbit\/s\s+1600 Mbit\/s\s+2\.0x higher/,
    );
    expect(text).toMatch(/SLA\s+1\/1 broke\s+pass/);
  });

  it("shows the worst of N beside the median: the run an SLA has to promise", () => {
    const ks = [3, 4, 13, 2, 4].map((d, i) =>
      run(
        "kvm4nfv",
        { total_time_ms: 500 + i * 10, downtime_ms: d, mbps: 1000 - i * 100 },
        d > 10 ? "fail" : "pass",
      ),
    );
    const ds = [70, 60, 90, 65, 80].map((d) =>
      run("qemu-defaults", { total_time_ms: 2000 + d, downtime_ms: d }, "fail"),
    );
    expect(median(ks, "downtime_ms")).toBe(4);
    expect(worst(ks, "downtime_ms")).toBe(13);
    expect(worst(ks, "mbps")).toBe(600); // the lowest throughput is the worst
    const text = formatComparison(ds, ks);
    expect(text).toMatch(/downtime \(QMP\)\s+70 ms\s+90 ms\s+4 ms\s+13 ms\s+17\.5x\s+6\.9x/);
    expect(text).toMatch(/total time\s+2070 ms\s+2090 ms\s+520 ms\s+540 ms/);
    expect(text).toMatch(/SLA\s+5\/5 broke\s+1\/5 broke/);
    expect(text).toContain("5 runs each");
  });

  it("adds postcopy's phase and vCPU wait only when a run has them", () => {
    const pc = run(
      "kvm4nfv",
      { total_time_ms: 1805, downtime_ms: 3, postcopy_phase_ms: 1738.7, postcopy_wait_ms: 473 },
      "pass",
    );
    const text = formatComparison([defaults], [pc]);
    expect(text).toMatch(/postcopy phase\s+—\s+—\s+1739 ms\s+1739 ms/);
    expect(text).toMatch(/postcopy vCPU wait\s+—\s+—\s+473 ms/);
    expect(formatComparison([defaults], [chosen])).not.toContain("postcopy");
    // a side whose migrations never ended says "failed", not "broke", and shows no figures
    const never = run(
      "qemu-defaults",
      { total_time_ms: null },
      "error",
      "migration failed: did not converge",
    );
    expect(formatComparison([never, defaults], [pc])).toMatch(/SLA\s+1\/2 broke, 1\/2 failed\s+pass/);
  });

  it("recommends the fastest configuration that met the SLA and says why each other lost", () => {
    const entries = [
      { name: "qemu-defaults", why: "", runs: [defaults] },
      { name: "bw+dl", why: "", runs: [run("bw+dl", { total_time_ms: 900, downtime_ms: 3 }, "pass")] },
      { name: "multifd2", why: "", runs: [chosen] },
      { name: "postcopy", why: "", runs: [run("p", {}, "error", "migration failed: Connection reset")] },
    ];
    const { best, reasons } = recommend(entries);
    expect(best?.name).toBe("multifd2");
    expect(reasons.get("qemu-defaults")).toBe("broke the SLA: downtime 85 ms > 10 ms");
    expect(reasons.get("bw+dl")).toBe("met the SLA but slower: total 900 ms vs 400 ms");
    expect(reasons.get("postcopy")).toBe("failed: Connection reset");
    expect(formatSweep(entries)).toContain("Recommended: multifd2");
    expect(recommend([entries[0]!]).best).toBeNull();
  });
});
