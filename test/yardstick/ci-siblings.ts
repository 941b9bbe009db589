/**
 * kvmfornfv's CI made its daily task files from kvmfornfv_cyclictest_hostenv_guestenv.yaml with sed on a copy
 * (opnfv/kvmfornfv ci/cyclicTestTrigger.sh, updateYaml, at 00444a5f6e68a72601ab2a61d42f572900e7f494): loops and
 * the first interval set, tc renamed, then per test name one `stress_daily.sh KIND` line appended after
 * host-run-qemu.sh (host stress) or after guest-setup1.sh (guest stress, host-setup0.sh..host-setup1.sh
 * deleted). The same sed expressions, run by the real sed, make the same files here.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { TASK } from "./helpers.js";

const PER_TEST: Record<string, string[]> = {
  idle_idle: [],
  cpustress_idle: ['/host-run-qemu.sh/a\\    \\- \\"stress_daily.sh cpu\\"'],
  memorystress_idle: ['/host-run-qemu.sh/a\\    \\- \\"stress_daily.sh memory\\"'],
  iostress_idle: ['/host-run-qemu.sh/a\\    \\- \\"stress_daily.sh io\\"'],
  idle_cpustress: [
    '/guest-setup1.sh/a\\    \\- \\"stress_daily.sh cpu\\"',
    "/host-setup0.sh/,/host-setup1.sh/ d",
  ],
  idle_memorystress: [
    '/guest-setup1.sh/a\\    \\- \\"stress_daily.sh memory\\"',
    "/host-setup0.sh/,/host-setup1.sh/ d",
  ],
  idle_iostress: [
    '/guest-setup1.sh/a\\    \\- \\"stress_daily.sh io\\"',
    "/host-setup0.sh/,/host-setup1.sh/ d",
  ],
};

export const CI_TESTS = Object.keys(PER_TEST);

/** kvmfornfv_cyclictest_NAME.yaml in dir, as updateYaml made it (loops as given). */
export function ciSibling(dir: string, name: string, loops: number): string {
  const base = join(dir, "kvmfornfv_cyclictest_hostenv_guestenv.yaml");
  copyFileSync(TASK, base);
  execFileSync("sed", ["-ri", `s/loops: [0-9]*/loops: ${loops}/`, base]);
  execFileSync("sed", ["-ri", "0,/interval: [0-9]*/s//interval: 1000/", base]);
  const file = join(dir, `kvmfornfv_cyclictest_${name}.yaml`);
  copyFileSync(base, file);
  execFileSync("sed", [
    "-ri",
    `s/tc: "kvmfornfv_cyclictest-node-context"/tc: "kvmfornfv_cyclictest_${name}"/`,
    file,
  ]);
  for (const expr of PER_TEST[name]!) execFileSync("sed", ["-i", expr, file]);
  return file;
}
