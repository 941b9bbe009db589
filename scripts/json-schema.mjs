#!/usr/bin/env node
// Writes docs/schema/*.json from the zod schemas in src/schema (through the build in dist/): `npm run schema`.
// `node scripts/json-schema.mjs --check` writes nothing and exits 1 naming every stale file.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { jsonSchemaFiles } = await import(join(root, "dist/schema/index.js"));
const dir = join(root, "docs/schema");
const check = process.argv.includes("--check");
let stale = 0;
for (const [name, text] of Object.entries(jsonSchemaFiles())) {
  const file = join(dir, name);
  let old = null;
  try {
    old = readFileSync(file, "utf8");
  } catch {}
  if (old === text) continue;
  if (check) {
    console.error(`docs/schema/${name} is stale: run npm run schema`);
    stale++;
  } else {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote docs/schema/${name}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
