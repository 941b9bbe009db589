/**
 * `check --against PLAN.json`: the host audited against a plan — what `apply` would still change, as findings, one
 * per catalogue setting the plan carries (`plan.<setting key>`). It runs apply's own dry run (planChanges: the same
 * globs, the same reads through the root, the same comparisons by meaning), so a host passes exactly when a second
 * `apply` would find nothing to do; `apply --yes` ends with it ("applied" means "verified").
 */
import type { HostFs } from "../../host/fs.js";
import { parseCpuList } from "../../host/parse/cpulist.js";
import { describeSriovChange, numvfsPath, vfDriverTarget } from "../../sriov/provision.js";
import { type Change, describeChange, describePlanned, type Planned, planChanges } from "../apply/changes.js";
import { missingParams } from "../apply/grub.js";
import type { WriteIo } from "../apply/io.js";
import type { ApplyPlan } from "../apply/plan-file.js";
import type { PciDriverItem, RuntimeItem, SriovVfsItem } from "../plan-types.js";
import type { Finding, Level } from "../rules/types.js";
import { ALL_SETTINGS } from "./index.js";
import type { Setting } from "./types.js";

/** The plan item's target as the catalogue names it: a path, a thread name pattern, a service, a mount point. */
function itemTarget(item: RuntimeItem): string {
  switch (item.kind) {
    case "sched":
      return item.comm;
    case "service":
      return item.name;
    case "mount":
      return item.target;
    case "sriov-vfs":
      return numvfsPath(item.pf);
    case "pci-driver":
      return vfDriverTarget(item.pf);
    default:
      return item.path;
  }
}

function matches(pattern: string, target: string): boolean {
  if (!pattern.includes("*")) return pattern === target;
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*");
  return new RegExp(`^${re}$`).test(target);
}

/** The catalogue entry a concrete target (a path, a thread name, a service) belongs to. */
export function settingOfTarget(target: string): Setting | undefined {
  return ALL_SETTINGS.find((s) => s.kind !== "cmdline" && matches(s.target, target));
}

/** The finding key of a target: its setting's key, or the target itself for an item the catalogue lacks. */
function keyOf(target: string): string {
  return settingOfTarget(target)?.key ?? `item.${target}`;
}

/** A change's concrete path, expanded from the item (a sched change names the thread). */
function changeTarget(c: Change): string {
  return c.kind === "sched" ? c.comm : c.path;
}

export interface AgainstResult {
  findings: Finding[];
  /** every change apply would make, as apply's dry run describes it */
  changes: string[];
}

function finding(
  id: string,
  title: string,
  level: Level,
  evidence: string,
  expected: string,
  remedy: string | null,
  rebootRequired: boolean,
  source: string,
): Finding {
  return { id, title, level, evidence, expected, remedy, rebootRequired, source };
}

function few(items: readonly string[], n = 5): string {
  return items.length <= n
    ? items.join("; ")
    : `${items.slice(0, n).join("; ")}; and ${items.length - n} more`;
}

/**
 * Audit `fs` against `plan`. `exclude` leaves out paths the kernel is known to keep (apply's tolerated writes:
 * managed IRQs), `planPath` names the plan in remedies.
 */
export function auditAgainst(
  fs: HostFs,
  io: WriteIo,
  plan: ApplyPlan,
  planPath: string,
  exclude: ReadonlySet<string> = new Set(),
): AgainstResult {
  const planned = planChanges(fs, io, plan.runtime, plan.cmdline);
  const changes = planned.changes.filter((c) => !exclude.has(changeTarget(c)));
  const apply = `kvm4nfv apply ${planPath}${fs.live ? "" : ` --root ${fs.root}`} --yes`;
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const byKey = new Map<string, Change[]>();
  for (const c of changes) {
    const k = keyOf(changeTarget(c));
    byKey.set(k, [...(byKey.get(k) ?? []), c]);
  }
  for (const item of plan.runtime) {
    const target = itemTarget(item);
    const key = keyOf(target);
    // SR-IOV settings are planned once per PF: one finding each (the others, globs, once per setting)
    const perPf = key.startsWith("sriov.");
    const once = perPf ? `${key}@${target}` : key;
    if (seen.has(once)) continue;
    seen.add(once);
    if (item.kind === "sriov-vfs" || item.kind === "pci-driver") {
      findings.push(sriovFinding(item, key, target, planned, fs.live, apply));
      continue;
    }
    const mine = (byKey.get(key) ?? []).filter((c) => !perPf || changeTarget(c) === target);
    const skipped = planned.skipped.filter((x) => x.includes(target));
    const title = `As planned: ${settingOfTarget(target)?.kind ?? item.kind} ${target}`;
    const expected = expectedOf(item);
    const source = item.why;
    // a per-PF setting's finding names its PF (/sys/bus/pci/devices/<PF>/…)
    const id = perPf ? `plan.${key}.${target.split("/")[5] ?? ""}` : `plan.${key}`;
    if (mine.length > 0) {
      // The kernel keeps managed IRQs where they are: a plan that tolerates the write warns instead of failing.
      const level: Level = item.kind === "write" && item.tolerate !== undefined ? "warn" : "fail";
      const evidence = `would change ${few(mine.map(describeChange))}`;
      findings.push(finding(id, title, level, evidence, expected, apply, false, source));
    } else if (skipped.length > 0) {
      findings.push(finding(id, title, "n/a", few(skipped), expected, null, false, source));
    } else if (item.kind === "service" || item.kind === "mount") {
      const evidence = `${item.kind} ${target}: an action apply takes on a live machine, not a value to read back`;
      findings.push(finding(id, title, "n/a", evidence, expected, null, false, source));
    } else {
      findings.push(finding(id, title, "pass", `${target}: as planned`, expected, null, false, source));
    }
  }
  const grub = changes.filter((c) => c.kind === "file" && c.path === "/etc/default/grub");
  const running = fs.read("/proc/cmdline");
  const missing = running === undefined ? null : missingParams(plan.cmdline, running);
  const cmdExpected = `the kernel cmdline carries ${plan.cmdline}`;
  const cmdSource = "the plan's kernel command line (settings/cmdline.ts: each parameter's why)";
  findings.push(
    missing === null
      ? finding(
          "plan.cmdline",
          "As planned: kernel command line",
          "unknown",
          "/proc/cmdline: unreadable",
          cmdExpected,
          null,
          false,
          cmdSource,
        )
      : missing.length === 0
        ? finding(
            "plan.cmdline",
            "As planned: kernel command line",
            "pass",
            "/proc/cmdline: every planned parameter present",
            cmdExpected,
            null,
            false,
            cmdSource,
          )
        : finding(
            "plan.cmdline",
            "As planned: kernel command line",
            "fail",
            `/proc/cmdline lacks ${missing.join(" ")}`,
            cmdExpected,
            grub.length > 0 ? `${apply}, then reboot` : "reboot with the boot entries apply wrote",
            true,
            cmdSource,
          ),
  );
  if (grub.length > 0) {
    findings.push(
      finding(
        "plan.bootloader",
        "As planned: boot entries",
        "fail",
        grub.map(describeChange).join("; "),
        cmdExpected,
        apply,
        true,
        cmdSource,
      ),
    );
  }
  return { findings, changes: describePlanned({ ...planned, changes }, fs.live) };
}

/** The finding of one SR-IOV item: what apply would still change for it, else as planned (or n/a: skipped). */
function sriovFinding(
  item: SriovVfsItem | PciDriverItem,
  key: string,
  target: string,
  planned: Planned,
  live: boolean,
  apply: string,
): Finding {
  const c = planned.sriov.find((x) => x.kind === item.kind && x.pf === item.pf);
  const skipped = planned.skipped.filter((x) => x.includes(target));
  const title = `As planned: ${item.kind} ${target}`;
  const id = `plan.${key}.${item.pf}`;
  const expected = expectedOf(item);
  if (c !== undefined)
    return finding(
      id,
      title,
      "fail",
      `would change ${describeSriovChange(c, live)}`,
      expected,
      apply,
      false,
      item.why,
    );
  if (skipped.length > 0) return finding(id, title, "n/a", few(skipped), expected, null, false, item.why);
  const how = live
    ? "as planned"
    : "as planned (a snapshot: the files apply writes; the kernel's links are not checked)";
  return finding(id, title, "pass", `${target}: ${how}`, expected, null, false, item.why);
}

function expectedOf(item: RuntimeItem): string {
  switch (item.kind) {
    case "write":
      return `${item.path} = ${item.value} (compared as ${item.compare})`;
    case "keys":
      return `${item.path}: ${Object.entries(item.keys)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`;
    case "file":
      return `${item.path} with the plan's content`;
    case "sched":
      return `${item.comm} threads SCHED_FIFO ${item.priority}`;
    case "service":
      return `${item.name} restarted by apply`;
    case "mount":
      return `${item.fstype} mounted on ${item.target} (${item.options})`;
    case "sriov-vfs":
      return `${item.count} VFs enabled on ${item.pf}`;
    case "pci-driver":
      return `every VF of ${item.pf} bound to ${item.driver} (a snapshot: driver_override names it)`;
  }
}

/** The RT CPUs a plan JSON names (cpus.isolated), read without trusting the rest of the file. */
export function planIsolated(data: unknown): number[] {
  const text = (data as { cpus?: { isolated?: unknown } } | null)?.cpus?.isolated;
  if (typeof text !== "string" || text === "") return [];
  try {
    return parseCpuList(text);
  } catch {
    return [];
  }
}
