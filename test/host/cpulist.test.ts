import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import {
  formatCpuList,
  formatCpuMask,
  intersect,
  parseCpuList,
  parseCpuMask,
  sameCpus,
  subtract,
} from "../../src/host/parse/cpulist.js";

describe("parseCpuList", () => {
  it("reads single CPUs, ranges and mixes", () => {
    expect(parseCpuList("0")).toEqual([0]);
    expect(parseCpuList("18-35")).toHaveLength(18);
    expect(parseCpuList("11-15,31-35")).toEqual([11, 12, 13, 14, 15, 31, 32, 33, 34, 35]);
    expect(parseCpuList(" 3,1,2,2 \n")).toEqual([1, 2, 3]);
  });

  it("treats an empty file (the kernel's way of saying none) as the empty set", () => {
    expect(parseCpuList("")).toEqual([]);
    expect(parseCpuList("\n")).toEqual([]);
  });

  it("understands the kernel's stride form a-b:used/group", () => {
    expect(parseCpuList("0-7:2/4")).toEqual([0, 1, 4, 5]);
  });

  it.each([
    ["3-1", "goes backwards"],
    ["1,,2", "an empty element"],
    ["x", '"x"'],
    ["1-", '"1-"'],
    ["-1", '"-1"'],
    ["0-7:5/4", "impossible stride"],
  ])("refuses %j with a message naming the problem", (input, detail) => {
    let caught: unknown;
    try {
      parseCpuList(input, "--cpus");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    const err = caught as InputError;
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain("--cpus");
    expect(err.message).toContain(detail);
  });
});

describe("formatCpuList", () => {
  it("writes the shortest list", () => {
    expect(formatCpuList([0, 1, 2, 3, 8, 10, 11])).toBe("0-3,8,10-11");
    expect(formatCpuList([5, 3, 4, 4])).toBe("3-5");
    expect(formatCpuList([])).toBe("");
  });

  it("round-trips with the parser", () => {
    for (const s of ["0-35", "1,3,5", "0-3,8-11,31"]) expect(formatCpuList(parseCpuList(s))).toBe(s);
  });
});

describe("CPU masks", () => {
  it("ignores leading zeros and comma groups (tuned's false failures)", () => {
    const a = parseCpuMask("00000000,000fffff");
    const b = parseCpuMask("fffff");
    const c = parseCpuMask("0x000FFFFF");
    expect(a).toEqual(parseCpuList("0-19"));
    expect(sameCpus(a, b)).toBe(true);
    expect(sameCpus(a, c)).toBe(true);
  });

  it("reads CPUs beyond 32 from the high group", () => {
    expect(parseCpuMask("f,00000001")).toEqual([0, 32, 33, 34, 35]);
    expect(parseCpuMask("0000000f,fff00000")).toEqual(parseCpuList("20-35"));
  });

  it("formats 32-bit groups, most significant first", () => {
    expect(formatCpuMask(parseCpuList("20-35"))).toBe("f,fff00000");
    expect(formatCpuMask([0])).toBe("1");
    expect(formatCpuMask([])).toBe("0");
    expect(parseCpuMask(formatCpuMask(parseCpuList("0-17,40,63")))).toEqual(parseCpuList("0-17,40,63"));
  });

  it("refuses non-hex text", () => {
    expect(() => parseCpuMask("00zz")).toThrow(/malformed CPU mask "00zz"/);
  });
});

describe("set helpers", () => {
  it("intersect and subtract keep order", () => {
    expect(intersect([1, 2, 3, 4], [4, 2])).toEqual([2, 4]);
    expect(subtract([1, 2, 3, 4], [4, 2])).toEqual([1, 3]);
  });
});
