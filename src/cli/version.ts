// Kept in step with package.json by test/cli/version.test.ts (reading package.json at run time costs cold start).
export const VERSION = "0.1.0";
