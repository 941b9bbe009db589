import { describe, expect, it } from "vitest";
import { missingParams, updateGrub } from "../../../src/tuning/apply/grub.js";
import { sameValue, selectedValue, setKeys } from "../../../src/tuning/apply/values.js";

describe("sameValue: kernel spellings compared by meaning", () => {
  it.each([
    ["cpumask", "00000000,000fffff\n", "fffff", true],
    ["cpumask", "0000000f,ffffffff\n", "fffff", false],
    ["cpulist", "0-3,4\n", "0-4", true],
    ["int", "0\n", "0", true],
    ["int", "\n", "0", false],
    ["min", "8\n", "2", true],
    ["min", "1\n", "2", false],
    ["selected", "always madvise [never]\n", "never", true],
    ["selected", "[always] madvise never\n", "never", false],
    ["cpumask", "zz\n", "f", false],
  ] as const)("%s %j vs %j → %s", (compare, cur, want, same) => {
    expect(sameValue(compare, cur, want)).toBe(same);
  });

  it("accepts equivalent values (KSM 0 is as off as 2, nx_huge_pages N as never)", () => {
    expect(sameValue("int", "0\n", "2", ["0", "2"])).toBe(true);
    expect(sameValue("text", "N\n", "never", ["0", "N", "never", "off"])).toBe(true);
    expect(selectedValue("always [madvise] never")).toBe("madvise");
  });
});

describe("setKeys", () => {
  it("replaces an active KEY= line, keeps comments, appends a missing key", () => {
    expect(setKeys("#A=\nA=1\nB=2\n", { A: "3" })).toBe("#A=\nA=3\nB=2\n");
    expect(setKeys("# comment\n", { A: "3" })).toBe("# comment\nA=3\n");
    expect(setKeys("", { A: "3" })).toBe("A=3\n");
  });
});

describe("updateGrub", () => {
  const grub = 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="rhgb quiet isolcpus=2-3"\nGRUB_DISABLE_RECOVERY="true"\n';

  it("keeps other parameters, replaces a planned key's old value, keeps other lines", () => {
    const out = updateGrub(grub, "isolcpus=managed_irq,domain,20-35 tsc=reliable");
    expect(out).toBe(
      'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="rhgb quiet isolcpus=managed_irq,domain,20-35 tsc=reliable"\nGRUB_DISABLE_RECOVERY="true"\n',
    );
    expect(updateGrub(out, "tsc=reliable isolcpus=managed_irq,domain,20-35")).toBe(out);
  });

  it("adds the line when there is none, and reads single quotes", () => {
    expect(updateGrub("GRUB_TIMEOUT=5\n", "nosoftlockup")).toBe(
      'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="nosoftlockup"\n',
    );
    expect(updateGrub("GRUB_CMDLINE_LINUX='quiet nosoftlockup'\n", "nosoftlockup")).toBe(
      "GRUB_CMDLINE_LINUX='quiet nosoftlockup'\n",
    );
  });

  it("lists planned parameters a command line lacks, as sets", () => {
    expect(missingParams("a=1 b c=2", "BOOT_IMAGE=/x c=2 a=1")).toEqual(["b"]);
  });
});
