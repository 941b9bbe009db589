/**
 * Recognise an rt-tests output file by its content (never by its name) and parse it: what `results import`
 * calls. The order matters: JSON first, then oslat (its report also has "(us)"), then the histogram (its
 * file may also hold live "T:" lines before "# Histogram"), then bare -q lines.
 */

import { badOutput, type ParsedToolOutput } from "./common.js";
import { parseCyclictestJson } from "./cyclictest-json.js";
import { type HistogramTextOptions, parseHistogramText } from "./histogram.js";
import { parseOslat } from "./oslat.js";
import { parseQuietLines } from "./quiet.js";

export type { ParsedToolOutput, ToolFormat } from "./common.js";

export function detectAndParse(
  name: string,
  content: string,
  options: HistogramTextOptions = {},
): ParsedToolOutput {
  const text = content.replace(/\r\n/g, "\n");
  const head = text.trimStart();
  if (head === "") throw badOutput(name, "empty file", "cyclictest or oslat output");
  if (head.startsWith("{")) return parseCyclictestJson(name, text);
  if (/^\s*Core:/m.test(text) && /\(us\):/.test(text)) return parseOslat(name, text);
  if (/^# Histogram\s*$/m.test(text)) return parseHistogramText(name, text, options);
  if (/T:\s*\d+\s+\(\s*\d+\)\s+P:/.test(text)) return parseQuietLines(name, text, options);
  throw badOutput(
    name,
    "not rt-tests output",
    "cyclictest --json, a cyclictest -h histogram, cyclictest -q lines or oslat output",
  );
}
