import { readFileSync } from "node:fs";
import { join } from "node:path";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "rt-tests");

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}
