/** Moved to test/helpers/host.ts (the one Host builder); kept so rule tests' imports stay short. */
export * from "../helpers/host.js";
