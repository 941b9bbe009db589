/**
 * DPDK testpmd as a minimal switch: two software ports, io or mac forwarding on pinned lcores.
 * argv only (built here, run through src/exec.ts), and its "Forward statistics" (printed when it stops on
 * SIGTERM or a newline on stdin) parsed for the run record.
 */
import { InputError } from "../../errors.js";

export interface DpdkPort {
  /** EAL --vdev argument, e.g. "net_tap0,iface=kvf123a,mac=02:4b:56:46:00:0a". */
  vdev: string;
  /** MAC address of the far end (the generator's interface) that mac forwarding writes as destination. */
  peerMac: string;
}

export interface TestpmdArgs {
  /** Lcore that runs testpmd's main thread (housekeeping; it sleeps while forwarding). */
  mainLcore: number;
  /** Forwarding lcores: the PMD threads that busy-poll. */
  forwardLcores: number[];
  filePrefix: string;
  hugeDir: string;
  memoryMiB: number;
  ports: DpdkPort[];
  mode: "io" | "mac";
}

export function testpmdArgv(a: TestpmdArgs): string[] {
  const lcores = [a.mainLcore, ...a.forwardLcores];
  const argv = [
    "-l",
    lcores.join(","),
    "--main-lcore",
    String(a.mainLcore),
    "--file-prefix",
    a.filePrefix,
    "--huge-dir",
    a.hugeDir,
    "-m",
    String(a.memoryMiB),
    "--no-pci",
    // Only the ports named here: no probing of the host's NICs, no telemetry socket.
    "--no-telemetry",
    // Prints "RTE Version: 'DPDK 22.11.11'" at start-up: the version kept with the run.
    "-v",
  ];
  for (const p of a.ports) argv.push("--vdev", p.vdev);
  argv.push(
    "--",
    `--forward-mode=${a.mode}`,
    `--nb-cores=${a.forwardLcores.length}`,
    // 8192 mbufs (~18 MiB) instead of testpmd's default pool sized for RTE_MAX_ETHPORTS.
    "--total-num-mbufs=8192",
  );
  if (a.mode === "mac") {
    a.ports.forEach((p, i) => {
      if (p.peerMac) argv.push(`--eth-peer=${i},${p.peerMac}`);
    });
  }
  return argv;
}

export interface PortForwardStats {
  port: number;
  rxPackets: number;
  rxDropped: number;
  txPackets: number;
  txDropped: number;
}

/** The per-port "Forward statistics" blocks testpmd prints when forwarding stops. */
export function parseTestpmdForwardStats(output: string): PortForwardStats[] {
  const out: PortForwardStats[] = [];
  const re =
    /-+ Forward statistics for port (\d+)\s+-+\s+RX-packets:\s*(\d+)\s+RX-dropped:\s*(\d+)\s+RX-total:\s*\d+\s+TX-packets:\s*(\d+)\s+TX-dropped:\s*(\d+)/g;
  for (const m of output.matchAll(re)) {
    out.push({
      port: Number(m[1]),
      rxPackets: Number(m[2]),
      rxDropped: Number(m[3]),
      txPackets: Number(m[4]),
      txDropped: Number(m[5]),
    });
  }
  if (out.length === 0) throw new InputError("BAD_TOOL_OUTPUT", "testpmd printed no forward statistics");
  return out;
}

/** "EAL: RTE Version: 'DPDK 22.11.11'" → "22.11.11". */
export function parseDpdkVersion(text: string): string | null {
  const m = /RTE Version: 'DPDK ([\d.]+)'/.exec(text);
  return m ? m[1]! : null;
}
