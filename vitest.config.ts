import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Snapshot trees hold sysfs symlink cycles (driver -> bus/pci/drivers/X/ADDR -> the device), as the kernel
    // does: never walk them looking for tests.
    exclude: ["**/node_modules/**", "test/fixtures/**"],
    globalSetup: ["test/global-setup.ts"],
    // One test file at a time: real QEMU boots, cyclictest and stress-ng runs must not compete for the two vCPUs,
    // and "nothing left behind" checks (no stress-ng, cyclictest or QEMU after a run) must not see another
    // file's processes. Orphans reparent to init, so they cannot be told apart by parent pid.
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
