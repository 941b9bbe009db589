#!/usr/bin/env node
/**
 * `check --role host` and `inspect` against an empty node start, paired in the same run (issue 12's targets:
 * check ≤ 1.3× `node -e 0` on this machine and on a 2-socket 112-CPU SMT snapshot with ~1900 IRQs; inspect on that
 * snapshot < 1.5×). Runs are interleaved (baseline, case, baseline, case, …) so machine load hits both alike;
 * prints medians and their ratio. NODE_EXTRA_CA_CERTS is dropped for every process, as bin/kvm4nfv does.
 * Both entries are measured: the installed command bin/kvm4nfv (check and inspect start from the V8 start-up
 * snapshot that `npm run build` writes) and plain `node bin/kvm4nfv.js` (the compiled dist/).
 * Run after `npm run build`: node bench/check-speed.mjs [runs]   (generates the big snapshot under $TMPDIR)
 */
import { spawnSync } from "node:child_process";

const runs = Number(process.argv[2] ?? 15);
const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
const big = spawnSync(process.execPath, ["bench/make-big-snapshot.mjs"], { encoding: "utf8" }).stdout.trim();

const cases = [
  {
    name: "check --role host (this machine)",
    args: ["check", "--role", "host", "--format", "json"],
    target: 1.3,
  },
  {
    name: "check --role host (112-CPU snapshot)",
    args: ["check", "--role", "host", "--root", big],
    target: 1.3,
  },
  { name: "inspect --json (112-CPU snapshot)", args: ["inspect", "--json", "--root", big], target: 1.5 },
];

const ENTRIES = [
  ["bin/kvm4nfv", "./bin/kvm4nfv", []],
  ["node bin/kvm4nfv.js", process.execPath, ["bin/kvm4nfv.js"]],
];

function time(args, cmd = process.execPath) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: "utf8", env });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const c of cases)
  for (const [entryName, cmd, pre] of ENTRIES) {
    const base = [];
    const mine = [];
    time([...pre, ...c.args], cmd); // warm the page cache
    for (let i = 0; i < runs; i++) {
      base.push(time(["-e", "0"]));
      mine.push(time([...pre, ...c.args], cmd));
    }
    const b = median(base);
    const m = median(mine);
    const ratio = m / b;
    console.log(
      `${c.name.padEnd(38)} ${entryName.padEnd(20)} median ${m.toFixed(1)} ms vs node -e 0 ${b.toFixed(1)} ms: ${ratio.toFixed(2)}x ` +
        `(target <= ${c.target}x: ${ratio <= c.target ? "meets" : "misses"}; ${runs} paired runs)`,
    );
  }
