/** Moved to test/helpers/host.ts (the one Host builder): import it from there. Kept for branches still in flight. */
export { baseline, baselineHt, devVm, type HostShape, makeHost, range } from "../helpers/host.js";
