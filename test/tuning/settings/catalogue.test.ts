/**
 * The settings catalogue itself: every entry complete (why, remedy, comparison, audited somewhere), no key or target
 * twice, every tunable file named once in src/, and plan/check really derived from it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PATHS } from "../../../src/host/paths.js";
import { sameValue } from "../../../src/tuning/apply/values.js";
import { derivePlan } from "../../../src/tuning/plan.js";
import { RULES } from "../../../src/tuning/rules/index.js";
import { settingRules } from "../../../src/tuning/settings/audit.js";
import { planItem } from "../../../src/tuning/settings/derive.js";
import { ALL_SETTINGS, type Profile, RUNTIME_SETTINGS } from "../../../src/tuning/settings/index.js";
import { baseline, HK, RT } from "../../helpers/host.js";

const PROFILES: Profile[] = (["host", "guest"] as const).flatMap((role) =>
  (["intel", "amd", null] as const).map((vendor) => ({
    role,
    vendor,
    arch: "x86" as const,
    isolated: RT,
    housekeeping: HK,
    hugepages: { sizeKiB: 1048576, count: 2, node: 1 },
    bootHugepages: { sizeKiB: 1048576, count: 2 },
    invariantTsc: true,
  })),
);
const COMPARES = ["text", "int", "min", "cpulist", "cpumask", "selected"];

describe("the settings catalogue", () => {
  it("gives every entry a kind, a target, a comparison, a why naming its source and a remedy", () => {
    for (const s of ALL_SETTINGS) {
      expect(s.target, s.key).not.toBe("");
      expect(COMPARES, s.key).toContain(s.compare);
      expect(s.roles.length, s.key).toBeGreaterThan(0);
      for (const p of PROFILES.filter((x) => s.roles.includes(x.role))) {
        const why = typeof s.why === "string" ? s.why : s.why(p);
        expect(why.length, s.key).toBeGreaterThan(10);
        const d = s.desired(p);
        if (d === null) continue;
        expect(s.remedy(p, d).length, s.key).toBeGreaterThan(5);
      }
      // audited: by its own rule, or the entry names the rule (or check --against) that does
      expect(s.rule !== undefined || (s.auditedBy ?? "") !== "", s.key).toBe(true);
    }
  });

  it("names no key and no target twice", () => {
    const keys = ALL_SETTINGS.map((s) => s.key);
    expect(new Set(keys).size).toBe(keys.length);
    const targets = ALL_SETTINGS.map((s) => `${s.kind === "cmdline" ? "cmdline:" : ""}${s.target}`);
    expect(targets.filter((t, i) => targets.indexOf(t) !== i)).toEqual([]);
  });

  it("defines rules with unique ids that the check engine runs", () => {
    const ids = settingRules().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const engine = RULES.map((r) => r.id);
    for (const id of ids) expect(engine, id).toContain(id);
    for (const s of ALL_SETTINGS.filter((x) => x.auditedBy?.match(/^[a-z]+\.[a-z.-]+/))) {
      const id = /^([a-z]+\.[a-z0-9.-]*[a-z0-9])/.exec(s.auditedBy!)![1]!;
      expect(engine, `${s.key} is audited by ${id}`).toContain(id);
    }
  });

  it("accepts its own desired value through its comparison (apply's second run finds nothing to do)", () => {
    for (const s of RUNTIME_SETTINGS) {
      for (const p of PROFILES.filter((x) => s.roles.includes(x.role))) {
        const item = planItem(s, p);
        if (item?.kind !== "write") continue;
        expect(sameValue(item.compare, `${item.value}\n`, item.value, item.accept), s.key).toBe(true);
      }
    }
  });

  it("is where every planned item comes from", () => {
    const plan = derivePlan(baseline(), { role: "host", rtCpus: 16 });
    const fromCatalogue = new Set(
      RUNTIME_SETTINGS.flatMap((s) =>
        s.kind === "kthread" || s.kind === "service" ? [s.target] : [s.target],
      ),
    );
    for (const item of plan.runtime) {
      const target =
        item.kind === "sched"
          ? item.comm
          : item.kind === "service"
            ? item.name
            : item.kind === "mount"
              ? item.target
              : "path" in item
                ? item.path
                : item.pf;
      const known =
        fromCatalogue.has(target) || /^\/sys\/devices\/system\/node\/node\d+\/hugepages\//.test(target);
      expect(known, target).toBe(true);
    }
    const keys = new Set(ALL_SETTINGS.filter((s) => s.kind === "cmdline").map((s) => s.target));
    for (const p of plan.cmdline) expect(keys.has(p.key), p.key).toBe(true);
  });
});

/** src/**.ts with comments removed (a path in a comment names nothing). */
function sources(dir = join(import.meta.dirname, "../../../src")): { file: string; code: string }[] {
  const out: { file: string; code: string }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith(".ts")) {
      const code = readFileSync(p, "utf8")
        // block comments open a line (a path's "/*/" inside a string is no comment), line comments follow a blank
        .replace(/^\s*\/\*[\s\S]*?\*\//gm, "")
        .replace(/(^|\s)\/\/ .*$/gm, "");
      out.push({ file: p.slice(p.indexOf("src/")), code });
    }
  }
  return out;
}

describe("src/ names each tunable target once", () => {
  const files = sources();
  const targets = [
    ...Object.values(PATHS),
    // sysctl files are made from their names by sysctlPath (paths.ts) and never spelled as paths
    ...ALL_SETTINGS.filter(
      (s) => s.target.startsWith("/") && s.kind !== "sysctl" && !s.target.includes("node*"),
    ).map((s) => s.target),
  ];

  it.each([...new Set(targets)])("%s", (target) => {
    // the whole path, or its tail glued to a template variable (`${CPU}/intel_pstate/no_turbo`)
    const parts = target.split("/").filter((x) => x !== "");
    const tails = parts.slice(1, -1).map((_, i) => `}/${parts.slice(i + 1).join("/")}`);
    const naming = files.filter(({ code }) => code.includes(target) || tails.some((t) => code.includes(t)));
    expect(naming.map((f) => f.file)).toHaveLength(1);
  });
});
