/**
 * Progress for long measurements, on stderr so `--json` stdout stays clean: elapsed/remaining time, plus
 * whatever the caller's status() says (the timer test's running max from cyclictest's live lines):
 *  - on a terminal of a known width (and not CI=true): a listr2 task whose output line updates every second;
 *  - otherwise: plain lines, at the start and every 10 % (at most every 10 s), for CI logs.
 */
export interface ProgressOptions {
  /** Defaults to process.stderr.isTTY && !CI. */
  interactive?: boolean;
  /** Where plain lines go (tests pass a collector). */
  write?: (line: string) => void;
  /** Silence entirely (library use, tests). */
  silent?: boolean;
  /** Extra live figure appended to each progress line (e.g. "max so far 27 µs"); "" for none yet. */
  status?: () => string;
}

function seconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 120 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

export function progressText(elapsedMs: number, totalMs: number): string {
  return `${seconds(elapsedMs)} elapsed, ${seconds(totalMs - elapsedMs)} left`;
}

/** Run fn while showing progress for a job expected to take totalMs. */
export async function withProgress<T>(
  title: string,
  totalMs: number,
  fn: () => Promise<T>,
  options: ProgressOptions = {},
): Promise<T> {
  if (options.silent) return fn();
  const ci = process.env.CI === "true" || process.env.CI === "1";
  // A pty without a size (script(1), some CI runners) reports 0 columns: listr2 would wrap every character.
  const sized = (process.stderr.columns ?? 0) >= 40;
  const interactive = options.interactive ?? (Boolean(process.stderr.isTTY) && sized && !ci);
  const started = Date.now();
  const line = (elapsed: number) => {
    const extra = options.status?.() ?? "";
    return `${progressText(elapsed, totalMs)}${extra ? `, ${extra}` : ""}`;
  };
  if (!interactive) {
    const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
    write(`${title}: ${line(0)}`);
    const every = Math.min(10_000, Math.max(1000, totalMs / 10));
    const timer = setInterval(() => write(`${title}: ${line(Date.now() - started)}`), every);
    try {
      return await fn();
    } finally {
      clearInterval(timer);
    }
  }
  const { Listr, ListrLogger, ProcessOutput } = await import("listr2");
  let result: T | undefined;
  const list = new Listr(
    [
      {
        title,
        task: async (_ctx, task) => {
          task.output = line(0);
          const timer = setInterval(() => {
            task.output = line(Date.now() - started);
          }, 1000);
          try {
            result = await fn();
          } finally {
            clearInterval(timer);
          }
        },
      },
    ],
    {
      exitOnError: true,
      registerSignalListeners: false,
      // The renderer writes through this logger: stderr for both streams keeps stdout for results.
      rendererOptions: {
        logger: new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) }),
      },
    },
  );
  await list.run();
  return result as T;
}
