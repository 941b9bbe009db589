import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { irqActions, parseInterrupts } from "../../../src/host/parse/interrupts.js";

describe("parseInterrupts", () => {
  it("reads the real dev VM /proc/interrupts: action names per IRQ and per-CPU counts", () => {
    const p = parseInterrupts(readFileSync("test/fixtures/real/dev-vm/proc_interrupts", "utf8"));
    expect(p.cpus).toEqual([0, 1]);
    const actions = irqActions(p);
    expect(actions.get(26)).toBe("ttyS0");
    expect(actions.get(38)).toBe("virtio2-input.0");
    const r28 = p.rows.find((r) => r.irq === 28)!;
    expect(r28.chip).toBe("PCI-MSIX-0000:00:01.0");
    expect(r28.hwirq).toBe("0-edge");
    const loc = p.rows.find((r) => r.id === "LOC")!;
    expect(loc.irq).toBeNull();
    expect(Object.keys(loc.counts)).toEqual(["0", "1"]);
    expect(loc.actions).toBe("Local timer interrupts");
    expect(p.rows.find((r) => r.id === "ERR")!.counts).toEqual({ 0: 0 });
  });

  it("maps columns to the CPUs the header names (offline CPUs are absent) and keeps shared actions", () => {
    const text = [
      "           CPU0       CPU2",
      "  16:         10          3   IO-APIC  16-fasteoi   ehci_hcd:usb1, i801_smbus",
      "   9:          1          0   IO-APIC-fasteoi   acpi",
      "  55:          0          0   PCI-MSI 1048576-edge",
      "NMI:          4          5   Non-maskable interrupts",
    ].join("\n");
    const p = parseInterrupts(text);
    expect(p.cpus).toEqual([0, 2]);
    const r16 = p.rows[0]!;
    expect(r16.counts).toEqual({ 0: 10, 2: 3 });
    expect(r16.actions).toBe("ehci_hcd:usb1, i801_smbus");
    // Old kernels print the chip and trigger as one word.
    expect(p.rows[1]).toMatchObject({ irq: 9, chip: "IO-APIC-fasteoi", hwirq: null, actions: "acpi" });
    expect(p.rows[2]).toMatchObject({ irq: 55, chip: "PCI-MSI", hwirq: "1048576-edge", actions: null });
  });

  it("returns nothing for text without a header", () => {
    expect(parseInterrupts("")).toEqual({ cpus: [], rows: [] });
  });
});
