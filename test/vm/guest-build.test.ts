import { statSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { Kvm4nfvError } from "../../src/errors.js";
import { cacheKey, defaultGuestCacheDir, ensureGuestImages } from "../../src/vm/guest-build.js";
import { interceptExec } from "../helpers/exec.js";

describe("guest image cache", () => {
  it("uses $XDG_CACHE_HOME, else ~/.cache", () => {
    expect(defaultGuestCacheDir({ XDG_CACHE_HOME: "/x/cache" })).toBe("/x/cache/kvm4nfv/guest");
    expect(defaultGuestCacheDir({})).toMatch(/\/\.cache\/kvm4nfv\/guest$/);
  });

  it("keys the cache on package versions and the init script", () => {
    const inputs = { kernelPackage: "linux-image-6.1.0-56-rt-amd64", packages: { "rt-tests": "2.4-1" } };
    const k = cacheKey(inputs, "init A");
    expect(k).toMatch(/^[0-9a-f]{16}$/);
    expect(cacheKey(inputs, "init A")).toBe(k);
    expect(cacheKey(inputs, "init B")).not.toBe(k);
    expect(cacheKey({ ...inputs, packages: { "rt-tests": "2.5-1" } }, "init A")).not.toBe(k);
  });

  it("builds the RT guest once, then serves it from the cache untouched", async () => {
    const first = await ensureGuestImages(); // builds on a fresh machine, else already cached
    expect(first.kernelRelease).toMatch(/-rt-amd64$/);
    expect(first.packages["linux-image-rt-amd64"]).toBeTruthy();
    expect(first.modules.some((m) => m.endsWith("virtio_console.ko"))).toBe(true);
    const mtime = statSync(first.initrd).mtimeMs;
    const second = await ensureGuestImages();
    expect(second.cached).toBe(true);
    expect(second.key).toBe(first.key);
    expect(second.initrd).toBe(first.initrd);
    expect(statSync(second.initrd).mtimeMs).toBe(mtime);
  }, 300_000);

  it("falls back to the newest cached image when apt cannot answer (offline), and fails when there is none", async () => {
    const built = await ensureGuestImages();
    const offline = interceptExec({
      run: async (file, args, options, next) => {
        if (file === "apt-cache") throw new Kvm4nfvError("TOOL_FAILED", "apt-cache show failed: no lists");
        return next(file, args, options);
      },
    });
    const messages: string[] = [];
    const root = dirname(dirname(built.initrd));
    const again = await ensureGuestImages({
      exec: offline,
      outDir: root,
      onProgress: (m) => messages.push(m),
    });
    expect(again.key).toBe(built.key);
    expect(again.cached).toBe(true);
    expect(messages).toEqual([
      `cannot check package versions (apt-cache show failed: no lists); using the cached guest ${built.key}`,
    ]);
    await expect(ensureGuestImages({ exec: offline, outDir: "/nonexistent-kvm4nfv-cache" })).rejects.toThrow(
      "apt-cache show failed: no lists",
    );
  }, 300_000);

  it("names the Debian package when a tool the image needs is missing", async () => {
    const exec = interceptExec({
      run: async (file, args, options, next) => {
        if (file === "dpkg-query" && args.includes("stress-ng")) {
          return {
            command: "dpkg-query",
            exitCode: 1,
            stdout: "",
            stderr: "no packages found",
            durationMs: 1,
          };
        }
        return next(file, args, options);
      },
    });
    const err = await ensureGuestImages({ exec, outDir: "/nonexistent-never-written" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Kvm4nfvError);
    expect((err as Kvm4nfvError).code).toBe("TOOL_MISSING");
    expect((err as Kvm4nfvError).hint).toBe("install stress-ng: apt-get install stress-ng");
  });
});
