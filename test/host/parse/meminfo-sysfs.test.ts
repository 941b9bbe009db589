import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseMeminfo } from "../../../src/host/parse/meminfo.js";
import { bool, int, parseShellVars, selected, value } from "../../../src/host/parse/sysfs.js";

describe("parseMeminfo", () => {
  it("reads the real /proc/meminfo and node meminfo", () => {
    const m = parseMeminfo(readFileSync("test/fixtures/real/dev-vm/proc_meminfo", "utf8"));
    expect(m.MemTotal).toBe(24683656);
    expect(m.Hugepagesize).toBe(2048);
    expect(m.HugePages_Total).toBe(0);
    const n = parseMeminfo(
      readFileSync("test/fixtures/real/dev-vm/sys_devices_system_node_node0_meminfo", "utf8"),
    );
    expect(n.MemTotal).toBe(6383392);
  });

  it("strips the Node prefix and keeps bracketed keys", () => {
    expect(
      parseMeminfo("Node 1 MemTotal:  65842528 kB\nNode 1 HugePages_Free:   8\nActive(anon):  12 kB\n"),
    ).toEqual({ MemTotal: 65842528, HugePages_Free: 8, "Active(anon)": 12 });
  });
});

describe("sysfs values", () => {
  it("picks the bracketed choice of the real THP files", () => {
    expect(
      selected(readFileSync("test/fixtures/real/dev-vm/sys_kernel_mm_transparent_hugepage_enabled", "utf8")),
    ).toBe("madvise");
    expect(selected("always defer defer+madvise madvise [never]\n")).toBe("never");
    expect(selected("tsc\n")).toBe("tsc");
    expect(selected("\n")).toBeNull();
    expect(selected(undefined)).toBeNull();
  });

  it("reads booleans the way module parameters spell them", () => {
    expect([bool("Y\n"), bool("N"), bool("1"), bool("0"), bool("on"), bool("off")]).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
    expect(bool("2")).toBeNull();
    expect(bool(undefined)).toBeNull();
  });

  it("reads integers including -1 and trims values", () => {
    expect(int("-1\n")).toBe(-1);
    expect(int("950000")).toBe(950000);
    expect(int("1.5")).toBeNull();
    expect(value("  tsc \n")).toBe("tsc");
    expect(value(undefined)).toBeNull();
  });

  it("parses shell-variable files with quotes, comments and export", () => {
    const v = parseShellVars(
      "# c\nGRUB_CMDLINE_LINUX=\"quiet isolcpus=2-3\"\nexport X=1 # note\nY='a b'\n#IRQBALANCE_BANNED_CPULIST=1\nX=2\n",
    );
    expect(v).toEqual({ GRUB_CMDLINE_LINUX: "quiet isolcpus=2-3", X: "2", Y: "a b" });
  });
});
