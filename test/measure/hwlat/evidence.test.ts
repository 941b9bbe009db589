/**
 * hwlatdetect's stored results as platform.smi's evidence: the rule on bare metal and in a VM, and
 * `check --evidence-from STORE` end to end with runs assembled from hwlatdetect's real output
 * (test/fixtures/rtla/hwlatdetect-2.4-tcg.txt, captured in the RT guest: 5 of 5 samples over 10 µs).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assembleHwlatRecord, planHwlat } from "../../../src/measure/hwlat/hwlat.js";
import type { RunEnvironment } from "../../../src/measure/types.js";
import { openStore } from "../../../src/results/store.js";
import { runCheck } from "../../../src/tuning/check.js";
import type { HwlatEvidence } from "../../../src/tuning/rules/types.js";
import { baseline, devVm } from "../../helpers/host.js";
import { cli } from "../../pod/helpers.js";

const FIXTURE = join(import.meta.dirname, "..", "..", "fixtures", "rtla", "hwlatdetect-2.4-tcg.txt");
const SNAPSHOTS = join(import.meta.dirname, "..", "..", "fixtures", "snapshots");

const evidence = (over: Partial<HwlatEvidence> = {}): HwlatEvidence => ({
  runId: 7,
  startedAt: "2026-12-01T21:00:00Z",
  where: "host",
  node: null,
  hostname: "compute-1",
  accelerator: null,
  maxUs: 4,
  samples: 60,
  overThreshold: 0,
  thresholdUs: 10,
  status: "pass",
  ...over,
});

const smi = (host: ReturnType<typeof baseline>, hwlat?: HwlatEvidence, role = "host") =>
  runCheck(host, { role, ...(hwlat ? { measured: { hwlat } } : {}) }).findings.find(
    (f) => f.id === "platform.smi",
  )!;

describe("platform.smi with hwlatdetect's evidence", () => {
  it("on bare metal: unknown without a run; pass, warn or fail with one", () => {
    expect(smi(baseline()).level).toBe("unknown");
    const clean = smi(baseline(), evidence());
    expect(clean.level).toBe("pass");
    expect(clean.evidence).toBe(
      "hwlatdetect run 7 (2026-12-01T21:00:00Z, compute-1): max 4 µs, 0 of 60 samples over 10 µs",
    );
    const some = smi(baseline(), evidence({ maxUs: 15, overThreshold: 2 }));
    expect(some.level).toBe("warn");
    expect(some.remedy).toMatch(/^latency the OS did not cause \(SMIs, firmware\): check the BIOS setup/);
    expect(smi(baseline(), evidence({ maxUs: 53658, overThreshold: 5, status: "fail" })).level).toBe("fail");
  });

  it("a guest's run on a host stays unknown; in a VM and for the guest role the run is shown, not judged", () => {
    const guestRun = smi(baseline(), evidence({ where: "guest", accelerator: "tcg", overThreshold: 5 }));
    expect(guestRun.level).toBe("unknown");
    expect(guestRun.evidence).toMatch(
      /in the RT guest, tcg\): .* — measured in a guest, not this machine's firmware$/,
    );
    const vm = smi(devVm(), evidence({ overThreshold: 5, maxUs: 53658 }));
    expect(vm.level).toBe("n/a");
    expect(vm.evidence).toMatch(/hypervisor flag set.*; hwlatdetect run 7 .*max 53658 µs, 5 of 60 samples/);
    expect(smi(baseline(), evidence(), "guest").level).toBe("n/a");
  });
});

describe("check --evidence-from STORE", () => {
  const stdout = readFileSync(FIXTURE, "utf8");
  const env = (where: "host" | "guest"): RunEnvironment => ({
    hostname: "compute-1",
    kernelRelease: null,
    kernelCmdline: null,
    cpuModel: null,
    realtimeKernel: null,
    toolVersions: {},
    where,
    ...(where === "guest" ? { accelerator: "tcg" as const } : {}),
  });
  const record = (where: "host" | "guest") =>
    assembleHwlatRecord({
      options: {},
      plan: planHwlat({ durationMs: 5000 }, [1]),
      load: "idle",
      startedAt: "2026-12-01T21:20:00Z",
      environment: env(where),
      raw: {},
      output: { command: "hwlatdetect", exitCode: 1, stdout, stderr: "" },
    });

  it("feeds the newest run of the role to platform.smi; none stored is one clear line, exit 2", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "kvm4nfv-smi-")), "r.db");
    const store = openStore(path);
    const guestId = store.saveRun(record("guest"));
    store.close();
    const none = await cli({}, "check", "--role", "host", "--evidence-from", path);
    expect(none.status).toBe(2);
    expect(none.stderr.trim().split("\n")[0]).toBe(
      `kvm4nfv: --evidence-from ${path}: no hwlat run measured on a host is stored there (run kvm4nfv test hwlat --store ${path} first)`,
    );

    const guest = await cli({}, "check", "--role", "guest", "--evidence-from", path, "--format", "json");
    const g = JSON.parse(guest.stdout).findings.find((f: { id: string }) => f.id === "platform.smi");
    expect(g.level).toBe("n/a");
    expect(g.evidence).toContain(
      `hwlatdetect run ${guestId} (2026-12-01T21:20:00Z, compute-1, in the RT guest, tcg): max 53658 µs, 5 of 5 samples over 10 µs`,
    );

    const again = openStore(path);
    const hostId = again.saveRun(record("host"));
    again.close();
    const root = join(SNAPSHOTS, "baseline-tuned");
    const host = await cli(
      {},
      "check",
      "--role",
      "host",
      "--root",
      root,
      "--evidence-from",
      path,
      "--format",
      "json",
    );
    const h = JSON.parse(host.stdout).findings.find((f: { id: string }) => f.id === "platform.smi");
    expect(h.level).toBe("fail");
    expect(h.evidence).toBe(
      `hwlatdetect run ${hostId} (2026-12-01T21:20:00Z, compute-1): max 53658 µs, 5 of 5 samples over 10 µs`,
    );
    expect(host.status).toBe(1);
  });
});
