/**
 * `plan`'s options as the user gives them (strings) → PlanOptions (every malformed value is a one-line
 * UsageError), and the plan for a machine or snapshot. Core: the plan command (src/app/plan.ts) and the
 * Yardstick host-setup step both call it.
 */
import { UsageError } from "../errors.js";
import { openHostFs } from "../host/fs.js";
import { parseCpuList } from "../host/parse/cpulist.js";
import { readHost } from "../host/read.js";
import { sriovPlanOptions } from "../sriov/plan-options.js";
import { parseWholeNumber } from "../units.js";
import { derivePlan } from "./plan.js";
import { parseHugepagesOption } from "./plan-cmdline.js";
import type { Plan, PlanOptions } from "./plan-types.js";

export interface PlanFlags {
  role?: string;
  root?: string;
  rtCpus?: string;
  cpus?: string;
  numaNode?: string;
  guestCpus?: string;
  hugepages?: string;
  emit?: string;
  output?: string;
  /** SR-IOV (src/sriov/plan-options.ts) */
  sriov?: string;
  sriovFrom?: string;
  testbedHost?: string;
  nic?: string;
}

function count(flag: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseWholeNumber(text, flag);
}

export function planOptions(flags: PlanFlags): PlanOptions {
  if (flags.role !== "host" && flags.role !== "guest") {
    throw new UsageError(`--role ${flags.role ?? "(missing)"}: expected host or guest`);
  }
  const options: PlanOptions = { role: flags.role };
  const rt = count("--rt-cpus", flags.rtCpus);
  if (rt !== undefined) options.rtCpus = rt;
  if (flags.cpus !== undefined) options.cpus = parseCpuList(flags.cpus, "--cpus");
  const node = count("--numa-node", flags.numaNode);
  if (node !== undefined) options.numaNode = node;
  const guest = count("--guest-cpus", flags.guestCpus);
  if (guest !== undefined) options.guestCpus = guest;
  if (flags.hugepages !== undefined) options.hugepages = parseHugepagesOption(flags.hugepages);
  return options;
}

export function makePlan(flags: PlanFlags): Plan {
  const options = planOptions(flags);
  const host = readHost(openHostFs(flags.root));
  return derivePlan(host, { ...options, ...sriovPlanOptions(host, flags) });
}
