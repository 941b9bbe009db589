/**
 * The --node paths: inspect, check, apply, revert, kernel check and test timer on the nodes of a pod (the fan-out
 * and its per-node results are src/pod/commands.ts and src/tuning/rtkernel/nodes.ts). Options typed by the
 * commands' option tables; the pod's own flag interfaces are tied to those tables by SameKeys below.
 */
import type { ApplyOpts } from "../cli/apply.js";
import type { CheckOpts } from "../cli/check.js";
import type { InspectOpts } from "../cli/inspect.js";
import type { KernelCheckOpts } from "../cli/kernel.js";
import type { RevertOpts } from "../cli/revert.js";
import type { TimerOpts } from "../cli/test.js";
import { UsageError } from "../errors.js";
import type { CheckNodeFlags, InspectNodeFlags, PodFlags } from "../pod/commands.js";
import type { KernelNodeFlags } from "../tuning/rtkernel/nodes.js";
import { type KeysMatch, nodesOutcome, type Outcome, type SameKeys } from "./outcome.js";

/** The pod's flags as the tables declare them (the fan-out width is not a flag). */
type PodTable = Omit<PodFlags, "parallel">;
export type InspectNodeFlagsMatch = KeysMatch<
  SameKeys<Omit<InspectOpts, "root" | "listFiles">, Omit<InspectNodeFlags, "parallel">>
>;
export type CheckNodeFlagsMatch = KeysMatch<
  SameKeys<Omit<CheckOpts, "root" | "against" | "evidenceFrom">, Omit<CheckNodeFlags, "parallel">>
>;
export type KernelNodeFlagsMatch = KeysMatch<
  SameKeys<Omit<KernelCheckOpts, "root"> & { plan: string }, KernelNodeFlags>
>;
export type PodFlagsMatch = KeysMatch<SameKeys<Omit<RevertOpts, "root" | "journal">, PodTable>>;

export async function inspectOnNodes(opts: InspectOpts): Promise<Outcome<string>> {
  const { inspectNodes } = await import("../pod/commands.js");
  return nodesOutcome(await inspectNodes(opts));
}

/** --against (a plan) is not read on a node: as before, the node's check is the plain audit. */
export async function checkOnNodes(opts: CheckOpts): Promise<Outcome<string>> {
  if (opts.evidenceFrom !== undefined) throw new UsageError("--evidence-from is for this machine or --root");
  const { checkNodes } = await import("../pod/commands.js");
  return nodesOutcome(await checkNodes(opts));
}

export async function applyOnNodes(plan: string, opts: ApplyOpts): Promise<Outcome<string>> {
  const pod = await import("../pod/commands.js");
  return nodesOutcome(await pod.applyOnNodes({ plan, ...opts }));
}

export async function revertOnNodes(opts: RevertOpts): Promise<Outcome<string>> {
  const pod = await import("../pod/commands.js");
  return nodesOutcome(await pod.revertOnNodes(opts));
}

export async function kernelCheckNodes(plan: string, opts: KernelCheckOpts): Promise<Outcome<string>> {
  const { kernelCheckOnNodes } = await import("../tuning/rtkernel/nodes.js");
  return nodesOutcome(await kernelCheckOnNodes({ plan, ...opts }));
}

/** `test timer --node N`: one node, stored here; exit 1 when the SLA broke. */
export async function timerOnNode(opts: TimerOpts): Promise<Outcome<string>> {
  const { timerOnNode } = await import("../pod/commands.js");
  const r = await timerOnNode(opts);
  return { output: r.text, exitCode: r.exitCode, notes: [] };
}
