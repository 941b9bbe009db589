import { describe, expect, it } from "vitest";
import { progressText, withProgress } from "../../src/measure/progress.js";

describe("progress", () => {
  it("formats elapsed and remaining time", () => {
    expect(progressText(0, 3000)).toBe("0s elapsed, 3s left");
    expect(progressText(61_000, 3_600_000)).toBe("61s elapsed, 58m59s left");
    expect(progressText(5000, 3000)).toBe("5s elapsed, 0s left");
  });

  it("prints a plain first line when not interactive and returns fn's result", async () => {
    const lines: string[] = [];
    const r = await withProgress("cyclictest on CPU 1", 3000, async () => 42, {
      interactive: false,
      write: (l) => lines.push(l),
    });
    expect(r).toBe(42);
    expect(lines[0]).toBe("cyclictest on CPU 1: 0s elapsed, 3s left");
  });

  it("is silent when asked", async () => {
    expect(await withProgress("x", 1000, async () => "ok", { silent: true })).toBe("ok");
  });
});
