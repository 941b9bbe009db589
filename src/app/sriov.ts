/**
 * `kvm4nfv sriov emit|place`: the handlers. The work (reading SR-IOV state, resolving the request, emitting,
 * placing as Nova's PciPassthroughFilter does) is src/sriov/actions.ts, which `plan --sriov` shares.
 */
import type { SriovEmitOpts, SriovPlaceOpts } from "../cli/sriov.js";
import type { Outcome } from "./outcome.js";
import { outcome } from "./outcome.js";

export async function sriovEmitCommand(opts: SriovEmitOpts): Promise<Outcome<string>> {
  const { sriovEmitLive } = await import("../sriov/actions.js");
  const { emit, ...rest } = opts;
  return outcome(await sriovEmitLive({ ...rest, format: emit }));
}

/** Exit 1 when no node fits the request. */
export async function sriovPlaceCommand(opts: SriovPlaceOpts): Promise<Outcome> {
  const { sriovPlace } = await import("../sriov/actions.js");
  const r = await sriovPlace({
    request: opts.request,
    roots: opts.root,
    json: opts.json ?? false,
    pod: opts.pod,
    node: opts.node,
    maps: opts.map,
    acceptNewHostKey: opts.acceptNewHostKey,
  });
  return outcome(r.output, r.exitCode);
}
