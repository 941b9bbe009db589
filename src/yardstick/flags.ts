/** The flags of `kvm4nfv run task`, shared by the task runner and the scenario mapping (no import cycle). */
export interface RunTaskFlags {
  pod?: string | undefined;
  taskArgs?: string | undefined;
  taskArgsFile?: string | undefined;
  /** kvm4nfv: PATH=VALUE overrides on the rendered task (for files without template variables). */
  set?: string[] | undefined;
  /** kvm4nfv: force where cyclictest runs (default: in the guest when host-run-qemu.sh is in the setup). */
  where?: string | undefined;
  yes?: boolean | undefined;
  /** A node over SSH seen for the first time: trust its host key (the pod's --accept-new-host-key). */
  acceptNewHostKey?: boolean | undefined;
  outputFile?: string | undefined;
  influx?: string | undefined;
  influxDb?: string | undefined;
  deployScenario?: string | undefined;
  store?: string | undefined;
  json?: boolean | undefined;
  /** Render and check only: print what would run. */
  dryRun?: boolean | undefined;
}
