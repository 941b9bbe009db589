/**
 * Yardstick's two outputs, so that its consumers (scripts reading yardstick.out, Grafana dashboards on its
 * InfluxDB) keep working:
 *
 * File dispatcher (yardstick/dispatcher/file.py, the "unified" format since 2017-05): one JSON document
 *   {"status": 1, "result": {"criteria": "PASS"|"FAIL", "task_id": UUID,
 *     "info": {"deploy_scenario", "installer", "pod_name", "version"},
 *     "testcases": {TASK_NAME: {"criteria": …, "tc_data": [{"timestamp", "sequence", "data", "errors"}]}}}}
 *   where TASK_NAME is the task file's basename and each tc_data record is one runner iteration.
 * InfluxDB dispatcher (yardstick/dispatcher/influxdb.py + third_party influxdb_line_protocol.make_lines): one
 *   point per record: measurement TASK_NAME; tags deploy_scenario, installer, pod_name, version, task_id,
 *   criteria (sorted, empty values dropped); fields the record's data flattened ("a.b", "list0"); time the
 *   record's timestamp in ns.
 * Cyclictest's data is what Yardstick's cyclictest_benchmark.bash printed: {"min","avg","max"} as the strings
 * awk took from the first thread of cyclictest's "# Min/Avg/Max Latencies:" lines (e.g. "00005"), so the
 * fields are strings, as in every existing Yardstick database (InfluxDB refuses a float into a string field).
 */
import { randomUUID } from "node:crypto";

export interface TcRecord {
  timestamp: number;
  sequence: number;
  data: Record<string, unknown>;
  errors: string;
}

export interface YardstickResult {
  status: 1;
  result: {
    criteria: "PASS" | "FAIL";
    task_id: string;
    info: { deploy_scenario: string; installer: string; pod_name: string; version: string };
    testcases: Record<string, { criteria: "PASS" | "FAIL"; tc_data: TcRecord[] }>;
  };
}

/** Yardstick took these from the environment (DEPLOY_SCENARIO, INSTALLER_TYPE, NODE_NAME, YARDSTICK_BRANCH). */
export function resultInfo(
  env: NodeJS.ProcessEnv,
  deployScenario: string | null,
): YardstickResult["result"]["info"] {
  return {
    deploy_scenario: deployScenario ?? env.DEPLOY_SCENARIO ?? "unknown",
    installer: env.INSTALLER_TYPE ?? "unknown",
    pod_name: env.NODE_NAME ?? "unknown",
    version: env.YARDSTICK_BRANCH ?? "unknown",
  };
}

export function newTaskId(): string {
  return randomUUID();
}

export function formatResult(
  taskId: string,
  info: YardstickResult["result"]["info"],
  testcases: YardstickResult["result"]["testcases"],
): YardstickResult {
  const failed = Object.values(testcases).some((t) => t.criteria !== "PASS");
  return { status: 1, result: { criteria: failed ? "FAIL" : "PASS", task_id: taskId, info, testcases } };
}

/** cyclictest's trailer values for the first thread, as Yardstick's awk '{print $4}' read them. */
export function cyclictestData(stdout: string): { min: string; avg: string; max: string } {
  const pick = (label: string) => {
    const line = stdout.split("\n").find((l) => l.includes(`# ${label} Latencies:`));
    return line?.trim().split(/\s+/)[3] ?? "";
  };
  return { min: pick("Min"), avg: pick("Avg"), max: pick("Max") };
}

/** Yardstick's flatten_dict_key: nested mappings become "a.b", lists "name0", "name1", … */
export function flatten(data: Record<string, unknown>): Record<string, unknown> {
  let cur = data;
  for (;;) {
    if (!Object.values(cur).some((v) => Array.isArray(v) || (typeof v === "object" && v !== null)))
      return cur;
    const next: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(cur)) {
      if (Array.isArray(v))
        v.forEach((item, i) => {
          next[`${k}${i}`] = item;
        });
      else if (typeof v === "object" && v !== null)
        for (const [nk, nv] of Object.entries(v)) next[`${k}.${nk}`] = nv;
      else next[k] = v;
    }
    cur = next;
  }
}

function escapeTag(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/ /g, "\\ ").replace(/,/g, "\\,").replace(/=/g, "\\=");
}

/** make_lines' value rule: non-empty strings quoted, integers with i, the rest as Python's str(). */
function fieldValue(v: unknown): string {
  if (typeof v === "string") return v === "" ? "" : `"${v.replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isInteger(v) ? `${v}i` : String(v);
  if (v === null || v === undefined) return "";
  return String(v);
}

export function lineProtocol(result: YardstickResult): string {
  const lines: string[] = [];
  const r = result.result;
  for (const [tc, data] of Object.entries(r.testcases)) {
    for (const rec of data.tc_data) {
      if (Object.keys(rec.data).length === 0) continue; // Yardstick skips records without data
      const tags: Record<string, string> = { ...r.info, task_id: r.task_id, criteria: data.criteria };
      const tagText = Object.keys(tags)
        .sort()
        .map((k) => [escapeTag(k), escapeTag(String(tags[k]))])
        .filter(([k, v]) => k !== "" && v !== "")
        .map(([k, v]) => `${k}=${v}`);
      const fields = flatten(rec.data);
      const fieldText = Object.keys(fields)
        .sort()
        .map((k) => [escapeTag(k), fieldValue(fields[k])])
        .filter(([k, v]) => k !== "" && v !== "")
        .map(([k, v]) => `${k}=${v}`);
      if (fieldText.length === 0) continue;
      const ns = BigInt(Math.round(rec.timestamp * 1e6)) * 1000n;
      lines.push(`${[escapeTag(tc), ...tagText].join(",")} ${fieldText.join(",")} ${ns}`);
    }
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}

/** POST the points to INFLUX_URL/write?db=DB (what the dispatcher did; 204 is success). */
export async function postInflux(url: string, db: string, body: string): Promise<void> {
  const { Kvm4nfvError } = await import("../errors.js");
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/$/, "")}/write?${new URLSearchParams({ db, precision: "ns" })}`, {
      method: "POST",
      body,
    });
  } catch (err) {
    throw new Kvm4nfvError("TOOL_FAILED", `InfluxDB at ${url}: ${(err as Error).message}`);
  }
  if (res.status !== 204) {
    throw new Kvm4nfvError(
      "TOOL_FAILED",
      `InfluxDB at ${url} answered ${res.status}: ${(await res.text()).trim()}`,
    );
  }
}
