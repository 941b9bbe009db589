import { readFileSync } from "node:fs";
import { join } from "node:path";

export const FORWARDING_FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "forwarding");

export function fwFixture(name: string): string {
  return readFileSync(join(FORWARDING_FIXTURES, name), "utf8");
}
