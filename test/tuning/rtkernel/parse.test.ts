/**
 * The pure parts against real captures (origins in test/fixtures/rtkernel/ORIGIN.md): apt's metadata, a simulated
 * install, os-release, KVM4NFV's own opnfv.config, and the GRUB_DEFAULT text.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  kernelOfMeta,
  parseInstalled,
  parseSimulatedInstall,
  parseStanzas,
} from "../../../src/tuning/rtkernel/apt.js";
import { judgeConfig, verdictLine } from "../../../src/tuning/rtkernel/config-verdict.js";
import { parseOsRelease } from "../../../src/tuning/rtkernel/distro.js";
import { parseDnfQuery } from "../../../src/tuning/rtkernel/dnf.js";
import { grubDefault, grubEntryTitle, setGrubDefault } from "../../../src/tuning/rtkernel/grub-default.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/rtkernel/${name}`, import.meta.url), "utf8");

describe("apt metadata (real capture)", () => {
  it("the meta package's candidate pins one kernel, whose name carries the release", () => {
    const [stanza] = parseStanzas(fixture("apt-cache-show-linux-image-rt-amd64.txt"));
    expect(kernelOfMeta(stanza!, "amd64")).toEqual({
      meta: "linux-image-rt-amd64",
      metaVersion: "6.1.192-3",
      kernelPackage: "linux-image-6.1.0-57-rt-amd64",
      kernelVersion: "6.1.192-3",
      release: "6.1.0-57-rt-amd64",
    });
    // another architecture's kernel is not this one's
    expect(typeof kernelOfMeta(stanza!, "arm64")).toBe("string");
  });

  it("a simulated install lists the new packages only (an upgrade is not apply's to remove)", () => {
    const real = parseSimulatedInstall(fixture("apt-get-s-linux-image-rt-amd64.txt")).map((p) => p.name);
    expect(real).toHaveLength(12);
    expect(real.slice(-2)).toEqual(["linux-image-6.1.0-57-rt-amd64", "linux-image-rt-amd64"]);
    // apt's upgrade form (old version in brackets): left out
    const upgrade =
      "Inst libssl3 [3.0.15-1~deb12u1] (3.0.22-1~deb12u2 Debian-Security:12/oldstable-security [amd64])";
    expect(parseSimulatedInstall(upgrade)).toEqual([]);
  });

  it("dpkg-query status: only ii counts as installed", () => {
    expect([...parseInstalled("kmod ii \nudev rc \nlibudev1:amd64 ii \n")]).toEqual(["kmod", "libudev1"]);
  });
});

describe("distribution", () => {
  it("reads this machine's real os-release as Debian 12", () => {
    const d = parseOsRelease(fixture("os-release-debian12"));
    expect(d).toMatchObject({ id: "debian", versionId: "12", codename: "bookworm", family: "debian" });
  });
  it("ID_LIKE places RHEL rebuilds and Ubuntu; others have no family", () => {
    expect(parseOsRelease('ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n').family).toBe(
      "rhel",
    );
    expect(parseOsRelease("ID=ubuntu\nID_LIKE=debian\n").family).toBe("debian");
    expect(parseOsRelease("ID=arch\n").family).toBeNull();
  });
});

describe("config verdict", () => {
  it("KVM4NFV's own opnfv.config meets its items and lacks what came after 4.1", () => {
    const v = judgeConfig(fixture("opnfv.config.excerpt"), "opnfv.config");
    const ok = Object.fromEntries(v.items.map((i) => [i.option, i.ok]));
    expect(ok).toMatchObject({
      CONFIG_PREEMPT_RT_FULL: true,
      CONFIG_NO_HZ_FULL: true,
      CONFIG_RCU_NOCB_CPU: true,
      CONFIG_HIGH_RES_TIMERS: true,
      CONFIG_HZ: true,
      CONFIG_CPU_ISOLATION: false,
    });
    expect(v.ok).toBe(false);
    expect(v.lacks.map((l) => l.split("=")[0])).toEqual([
      "CONFIG_CPU_ISOLATION",
      "CONFIG_TIMERLAT_TRACER",
      "CONFIG_OSNOISE_TRACER",
      "CONFIG_HWLAT_TRACER",
    ]);
    expect(v.differs).toEqual([]);
  });
  it("a generic kernel is named with what it lacks", () => {
    const v = judgeConfig("# CONFIG_PREEMPT_RT is not set\nCONFIG_NO_HZ_IDLE=y\nCONFIG_HZ=250\n", "x");
    expect(verdictLine(v)).toMatch(/^lacks CONFIG_PREEMPT_RT=y \(have n;.*CONFIG_NO_HZ_FULL=y \(have n;/);
    expect(v.differs[0]).toMatch(/^CONFIG_HZ=1000 \(have 250/);
  });
});

describe("dnf query (our own --qf format)", () => {
  it("RHEL 9.3+ kernel-rt boots as VERSION-RELEASE.ARCH+rt; RHEL 8 carries .rt in the release", () => {
    expect(parseDnfQuery("kernel-rt|5.14.0-427.13.1.el9_4|5.14.0|427.13.1.el9_4|x86_64\n")?.release).toBe(
      "5.14.0-427.13.1.el9_4.x86_64+rt",
    );
    expect(
      parseDnfQuery("kernel-rt|4.18.0-553.rt7.342.el8_10|4.18.0|553.rt7.342.el8_10|x86_64")?.release,
    ).toBe("4.18.0-553.rt7.342.el8_10.x86_64");
    expect(parseDnfQuery("Last metadata expiration check: 0:01:02 ago\n")).toBeNull();
  });
});

describe("GRUB_DEFAULT", () => {
  const debian =
    'GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\nGRUB_CMDLINE_LINUX=""\n';
  it("names the RT kernel's entry in the Advanced options submenu and keeps every other line", () => {
    const title = grubEntryTitle(debian, "Debian", "6.1.0-57-rt-amd64");
    expect(title).toBe(
      "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-57-rt-amd64",
    );
    const next = setGrubDefault(debian, title);
    expect(grubDefault(next)).toBe(title);
    expect(next.replace(/^GRUB_DEFAULT=.*$/m, "GRUB_DEFAULT=0")).toBe(debian);
    expect(grubDefault(setGrubDefault("GRUB_TIMEOUT=5\n", "x"))).toBe("x");
  });
});
