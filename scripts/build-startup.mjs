#!/usr/bin/env node
/**
 * The start-up build (issue 12's speed target), run by `npm run build` after tsc has written dist/:
 *
 * 1. dist/startup/kvm4nfv.cjs — dist/cli/main.js with everything `check` and `inspect` can reach, bundled by
 *    esbuild into one CommonJS file: one file to read and compile instead of ~100 modules to resolve. The other
 *    commands' files are left out (the launchers send those commands to dist/), so a process never holds two
 *    copies of a module (an error class from one copy would not be `instanceof` the other's).
 * 2. dist/startup/kvm4nfv.blob — a V8 start-up snapshot of that bundle with check's and inspect's modules already
 *    evaluated (`node --build-snapshot`), so a start neither compiles nor evaluates them. A blob only loads in the
 *    node binary that built it: dist/startup/node.key names that binary (size:mtime:inode, what bin/kvm4nfv
 *    compares without starting node), and a launcher that finds another node uses the plain bundle.
 *
 * Neither is needed for correctness: bin/kvm4nfv.js falls back to dist/ when the bundle is missing or older than
 * dist/cli/main.js, and bin/kvm4nfv to bin/kvm4nfv.js. Without esbuild (a production install) this step is skipped.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist/startup");
const BUNDLE = join(OUT, "kvm4nfv.cjs");
const BLOB = join(OUT, "kvm4nfv.blob");
const KEY = join(OUT, "node.key");

/** The commands the bundle carries; bin/kvm4nfv and bin/kvm4nfv.js route only these to it. */
export const FAST_COMMANDS = ["check", "inspect"];

const say = (line) => process.stderr.write(`build-startup: ${line}\n`);

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  say("esbuild is not installed (a production install): no start-up bundle, the CLI runs from dist/");
  rmSync(OUT, { recursive: true, force: true });
  process.exit(0);
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const CLI = join(ROOT, "dist/cli");

/** What the bundle leaves out or links at run time. */
const startupPlugin = {
  name: "kvm4nfv-startup",
  setup(build) {
    // The command table's loaders of other commands: never called, the launchers route those commands to dist/.
    build.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (args) => {
      if (args.importer !== join(CLI, "commands.js")) return undefined;
      const name = args.path.slice(2, -3);
      if (FAST_COMMANDS.includes(name)) return undefined;
      return { path: name, namespace: "elsewhere" };
    });
    build.onLoad({ filter: /.*/, namespace: "elsewhere" }, (args) => ({
      contents: `throw new Error("the start-up bundle carries only ${FAST_COMMANDS.join(" and ")}, not ${args.path}: run dist/cli/main.js");`,
      loader: "js",
    }));
    // `await import("node:fs")` in the sources: node's own module, through the bundle's require (a snapshot's
    // main function has no dynamic import() at all).
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === "dynamic-import" ? { path: args.path, namespace: "builtin" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
    // A native addon: loaded from the checkout's node_modules when a command first needs it (never in the
    // snapshot, whose `require` loads only node's built-in modules).
    build.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: "better-sqlite3", namespace: "native" }));
    build.onLoad({ filter: /.*/, namespace: "native" }, (args) => ({
      contents: `module.exports = globalThis[Symbol.for("kvm4nfv.require")](${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};

/**
 * Evaluated into the snapshot: the two command files and the handler modules check and inspect import. A module
 * that has moved (src/app takes over handlers) is left out with a note, never a failed build: it is then evaluated
 * at its first use, as in dist/.
 */
const PRELOAD = [
  "dist/cli/check.js",
  "dist/cli/inspect.js",
  "dist/app/tuning.js",
  "dist/host/fs.js",
  "dist/host/read.js",
  "dist/tuning/check.js",
  "dist/tuning/check-format.js",
  "dist/measure/hwlat/evidence.js",
].flatMap((f) => {
  if (existsSync(join(ROOT, f))) return [join(ROOT, f)];
  say(`${f} is gone: not evaluated into the snapshot (update PRELOAD in scripts/build-startup.mjs)`);
  return [];
});

const ENTRY = `
import { main } from ${JSON.stringify(join(CLI, "main.js"))};
import { startupSnapshot } from "node:v8";
import { createRequire } from "node:module";

// The modules check and inspect run, evaluated into the snapshot: their top levels only declare (no environment,
// clock or process state is read there). Everything else stays lazy, evaluated at first use as in dist/: the
// pod, the store, inspect's handler (it loads execa, whose child_process state must be this process's own).
const preload = () =>
  Promise.all([
${PRELOAD.map((f) => `    import(${JSON.stringify(f)}),`).join("\n")}
  ]);

function run() {
  // node_modules as seen from the launcher (argv[1] is bin/kvm4nfv.js): where better-sqlite3 is found
  globalThis[Symbol.for("kvm4nfv.require")] = createRequire(process.argv[1] || ${JSON.stringify(join(ROOT, "bin/kvm4nfv.js"))});
  return main(process.argv);
}

// Built into a snapshot: run() becomes its main function. Loaded as a file (bin/kvm4nfv.js): run now.
if (startupSnapshot?.isBuildingSnapshot()) preload().then(() => startupSnapshot.setDeserializeMainFunction(run));
else run();
`;

// A bundling failure leaves no start-up files (the launchers then run dist/) and says so; test/startup fails on it.
let result;
try {
  result = await esbuild.build({
  stdin: { contents: ENTRY, resolveDir: ROOT, sourcefile: "startup-entry.js", loader: "js" },
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  outfile: BUNDLE,
  plugins: [startupPlugin],
  metafile: true,
  logLevel: "warning",
  legalComments: "none",
  });
} catch (err) {
  rmSync(OUT, { recursive: true, force: true });
  say(`no start-up bundle (${String(err.message ?? err).split("\n")[0]}): the CLI runs from dist/`);
  process.exit(0);
}
writeFileSync(join(OUT, "meta.json"), JSON.stringify(result.metafile));
say(`${BUNDLE} (${Math.round(statSync(BUNDLE).size / 1024)} KiB)`);

// The snapshot: built by this node, for this node.
const built = spawnSync(process.execPath, ["--snapshot-blob", BLOB, "--build-snapshot", BUNDLE], {
  cwd: OUT,
  encoding: "utf8",
  env: { ...process.env, NODE_OPTIONS: "" },
});
if (built.status !== 0) {
  rmSync(BLOB, { force: true });
  say(`no start-up snapshot (node ${process.version} could not build one: ${built.stderr.trim().split("\n")[0]}): the plain bundle is used`);
  process.exit(0);
}
const st = statSync(process.execPath);
writeFileSync(KEY, `${st.size}:${Math.floor(st.mtimeMs / 1000)}:${st.ino}\n`);
say(`${BLOB} (${Math.round(statSync(BLOB).size / 1024)} KiB, node ${process.version})`);
