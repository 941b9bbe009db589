import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { appendCpio, buildCpio } from "../../src/vm/cpio.js";
import { moduleDepends, parseLdd } from "../../src/vm/guest-build.js";
import { INIT_SCRIPT, parseGuestStream } from "../../src/vm/guest-init.js";
import { parseThreadStatus } from "../../src/vm/launcher.js";

function frame(name: string, data: string): string {
  const b = Buffer.from(data);
  return `KVM4NFV-BEGIN ${name} ${b.length}\n${b.toString("base64").replace(/(.{76})/g, "$1\n")}\nKVM4NFV-END ${name}\n`;
}

describe("cpio newc", () => {
  it("writes headers, 4-byte padding and the trailer", () => {
    const a = buildCpio([{ type: "file", path: "/init", data: "abc", mode: 0o755 }]);
    const text = a.toString("latin1");
    expect(text.startsWith("070701")).toBe(true);
    // mode field (2nd) = regular file 0755, filesize (7th) = 3, namesize (12th) = "init\0" = 5
    expect(text.slice(6 + 8, 6 + 16)).toBe((0o100755).toString(16).padStart(8, "0"));
    expect(text.slice(6 + 6 * 8, 6 + 7 * 8)).toBe("00000003");
    expect(text.slice(6 + 11 * 8, 6 + 12 * 8)).toBe("00000005");
    expect(text).toContain("init\0");
    expect(text).toContain("TRAILER!!!\0");
    expect(a.length % 4).toBe(0);
  });
  it("is reproducible (same entries → same bytes)", () => {
    const e = [
      { type: "dir" as const, path: "bin" },
      { type: "symlink" as const, path: "bin/sh", target: "/bin/busybox" },
    ];
    expect(buildCpio(e).equals(buildCpio(e))).toBe(true);
  });
  it("appends an uncompressed member 4-byte aligned after a gzip member", () => {
    const gz = gzipSync(Buffer.from("x".repeat(10)));
    const extra = buildCpio([{ type: "file", path: "kvm4nfv/job.sh", data: "true\n" }]);
    const both = appendCpio(gz, extra);
    const start = both.length - extra.length;
    expect(start % 4).toBe(0);
    expect(both.subarray(gz.length, start).every((b) => b === 0)).toBe(true);
    expect(gunzipSync(both.subarray(0, gz.length)).toString()).toBe("x".repeat(10));
  });
});

describe("parseGuestStream", () => {
  it("extracts framed outputs, facts and the exit code, ignoring console noise", () => {
    const json = '{"thread": {"0": {"max": 12}}}\n';
    const text =
      "[    1.0] random kernel line\r\n" +
      frame("kvm4nfv.uname", "6.1.0-56-rt-amd64\n") +
      frame("stdout", "hello\nKVM4NFV-END fake\n") +
      frame("cyclictest.json", json) +
      frame("empty", "") +
      "KVM4NFV-DONE 3\n";
    const r = parseGuestStream(text);
    expect(r.outputs).toEqual({ stdout: "hello\nKVM4NFV-END fake\n", "cyclictest.json": json, empty: "" });
    expect(r.facts).toEqual({ "kvm4nfv.uname": "6.1.0-56-rt-amd64\n" });
    expect(r.exitCode).toBe(3);
  });
  it("reports a truncated frame", () => {
    expect(() => parseGuestStream("KVM4NFV-BEGIN x 4\nYWJj\n")).toThrow('guest output "x" is truncated');
  });
  it("reports a size mismatch", () => {
    expect(() => parseGuestStream("KVM4NFV-BEGIN x 9\nYWJj\nKVM4NFV-END x\n")).toThrow(
      /3 bytes, the guest announced 9/,
    );
  });
  it("has no exit code when the guest never finished", () => {
    expect(parseGuestStream(frame("a", "1")).exitCode).toBeNull();
  });
});

describe("the guest /init", () => {
  it("applies guest-setup1 and powers off", () => {
    for (const s of [
      "kernel/watchdog=0",
      "kernel/nmi_watchdog=0",
      "kernel/sched_rt_runtime_us=-1",
      "kernel/timer_migration=0",
    ]) {
      expect(INIT_SCRIPT).toContain(s);
    }
    expect(INIT_SCRIPT).toContain("smp_affinity_list");
    expect(INIT_SCRIPT.trimEnd().endsWith("poweroff -f")).toBe(true);
  });
});

describe("build helpers", () => {
  it("parses ldd output, including the loader line, without vdso", () => {
    const out = `\tlinux-vdso.so.1 (0x00007ffd)\n\tlibnuma.so.1 => /lib/x86_64-linux-gnu/libnuma.so.1 (0x00007f)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n`;
    expect(parseLdd(out)).toEqual([
      "/lib/x86_64-linux-gnu/libnuma.so.1",
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
    ]);
  });
  it("reads depends= from a module's .modinfo strings", () => {
    const ko = Buffer.from("\x7fELF....\0license=GPL\0depends=virtio,virtio_ring\0retpoline=Y\0");
    expect(moduleDepends(ko)).toEqual(["virtio", "virtio_ring"]);
    expect(moduleDepends(Buffer.from("\0depends=\0"))).toEqual([]);
  });
  it("reads a thread's affinity and policy from /proc status and stat", () => {
    const status = "Name:\tCPU 1/KVM\nCpus_allowed_list:\t1\n";
    // pid (comm) state, then fields 4..52; field 40 = rt_priority 99, field 41 = policy 1 (FIFO)
    const fields = Array.from({ length: 50 }, () => "0");
    fields[40 - 3] = "99";
    fields[41 - 3] = "1";
    fields[0] = "S";
    const stat = `123 (CPU 1/KVM) ${fields.join(" ")}`;
    expect(parseThreadStatus(status, stat)).toEqual({
      comm: "CPU 1/KVM",
      allowed: [1],
      policy: "SCHED_FIFO 99",
    });
  });
});
