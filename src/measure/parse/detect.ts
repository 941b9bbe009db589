/**
 * Recognise an rt-tests output file by its content (never by its name) and parse it: what `results import`
 * calls. The order matters: JSON first, then what kvm4nfv recognises but does not import (hwlatdetect,
 * cyclictest -v, several runs in one file) with a message that says so, then oslat (its report also has
 * "(us)"), then the histogram (its file may also hold live "T:" lines before "# Histogram"), then -q lines,
 * then pmqtest/ptsematest's "#1 -> #0" lines.
 */

import { badOutput, type ParsedToolOutput } from "./common.js";
import { parseCyclictestJson } from "./cyclictest-json.js";
import { type HistogramTextOptions, parseHistogramText } from "./histogram.js";
import { parseOslat } from "./oslat.js";
import { parseQuietLines } from "./quiet.js";

export type { ParsedToolOutput, ToolFormat } from "./common.js";

const WANTED = "cyclictest --json, a cyclictest -h histogram, cyclictest -q lines or oslat output";

export function detectAndParse(
  name: string,
  content: string,
  options: HistogramTextOptions = {},
): ParsedToolOutput {
  const text = content.replace(/\r\n/g, "\n");
  const head = text.trimStart();
  if (head === "") throw badOutput(name, "empty file", "cyclictest or oslat output");
  if (head.startsWith("{")) return parseCyclictestJson(name, text);
  if (
    /^hwlatdetect:\s+test duration|^Samples exceeding threshold:|DetectorNotAvailable|hwlat tracer not available/m.test(
      text,
    )
  ) {
    throw badOutput(
      name,
      "hwlatdetect output (hardware/firmware latency, no per-CPU timer latencies)",
      `${WANTED} (hwlatdetect's own report is not imported)`,
    );
  }
  if (/^Thread \d+ Interval: \d+/m.test(text) || /^\s*\d+:\s+\d+:\s+-?\d+\s*$/m.test(text)) {
    throw badOutput(
      name,
      "cyclictest -v output (one line per sample, no summary)",
      `${WANTED}: run cyclictest with -q, -h or --json`,
    );
  }
  // Each cyclictest run notes /dev/cpu_dma_latency once, each oslat run prints its banner once.
  const runs = Math.max(
    text.match(/^# \/dev\/cpu_dma_latency set to/gm)?.length ?? 0,
    text.match(/^oslat V /gm)?.length ?? 0,
  );
  if (runs > 1) throw badOutput(name, `${runs} runs in one file (outputs concatenated)`, "one run per file");
  if (/^\s*Core:/m.test(text) && /\(us\):/.test(text)) return parseOslat(name, text);
  if (/^# Histogram\s*$/m.test(text)) return parseHistogramText(name, text, options);
  if (/T:\s*\d+\s+\(\s*\d+\)\s+[PI]:/.test(text)) return parseQuietLines(name, text, options);
  if (/^#\d+ -> #\d+, Min\s+\d+/m.test(text)) {
    throw badOutput(
      name,
      "pmqtest/ptsematest output (inter-thread wake-up latency), not a cyclictest timer run",
      "cyclictest or oslat output (kvm4nfv does not import other rt-tests programs)",
    );
  }
  throw badOutput(name, "not rt-tests output", WANTED);
}
