/**
 * Reading PLAN.json back for apply: only what apply acts on is validated (machine, cmdline, runtime items); a file
 * that is not a kvm4nfv plan, or is damaged, is one clear line and exit 2.
 */
import { z } from "zod";
import { InputError, Kvm4nfvError } from "../../errors.js";
import { readBounded } from "../../host/fs.js";
import { PLAN_KIND, PLAN_VERSION } from "../emit/json.js";
import type { MachineFingerprint, Role, RuntimeItem } from "../plan-types.js";
import { checkTarget, MOUNT_TARGETS } from "./targets.js";

/** A plan is a few hundred items of a few hundred bytes; far more is not one. */
const PLAN_MAX_BYTES = 16 * 1024 * 1024;

const compare = z.enum(["text", "int", "min", "cpulist", "cpumask", "selected"]);
/** A PF's PCI address, as plan --sriov writes it: the only part of an SR-IOV item's paths a plan names. */
const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
const machinePath = z.string().regex(/^\/[^\0]*$/, "an absolute path");

const runtimeItem = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("write"),
    path: machinePath,
    value: z.string(),
    compare,
    accept: z.array(z.string()).optional(),
    tolerate: z.array(z.string()).optional(),
    why: z.string(),
  }),
  z.object({
    kind: z.literal("keys"),
    path: machinePath,
    keys: z.record(z.string(), z.string()),
    why: z.string(),
  }),
  z.object({ kind: z.literal("file"), path: machinePath, content: z.string(), why: z.string() }),
  z.object({
    kind: z.literal("sched"),
    comm: z.string().min(1),
    policy: z.literal("fifo"),
    priority: z.number().int().min(1).max(99),
    why: z.string(),
  }),
  z.object({
    kind: z.literal("service"),
    name: z.string().regex(/^[\w@.-]+$/),
    action: z.literal("restart"),
    why: z.string(),
  }),
  z.object({
    kind: z.literal("mount"),
    fstype: z.string().regex(/^\w+$/),
    target: machinePath,
    options: z.string().regex(/^[\w=,.]+$/),
    why: z.string(),
  }),
  z.object({
    kind: z.literal("sriov-vfs"),
    pf: z.string().regex(PCI_ADDRESS, "a PCI address (0000:86:00.0)"),
    count: z.number().int().min(0).max(65535),
    why: z.string(),
  }),
  z.object({
    kind: z.literal("pci-driver"),
    pf: z.string().regex(PCI_ADDRESS, "a PCI address (0000:86:00.0)"),
    driver: z.literal("vfio-pci"),
    why: z.string(),
  }),
]);

const planFile = z.object({
  kind: z.literal(PLAN_KIND),
  version: z.literal(PLAN_VERSION),
  role: z.enum(["host", "guest"]),
  machine: z.object({
    vendor: z.string().nullable(),
    model: z.string().nullable(),
    cpus: z.number().int(),
    nodes: z.record(z.string(), z.string()),
    threadsPerCore: z.number().int(),
  }),
  cmdline: z.string().min(1),
  runtime: z.array(runtimeItem),
});

export interface ApplyPlan {
  role: Role;
  machine: MachineFingerprint;
  cmdline: string;
  runtime: RuntimeItem[];
}

export function loadPlanFile(path: string): ApplyPlan {
  let text: string;
  try {
    text = readBounded(path, PLAN_MAX_BYTES, { what: `plan ${path}` }).toString("utf8");
  } catch (err) {
    if (err instanceof Kvm4nfvError) throw err;
    throw new InputError(
      "BAD_INPUT",
      `cannot read plan ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new InputError(
      "BAD_INPUT",
      `${path} is not JSON`,
      "make a plan with: kvm4nfv plan --emit json -o PLAN.json",
    );
  }
  if ((data as { kind?: unknown } | null)?.kind !== PLAN_KIND) {
    throw new InputError("BAD_INPUT", `${path} is not a kvm4nfv plan (kind is not "${PLAN_KIND}")`);
  }
  const parsed = planFile.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError("BAD_INPUT", `${path}: ${issue.path.join(".") || "plan"}: ${issue.message}`);
  }
  const plan = parsed.data as ApplyPlan;
  for (const [i, item] of plan.runtime.entries()) {
    if (item.kind === "write" || item.kind === "keys" || item.kind === "file") {
      checkTarget(item.path, `${path}: runtime.${i}.path`);
    } else if (item.kind === "mount") {
      checkTarget(item.target, `${path}: runtime.${i}.target`, MOUNT_TARGETS);
    }
  }
  return plan;
}
