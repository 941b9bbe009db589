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
}

export function outcome<T extends string | object>(
  output: T,
  exitCode = 0,
  notes: string[] = [],
): Outcome<T> {
  return { output, exitCode, notes };
}

/** Where a handler's progress lines go (the CLI writes them to stderr). */
export type OnProgress = (line: string) => void;
