import { describe, expect, it } from "vitest";
import { runCheck } from "../../../src/tuning/check.js";
import { formatJson, formatJunit, formatReport, formatText } from "../../../src/tuning/check-format.js";
import { xmlEscape } from "../../../src/xml.js";
import { buildHost, buildVm } from "../../helpers/host.js";
import { assertWellFormedXml } from "../../helpers/xml.js";

describe("check formats", () => {
  const report = runCheck(buildVm(), { role: "host" });

  it("text groups by area, indents evidence and remedy for non-pass, and ends with a summary", () => {
    const text = formatText(report);
    expect(text).toMatch(/^platform$/m);
    expect(text).toMatch(/^ {2}FAIL {2}os\.cpu-isolation\.isolcpus +RT CPUs isolated/m);
    expect(text).toMatch(/^ {8}remedy: {3}choose the RT CPUs/m);
    expect(text).toMatch(/^Summary: \d+ pass, \d+ warn, \d+ fail, \d+ unknown, \d+ n\/a/m);
  });

  it("json has role, rtCpus as a cpulist, findings and a summary by level", () => {
    const doc = JSON.parse(formatJson(runCheck(buildHost(), { role: "host" })));
    expect(doc.role).toBe("host");
    expect(doc.rtCpus).toBe("20-35");
    expect(Object.keys(doc.summary).sort()).toEqual(["fail", "n/a", "pass", "unknown", "warn"]);
    const iso = doc.findings.find((f: { id: string }) => f.id === "os.cpu-isolation.isolcpus");
    expect(iso).toMatchObject({ level: "pass", rebootRequired: false });
    for (const key of ["title", "evidence", "expected", "remedy", "source"]) expect(iso).toHaveProperty(key);
  });

  it("junit is well-formed, one testcase per rule, failure for fail, skipped for n/a and unknown", () => {
    const xml = formatJunit(report);
    assertWellFormedXml(xml);
    expect(xml).toContain('<testcase classname="kvm4nfv.check.os" name="os.cpu-isolation.isolcpus"');
    expect(xml).toMatch(/name="os\.cpu-isolation\.isolcpus" time="0">\n\s+<failure /);
    expect(xml).toMatch(/name="platform\.smi" time="0">\n\s+<skipped /);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(report.findings.length);
  });

  it("escapes markup and drops control characters", () => {
    expect(xmlEscape(`a<b>&"c'\u0001`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
    const r = runCheck(buildHost({ hostname: "x" }), { role: "host" });
    r.findings[0]!.evidence = 'weird <value> & "quotes"';
    assertWellFormedXml(formatJunit(r));
  });

  it("refuses an unknown format with a usage error", () => {
    expect(() => formatReport(report, "yaml")).toThrow(/unknown format "yaml"/);
  });
});
