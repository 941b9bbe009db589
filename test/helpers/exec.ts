/**
 * The one fake Exec for tests: records every command line, answers `run` from a function of the command, and
 * plays canned stdout/stderr back through `start` (streamed children such as the host cyclictest).
 */
import { PassThrough } from "node:stream";
import {
  type Child,
  type Exec,
  onLines,
  type RunOptions,
  type RunResult,
  realExec,
  type StartOptions,
} from "../../src/exec.js";

export interface FakeExecOptions {
  /** Tools `which` finds (as /usr/sbin/NAME); default: every tool. */
  tools?: readonly string[];
  /** What `run` (and a started child) answers for a command line ("chrt -f -p 2 3000"); default exit 0, no output. */
  answer?: (command: string, file: string, args: readonly string[]) => Partial<RunResult>;
}

export type FakeExec = Exec & { calls: string[] };

export function fakeExec(options: FakeExecOptions = {}): FakeExec {
  const calls: string[] = [];
  const answer = (file: string, args: readonly string[]): RunResult => {
    const command = [file, ...args].join(" ");
    calls.push(command);
    return {
      command,
      exitCode: 0,
      stdout: "",
      stderr: "",
      durationMs: 0,
      ...options.answer?.(command, file, args),
    };
  };
  return {
    calls,
    which: (f) => (options.tools === undefined || options.tools.includes(f) ? `/usr/sbin/${f}` : undefined),
    async run(file, args) {
      return answer(file, args);
    },
    start(file, args) {
      const r = answer(file, args);
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const exited = new Promise<{ exitCode: number | null; signal: string | undefined }>((resolve) =>
        setImmediate(() => {
          stdout.end(r.stdout);
          stderr.end(r.stderr);
          setImmediate(() => resolve({ exitCode: r.exitCode, signal: undefined }));
        }),
      );
      return {
        pid: 1,
        command: r.command,
        stdout,
        stderr,
        stdin: null,
        onLine: (stream, fn) => onLines(stream === "stdout" ? stdout : stderr, fn),
        exited,
        stop: async () => {},
      };
    },
  };
}

/**
 * The real Exec with its run and/or start seen first by the test: each hook answers the call itself (a canned
 * result, a thrown error, rewritten arguments) or hands it on to the real one through `next`.
 */
export function interceptExec(hooks: {
  run?: (
    file: string,
    args: readonly string[],
    options: RunOptions | undefined,
    next: Exec["run"],
  ) => Promise<RunResult>;
  start?: (
    file: string,
    args: readonly string[],
    options: StartOptions | undefined,
    next: Exec["start"],
  ) => Child;
}): Exec {
  const { run, start } = hooks;
  return {
    ...realExec,
    ...(run === undefined ? {} : { run: (file, args, options) => run(file, args, options, realExec.run) }),
    ...(start === undefined
      ? {}
      : { start: (file, args, options) => start(file, args, options, realExec.start) }),
  };
}
