/**
 * Revert's side of the kernel apply (called from src/tuning/apply/revert.ts): remove the packages apply newly
 * installed that are still there, and give grubby its old default entry back. Runs on the live machine, or inside
 * the root apply ran in (chroot). The package of the running kernel is never removed: revert refuses first.
 */
import { Kvm4nfvError } from "../../errors.js";
import type { Exec } from "../../exec.js";
import type { HostFs } from "../../host/fs.js";
import type { JournalEntry } from "../apply/journal.js";
import { installedOf, PKG_ENV, runIn } from "./run-in.js";

type Action = Extract<JournalEntry, { kind: "action" }> & { action: "package" | "boot-default" };

export function isKernelAction(e: JournalEntry): e is Action {
  return e.kind === "action" && (e.action === "package" || e.action === "boot-default");
}

/** Before anything is written: refuse when a package to remove holds the running kernel. */
export function refuseRemovingRunningKernel(fs: HostFs, entries: JournalEntry[]): void {
  if (!fs.live) return;
  const running = fs.read("/proc/sys/kernel/osrelease")?.trim();
  if (!running) return;
  const pkgs = entries.flatMap((e) =>
    isKernelAction(e) && e.action === "package" ? (e.packages ?? []) : [],
  );
  const hit = pkgs.find(
    (p) => p === `linux-image-${running}` || (p === "kernel-rt" && running.includes("rt")),
  );
  if (hit !== undefined) {
    throw new Kvm4nfvError(
      "TOOL_FAILED",
      `revert would remove ${hit}, the running kernel (${running}): refused, nothing changed`,
      {
        hint: "boot the fallback entry first, then run kvm4nfv revert",
      },
    );
  }
}

/** Undo one kernel action; false when there was nothing left to undo. */
export async function undoKernelAction(e: Action, root: string | undefined, exec: Exec): Promise<boolean> {
  if (e.action === "boot-default") {
    if (!e.old) return false;
    await runIn(exec, root, "grubby", [`--set-default=${e.old}`]);
    return true;
  }
  const manager = e.manager ?? "apt";
  const names = e.packages ?? [];
  const present = [...(await installedOf(exec, root, manager, names))].sort();
  if (present.length === 0) return false;
  if (manager === "apt") {
    await runIn(exec, root, "apt-get", ["-o", "DPkg::Lock::Timeout=900", "purge", "-y", ...present], {
      env: PKG_ENV,
      timeoutMs: 1_800_000,
    });
  } else {
    await runIn(exec, root, "dnf", ["remove", "-y", ...present], { timeoutMs: 1_800_000 });
  }
  return true;
}

export function describeKernelAction(e: Action): string {
  return e.action === "boot-default"
    ? `default boot entry ${e.old} (grubby)`
    : `${e.target}: removed ${(e.packages ?? []).join(" ")}`;
}
