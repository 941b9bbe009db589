/**
 * Which ftrace tracers the running kernel offers (tracefs available_tracers). timerlat, osnoise and hwlat
 * exist only in kernels built with CONFIG_TIMERLAT_TRACER / CONFIG_OSNOISE_TRACER / CONFIG_HWLAT_TRACER —
 * Debian's PREEMPT_RT kernel has them; the development VM's kernel does not, and rtla 6.1 then prints
 * "Tracer timerlat not found!" yet exits 0, so kvm4nfv checks first and says so in one line (exit 3).
 */
import { Kvm4nfvError } from "../../errors.js";
import type { HostFs } from "../../host/fs.js";

export const TRACEFS_DIRS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] as const;

/** The tracers listed by tracefs, or null when tracefs is not mounted (cannot tell). */
export function availableTracers(fs: HostFs): string[] | null {
  for (const dir of TRACEFS_DIRS) {
    const text = fs.read(`${dir}/available_tracers`);
    if (text !== undefined) return text.trim().split(/\s+/).filter(Boolean);
  }
  return null;
}

const CONFIG: Record<string, string> = {
  timerlat: "CONFIG_TIMERLAT_TRACER",
  osnoise: "CONFIG_OSNOISE_TRACER",
  hwlat: "CONFIG_HWLAT_TRACER",
};

/** `where`: "node NAME: " when the kernel is a pod node's. */
export function tracerMissing(tracer: string, available: readonly string[] | null, where = ""): Kvm4nfvError {
  const have = available ? ` (it has: ${available.join(" ") || "none"})` : "";
  return new Kvm4nfvError("TOOL_MISSING", `${where}the running kernel has no ${tracer} tracer${have}`, {
    hint: `measure in the RT guest with --where guest, or boot a kernel built with ${CONFIG[tracer] ?? "that tracer"}=y such as Debian's linux-image-rt-amd64`,
  });
}

/** Throw the one-line exit-3 error when tracefs shows the tracer is absent; silent when it cannot tell. */
export function requireTracer(fs: HostFs, tracer: string, where = ""): void {
  const available = availableTracers(fs);
  if (available && !available.includes(tracer)) throw tracerMissing(tracer, available, where);
}

/** The tracefs files a node's one-round-trip read must add (fetchNode's specs) for requireTracer. */
export const TRACER_FILES = TRACEFS_DIRS.map((d) => ({
  kind: "read" as const,
  pattern: `${d}/available_tracers`,
}));

/** The guest-side check: writes <prefix>.missing with the tracer list when the tracer is absent. */
export function guestTracerCheck(tracer: string, prefix: string, body: string): string {
  return [
    `if grep -qw ${tracer} /sys/kernel/tracing/available_tracers 2>/dev/null; then`,
    body,
    `else cat /sys/kernel/tracing/available_tracers > /out/${prefix}.missing 2>&1; echo >> /out/${prefix}.missing; fi`,
    "",
  ].join("\n");
}
