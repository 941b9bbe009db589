/**
 * The one handler contract of src/app: a handler takes typed options and returns what to print, the exit code
 * to leave and notes for stderr. It never prints and never sets process.exitCode: src/cli does (cli/run.ts).
 * Progress lines go through an `onProgress` callback the CLI passes in.
 */
export interface Outcome<T extends string | object = string | object> {
  /** stdout: text, or an object printed as JSON; "" prints nothing */
  output: T;
  /** 0 success, 1 a rule failed / an SLA broke / a regression (errors throw: src/errors.ts maps them to 2–4) */
  exitCode: number;
  /** one line each, printed to stderr as "kvm4nfv: note: …" */
  notes: string[];
  /** lines printed to stderr as they are, after the output: a failed pod node's own "kvm4nfv: …" error line */
  errors?: string[];
}

export function outcome<T extends string | object>(
  output: T,
  exitCode = 0,
  notes: string[] = [],
): Outcome<T> {
  return { output, exitCode, notes };
}

/** A pod fan-out's result (src/pod: text, worst exit code, one error line per failed node) as an Outcome. */
export function nodesOutcome(r: { text: string; exitCode: number; errors: string[] }): Outcome<string> {
  return { output: r.text, exitCode: r.exitCode, notes: [], errors: r.errors };
}

/** Where a handler's progress lines go (the CLI writes them to stderr). */
export type OnProgress = (line: string) => void;

/**
 * Compile-time proof that a CLI option table (its inferred type) and a core module's flag interface name the
 * same keys: `type _ = KeysMatch<SameKeys<CliOpts, CoreFlags>>` fails to build when either side gains, loses or
 * renames a flag. (The core cannot import src/cli's types, so its interfaces are checked here instead.)
 */
export type SameKeys<A, B> = [Exclude<keyof A, keyof B>] extends [never]
  ? [Exclude<keyof B, keyof A>] extends [never]
    ? true
    : { notInTheOptionTable: Exclude<keyof B, keyof A> }
  : { notInTheCoreFlags: Exclude<keyof A, keyof B> };
export type KeysMatch<T extends true> = T;
