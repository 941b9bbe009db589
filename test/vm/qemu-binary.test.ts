import { describe, expect, it } from "vitest";
import { qemuBinary } from "../../src/vm/launcher.js";

describe("qemuBinary", () => {
  it("is Debian's qemu-system-x86_64 unless KVM4NFV_QEMU names another", () => {
    expect(qemuBinary({})).toBe("qemu-system-x86_64");
    expect(qemuBinary({ KVM4NFV_QEMU: "  " })).toBe("qemu-system-x86_64");
    expect(qemuBinary({ KVM4NFV_QEMU: "/opt/qemu-10/bin/qemu-system-x86_64" })).toBe(
      "/opt/qemu-10/bin/qemu-system-x86_64",
    );
  });
});
