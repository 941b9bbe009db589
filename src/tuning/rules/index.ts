/** The rule catalogue, in report order: platform, cpu, kernel, os, virt. */
import { biosRules } from "./bios.js";
import { cpuVirtRules } from "./cpu-virt.js";
import { isolationRules } from "./isolation.js";
import { kernelRules } from "./kernel.js";
import { memoryIrqRules } from "./os-memory-irq.js";
import { runtimeRules } from "./os-runtime.js";
import { platformRules } from "./platform.js";
import { sriovRules } from "./sriov.js";
import { AREAS, type Rule } from "./types.js";

const all: Rule[] = [
  ...platformRules,
  ...biosRules,
  ...cpuVirtRules,
  ...kernelRules,
  ...isolationRules,
  ...memoryIrqRules,
  ...runtimeRules,
  ...sriovRules,
];

export const RULES: readonly Rule[] = AREAS.flatMap((area) => all.filter((r) => r.area === area));

export type {
  Area,
  Finding,
  HwlatEvidence,
  Level,
  MeasuredEvidence,
  Role,
  RtCpusSource,
  Rule,
  RuleContext,
  Verdict,
} from "./types.js";
export { AREAS, LEVELS, ROLES } from "./types.js";
