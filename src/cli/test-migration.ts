/**
 * `kvm4nfv test migration`: flags only; the handler is src/app/migration.ts (loaded lazily).
 * Exit 0 SLA met, 1 SLA broken, 2 bad input, 4 a migration failed or QEMU did not answer.
 */
import type { Command } from "@commander-js/extra-typings";
import { accelOption, type OptsOf, storeOption } from "./options.js";
import { finish, progress } from "./run.js";

const declare = (testCommand: Command) =>
  testCommand
    .command("migration")
    .description(
      "live-migrate a small guest between two QEMUs on this host, measure total time and downtime, " +
        "prove the guest alive on the destination, store and judge the run",
    )
    .option("--memory <size>", "guest memory: 512M, 8G (default 8G, the KVM4NFV guest)")
    .option(
      "--workload <kind>",
      "idle, or dirty:RATE[,wss=SIZE] — RATE MiB/s of pages written (default idle)",
    )
    .option("--bandwidth <rate>", "max-bandwidth: 10Gbit, 2.5Gbps, 1G (GiB/s)… (default 10Gbit)")
    .option(
      "--downtime-limit <time>",
      "downtime-limit: 10ms, 300ms (default: half the SLA downtime, lowered by each run's excess)",
    )
    .option("--caps <list>", "capabilities on top of kvm4nfv's: multifd,return-path,-xbzrle (- turns off)")
    .option("--params <list>", "parameters: multifd-channels=4,xbzrle-cache-size=256M,…")
    .option(
      "--guest <list>",
      "kvm4nfv's guest: free-page-hint,hugepages (each used only where the QEMU and host have it; default plain)",
    )
    .option(
      "--postcopy-after <n>",
      "kvm4nfv's postcopy switch after N passes, or never (default: 0 dirtying, never idle)",
    )
    .option("--repeat <n>", "migrations per configuration (default 1)")
    .option("--sla <spec>", "limits (default total=2s,downtime=10ms; also setup=, guest-downtime=)")
    .addOption(accelOption("accelerator").default("auto" as const))
    .option("--kernel <path>", "guest kernel (default: the RT guest builder's, else /boot/vmlinuz-*)")
    .option(
      "--compare-defaults",
      "run QEMU's defaults and kvm4nfv's settings on the same guest, side by side",
    )
    .option("--sweep", "try a matrix of settings and recommend the best that meets the SLA")
    .addOption(storeOption())
    .option("--json", "print the stored run records as JSON");
export type MigrationOpts = OptsOf<ReturnType<typeof declare>>;

export function registerMigration(testCommand: Command): void {
  declare(testCommand).action(async (opts) => {
    const { migrationCommand } = await import("../app/migration.js");
    // Progress and per-run lines go to stderr so stdout stays the result (or pure JSON).
    finish(await migrationCommand(opts, progress));
  });
}
