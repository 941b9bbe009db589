/**
 * The RT guest image carries the tracing instruments: rtla with the libraries ldd names, hwlatdetect with
 * python3.11 and the standard-library modules it imports; /init mounts tracefs and debugfs. Read from the
 * real built image (cpio newc inside gzip), not from the builder's own lists.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ensureGuestImages } from "../../src/vm/guest-build.js";
import { INIT_SCRIPT } from "../../src/vm/guest-init.js";
import { parseModuleList } from "../../src/vm/guest-trace-tools.js";

/** Paths of a cpio newc archive (the first member of the initramfs). */
function cpioPaths(data: Buffer): string[] {
  const paths: string[] = [];
  let at = 0;
  while (at + 110 <= data.length && data.toString("latin1", at, at + 6) === "070701") {
    const hex = (i: number) => Number.parseInt(data.toString("latin1", at + 6 + i * 8, at + 14 + i * 8), 16);
    const size = hex(6);
    const nameSize = hex(11);
    const name = data.toString("utf8", at + 110, at + 110 + nameSize - 1);
    if (name === "TRAILER!!!") break;
    paths.push(name);
    at = Math.ceil((at + 110 + nameSize) / 4) * 4;
    at = Math.ceil((at + size) / 4) * 4;
  }
  return paths;
}

describe("tracing instruments in the RT guest image", () => {
  it("lists only python module files under /usr/lib/python3.x", () => {
    expect(
      parseModuleList(
        "/usr/lib/python3.11/os.py\n/root/.pyenv/x.py\nnoise\n/usr/lib/python3.11/re/_parser.py\n",
      ),
    ).toEqual(["/usr/lib/python3.11/os.py", "/usr/lib/python3.11/re/_parser.py"]);
  });

  it("mounts tracefs and debugfs in /init", () => {
    expect(INIT_SCRIPT).toContain("mount -t tracefs nodev /sys/kernel/tracing");
    expect(INIT_SCRIPT).toContain("mount -t debugfs nodev /sys/kernel/debug");
  });

  it("contains rtla, its libraries, hwlatdetect and the python it needs", async () => {
    const images = await ensureGuestImages({});
    const paths = new Set(cpioPaths(gunzipSync(readFileSync(images.initrd))));
    for (const p of [
      "usr/bin/rtla",
      "lib/x86_64-linux-gnu/libtracefs.so.1",
      "lib/x86_64-linux-gnu/libtraceevent.so.1",
      "usr/sbin/hwlatdetect",
      "usr/bin/python3.11",
      "usr/lib/python3.11/os.py",
      "usr/lib/python3.11/subprocess.py",
      "usr/lib/python3.11/argparse.py",
    ]) {
      expect(paths.has(p), p).toBe(true);
    }
    expect(images.packages.rtla).toMatch(/^6\.1\./);
    expect(images.packages["python3.11-minimal"]).toBeDefined();
  }, 300_000);
});
