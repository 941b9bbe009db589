/**
 * --trace: flag checks, the tracefs script, packing, and one real guest timer run through the command path
 * (one boot): cyclictest --breaktrace stops the trace at the spike, the trace is kept packed with the stored
 * run, and the report shows why with the events on that CPU before the spike.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { timerCommand, timerOptionsFromFlags } from "../../../src/app/timer.js";
import {
  PACKED_TRACE,
  packTrace,
  parseTraceGroups,
  saveTraceTail,
  traceAround,
  unpackTrace,
} from "../../../src/measure/trace/capture.js";
import { renderReport } from "../../../src/report/html.js";
import { openStore } from "../../../src/results/store.js";

describe("--trace", () => {
  it("takes known event groups only, and only for the guest", () => {
    expect(parseTraceGroups("irq,sched,timer,irq")).toEqual(["irq", "sched", "timer"]);
    expect(() => parseTraceGroups("irq,disk")).toThrow(/"disk" is not an event group/);
    expect(() => timerOptionsFromFlags({ where: "host", trace: "irq" })).toThrow(/--where guest only/);
    expect(timerOptionsFromFlags({ where: "guest", trace: "irq,rcu" }).traceGroups).toEqual(["irq", "rcu"]);
  });
  it("enables the groups (and power, for idle exits) around the body and saves the buffer's tail", () => {
    const s = traceAround(["irq", "sched"], "cyclictest -b 100");
    const lines = s.split("\n");
    expect(lines.findIndex((l) => l.includes("tracing_on") && l.startsWith("echo 1"))).toBeLessThan(
      lines.indexOf("cyclictest -b 100"),
    );
    expect(s).toContain("for g in irq sched power;");
    expect(s).toContain(saveTraceTail("$T/trace", "/out/trace.txt", 4194304));
  });
  it("keeps the header and whole lines of the tail when the trace is larger than the cap", () => {
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-trace-tail-"));
    const header = "# tracer: nop\n#\n# entries-in-buffer/entries-written: 3/3   #P:2\n#\n";
    const line = (i: number) =>
      `          <idle>-0       [001] d..h1..     8.${String(i).padStart(6, "0")}: cpu_idle: state=0\n`;
    const body = Array.from({ length: 100 }, (_, i) => line(i)).join("");
    writeFileSync(join(dir, "trace"), header + body);
    const save = (max: number) => {
      execFileSync("sh", ["-c", saveTraceTail(join(dir, "trace"), join(dir, "out"), max)]);
      return readFileSync(join(dir, "out"), "utf8");
    };
    const cut = save(line(0).length * 10 + 5);
    expect(cut.startsWith(header)).toBe(true);
    expect(cut.slice(header.length)).toBe(body.split("\n").slice(90, 100).join("\n") + "\n");
    expect(save(1 << 20)).toBe(header + body);
  });
  it("packs losslessly and smaller", () => {
    const text = "cyclictest-1  [001] d..h1.. 1.000001: irq_handler_entry: irq=4 name=ttyS0\n".repeat(2000);
    const packed = packTrace(text);
    expect(unpackTrace(packed)).toBe(text);
    expect(packed.length).toBeLessThan(text.length / 10);
  });
});

describe("test timer --where guest --trace (real guest, one boot)", { timeout: 400_000 }, () => {
  it("keeps the stopped trace with the run and explains the spike in the report", async () => {
    const store = join(mkdtempSync(join(tmpdir(), "kvm4nfv-trace-")), "r.db");
    const out = await timerCommand({
      where: "guest",
      duration: "8s",
      breaktrace: "20000",
      trace: "irq,sched,timer",
      store,
    });
    const s = openStore(store);
    const run = s.getRun(out.run.id!);
    s.close();
    expect(run.environment.accelerator).toMatch(/^(kvm|tcg)$/);
    const trace = unpackTrace(run.raw[PACKED_TRACE]!);
    expect(trace).toMatch(/^# tracer: nop/m);
    expect(run.metrics.traceBytes).toBe(Buffer.byteLength(trace));
    expect(run.raw["trace.groups"]).toMatch(/irq\nsched\ntimer\npower/);
    if (typeof run.metrics.breakValueUs === "number") {
      expect(trace).toContain(`hit latency threshold (${run.metrics.breakValueUs} > 20000)`);
      const why = JSON.parse(run.raw["why.json"]!);
      expect(why.latencyUs).toBe(run.metrics.breakValueUs);
      expect(why.cpu).toBe(1);
      expect(why.events.length).toBeGreaterThan(0);
      const html = renderReport([run]);
      expect(html).toContain("<h3>Why</h3>");
      expect(html).toContain("trace events on CPU 1 before the spike");
    }
  });
});
