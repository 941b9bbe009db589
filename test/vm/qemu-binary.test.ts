import { describe, expect, it } from "vitest";
import { qemuBinary, requireQemu } from "../../src/vm/launcher.js";
import { fakeExec } from "../helpers/exec.js";

describe("qemuBinary", () => {
  it("is Debian's qemu-system-x86_64 unless KVM4NFV_QEMU names another", () => {
    expect(qemuBinary({})).toBe("qemu-system-x86_64");
    expect(qemuBinary({ KVM4NFV_QEMU: "  " })).toBe("qemu-system-x86_64");
    expect(qemuBinary({ KVM4NFV_QEMU: "/opt/qemu-10/bin/qemu-system-x86_64" })).toBe(
      "/opt/qemu-10/bin/qemu-system-x86_64",
    );
  });
});

describe("requireQemu", () => {
  const nowhere = fakeExec({ tools: [] });

  it("returns the binary when it is there", () => {
    expect(requireQemu(fakeExec(), {})).toBe("qemu-system-x86_64");
  });

  it("names Debian's package when the system QEMU is missing", () => {
    expect(() => requireQemu(nowhere, {})).toThrow(
      expect.objectContaining({
        code: "TOOL_MISSING",
        hint: "install qemu-system-x86: apt-get install qemu-system-x86",
      }),
    );
  });

  it("blames KVM4NFV_QEMU when it names no executable", () => {
    expect(() => requireQemu(nowhere, { KVM4NFV_QEMU: "/nope" })).toThrow(
      expect.objectContaining({
        message: "/nope is not installed",
        hint: expect.stringMatching(/^KVM4NFV_QEMU names/),
      }),
    );
  });
});
