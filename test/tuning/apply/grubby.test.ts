import { describe, expect, it } from "vitest";
import { grubbyRestoreArgv, parseGrubbyInfo } from "../../../src/tuning/apply/grubby.js";

describe("grubby", () => {
  it("reads entries from BLS grubby (quoted) and the old grubby (bare kernel path), skipping non-Linux ones", () => {
    const text = [
      "index=0",
      "kernel=/boot/vmlinuz-3.10.0-1160.el7.x86_64",
      'args="ro crashkernel=auto rhgb quiet"',
      "root=/dev/mapper/centos-root",
      "index=1 non linux entry",
      "index=2",
      'kernel="/boot/vmlinuz-5.14.0-362.8.1.el9_3.x86_64"',
      'args="ro $tuned_params"',
    ].join("\n");
    expect(parseGrubbyInfo(text)).toEqual([
      { kernel: "/boot/vmlinuz-3.10.0-1160.el7.x86_64", args: "ro crashkernel=auto rhgb quiet" },
      { kernel: "/boot/vmlinuz-5.14.0-362.8.1.el9_3.x86_64", args: "ro $tuned_params" },
    ]);
    expect(parseGrubbyInfo("")).toEqual([]);
  });

  it("undoes only the planned keys, putting back the entry's earlier values of them", () => {
    const entry = { kernel: "/boot/vmlinuz-6", args: "ro quiet isolcpus=1-3 nohz=on" };
    expect(grubbyRestoreArgv(entry, "isolcpus=managed_irq,domain,2-17 nohz=on idle=poll")).toEqual([
      ["--update-kernel=/boot/vmlinuz-6", "--remove-args=isolcpus nohz idle"],
      ["--update-kernel=/boot/vmlinuz-6", "--args=isolcpus=1-3 nohz=on"],
    ]);
    expect(grubbyRestoreArgv({ kernel: "/boot/vmlinuz-6", args: "ro" }, "idle=poll")).toEqual([
      ["--update-kernel=/boot/vmlinuz-6", "--remove-args=idle"],
    ]);
  });
});
