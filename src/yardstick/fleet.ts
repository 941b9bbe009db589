/**
 * `kvm4nfv pod import-fleet DIR`: what the Ansible role (ansible/) fetched, judged and stored centrally.
 * DIR/NODE/snapshot/ is a node's snapshot (the files `inspect --list-files` names, mirroring "/"): judged
 * with the same rules as `kvm4nfv check --root DIR/NODE/snapshot`. DIR/NODE/cyclictest.json is the node's own
 * cyclictest --json: stored as `results import` stores it, with the node's name (params.node, the label).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.js";

export interface FleetNodeOutcome {
  node: string;
  check: { pass: number; warn: number; fail: number; unknown: number } | null;
  runId: number | null;
  verdict: string | null;
  error?: string;
}

export async function importFleet(
  dir: string,
  opts: { store?: string | undefined; sla?: string | undefined; role?: string | undefined },
): Promise<{ text: string; exitCode: number; nodes: FleetNodeOutcome[] }> {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => statSync(join(dir, n)).isDirectory())
      .sort();
  } catch (err) {
    throw new InputError("BAD_INPUT", `${dir}: ${(err as NodeJS.ErrnoException).code ?? "cannot read"}`);
  }
  if (names.length === 0)
    throw new InputError("BAD_INPUT", `${dir}: no node directories (the role fetches into DIR/NODE/)`);
  const [{ openHostFs }, { readHost }, { runCheck }, { buildImportedRun }, { openStore }] = await Promise.all(
    [
      import("../host/fs.js"),
      import("../host/read.js"),
      import("../tuning/check.js"),
      import("../results/import.js"),
      import("../results/store.js"),
    ],
  );
  const store = openStore(opts.store);
  const out: FleetNodeOutcome[] = [];
  let exitCode = 0;
  try {
    for (const node of names) {
      const o: FleetNodeOutcome = { node, check: null, runId: null, verdict: null };
      try {
        const snap = join(dir, node, "snapshot");
        if (existsSync(snap)) {
          const report = runCheck(readHost(openHostFs(snap)), { role: opts.role ?? "host", cpus: undefined });
          const { pass, warn, fail, unknown } = report.summary as unknown as Record<string, number>;
          o.check = { pass: pass ?? 0, warn: warn ?? 0, fail: fail ?? 0, unknown: unknown ?? 0 };
          if ((fail ?? 0) > 0) exitCode = Math.max(exitCode, 1);
        }
        const json = join(dir, node, "cyclictest.json");
        if (existsSync(json)) {
          const run = buildImportedRun(json, readFileSync(json, "utf8"), statSync(json).mtime, {
            label: node,
            sla: opts.sla,
          });
          run.params.node = node;
          run.id = store.saveRun(run);
          o.runId = run.id;
          o.verdict = run.verdict.summary;
          if (run.verdict.status !== "pass") exitCode = Math.max(exitCode, 1);
        }
      } catch (err) {
        o.error = (err as Error).message;
        exitCode = Math.max(exitCode, 2);
      }
      out.push(o);
    }
  } finally {
    store.close();
  }
  const lines = out.map((o) =>
    o.error
      ? `${o.node}: ${o.error}`
      : `${o.node}: ${o.check ? `check ${o.check.pass} pass, ${o.check.warn} warn, ${o.check.fail} fail, ${o.check.unknown} unknown` : "no snapshot"}; ${o.runId !== null ? `timer run ${o.runId}: ${o.verdict}` : "no cyclictest.json"}`,
  );
  lines.push(`${out.length} node(s) from ${dir}; runs stored in ${store.path}`);
  return { text: lines.join("\n"), exitCode, nodes: out };
}
