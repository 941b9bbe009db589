/** Moved to test/helpers/host.ts (the one Host builder): import it from there. Kept for branches still in flight. */
export * from "../helpers/host.js";
