/**
 * The audit report in three spellings: text for people, JSON for scripts, JUnit XML for CI dashboards.
 * Pure functions of a CheckReport.
 */
import { UsageError } from "../errors.js";
import { formatCpuList } from "../host/parse/cpulist.js";
import type { CheckJson } from "../schema/check.js";
import { xmlEscape } from "../xml.js";
import type { CheckReport } from "./check.js";
import { AREAS, type Finding, LEVELS, type Level } from "./rules/index.js";

export const FORMATS = ["text", "json", "junit"] as const;
export type CheckFormat = (typeof FORMATS)[number];

export function formatReport(report: CheckReport, format: string): string {
  switch (format) {
    case "text":
      return formatText(report);
    case "json":
      return formatJson(report);
    case "junit":
      return formatJunit(report);
    default:
      throw new UsageError(`unknown format "${format}"`, `expected one of: ${FORMATS.join(", ")}`);
  }
}

export function areaOf(f: Finding): string {
  return f.id.split(".")[0] ?? "other";
}

function rtLine(r: CheckReport): string {
  if (r.rtCpus.length === 0) return "RT CPUs: none (no --cpus, no isolcpus/nohz_full on the cmdline)";
  return `RT ${r.role === "guest" ? "vCPUs" : "CPUs"}: ${formatCpuList(r.rtCpus)} (from ${r.rtCpusSource})`;
}

export function summaryLine(summary: Record<Level, number>): string {
  return LEVELS.map((l) => `${summary[l]} ${l}`).join(", ");
}

/** Findings grouped by area in catalogue order (areas not in the catalogue last). */
function byArea(findings: readonly Finding[]): Array<[string, Finding[]]> {
  const groups = new Map<string, Finding[]>();
  for (const a of AREAS) groups.set(a, []);
  for (const f of findings) {
    const a = areaOf(f);
    if (!groups.has(a)) groups.set(a, []);
    groups.get(a)!.push(f);
  }
  return [...groups].filter(([, fs]) => fs.length > 0);
}

const TAG: Record<Level, string> = {
  pass: "PASS",
  warn: "WARN",
  fail: "FAIL",
  unknown: "UNKN",
  "n/a": "N/A ",
};

export function formatText(r: CheckReport): string {
  const out = [`kvm4nfv check --role ${r.role} on ${r.source}`, rtLine(r), ""];
  for (const [area, findings] of byArea(r.findings)) {
    out.push(area);
    const width = Math.max(...findings.map((f) => f.id.length));
    for (const f of findings) {
      out.push(`  ${TAG[f.level]}  ${f.id.padEnd(width)}  ${f.title}`);
      if (f.level === "pass") continue;
      out.push(`        evidence: ${f.evidence}`);
      out.push(`        expected: ${f.expected}`);
      if (f.remedy) out.push(`        remedy:   ${f.remedy}${f.rebootRequired ? " [reboot required]" : ""}`);
    }
    out.push("");
  }
  const reboot = r.findings.some((f) => f.level !== "pass" && f.level !== "n/a" && f.rebootRequired);
  out.push(`Summary: ${summaryLine(r.summary)}${reboot ? " (some fixes need a reboot)" : ""}`);
  return `${out.join("\n")}\n`;
}

export function formatJson(r: CheckReport): string {
  // typed by the published schema (docs/schema/check.json): the document cannot drift from it
  const doc: CheckJson = {
    role: r.role,
    root: r.source,
    rtCpus: formatCpuList(r.rtCpus),
    rtCpusSource: r.rtCpusSource,
    findings: r.findings.map((f) => ({
      id: f.id,
      level: f.level,
      title: f.title,
      evidence: f.evidence,
      expected: f.expected,
      remedy: f.remedy,
      rebootRequired: f.rebootRequired,
      source: f.source,
    })),
    summary: r.summary,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function details(f: Finding): string {
  const lines = [`evidence: ${f.evidence}`, `expected: ${f.expected}`];
  if (f.remedy) lines.push(`remedy: ${f.remedy}${f.rebootRequired ? " (reboot required)" : ""}`);
  lines.push(`source: ${f.source}`);
  return lines.join("\n");
}

function testcase(area: string, f: Finding): string {
  const open = `    <testcase classname="kvm4nfv.check.${xmlEscape(area)}" name="${xmlEscape(f.id)}" time="0">`;
  const msg = xmlEscape(`${f.title}: ${f.evidence}`);
  switch (f.level) {
    case "fail":
      return `${open}\n      <failure message="${msg}" type="fail">${xmlEscape(details(f))}</failure>\n    </testcase>`;
    case "n/a":
    case "unknown":
      return `${open}\n      <skipped message="${xmlEscape(`${f.level}: ${f.evidence}`)}"/>\n    </testcase>`;
    case "warn":
      return `${open}\n      <system-out>${xmlEscape(`WARN\n${details(f)}`)}</system-out>\n    </testcase>`;
    default:
      return `${open}\n      <system-out>${xmlEscape(`PASS: ${f.evidence}`)}</system-out>\n    </testcase>`;
  }
}

export function formatJunit(r: CheckReport): string {
  const groups = byArea(r.findings);
  const count = (fs: Finding[], pred: (f: Finding) => boolean) => fs.filter(pred).length;
  const isSkip = (f: Finding) => f.level === "n/a" || f.level === "unknown";
  const all = r.findings;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    // No `skipped` here: the JUnit schema Jenkins' xUnit plugin validates against allows it on <testsuite> only.
    `<testsuites name="kvm4nfv check --role ${xmlEscape(r.role)}" tests="${all.length}" failures="${count(all, (f) => f.level === "fail")}" errors="0">`,
  ];
  for (const [area, fs] of groups) {
    out.push(
      `  <testsuite name="kvm4nfv.check.${xmlEscape(area)}" tests="${fs.length}" failures="${count(fs, (f) => f.level === "fail")}" errors="0" skipped="${count(fs, isSkip)}">`,
    );
    for (const f of fs) out.push(testcase(area, f));
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return `${out.join("\n")}\n`;
}
