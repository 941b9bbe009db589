/**
 * /proc/interrupts: a header naming the online CPUs' columns, then one row per IRQ ("  24: c0 c1 chip hw name")
 * and per architectural counter ("LOC: c0 c1 Local timer interrupts").
 */

export interface InterruptRow {
  /** the IRQ number, or the counter tag ("LOC", "NMI", …) */
  id: string;
  irq: number | null;
  /** count per CPU number (from the header, so offline CPUs are simply absent) */
  counts: Record<number, number>;
  /** "IO-APIC", "PCI-MSI", "PCI-MSIX-0000:00:01.0", … (numeric IRQs only) */
  chip: string | null;
  /** "5-edge", "2-fasteoi", … when the kernel prints it separately */
  hwirq: string | null;
  /** the action names ("virtio2-input.0", "ehci_hcd:usb1, ehci_hcd:usb2") or the counter's description */
  actions: string | null;
}

export interface ParsedInterrupts {
  cpus: number[];
  rows: InterruptRow[];
}

const TRIGGER = /-(edge|level|fasteoi|simple|edge-IR|fasteoi-IR)$/i;

export function parseInterrupts(text: string): ParsedInterrupts {
  const lines = text.split("\n");
  const headerIdx = lines.findIndex((l) => /\bCPU\d+/.test(l));
  if (headerIdx < 0) return { cpus: [], rows: [] };
  const cpus = [...lines[headerIdx]!.matchAll(/CPU(\d+)/g)].map((m) => Number(m[1]));
  const rows: InterruptRow[] = [];
  for (const line of lines.slice(headerIdx + 1)) {
    const m = /^\s*([^:\s]+):(.*)$/.exec(line);
    if (!m) continue;
    const id = m[1]!;
    let rest = m[2]!;
    const counts: Record<number, number> = {};
    for (let i = 0; i < cpus.length; i++) {
      const c = /^\s*(\d+)(?=\s|$)/.exec(rest);
      if (!c) break;
      counts[cpus[i]!] = Number(c[1]);
      rest = rest.slice(c[0].length);
    }
    const irq = /^\d+$/.test(id) ? Number(id) : null;
    const tail = rest.trim();
    let chip: string | null = null;
    let hwirq: string | null = null;
    let actions: string | null = tail === "" ? null : tail;
    if (irq !== null && tail !== "") {
      const tokens = tail.split(/\s+/);
      // Since 3.x the kernel prints "chip  hwirq-trigger  actions"; older kernels "CHIP-trigger  actions".
      if (tokens.length >= 2 && TRIGGER.test(tokens[1]!)) {
        chip = tokens[0]!;
        hwirq = tokens[1]!;
        actions = afterTokens(tail, 2);
      } else {
        chip = tokens[0]!;
        actions = afterTokens(tail, 1);
      }
    }
    rows.push({ id, irq, counts, chip, hwirq, actions });
  }
  return { cpus, rows };
}

/** The text after the first n whitespace-separated tokens (keeps the spaces inside action lists). */
function afterTokens(text: string, n: number): string | null {
  let rest = text;
  for (let i = 0; i < n; i++) rest = rest.replace(/^\s*\S+/, "");
  const t = rest.trim();
  return t === "" ? null : t;
}

/** IRQ number → action names, for the numeric rows. */
export function irqActions(parsed: ParsedInterrupts): Map<number, string | null> {
  const out = new Map<number, string | null>();
  for (const r of parsed.rows) if (r.irq !== null) out.set(r.irq, r.actions);
  return out;
}
