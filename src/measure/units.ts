/**
 * Moved to src/units.ts (below tuning/ and measure/, issue 12). This re-export keeps branches written against the
 * old path compiling until they are merged; new code imports ../units.js. Nothing in src/tuning may import it.
 */
export * from "../units.js";
