import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allValues, parseCmdline } from "../../../src/host/parse/cmdline.js";

describe("parseCmdline", () => {
  it("splits the real dev VM cmdline and stops kernel params at --", () => {
    const p = parseCmdline(readFileSync("test/fixtures/real/dev-vm/proc_cmdline", "utf8"));
    expect(p.params.console).toBe("ttyS0");
    expect(p.params.quiet).toBe("");
    expect(p.params.mitigations).toBe("auto,no_guest_host,no_guest_guest");
    expect(p.params.rdinit).toBe("/process_api");
    expect(p.params["--addr"]).toBeUndefined();
    expect(p.init[0]).toBe("--firecracker-init");
    expect(p.init).toContain("0.0.0.0:2024");
  });

  it("keeps bare flags as empty strings and values with = inside", () => {
    const p = parseCmdline("ro nosoftlockup root=UUID=abcd-1234 isolcpus=managed_irq,domain,2-5\n");
    expect(p.params).toEqual({
      ro: "",
      nosoftlockup: "",
      root: "UUID=abcd-1234",
      isolcpus: "managed_irq,domain,2-5",
    });
    expect(p.args[0]).toEqual({ key: "ro", value: null });
  });

  it("honours double quotes around a value or a whole argument", () => {
    const p = parseCmdline('dyndbg="file foo.c +p" "acpi_osi=Windows 2020" quiet');
    expect(p.params.dyndbg).toBe("file foo.c +p");
    expect(p.params.acpi_osi).toBe("Windows 2020");
    expect(p.params.quiet).toBe("");
    expect(p.args).toHaveLength(3);
  });

  it("keeps the last value of a repeated key but every value in args", () => {
    const p = parseCmdline("hugepagesz=2M hugepages=512 hugepagesz=1G hugepages=8");
    expect(p.params.hugepagesz).toBe("1G");
    expect(p.params.hugepages).toBe("8");
    expect(allValues(p, "hugepagesz")).toEqual(["2M", "1G"]);
  });

  it("treats an empty value as empty and whitespace runs as one separator", () => {
    const p = parseCmdline("  isolcpus=   \t nohz_full=1  ");
    expect(p.params).toEqual({ isolcpus: "", nohz_full: "1" });
    expect(p.args[0]).toEqual({ key: "isolcpus", value: "" });
    expect(parseCmdline("").args).toEqual([]);
  });
});
