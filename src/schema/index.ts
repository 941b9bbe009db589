/**
 * The published JSON Schemas (docs/schema/*.json), generated from these zod schemas with zod 4's z.toJSONSchema.
 * `npm run schema` rewrites docs/schema; test/consumers/json-schema.test.ts fails when a file there is stale.
 */
import { z } from "zod";
import { checkJsonSchema } from "./check.js";
import { inspectJsonSchema } from "./inspect.js";
import { planSchema } from "./plan.js";
import { runRecordSchema } from "./run.js";

export const SCHEMAS = {
  inspect: inspectJsonSchema,
  check: checkJsonSchema,
  plan: planSchema,
  run: runRecordSchema,
} as const;

/** file name under docs/schema → its text */
export function jsonSchemaFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    const json = z.toJSONSchema(schema, { target: "draft-2020-12", unrepresentable: "any" });
    out[`${name}.json`] = `${JSON.stringify(json, null, 2)}\n`;
  }
  return out;
}
