/** `kvm4nfv check --format json` as zod (the document formatJson writes, src/tuning/check-format.ts). */
import { z } from "zod";
import { cpulist } from "./inspect.js";

const level = z.enum(["pass", "warn", "fail", "unknown", "n/a"]);

export const checkJsonSchema = z
  .strictObject({
    role: z.enum(["host", "guest"]),
    /** "/" or the snapshot directory */
    root: z.string(),
    /** cpulist ("20-35"), "" when none */
    rtCpus: cpulist,
    /** "plan": check --against PLAN.json (the plan names the RT CPUs) */
    rtCpusSource: z.enum(["--cpus", "isolcpus", "nohz_full", "none", "plan"]),
    findings: z.array(
      z.strictObject({
        id: z.string().min(1),
        level,
        title: z.string(),
        evidence: z.string(),
        expected: z.string(),
        remedy: z.string().nullable(),
        rebootRequired: z.boolean(),
        source: z.string(),
      }),
    ),
    summary: z.strictObject({
      pass: z.number().int(),
      warn: z.number().int(),
      fail: z.number().int(),
      unknown: z.number().int(),
      "n/a": z.number().int(),
    }),
  })
  .meta({ title: "kvm4nfv check --format json" });

export type CheckJson = z.infer<typeof checkJsonSchema>;
