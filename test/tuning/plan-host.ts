/** Moved to test/helpers/host.ts (the one Host builder). */
export { baseline, baselineHt, devVm, type HostShape, makeHost, range } from "../helpers/host.js";
