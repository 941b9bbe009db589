/** The plan document (`kvm4nfv plan`, `--emit json`, what `apply` reads) as zod: PlanDocument in ../tuning/emit/json.ts. */
import { z } from "zod";
import type { PlanDocument } from "../tuning/emit/json.js";
import type { Same } from "./same.js";

const why = z.string();
const compare = z.enum(["text", "int", "min", "cpulist", "cpumask", "selected"]);
const runtimeItem = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("write"),
    path: z.string(),
    value: z.string(),
    compare,
    accept: z.array(z.string()).optional(),
    tolerate: z.array(z.string()).optional(),
    why,
  }),
  z.strictObject({ kind: z.literal("keys"), path: z.string(), keys: z.record(z.string(), z.string()), why }),
  z.strictObject({ kind: z.literal("file"), path: z.string(), content: z.string(), why }),
  z.strictObject({
    kind: z.literal("sched"),
    comm: z.string(),
    policy: z.literal("fifo"),
    priority: z.number().int(),
    why,
  }),
  z.strictObject({ kind: z.literal("service"), name: z.string(), action: z.literal("restart"), why }),
  z.strictObject({
    kind: z.literal("mount"),
    fstype: z.string(),
    target: z.string(),
    options: z.string(),
    why,
  }),
  z.strictObject({ kind: z.literal("sriov-vfs"), pf: z.string(), count: z.number().int(), why }),
  z.strictObject({ kind: z.literal("pci-driver"), pf: z.string(), driver: z.string(), why }),
]);

/** cpulist ("20-35", "0,2-3"); "" for none */
const cpulist = z.string().regex(/^(\d+(-\d+)?(,\d+(-\d+)?)*)?$/);

export const planSchema = z
  .strictObject({
    kind: z.literal("kvm4nfv-plan"),
    version: z.literal(1),
    role: z.enum(["host", "guest"]),
    machine: z.strictObject({
      vendor: z.string().nullable(),
      model: z.string().nullable(),
      cpus: z.number().int(),
      nodes: z.record(z.string(), cpulist),
      threadsPerCore: z.number().int(),
    }),
    cpus: z.strictObject({
      node: z.number().int(),
      isolated: cpulist,
      housekeeping: cpulist,
      guest: cpulist,
      stress: cpulist,
      emulator: cpulist,
    }),
    hugepages: z
      .strictObject({ size: z.string(), count: z.number().int(), node: z.number().int() })
      .nullable(),
    cmdline: z.string(),
    cmdlineParams: z.array(z.strictObject({ param: z.string(), why })),
    dropped: z.array(z.strictObject({ param: z.string(), source: z.string(), why })),
    runtime: z.array(runtimeItem),
    guest: z
      .strictObject({
        name: z.string(),
        vcpus: z.number().int(),
        memoryMiB: z.number().int(),
        pins: z.record(z.string(), z.number().int()),
        emulatorCpus: cpulist,
        rtVcpus: cpulist,
        fifoPriority: z.number().int(),
        cpuModel: z.string(),
        memLock: z.boolean(),
        hugepages: z.string(),
        mountPoint: z.string(),
        cmdline: z.string(),
      })
      .nullable(),
    notes: z.array(z.string()),
  })
  .meta({ title: "kvm4nfv plan", description: "kvm4nfv plan --emit json: what kvm4nfv apply reads." });

const _same: Same<z.infer<typeof planSchema>, PlanDocument> = true;
void _same;
