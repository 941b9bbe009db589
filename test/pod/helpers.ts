/** Shared by the pod tests: run the built CLI, and look for what might have been left running. */
import { execFileSync, spawn } from "node:child_process";

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The CLI as a user runs it (dist/ is built by the suite's global set-up). */
export function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  const t = performance.now();
  return new Promise((resolve) => {
    const child = spawn("node", ["bin/kvm4nfv.js", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("close", (status) => resolve({ status, stdout, stderr, ms: performance.now() - t }));
  });
}

/** Processes whose command line matches (pgrep -af), minus pgrep itself. */
export function pgrep(pattern: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", "--", pattern], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.includes("pgrep"));
  } catch {
    return [];
  }
}

/** Children of a pid (an sshd's sessions). */
export function childrenOf(pid: number): string[] {
  try {
    return execFileSync("pgrep", ["-a", "-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.trim() !== "");
  } catch {
    return [];
  }
}

/** Poll until fn() is empty (processes take a moment to go), then return what is left. */
export async function settle(fn: () => string[], ms = 5000): Promise<string[]> {
  const deadline = Date.now() + ms;
  let left = fn();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = fn();
  }
  return left;
}
