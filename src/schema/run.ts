/** The stored run (RunRecord, src/measure/types.ts) as zod: `results show --json`, `results export --format json`. */
import { z } from "zod";
import type { RunRecord } from "../measure/types.js";
import type { Same } from "./same.js";

const percentileKey = z.enum(["p50", "p90", "p99", "p99.9", "p99.99", "p99.999"]);
const percentile = z.strictObject({ valueUs: z.number(), inOverflow: z.boolean() });
const histogram = z.strictObject({
  buckets: z.array(z.tuple([z.number(), z.number().int().nonnegative()])),
  overflows: z.number().int().nonnegative(),
  maxUs: z.number(),
});
const cpuResult = z.strictObject({
  cpu: z.number().int(),
  thread: z.number().int(),
  minUs: z.number(),
  avgUs: z.number(),
  maxUs: z.number(),
  samples: z.number().int().nonnegative(),
  overflows: z.number().int().nonnegative(),
  histogram: histogram.nullable(),
  percentiles: z.partialRecord(percentileKey, percentile),
});
const metric = z.union([z.enum(["min", "avg", "max"]), percentileKey]);
const verdict = z.strictObject({
  status: z.enum(["pass", "fail", "error"]),
  limits: z.array(z.strictObject({ metric, limitUs: z.number() })),
  breaches: z.array(
    z.strictObject({ metric, limitUs: z.number(), observedUs: z.number(), cpu: z.number().int() }),
  ),
  summary: z.string(),
});
const environment = z.strictObject({
  hostname: z.string().nullable(),
  kernelRelease: z.string().nullable(),
  kernelCmdline: z.string().nullable(),
  cpuModel: z.string().nullable(),
  realtimeKernel: z.boolean().nullable(),
  toolVersions: z.record(z.string(), z.string()),
  where: z.enum(["host", "guest"]),
  accelerator: z.enum(["kvm", "tcg"]).optional(),
  guestKernelRelease: z.string().nullable().optional(),
  guestCmdline: z.string().nullable().optional(),
});

export const runRecordSchema = z
  .strictObject({
    id: z.number().int().nullable(),
    type: z.enum(["timer", "oslat", "migration", "forwarding", "timerlat", "osnoise", "hwlat", "irq"]),
    label: z.string(),
    startedAt: z.string(),
    endedAt: z.string(),
    params: z.record(z.string(), z.unknown()),
    environment,
    cpus: z.array(cpuResult),
    metrics: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
    raw: z.record(z.string(), z.string()),
    verdict,
  })
  .meta({ title: "kvm4nfv stored run", description: "A run as the store keeps it; latencies in µs." });

const _same: Same<z.infer<typeof runRecordSchema>, RunRecord> = true;
void _same;
