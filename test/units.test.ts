import { describe, expect, it } from "vitest";
import { UsageError } from "../src/errors.js";
import { formatDuration, parseDuration, parseMicros, parsePositiveInt } from "../src/units.js";

describe("parseDuration", () => {
  it.each([
    ["10s", 10_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["500ms", 500],
    ["1.5s", 1500],
  ])("%s → %d ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it("refuses a bare number: the unit is required (a bare 10 was once read as seconds)", () => {
    expect(() => parseDuration("10")).toThrow('--duration "10" is not a duration (a unit is required)');
    expect(parseDuration("10", "--downtime-limit", { bareUnit: "ms" })).toBe(10);
  });

  it.each(["", "10x", "-1s", "0s", "s", "1 0s"])("refuses %j with the expected form", (text) => {
    expect(() => parseDuration(text)).toThrow(UsageError);
    expect(() => parseDuration(text)).toThrow(`--duration "${text}" is not a duration`);
  });

  it("formats back", () => {
    expect([
      formatDuration(500),
      formatDuration(10_000),
      formatDuration(120_000),
      formatDuration(3_600_000),
    ]).toEqual(["500ms", "10s", "2m", "1h"]);
  });
});

describe("parseMicros / parsePositiveInt", () => {
  it("reads µs with units", () => {
    expect(parseMicros("1000us", "--interval")).toBe(1000);
    expect(parseMicros("1ms", "--interval")).toBe(1000);
    expect(parseMicros("250", "--interval")).toBe(250);
    expect(parseMicros("2µs", "--interval")).toBe(2);
  });
  it("refuses fractions of µs and junk", () => {
    expect(() => parseMicros("0.5us", "--interval")).toThrow(/--interval "0.5us" is not a whole number/);
    expect(() => parseMicros("fast", "--histogram")).toThrow(/--histogram "fast"/);
  });
  it("bounds integers", () => {
    expect(parsePositiveInt("99", "--priority", [1, 99])).toBe(99);
    expect(() => parsePositiveInt("100", "--priority", [1, 99])).toThrow(
      '--priority "100" is not an integer from 1 to 99',
    );
  });
});
