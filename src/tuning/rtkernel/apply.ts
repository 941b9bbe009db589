/**
 * `kvm4nfv kernel apply PLAN.json`: install the planned RT kernel package and make it the default boot entry,
 * journaled like every other change (the same journal `kvm4nfv revert` reads): before the install, the packages
 * it will newly bring (apt-get -s) are recorded, so revert removes those and nothing that was there before; the
 * default entry's old value is recorded before it changes (/etc/default/grub as a file entry, grubby's default
 * as an action). The running kernel stays installed: it is the fallback entry. Dry run unless --yes.
 */
import { InputError, Kvm4nfvError } from "../../errors.js";
import { type Exec, realExec } from "../../exec.js";
import type { HostFs } from "../../host/fs.js";
import { readHost } from "../../host/read.js";
import { fingerprintMismatch, journalPath, regenerateBootloader, requireRoot } from "../apply/apply.js";
import { nodeIo, type WriteIo } from "../apply/io.js";
import { Journal, readJournal, sha256 } from "../apply/journal.js";
import { dirOption, parseSimulatedInstall } from "./apt.js";
import { distroLabel, readDistro } from "./distro.js";
import { distributorOf, grubDefault, grubEntryTitle, setGrubDefault } from "./grub-default.js";
import { loadRtKernelPlan, type RtKernelPlan } from "./plan.js";
import { allInstalled, fingerprintOf, installedOf, openMachineRoot, PKG_ENV, runIn } from "./run-in.js";

export interface RtApplyOptions {
  plan: string;
  root?: string;
  yes?: boolean;
  journal?: string;
  exec?: Exec;
  io?: WriteIo;
  isRoot?: boolean;
  fs?: HostFs;
}

export interface RtApplyReport {
  dryRun: boolean;
  steps: string[];
  notes: string[];
  rebootRequired: boolean;
  journal: string | null;
}

const GRUB = "/etc/default/grub";
const INSTALL_TIMEOUT = 1_800_000;

/** The machine's root for commands: undefined on the live machine, the root directory otherwise. */
function cmdRoot(fs: HostFs): string | undefined {
  return fs.live ? undefined : fs.root;
}

export function refuseOtherDistribution(plan: RtKernelPlan, fs: HostFs, planPath: string): void {
  const here = readDistro(fs);
  if (here.id !== plan.distribution.id || here.versionId !== plan.distribution.versionId) {
    throw new InputError(
      "BAD_INPUT",
      `${planPath} was made for ${distroLabel(plan.distribution)}, this is ${distroLabel(here)}: refused, nothing changed`,
      "make a plan here with kvm4nfv kernel plan",
    );
  }
}

export async function runRtKernelApply(options: RtApplyOptions): Promise<RtApplyReport> {
  const plan = loadRtKernelPlan(options.plan);
  const fs = options.fs ?? openMachineRoot(options.root);
  const io = options.io ?? nodeIo;
  const exec = options.exec ?? realExec;
  if (options.yes) requireRoot(fs, options.isRoot, "kernel apply --yes");
  refuseOtherDistribution(plan, fs, options.plan);
  const root = cmdRoot(fs);
  const report: RtApplyReport = {
    dryRun: !options.yes,
    steps: [],
    notes: [],
    rebootRequired: false,
    journal: null,
  };
  const verb = options.yes ? "" : "would ";

  const have = await installedOf(exec, root, plan.manager, [plan.kernelPackage]);
  const install = !have.has(plan.kernelPackage);
  let predicted: string[] = [plan.package];
  if (install && plan.manager === "apt") {
    const sim = await exec.run(
      "apt-get",
      [
        ...dirOption(root),
        "install",
        "-s",
        "--no-install-recommends",
        `${plan.package}=${plan.packageVersion}`,
      ],
      { timeoutMs: 300_000 },
    );
    predicted = parseSimulatedInstall(sim.stdout).map((p) => p.name);
  }
  if (install)
    report.steps.push(`${verb}install ${plan.package} ${plan.packageVersion} (new: ${predicted.join(" ")})`);

  // the boot default
  const grubReal = fs.resolve(GRUB);
  const grubOld = plan.manager === "apt" ? io.readBytes(grubReal) : undefined;
  let grubNext: string | undefined;
  let grubbyOld: string | undefined;
  if (plan.manager === "apt") {
    if (grubOld === undefined) {
      report.notes.push(`${GRUB} absent: make ${plan.release} the default entry of your bootloader by hand`);
    } else {
      const text = grubOld.toString("utf8");
      const title = grubEntryTitle(text, distributorOf(plan.distribution.id), plan.release);
      if (grubDefault(text) !== title) {
        grubNext = setGrubDefault(text, title);
        report.steps.push(
          `${verb}set ${GRUB}: GRUB_DEFAULT ${grubDefault(text) ?? "(unset: 0)"} -> "${title}"`,
        );
      }
    }
  } else {
    const cur = await runIn(exec, root, "grubby", ["--default-kernel"], { allowFailure: true });
    grubbyOld = cur.stdout.trim();
    if (grubbyOld !== plan.kernelImage) {
      report.steps.push(
        `${verb}set the default boot entry (grubby): ${grubbyOld || "(none)"} -> ${plan.kernelImage}`,
      );
    }
  }
  const changes =
    install || grubNext !== undefined || (grubbyOld !== undefined && grubbyOld !== plan.kernelImage);
  const running = fs.live ? readHost(fs).kernel.release : null;
  report.rebootRequired = running !== plan.release;
  if (!options.yes || !changes) {
    if (options.yes)
      report.notes.push("nothing to change: the package is installed and is the default entry");
    fallbackNote(report, plan, running, options.plan);
    return report;
  }

  const here = fingerprintOf(fs);
  const path = journalPath(fs, options.journal);
  const journal = Journal.open(path, here);
  report.journal = path;
  try {
    if (fingerprintMismatch(readJournal(path).header.machine, here) !== null) {
      throw new InputError("BAD_INPUT", `${path} is the journal of another machine: refused`);
    }
    if (grubNext !== undefined)
      journal.append({ kind: "intent", writes: [{ path: GRUB, sha256: sha256(grubNext) }] });
    if (install) {
      const before = await allInstalled(exec, root, plan.manager);
      journal.append({
        kind: "action",
        action: "package",
        target: plan.package,
        manager: plan.manager,
        packages: predicted,
      });
      await installPackage(exec, root, plan);
      const after = await allInstalled(exec, root, plan.manager);
      if (!after.has(plan.kernelPackage)) {
        throw new Kvm4nfvError("TOOL_FAILED", `${plan.kernelPackage} is not installed after the install ran`);
      }
      const extra = [...after].filter((p) => !before.has(p) && !predicted.includes(p)).sort();
      if (extra.length > 0) {
        journal.append({
          kind: "action",
          action: "package",
          target: plan.package,
          manager: plan.manager,
          packages: extra,
        });
      }
    }
    if (grubNext !== undefined && grubOld !== undefined) {
      const meta = io.meta(grubReal);
      journal.append({
        kind: "file",
        path: GRUB,
        existed: true,
        old: grubOld.toString("base64"),
        new: grubNext,
        ...(meta === undefined ? {} : { mode: meta.mode, uid: meta.uid, gid: meta.gid }),
      });
      io.writeConfig(grubReal, grubNext);
      report.notes.push(
        fs.live ? await regenerateBootloader(exec) : "bootloader not regenerated under --root",
      );
    }
    if (grubbyOld !== undefined && grubbyOld !== plan.kernelImage) {
      journal.append({ kind: "action", action: "boot-default", target: plan.kernelImage, old: grubbyOld });
      await runIn(exec, root, "grubby", [`--set-default=${plan.kernelImage}`]);
    }
  } finally {
    journal.close();
  }
  fallbackNote(report, plan, running, options.plan);
  return report;
}

async function installPackage(exec: Exec, root: string | undefined, plan: RtKernelPlan): Promise<void> {
  if (plan.manager === "apt") {
    await runIn(
      exec,
      root,
      "apt-get",
      [
        "-o",
        "DPkg::Lock::Timeout=900",
        "install",
        "-y",
        "--no-install-recommends",
        `${plan.package}=${plan.packageVersion}`,
      ],
      { env: PKG_ENV, timeoutMs: INSTALL_TIMEOUT },
    );
  } else {
    await runIn(exec, root, "dnf", ["install", "-y", plan.package], { timeoutMs: INSTALL_TIMEOUT });
  }
}

function fallbackNote(
  report: RtApplyReport,
  plan: RtKernelPlan,
  running: string | null,
  planPath: string,
): void {
  if (!report.rebootRequired) {
    report.notes.push(`${plan.release} is running: no reboot needed (check it with kvm4nfv kernel check)`);
    return;
  }
  report.notes.push(
    `reboot required: the machine boots ${plan.release} next` +
      (running === null ? "" : `; ${running} stays installed as the fallback entry`) +
      `; after the reboot run kvm4nfv kernel check ${planPath}`,
  );
}

export function formatRtApplyReport(r: RtApplyReport): string {
  const lines = [...r.steps];
  if (r.steps.length === 0) lines.push("no change needed");
  if (r.dryRun && r.steps.length > 0)
    lines.push(`${r.steps.length} change(s); run again with --yes to apply`);
  lines.push(...r.notes);
  if (r.journal) lines.push(`journal: ${r.journal} (undo with kvm4nfv revert)`);
  return `${lines.join("\n")}\n`;
}
