/** /proc/cpuinfo: one stanza per logical CPU, "key<TAB>: value" lines, stanzas separated by a blank line. */

export interface CpuInfoStanza {
  processor: number | null;
  fields: Record<string, string>;
}

export function parseCpuInfo(text: string): CpuInfoStanza[] {
  const stanzas: CpuInfoStanza[] = [];
  let fields: Record<string, string> = {};
  const flush = () => {
    if (Object.keys(fields).length === 0) return;
    const p = fields.processor === undefined ? Number.NaN : Number(fields.processor);
    stanzas.push({ processor: Number.isInteger(p) ? p : null, fields });
    fields = {};
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      flush();
      continue;
    }
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    // Keys are unique within a stanza; a repeated "processor" without a blank line still starts a new CPU.
    if (key === "processor" && fields.processor !== undefined) flush();
    fields[key] = line.slice(colon + 1).trim();
  }
  flush();
  return stanzas;
}

/** The header facts of one stanza, converting numbers and splitting flags. */
export function cpuIdentity(stanza: CpuInfoStanza | undefined): {
  vendor: string | null;
  modelName: string | null;
  family: number | null;
  model: number | null;
  stepping: number | null;
  microcode: string | null;
  flags: string[];
} {
  const f = stanza?.fields ?? {};
  const num = (v: string | undefined) => {
    if (v === undefined || !/^\d+$/.test(v)) return null;
    return Number(v);
  };
  // x86 says "flags", arm64 "Features"; both are space-separated.
  const flags = (f.flags ?? f.Features ?? "").split(/\s+/).filter((x) => x !== "");
  return {
    vendor: f.vendor_id ?? null,
    modelName: f["model name"] ?? null,
    family: num(f["cpu family"]),
    model: num(f.model),
    stepping: num(f.stepping),
    microcode: f.microcode ?? null,
    flags,
  };
}
