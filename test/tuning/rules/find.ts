/** Run the audit on a built Host and pick one finding by rule id (throws when the rule did not run). */
import type { Host } from "../../../src/host/model.js";
import { runCheck } from "../../../src/tuning/check.js";
import type { Finding } from "../../../src/tuning/rules/index.js";

export function finding(host: Host, id: string, opts: { role?: string; cpus?: string } = {}): Finding {
  const report = runCheck(host, { role: opts.role ?? "host", cpus: opts.cpus });
  const f = report.findings.find((x) => x.id === id);
  if (!f) throw new Error(`rule ${id} did not run for role ${opts.role ?? "host"}`);
  return f;
}

export function ran(host: Host, id: string, role = "host"): boolean {
  return runCheck(host, { role }).findings.some((x) => x.id === id);
}
