/**
 * A private InfluxDB 1.x (Debian's influxdb package, `influxd`) for one test file: its own config, meta, data and
 * WAL under a temp dir, HTTP on a free 127.0.0.1 port, the RPC bind address on another, no reporting, no UDP,
 * graphite or collectd listeners. Never the system service. stop() ends it (SIGTERM, then SIGKILL) and removes
 * the directory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Influxd {
  url: string;
  write(db: string, body: string): Promise<{ status: number; text: string }>;
  query(db: string, q: string): Promise<InfluxResult>;
  stop(): Promise<void>;
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}
export interface InfluxResult {
  results: { statement_id: number; series?: InfluxSeries[]; error?: string }[];
  error?: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startInfluxd(): Promise<Influxd> {
  const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-influxd-"));
  const [http, rpc] = [await freePort(), await freePort()];
  const conf = join(dir, "influxdb.conf");
  writeFileSync(
    conf,
    [
      "reporting-disabled = true",
      `bind-address = "127.0.0.1:${rpc}"`,
      "[meta]",
      `  dir = "${dir}/meta"`,
      "[data]",
      `  dir = "${dir}/data"`,
      `  wal-dir = "${dir}/wal"`,
      '  index-version = "inmem"',
      "[monitor]",
      "  store-enabled = false",
      "[http]",
      `  bind-address = "127.0.0.1:${http}"`,
      "  log-enabled = false",
      "[continuous_queries]",
      "  enabled = false",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn("influxd", ["run", "-config", conf], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${http}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`influxd exited with ${child.exitCode}: ${log}`);
    }
    try {
      const r = await fetch(`${url}/ping`);
      if (r.status === 204) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`influxd did not answer /ping within 30 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const query = async (db: string, q: string) => {
    const r = await fetch(`${url}/query?${new URLSearchParams({ db, q, epoch: "ns" })}`, { method: "POST" });
    return (await r.json()) as InfluxResult;
  };
  return {
    url,
    async write(db, body) {
      const r = await fetch(`${url}/write?${new URLSearchParams({ db, precision: "ns" })}`, {
        method: "POST",
        body,
      });
      return { status: r.status, text: await r.text() };
    },
    query,
    stop,
  };
}
