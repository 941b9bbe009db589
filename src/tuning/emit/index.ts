/** Emitter table: format name → pure function of the Plan. */
import { UsageError } from "../../errors.js";
import type { Plan } from "../plan-types.js";
import { emitCmdline } from "./cmdline.js";
import { emitJson } from "./json.js";
import { emitLibvirt } from "./libvirt.js";
import { emitPerformanceProfile } from "./performance-profile.js";
import { emitQemu } from "./qemu.js";
import { emitScript } from "./script.js";
import { emitTuned } from "./tuned.js";

export const EMITTERS = {
  json: emitJson,
  cmdline: emitCmdline,
  script: emitScript,
  tuned: emitTuned,
  libvirt: emitLibvirt,
  qemu: emitQemu,
  "performance-profile": emitPerformanceProfile,
} as const satisfies Record<string, (plan: Plan) => string>;

export type EmitFormat = keyof typeof EMITTERS;
export const EMIT_FORMATS = Object.keys(EMITTERS) as EmitFormat[];

/** Formats that describe the guest a host runs: they need a host plan. */
const HOST_ONLY: readonly EmitFormat[] = ["libvirt", "qemu"];

export function emit(plan: Plan, format: string): string {
  if (!(format in EMITTERS)) {
    throw new UsageError(`--emit ${format}: unknown format (one of: ${EMIT_FORMATS.join(", ")})`);
  }
  const f = format as EmitFormat;
  if (HOST_ONLY.includes(f) && plan.guest === null) {
    throw new UsageError(`--emit ${f} describes the guest a host runs: use it with --role host`);
  }
  return EMITTERS[f](plan);
}
