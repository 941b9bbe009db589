import { describe, expect, it } from "vitest";
import { Kvm4nfvError } from "../src/errors.js";
import { liveChildren, realExec } from "../src/exec.js";

describe("exec seam", () => {
  it("a started child gives its stdout as lines (the last one without a newline too) and stderr as a stream", async () => {
    const child = realExec.start("sh", ["-c", "printf 'one\\ntwo\\nthr'; printf 'ee' ; printf oops >&2"]);
    const lines: string[] = [];
    let err = "";
    child.onLine("stdout", (l) => lines.push(l));
    child.stderr?.on("data", (b: Buffer) => {
      err += b.toString();
    });
    await child.exited;
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual(["one", "two", "three"]);
    expect(err).toBe("oops");
  });

  it("a child started with stdin: pipe reads what is written to its own stdin; raw stdout keeps a prompt without newline", async () => {
    const child = realExec.start("sh", ["-c", "printf 'Press enter:'; read x; printf 'got %s\\n' \"$x\""], {
      stdin: "pipe",
    });
    let raw = "";
    child.stdout?.on("data", (b: Buffer) => {
      raw += b.toString();
    });
    // The prompt arrives before any newline: only the raw stream shows it (onLine waits for the line's end).
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (raw.includes("Press enter:")) {
          clearInterval(poll);
          resolve();
        }
      }, 10);
    });
    child.stdin?.end("hello\n");
    expect((await child.exited).exitCode).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(raw).toBe("Press enter:got hello\n");
  });

  it("a Child is kvm4nfv's own handle: no execa object leaks out of the seam", () => {
    const child = realExec.start("true", []);
    expect(Object.keys(child).sort()).toEqual(
      ["command", "exited", "onLine", "pid", "stderr", "stdin", "stdout", "stop"].sort(),
    );
    expect(child.stdin).toBeNull();
    return child.exited;
  });

  it("runs argv arrays without a shell (metacharacters stay literal)", async () => {
    const r = await realExec.run("echo", ["a; rm -rf /", "$(id)"]);
    expect(r.stdout).toBe("a; rm -rf / $(id)\n");
    expect(r.exitCode).toBe(0);
  });

  it("turns a missing tool into TOOL_MISSING with an install hint", async () => {
    await expect(realExec.run("cyclictest-not-here", [])).rejects.toMatchObject({
      code: "TOOL_MISSING",
      exitCode: 3,
    });
    const err = await realExec.run("stress-ng-missing", []).catch((e: Kvm4nfvError) => e);
    expect(err).toBeInstanceOf(Kvm4nfvError);
  });

  it("names the command and its last stderr line when it fails", async () => {
    const err = (await realExec.run("sh", ["-c", "echo boom >&2; exit 3"]).catch((e) => e)) as Kvm4nfvError;
    expect(err.code).toBe("TOOL_FAILED");
    expect(err.message).toContain("exited with 3: boom");
  });

  it("returns the result instead of throwing with allowFailure", async () => {
    const r = await realExec.run("false", [], { allowFailure: true });
    expect(r.exitCode).toBe(1);
  });

  it("times out and kills the child", async () => {
    const err = (await realExec.run("sleep", ["5"], { timeoutMs: 200 }).catch((e) => e)) as Kvm4nfvError;
    expect(err.code).toBe("TIMEOUT");
    expect(liveChildren()).toHaveLength(0);
  });

  it("stops a long-running child and forgets it", async () => {
    const child = realExec.start("sleep", ["30"]);
    expect(liveChildren().map((c) => c.pid)).toContain(child.pid);
    await child.stop(500);
    const { signal } = await child.exited;
    expect(signal).toBe("SIGTERM");
    expect(liveChildren().map((c) => c.pid)).not.toContain(child.pid);
  });
});
