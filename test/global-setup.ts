/**
 * Build dist/ once before the suite so the CLI end-to-end tests (node bin/kvm4nfv.js …) run the code under test,
 * not a stale build.
 */
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
}
