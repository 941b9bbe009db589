import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseKconfig } from "../../../src/host/parse/kconfig.js";

describe("parseKconfig", () => {
  it("reads the real dev VM kernel config", () => {
    const c = parseKconfig(readFileSync("test/fixtures/real/dev-vm/proc_config", "utf8"));
    expect(c.CONFIG_HZ).toBe("250");
    expect(c.CONFIG_NO_HZ_FULL).toBe("n");
    expect(c.CONFIG_RCU_NOCB_CPU).toBe("y");
    expect(c.CONFIG_PREEMPT_DYNAMIC).toBe("y");
  });

  it("maps 'is not set' to n, unquotes strings and keeps numbers and modules", () => {
    const c = parseKconfig(
      '# comment\nCONFIG_KVM=m\n# CONFIG_PREEMPT_RT is not set\nCONFIG_LOCALVERSION="-rt7"\nCONFIG_HZ=1000\nCONFIG_EMPTY=""\n',
    );
    expect(c).toEqual({
      CONFIG_KVM: "m",
      CONFIG_PREEMPT_RT: "n",
      CONFIG_LOCALVERSION: "-rt7",
      CONFIG_HZ: "1000",
      CONFIG_EMPTY: "",
    });
  });
});
