/**
 * Attacks 3, 7 and 8: values without bounds, exit codes that lied, and escaping. Each is checked through the real
 * CLI before anything starts (one line, the documented exit code), plus property tests of the value parsers the
 * issue names (cpulists, cmdline, durations, histograms) through their public functions.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { escapeControls, InputError, UsageError } from "../../src/errors.js";
import { parseCmdline } from "../../src/host/parse/cmdline.js";
import { formatCpuList, MAX_CPU, parseCpuList } from "../../src/host/parse/cpulist.js";
import { parseHistogramText } from "../../src/measure/parse/histogram.js";
import { formatDuration, MAX_DURATION_MS, parseDuration } from "../../src/units.js";
import { buildQemuArgv, qemuOptValue } from "../../src/vm/argv.js";
import { defaultSpec } from "../../src/vm/spec.js";
import { type Scratch, scratch } from "../tuning/apply/tree.js";
import { cli } from "./cli.js";

let s: Scratch | undefined;
afterEach(() => s?.cleanup());

describe("values without bounds: exit 2, one line, before anything starts", () => {
  it.each([
    [["test", "timer", "--cpus", "0-4294967296"], /CPU 4294967296 is above 8191/],
    [["test", "timer", "--cpus", "0-8000"], /names CPU .* which this machine cannot have/],
    [["test", "timer", "--duration", "999999h"], /--duration "999999h" is longer than 7d/],
    [["test", "timer", "--duration", "10"], /a unit is required/],
    [
      ["test", "timer", "--duration", "1s", "--interval", "2s"],
      /--interval 2000000us is not shorter than --duration 1s/,
    ],
    [["test", "migration", "--memory", "99999999T"], /is more than this host's \d+ GiB of RAM/],
  ])("%j", (args, message) => {
    const r = cli(args as string[], { timeoutMs: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.ms).toBeLessThan(15_000);
  });
});

describe("exit codes", () => {
  it("a damaged store is exit 2, a read-only one exit 3, each saying what to do", () => {
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-store-"));
    try {
      const db = join(dir, "r.db");
      expect(
        cli(["results", "import", "test/fixtures/rt-tests/cyclictest-2.40-1thread.json", "--store", db])
          .status,
      ).toBe(0);
      const bad = join(dir, "bad.db");
      writeFileSync(bad, "SQLite format 3\0garbage that is not a database");
      const r = cli(["results", "list", "--store", bad]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/not a kvm4nfv results store .*move it aside/);
      // read-only: a private mount namespace with a read-only tmpfs (nothing outside the namespace sees it)
      const ro = join(dir, "ro");
      const sh = `mkdir -p ${ro} && mount -t tmpfs none ${ro} && cp ${db} ${ro}/ && mount -o remount,ro ${ro} && exec node ${join(import.meta.dirname, "../../bin/kvm4nfv.js")} results import test/fixtures/rt-tests/cyclictest-2.40-1thread.json --store ${ro}/r.db`;
      const u = spawnSync("unshare", ["-m", "sh", "-c", sh], { encoding: "utf8", timeout: 30_000 });
      expect(u.status).toBe(3);
      expect(u.stderr).toMatch(/make the file and its directory writable, or pass --store/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an existing file given as an output directory is exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-out-"));
    try {
      writeFileSync(join(dir, "file"), "x");
      const g = cli(["guest", "build", "-o", join(dir, "file")]);
      expect(g.status).toBe(2);
      expect(g.stderr).toMatch(/already exists and is not a directory|a file is in the way/);
      const i = cli(["inspect", "--save", join(dir, "file")]);
      expect(i.status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("escaping", () => {
  it("QEMU option values double their commas: a hugepage path with ,readonly=on adds no option (real QEMU)", () => {
    const evil = mkdtempSync(join(tmpdir(), "kvm4nfv-h,readonly=on,x-"));
    try {
      const spec = { ...defaultSpec({ kernel: "/k", initrd: "/i" }), hugepagePath: evil, memoryMiB: 64 };
      const argv = buildQemuArgv(
        spec,
        "tcg",
        { qmpSocket: "/q", consoleLog: "/c", outputFile: "/o" },
        { name: "t", paused: true },
      );
      const object = argv[argv.indexOf("-object") + 1]!;
      expect(object).toContain(`mem-path=${evil.replace(/,/g, ",,")},share=on`);
      // QEMU itself parses the -object: one mem-path holding the whole directory name, readonly unset
      const q = spawnSync(
        "qemu-system-x86_64",
        [
          "-machine",
          "none",
          "-nodefaults",
          "-display",
          "none",
          "-object",
          object.replace(/size=\d+M/, "size=4M").replace(",prealloc=on", ""),
          "-qmp",
          "stdio",
        ],
        {
          input:
            '{"execute":"qmp_capabilities"}\n{"execute":"qom-get","arguments":{"path":"/objects/mem","property":"mem-path"}}\n{"execute":"qom-get","arguments":{"path":"/objects/mem","property":"readonly"}}\n{"execute":"quit"}\n',
          encoding: "utf8",
          timeout: 30_000,
        },
      );
      expect(q.stdout).toContain(`{"return": "${evil}"}`);
      expect(q.stdout).toContain('{"return": false}');
    } finally {
      rmSync(evil, { recursive: true, force: true });
    }
    expect(qemuOptValue("a,b,,c")).toBe("a,,b,,,,c");
  });

  it("terminal output escapes control sequences from a snapshot's hostname", () => {
    s = scratch();
    writeFileSync(join(s.root, "proc/sys/kernel/hostname"), "evil\u001b]0;pwned\u0007\u001b[2J\n");
    const r = cli(["inspect", "--root", s.root]);
    expect(r.status).toBe(0);
    expect(r.stdout.includes("\u001b") || r.stdout.includes("\u0007")).toBe(false);
    expect(r.stdout).toContain("evil\\x1b]0;pwned\\x07\\x1b[2J");
    expect(escapeControls("a\tb\nc\u009bd")).toBe("a\tb\nc\\x9bd");
  });
});

describe("parsers (property-based, public functions)", () => {
  it("cpulists: format then parse is the identity; any text parses (bounded) or is an InputError, fast", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: MAX_CPU }), { maxLength: 200 }), (cpus) => {
        expect(parseCpuList(formatCpuList(cpus))).toEqual([...cpus].sort((a, b) => a - b));
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9,\-:/ ]{0,30}$/), (text) => {
        try {
          const got = parseCpuList(text);
          expect(got.every((c) => Number.isInteger(c) && c >= 0 && c <= MAX_CPU)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("cmdline: every key=value written is read back (last one wins); random text never throws", () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_.]{0,12}$/);
    const value = fc.stringMatching(/^[a-zA-Z0-9,=:_.-]{0,12}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 20 }), (pairs) => {
        const text = pairs.map(([k, v]) => (v === "" ? k : `${k}=${v}`)).join(" ");
        const parsed = parseCmdline(text);
        const last = new Map(pairs);
        for (const [k, v] of last) expect(parsed.params[k]).toBe(v);
      }),
    );
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => void parseCmdline(text)));
  });

  it("durations: formatDuration then parseDuration is the identity; anything else is in bounds or a UsageError", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_DURATION_MS }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9.]{0,12}(us|ms|s|m|h|d|x)?$/), (text) => {
        try {
          const ms = parseDuration(text);
          expect(ms >= 1 && ms <= MAX_DURATION_MS).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("histograms: counts written per bucket and CPU are the counts read back", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((threads) =>
          fc.array(fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: threads, maxLength: threads }), {
            minLength: 1,
            maxLength: 50,
          }),
        ),
        (rows) => {
          const threads = rows[0]!.length;
          const body = rows.map(
            (r, i) => `${String(i).padStart(6, "0")} ${r.map((c) => String(c).padStart(6, "0")).join(" ")}`,
          );
          const zeros = Array(threads).fill("00000").join(" ");
          const text = `# Histogram\n${body.join("\n")}\n# Total: ${rows
            .reduce((acc, r) => acc.map((a, k) => a + r[k]!), Array(threads).fill(0))
            .map((n: number) => String(n).padStart(9, "0"))
            .join(
              " ",
            )}\n# Min Latencies: ${zeros}\n# Avg Latencies: ${zeros}\n# Max Latencies: ${zeros}\n# Histogram Overflows: ${zeros}\n`;
          const totals = rows.reduce((acc, r) => acc.map((a, k) => a + r[k]!), Array(threads).fill(0));
          // A thread with no sample at all is cyclictest's placeholder thread: refused, never stored.
          if (totals.some((t: number) => t === 0)) {
            expect(() => parseHistogramText("prop.txt", text)).toThrow(/has no samples/);
            return;
          }
          const parsed = parseHistogramText("prop.txt", text);
          const back = JSON.stringify(parsed);
          for (const r of rows) for (const c of r) if (c > 0) expect(back).toContain(String(c));
        },
      ),
      { numRuns: 100 },
    );
  });
});
