/** The guest role against the seeds' guest boot line (seed 003 §2.1.2): isolcpus=1 nohz_full=1 rcu_nocbs=1 mce=off idle=poll. */
import { describe, expect, it } from "vitest";
import { buildVm, irq, withCmdline } from "../../helpers/host.js";
import { finding } from "./find.js";

function seedGuest() {
  const vm = buildVm({
    runtime: {
      isolated: [1],
      nohzFull: [1],
      irqs: [irq(4, [0]), irq(11, [0], [0], "virtio0")],
      defaultIrqAffinity: [0],
      workqueue: { cpumask: [0], writebackCpumask: [0] },
    },
  });
  vm.topology.numaNodes[0]!.hugepages = { "1048576": { total: 1, free: 1 } };
  return withCmdline(vm, {
    isolcpus: "1",
    nohz_full: "1",
    rcu_nocbs: "1",
    mce: "off",
    idle: "poll",
    tsc: "reliable",
    default_hugepagesz: "1G",
    hugepagesz: "1G",
  });
}

describe("guest role", () => {
  it("passes the seeds' guest boot line on vCPU 1", () => {
    const g = seedGuest();
    for (const id of [
      "os.cpu-isolation.isolcpus",
      "os.tickless.nohz-full",
      "os.rcu-nocbs",
      "os.cpu-isolation.consistency",
      "os.mce",
      "os.idle",
      "os.tsc.reliable",
      "os.irq-affinity",
      "os.rt-throttling",
      "os.watchdog",
    ]) {
      expect(finding(g, id, { role: "guest" }).level, id).toBe("pass");
    }
  });

  it("reports BIOS items n/a and words cmdline remedies for the guest", () => {
    const g = withCmdline(seedGuest(), { mce: undefined });
    expect(finding(g, "platform.legacy-usb", { role: "guest" }).level).toBe("n/a");
    const mce = finding(g, "os.mce", { role: "guest" });
    expect(mce.level).toBe("fail");
    expect(mce.remedy).toMatch(/^in the guest, add `mce=off`/);
  });
});
