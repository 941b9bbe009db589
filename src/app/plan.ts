/**
 * What `kvm4nfv plan` does, outside the CLI file: turn flag strings into PlanOptions (every malformed value is a
 * one-line UsageError), read the machine, derive the plan, emit it, and write it where -o says.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { openHostFs } from "../host/fs.js";
import { parseCpuList } from "../host/parse/cpulist.js";
import { readHost } from "../host/read.js";
import { emit } from "./emit/index.js";
import { emitTunedFiles, tunedProfileName } from "./emit/tuned.js";
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
}

function count(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag} "${text}": expected a whole number`);
  return Number(text.trim());
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
  return derivePlan(host, options);
}

/** Emit the plan; with -o write it there (for tuned, -o names the profile directory) and say where. */
export function runPlan(flags: PlanFlags): { stdout: string; notes: string[] } {
  const plan = makePlan(flags);
  // the json format carries the notes itself; the others would lose them
  const notes = (flags.emit ?? "json") === "json" ? [] : plan.notes;
  const format = flags.emit ?? "json";
  const text = emit(plan, format);
  if (flags.output === undefined) return { stdout: text, notes };
  try {
    if (format === "tuned") {
      mkdirSync(flags.output, { recursive: true });
      for (const [name, content] of Object.entries(emitTunedFiles(plan))) {
        writeFileSync(join(flags.output, name), content);
      }
      return {
        stdout: `wrote tuned profile to ${flags.output} (install as /etc/tuned/${tunedProfileName(plan)})\n`,
        notes,
      };
    }
    writeFileSync(flags.output, text, { mode: format === "script" ? 0o755 : 0o644 });
  } catch (err) {
    throw new UsageError(`-o ${flags.output}: cannot write: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return { stdout: `wrote ${format} plan to ${flags.output}\n`, notes };
}
