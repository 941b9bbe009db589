/**
 * The kvm4nfv CLI entry. Each command lives in its own file under src/cli/ and only parses flags, calls the
 * core and prints. Core modules are imported lazily inside the actions so `--version` stays fast.
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { describeError } from "../errors.js";
import { cleanStaleTempDirs } from "../tempdir.js";
import { registerCommands } from "./commands.js";
import { VERSION } from "./version.js";

export async function main(argv: readonly string[]): Promise<void> {
  const debug = argv.includes("--debug");
  // temp directories of kvm4nfv processes that were SIGKILLed (and so could not remove them)
  cleanStaleTempDirs();
  // `kvm4nfv … | head` closes stdout early: that is the reader's choice, not an error worth a stack trace.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
  const program = new Command("kvm4nfv")
    .description(
      "Make KVM hosts and their real-time guests deterministic for NFV, and prove it with measurements.",
    )
    .version(VERSION, "-V, --version")
    .option("--debug", "show stack traces for errors")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      // commander's own usage errors arrive here; keep them to one line naming the problem.
      outputError: (str, write) => write(`kvm4nfv: ${str.replace(/^error: /, "").trim()}\n`),
    });
  await registerCommands(program, argv);
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.code === "commander.help"
      ) {
        process.exitCode = 0;
        return;
      }
      process.exitCode = 2; // usage error, already printed by commander
      return;
    }
    // Children exist only if exec.ts was loaded; importing it here costs nothing then (module cache).
    const { killAll } = await import("../exec.js");
    killAll();
    const { text, exitCode } = describeError(err, debug);
    process.stderr.write(`${text}\n`);
    process.exitCode = exitCode;
  }
}
