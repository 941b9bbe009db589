/**
 * The POSIX script emitter, run for real: Debian's shellcheck on it, then `ROOT=copy sh script` twice on a copy of
 * the baseline snapshot whose /etc/default/grub is a real one (Debian 12's stock file from grub2-common, the RHEL
 * layout of the snapshot, and a single-quoted value), with planned parameters holding &, |, \, ' and $. The edited
 * file is then read the way grub-mkconfig reads it: sourced by sh.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emitScript } from "../../src/tuning/emit/script.js";
import { derivePlan } from "../../src/tuning/plan.js";
import { formatCmdline } from "../../src/tuning/plan-cmdline.js";
import type { Plan } from "../../src/tuning/plan-types.js";
import { baseline, devVm } from "../helpers/host.js";

const FIX = join(import.meta.dirname, "../fixtures");
const DEBIAN_GRUB = readFileSync(join(FIX, "grub/debian-12-default-grub"), "utf8");
const RHEL_GRUB = readFileSync(join(FIX, "snapshots/baseline-untuned/etc/default/grub"), "utf8");
const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-script-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const hostPlan = derivePlan(baseline(), { role: "host", rtCpus: 16 });
const guestPlan = derivePlan(devVm(), { role: "guest", rtCpus: 1 });

/** The host plan plus parameters that break naive sed/quoting: &, |, \, a single quote and a $. */
function hostilePlan(): Plan {
  const p = structuredClone(hostPlan);
  p.cmdline.push(
    { key: "kvm4nfv.amp", value: "a&b", why: "test" },
    { key: "kvm4nfv.pipe", value: "x|y", why: "test" },
    { key: "kvm4nfv.bs", value: "c:\\d\\", why: "test" },
    { key: "kvm4nfv.sq", value: "it's", why: "test" },
    { key: "kvm4nfv.dollar", value: "$HOME`id`", why: "test" },
  );
  return p;
}

function shellcheck(script: string): string {
  const file = join(tmp, `sc-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, script);
  const r = spawnSync("shellcheck", ["--shell=sh", "--severity=style", file], { encoding: "utf8" });
  if (r.error) throw r.error;
  return r.stdout;
}

/** every file under dir → its bytes */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const p = join(e.parentPath, e.name);
      out.set(relative(dir, p), readFileSync(p, "latin1"));
    }
  }
  return out;
}

/** GRUB_CMDLINE_LINUX as grub-mkconfig sees it: the file sourced by sh. */
function sourcedCmdline(file: string): string {
  return execFileSync("sh", ["-c", '. "$1" >/dev/null 2>&1; printf %s "$GRUB_CMDLINE_LINUX"', "sh", file], {
    encoding: "utf8",
  });
}

describe("shellcheck (Debian's, every check at style level)", () => {
  it.each([
    ["host", hostPlan],
    ["guest", guestPlan],
    ["host with hostile parameters", hostilePlan()],
  ])("finds nothing in the %s script", (_, plan) => {
    expect(shellcheck(emitScript(plan))).toBe("");
  });

  it("is really checking: it reports what the emitter used to write", () => {
    expect(shellcheck('#!/bin/sh\nfor d in /proc/*; do case "$x" in $1) : ;; esac; done\n')).toMatch(
      /SC2254/,
    );
  });
});

const grubs: Array<[string, string, string]> = [
  ["Debian 12's stock file", DEBIAN_GRUB, ""],
  [
    "the RHEL layout",
    RHEL_GRUB,
    "crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet",
  ],
  [
    "a single-quoted value with an old isolcpus",
    DEBIAN_GRUB.replace(
      'GRUB_CMDLINE_LINUX=""',
      "GRUB_CMDLINE_LINUX='console=ttyS0,115200n8 isolcpus=3 quiet'",
    ),
    "console=ttyS0,115200n8 quiet",
  ],
];

describe.each(grubs)("applied to a copy with %s", (_, grub, kept) => {
  const plan = hostilePlan();
  const root = mkdtempSync(join(tmp, "root-"));
  cpSync(join(FIX, "snapshots/baseline-untuned"), root, { recursive: true });
  writeFileSync(join(root, "etc/default/grub"), grub);
  rmSync(join(root, "etc/default/irqbalance")); // this machine has no irqbalance package
  const script = join(root, "..", `${relative(tmp, root)}.sh`);
  writeFileSync(script, emitScript(plan));
  const run = () =>
    execFileSync("sh", [script], { encoding: "utf8", env: { ...process.env, ROOT: root }, stdio: "pipe" });
  const before = tree(root);
  const first = run();
  const afterFirst = tree(root);
  const second = run();
  const afterSecond = tree(root);

  it("puts exactly the plan's parameters into GRUB_CMDLINE_LINUX, keeping the others, as sh reads it", () => {
    const expected = [kept, formatCmdline(plan.cmdline)].filter(Boolean).join(" ");
    expect(sourcedCmdline(join(root, "etc/default/grub"))).toBe(expected);
    expect(expected).toContain("kvm4nfv.amp=a&b kvm4nfv.pipe=x|y kvm4nfv.bs=c:\\d\\ kvm4nfv.sq=it's");
    expect(first).toContain("set GRUB_CMDLINE_LINUX: ");
  });

  it("changes no other line of /etc/default/grub", () => {
    const old = grub.split("\n");
    const now = afterFirst.get("etc/default/grub")!.split("\n");
    expect(now).toHaveLength(old.length);
    const diff = now.flatMap((l, i) => (l === old[i] ? [] : [i]));
    expect(diff).toHaveLength(1);
    expect(old[diff[0]!]).toMatch(/^GRUB_CMDLINE_LINUX=/);
  });

  it("is idempotent: the second run changes nothing, byte for byte", () => {
    expect(second.trim().split("\n").at(-1)).toBe("0 change(s)");
    expect(afterSecond).toEqual(afterFirst);
  });

  it("creates no file that was not there, except the files kvm4nfv owns", () => {
    const owned = plan.runtime.flatMap((i) => (i.kind === "file" ? [i.path.slice(1)] : []));
    const created = [...afterFirst.keys()].filter((f) => !before.has(f));
    expect(created.sort()).toEqual(owned.sort());
    expect(existsSync(join(root, "etc/default/irqbalance"))).toBe(false);
    expect(first).toContain("skip /etc/default/irqbalance: not present on this machine");
  });
});
