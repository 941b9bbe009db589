/**
 * The command table: one line per top-level command, naming the command files that register it. Each file
 * exports `register(program)`, which declares the command's flags and an action that lazily imports its handler.
 * Only the invoked command's files are loaded (start-up is most of a `check`); help and unknown commands load all.
 */
import type { Command } from "@commander-js/extra-typings";

type Register = (program: Command) => void;
type Loader = () => Promise<{ register: Register }>;

/** In help order. `run` is two files: jobs.ts declares it, yardstick.ts adds `run task` to it. */
const COMMANDS: Record<string, Loader[]> = {
  inspect: [() => import("./inspect.js")],
  check: [() => import("./check.js")],
  results: [() => import("./results.js")],
  report: [() => import("./report.js")],
  guest: [() => import("./guest.js")],
  plan: [() => import("./plan.js")],
  apply: [() => import("./apply.js")],
  revert: [() => import("./revert.js")],
  test: [() => import("./test.js")],
  run: [() => import("./jobs.js"), () => import("./yardstick.js")],
  pod: [() => import("./pod-ansible.js")],
  sriov: [() => import("./sriov.js")],
  kernel: [() => import("./kernel.js")],
};

/** The command argv names (its first word that is not an option), or undefined. */
export function commandName(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith("-"));
}

// biome-ignore lint/suspicious/noExplicitAny: commander's typed Command generic varies per program
type AnyCommand = Command<any, any, any>;

export async function registerCommands(program: AnyCommand, argv: readonly string[] = []): Promise<void> {
  const name = commandName(argv);
  const loaders =
    name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name]! : Object.values(COMMANDS).flat();
  for (const m of await Promise.all(loaders.map((load) => load()))) m.register(program as Command);
}
