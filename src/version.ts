// Kept in step with package.json by test/cli/main.test.ts (reading package.json at run time costs cold start).
// Core modules (the guest image's cache key) and the CLI read it from here; the core never imports src/cli.
export const VERSION = "0.1.0";
