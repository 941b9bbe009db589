/**
 * Compile-time tie between a zod schema and the TypeScript type it describes: `const _: Same<A, B> = true` fails to
 * type-check when either has a field the other lacks or types one differently, so a schema cannot drift from the
 * type it publishes.
 */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
