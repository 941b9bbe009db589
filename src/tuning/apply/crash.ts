/**
 * Test hook for the crash loop (test/attack/): `KVM4NFV_TEST_CRASH="point:N"` SIGKILLs the process the N-th time
 * it reaches `point`. Points: journal-torn (half of a journal line written), journal-synced (an entry is durable,
 * its write not done), config-tmp (a config file's temp file written, not yet renamed), after-write (a change
 * written). Unset (always, outside tests) it costs one Map lookup.
 */
const wanted = new Map<string, number>();
const seen = new Map<string, number>();
for (const part of (process.env.KVM4NFV_TEST_CRASH ?? "").split(",")) {
  const m = /^([a-z-]+):(\d+)$/.exec(part.trim());
  if (m) wanted.set(m[1]!, Number(m[2]));
}

/** True when the process must die here now; with `kill` it dies at once. */
export function crashPoint(point: string, kill = false): boolean {
  const n = wanted.get(point);
  if (n === undefined) return false;
  const count = (seen.get(point) ?? 0) + 1;
  seen.set(point, count);
  if (count !== n) return false;
  if (kill) process.kill(process.pid, "SIGKILL");
  return true;
}
