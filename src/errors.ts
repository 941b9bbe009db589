/**
 * Typed errors with stable codes, exit codes and hints.
 *
 * Exit codes (the CLI's contract, documented in the README):
 *   0  success (no failed rule / SLA met)
 *   1  the thing measured or audited failed (a rule failed, an SLA broke)
 *   2  usage or input error: bad flag, malformed cpulist/YAML/snapshot/tool output
 *   3  environment error: a tool is missing, not root, no RT priority, no KVM
 *   4  runtime error: a child process crashed or timed out, a guest did not come up
 * A process killed by a signal is reported by the shell as 128 + signal number.
 */

export type ErrorCode =
  | "USAGE"
  | "BAD_CPULIST"
  | "BAD_INPUT"
  | "BAD_SNAPSHOT"
  | "BAD_TOOL_OUTPUT"
  | "TOOL_MISSING"
  | "NOT_ROOT"
  | "PERMISSION"
  | "TOOL_FAILED"
  | "TIMEOUT"
  | "GUEST_FAILED"
  | "QMP"
  | "STORE"
  | "INTERNAL";

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  USAGE: 2,
  BAD_CPULIST: 2,
  BAD_INPUT: 2,
  BAD_SNAPSHOT: 2,
  BAD_TOOL_OUTPUT: 2,
  TOOL_MISSING: 3,
  NOT_ROOT: 3,
  PERMISSION: 3,
  TOOL_FAILED: 4,
  TIMEOUT: 4,
  GUEST_FAILED: 4,
  QMP: 4,
  STORE: 4,
  INTERNAL: 4,
};

export class Kvm4nfvError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "Kvm4nfvError";
    this.code = code;
    this.hint = options.hint;
    this.exitCode = EXIT_BY_CODE[code];
  }
}

/** A bad flag, argument or value given by the user (exit 2). */
export class UsageError extends Kvm4nfvError {
  constructor(message: string, hint?: string) {
    super("USAGE", message, hint === undefined ? {} : { hint });
    this.name = "UsageError";
  }
}

/** Input that cannot be understood: a file, a snapshot, a tool's output (exit 2). */
export class InputError extends Kvm4nfvError {
  constructor(
    code: "BAD_INPUT" | "BAD_SNAPSHOT" | "BAD_TOOL_OUTPUT" | "BAD_CPULIST",
    message: string,
    hint?: string,
  ) {
    super(code, message, hint === undefined ? {} : { hint });
    this.name = "InputError";
  }
}

/** Debian package that provides each external tool kvm4nfv runs, for install hints. */
export const DEBIAN_PACKAGE: Record<string, string> = {
  cyclictest: "rt-tests",
  oslat: "rt-tests",
  hwlatdetect: "rt-tests",
  "stress-ng": "stress-ng",
  "qemu-system-x86_64": "qemu-system-x86",
  "qemu-img": "qemu-utils",
  busybox: "busybox-static",
  chromium: "chromium",
  cpio: "cpio",
  ssh: "openssh-client",
  taskset: "util-linux",
  chrt: "util-linux",
  "update-grub": "grub2-common",
};

/** `hint` replaces the package hint where the tool's name came from somewhere else (an environment variable). */
export function toolMissing(tool: string, hint?: string): Kvm4nfvError {
  const pkg = DEBIAN_PACKAGE[tool];
  return new Kvm4nfvError("TOOL_MISSING", `${tool} is not installed`, {
    hint:
      hint ??
      (pkg ? `install ${pkg}: apt-get install ${pkg}` : `install ${tool} and make sure it is on PATH`),
  });
}

/**
 * Text for a terminal: C0 and C1 control characters (ESC, CSI, BEL, backspace, carriage return…) other than newline
 * and tab are shown as \xNN, so content read from a snapshot or a tool (a hostname, a CPU model) cannot move the
 * cursor, retitle the window or hide what was printed before it.
 */
export function escapeControls(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
    /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** errno values of a path the user gave (exit 2) or of the machine around it (exit 3), and what to do. */
const ERRNO_CLASS: Record<string, { exit: number; what: string; hint: string }> = {
  ENOTDIR: {
    exit: 2,
    what: "a file is in the way where a directory is needed",
    hint: "give a directory path",
  },
  EEXIST: {
    exit: 2,
    what: "already exists and is not a directory",
    hint: "give a directory path, or remove the file",
  },
  EISDIR: { exit: 2, what: "is a directory where a file is needed", hint: "give a file path" },
  ENOENT: { exit: 2, what: "no such file or directory", hint: "check the path" },
  ENAMETOOLONG: { exit: 2, what: "the path is too long", hint: "give a shorter path" },
  EACCES: {
    exit: 3,
    what: "permission denied",
    hint: "run as a user who may write there, or choose another path",
  },
  EPERM: {
    exit: 3,
    what: "operation not permitted",
    hint: "run as a user who may write there, or choose another path",
  },
  EROFS: { exit: 3, what: "read-only file system", hint: "choose a path on a writable file system" },
  ENOSPC: { exit: 3, what: "no space left on the device", hint: "free some space, or choose another path" },
  EDQUOT: { exit: 3, what: "disk quota exceeded", hint: "free some space, or choose another path" },
};

/** One line for the user; the stack only with --debug. */
export function describeError(err: unknown, debug: boolean): { text: string; exitCode: number } {
  if (err instanceof Kvm4nfvError) {
    let text = `kvm4nfv: ${escapeControls(err.message)}`;
    if (err.hint) text += ` (${escapeControls(err.hint)})`;
    if (debug && err.stack) text += `\n${err.stack}`;
    return { text, exitCode: err.exitCode };
  }
  const e = err as { code?: string; message?: string; stack?: string; path?: string; syscall?: string };
  // A filesystem error nobody turned into a typed one still has a class: the path given, or the machine.
  const fsClass = e?.path !== undefined && e.code !== undefined ? ERRNO_CLASS[e.code] : undefined;
  if (fsClass !== undefined) {
    let text = `kvm4nfv: ${escapeControls(`${e.path}: ${fsClass.what}`)} (${fsClass.hint})`;
    if (debug && e.stack) text += `\n${e.stack}`;
    return { text, exitCode: fsClass.exit };
  }
  // commander reports its own usage errors with codes starting "commander."; they already printed.
  const message = e?.message ?? String(err);
  let text = `kvm4nfv: internal error: ${escapeControls(message)}`;
  if (!debug) text += " (run with --debug for the stack trace)";
  else if (e?.stack) text += `\n${e.stack}`;
  return { text, exitCode: 4 };
}
