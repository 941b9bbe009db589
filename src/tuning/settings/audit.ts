/**
 * From the catalogue to `check` findings: every setting that names a rule becomes that rule, its verdict computed
 * from the setting's own desired value, comparison, level, remedy and reboot flag. The value compared is the one the
 * Host model read (so the live host and a snapshot give the same report); what apply would still change for a
 * given plan is audited by against.ts instead.
 */
import { sameValue } from "../apply/values.js";
import { housekeeping, param, paramEvidence, x86Only } from "../rules/helpers.js";
import type { Area, Rule, RuleContext, Verdict } from "../rules/types.js";
import { levelOf, vendorOf } from "./derive.js";
import { ALL_SETTINGS } from "./index.js";
import type { AuditContext, Profile, Setting } from "./types.js";

/** The profile an audit implies: the RT set from --cpus or the cmdline, everything else from the machine. */
export function auditProfile(ctx: RuleContext): Profile {
  return {
    role: ctx.role,
    vendor: vendorOf(ctx.host.cpu.vendor),
    arch: ctx.host.cpu.arch,
    isolated: ctx.rtCpus,
    housekeeping: housekeeping(ctx),
    hugepages: null,
    bootHugepages: null,
    // unknown on purpose: the audit always asks for tsc=reliable and lets the rule say how much it matters
    invariantTsc: null,
  };
}

function verdict(
  level: Verdict["level"],
  evidence: string,
  expected: string,
  remedy: string | null,
  rebootRequired: boolean,
): Verdict {
  return { level, evidence, expected, remedy, rebootRequired };
}

const NUMERIC = new Set(["int", "min"]);

export function auditSetting(s: Setting, ctx: RuleContext): Verdict {
  const rule = s.rule!;
  const p = auditProfile(ctx);
  const actx: AuditContext = { host: ctx.host, profile: p, rtCpus: ctx.rtCpus };
  const desired = s.desired(p) ?? "";
  const expected = rule.expected?.(p, desired) ?? `${s.target} = ${desired}`;
  const wrong = (evidence: string) =>
    verdict(levelOf(s, p), evidence, expected, s.remedy(p, desired), s.reboot);
  let v: Verdict;
  if (s.kind === "cmdline") {
    const cur = param(ctx.host, s.target);
    const ev = paramEvidence(ctx.host, s.target);
    if (cur === null) v = verdict("unknown", ev, expected, null, false);
    else if (cur !== undefined && sameValue(s.compare, cur, desired, s.accept))
      v = verdict("pass", ev, expected, null, false);
    else v = wrong(ev);
  } else {
    const cur = rule.current(ctx.host);
    const ev = `${rule.where ?? s.target}: ${cur ?? rule.missing ?? "missing"}${rule.moreEvidence?.(ctx.host) ?? ""}`;
    const or = rule.orParam;
    const orEv = or === undefined ? ev : `${ev}; ${paramEvidence(ctx.host, or.key)}`;
    const orValue = or === undefined ? null : param(ctx.host, or.key);
    const compare = rule.auditCompare ?? s.compare;
    const good = (c: string) =>
      sameValue(compare, c, desired, [...(s.accept ?? []), ...(rule.alsoGood ?? [])]);
    if (cur !== null && good(cur)) v = verdict("pass", or?.shown ? orEv : ev, expected, null, false);
    else if (
      or !== undefined &&
      typeof orValue === "string" &&
      (or.value === undefined || orValue === or.value)
    )
      v = verdict("pass", orEv, expected, null, false);
    else if (cur === null || (NUMERIC.has(compare) && !/^-?\d+$/.test(cur.trim())))
      v = verdict("unknown", ev, expected, null, false);
    else v = wrong(ev);
  }
  return rule.adjust ? rule.adjust(v, actx) : v;
}

/** The check rules the catalogue defines, as the rule engine runs them. */
export function settingRules(): Rule[] {
  return ALL_SETTINGS.filter((s) => s.rule !== undefined).map((s) => {
    const r = s.rule!;
    return {
      id: r.id,
      area: r.id.split(".")[0] as Area,
      title: r.title,
      roles: r.roles ?? s.roles,
      source: r.source,
      check: (ctx: RuleContext) =>
        r.x86Only === undefined
          ? auditSetting(s, ctx)
          : x86Only(ctx, r.x86Only, r.title, () => auditSetting(s, ctx)),
    };
  });
}
