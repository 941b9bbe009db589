/**
 * The VNF of PVP and PVVP: the RT guest (src/vm's image and launcher) with two vhost-user virtio-net devices
 * on shared hugepage memory (memory-backend-file share=on on the run's hugetlbfs), forwarding between them.
 *
 * The forwarder inside is the guest kernel: a Linux bridge over the two virtio-net devices (STP off, forward
 * delay 0, IPv6 off so the guest sends nothing of its own). DPDK testpmd is not in the guest image: it would
 * need vfio-pci in no-IOMMU mode or uio in the guest, guest hugepages and Debian's ~80 librte_* libraries and
 * PMD plugins in the initramfs; the kernel fallback is what runs, and every run records it.
 */
import { readFileSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kvm4nfvError } from "../../errors.js";
import type { Exec } from "../../exec.js";
import { processStartTime } from "../../tempdir.js";
import { TCG_NOTE } from "../../vm/argv.js";
import { appendCpio, buildCpio } from "../../vm/cpio.js";
import { ensureGuestImages, type GuestImages } from "../../vm/guest-build.js";
import { parseGuestStream } from "../../vm/guest-init.js";
import { type Guest, launchGuest, requireQemu } from "../../vm/launcher.js";
import { resolveAccel } from "../../vm/run-guest.js";
import { defaultSpec, type GuestSpec } from "../../vm/spec.js";
import type { Teardown } from "./plumbing.js";

/** Guest RAM (MiB): the RT kernel and the initramfs fit; 2 MiB hugepages, preallocated and shared. */
export const VNF_MEMORY_MIB = 256;
export const VNF_READY = "KVM4NFV-VNF-READY";
export const VNF_FORWARDER = "kernel: Linux bridge between the two virtio-net devices (no DPDK in the guest)";
/**
 * The VNF's kernel command line: no idle=poll (an emulated vCPU spinning in idle would take the host CPU the
 * generator needs), one vCPU, the RT kernel's own defaults otherwise.
 */
export const VNF_CMDLINE = "console=ttyS0 tsc=reliable mce=off panic=-1 quiet loglevel=3";

/** busybox sh: bridge the two virtio-net devices, say so on the console, stay up until QEMU is stopped. */
export const VNF_SCRIPT = `set -e
for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > "$f"; done
brctl addbr br0
for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > "$f"; done
# STP is off on a new bridge; no forward delay: ports forward at once.
echo 0 > /sys/class/net/br0/bridge/stp_state
echo 0 > /sys/class/net/br0/bridge/forward_delay
for i in $(ls /sys/class/net | grep '^eth'); do ip link set "$i" up; brctl addif br0 "$i"; done
ip link set br0 up
echo "bridge br0 ports: $(ls /sys/class/net/br0/brif | tr "\\n" " ")" > /dev/console
echo "${VNF_READY} $(ls /sys/class/net | grep -c '^eth') ports" > /dev/console
while :; do sleep 3600; done
`;

export interface VnfPort {
  /** vhost-user socket path. */
  socket: string;
  mac: string;
}

export interface VnfOptions {
  exec: Exec;
  teardown: Teardown;
  stateDir: string;
  hugeDir: string;
  index: number;
  ports: [VnfPort, VnfPort];
  /** QEMU is the vhost-user server (OVS dpdkvhostuserclient ports); else the client (testpmd net_vhost). */
  qemuServer: boolean;
  /** Host CPU of the guest's vCPU and QEMU's other threads (housekeeping: the PMDs own the others). */
  cpu: number;
  images: GuestImages;
  accel: "kvm" | "tcg";
  say: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface VnfGuest {
  name: string;
  accel: "kvm" | "tcg";
  console(): string;
}

export interface VnfDescription {
  vnf: string;
  forwarder: string;
  accel: "kvm" | "tcg";
  guestKernel: string;
  guestCmdline: string;
  guestMemoryMiB: number;
  notes: string[];
  qemuVersion: string | null;
}

/** QEMU arguments for one guest's two vhost-user netdevs (pure; tested). */
export function vhostUserArgs(index: number, ports: readonly VnfPort[], qemuServer: boolean): string[] {
  const args: string[] = [];
  ports.forEach((p, i) => {
    const id = `vnf${index}p${i}`;
    args.push(
      "-chardev",
      `socket,id=${id}c,path=${p.socket.replace(/,/g, ",,")}${qemuServer ? ",server=on,wait=off" : ""}`,
      "-netdev",
      `vhost-user,id=${id}n,chardev=${id}c`,
      "-device",
      `virtio-net-pci,netdev=${id}n,mac=${p.mac}`,
    );
  });
  return args;
}

export function vnfSpec(
  images: GuestImages,
  o: Pick<VnfOptions, "hugeDir" | "cpu">,
  initrd: string,
): GuestSpec {
  return defaultSpec(
    { kernel: images.kernel, initrd },
    {
      memoryMiB: VNF_MEMORY_MIB,
      vcpus: 1,
      vcpuPins: { 0: o.cpu },
      housekeepingCpus: [o.cpu],
      hugepagePath: o.hugeDir,
      cmdline: VNF_CMDLINE,
    },
  );
}

/** The guest image (built once, cached) and the accelerator for every VNF of a run. */
export async function prepareVnf(
  exec: Exec,
  say: (l: string) => void,
): Promise<{ images: GuestImages; accel: "kvm" | "tcg"; notes: string[]; qemuVersion: string | null }> {
  const qemu = requireQemu(exec);
  const v = await exec.run(qemu, ["--version"], { allowFailure: true, timeoutMs: 30_000 });
  const qemuVersion = /version (\d+\.\d+\.\d+)/.exec(v.stdout)?.[1] ?? null;
  const images = await ensureGuestImages({ onProgress: say });
  const notes: string[] = [];
  const probe = await resolveAccel(defaultSpec(images, { cmdline: VNF_CMDLINE }));
  if (probe.note) notes.push(probe.note);
  if (probe.accel === "tcg") {
    // Seen here: Debian's QEMU 7.2.22 segfaults under TCG as the guest's virtio-net driver starts a vhost-user
    // device; QEMU 10.0.2 (bookworm-backports) runs it.
    if (qemuVersion?.startsWith("7.")) {
      throw new Kvm4nfvError(
        "TOOL_MISSING",
        `QEMU ${qemuVersion} crashes under TCG with vhost-user netdevs (the VNF guest of pvp/pvvp); a newer QEMU is needed here`,
        { hint: "KVM4NFV_QEMU=$(bash scripts/qemu-backports.sh) kvm4nfv test forwarding --topology pvp" },
      );
    }
    notes.push(
      TCG_NOTE,
      "Forwarding through a TCG guest: the figures are the emulator's, far below a KVM guest's.",
    );
  }
  return { images, accel: probe.accel, notes, qemuVersion };
}

export async function startVnf(o: VnfOptions): Promise<VnfGuest> {
  o.teardown.check(`VNF guest ${o.index}`);
  const initrd = join(o.stateDir, `vnf${o.index}-initrd.img`);
  const job = buildCpio([
    { type: "dir", path: "kvm4nfv" },
    { type: "file", path: "kvm4nfv/job.sh", data: VNF_SCRIPT, mode: 0o755 },
  ]);
  writeFileSync(initrd, appendCpio(readFileSync(o.images.initrd), job));
  const guest: Guest = await launchGuest(vnfSpec(o.images, o, initrd), {
    accel: o.accel,
    exec: o.exec,
    extraArgs: vhostUserArgs(o.index, o.ports, o.qemuServer),
  });
  const start = processStartTime(guest.pid);
  o.teardown.add(
    `stop VNF guest ${o.index}`,
    () => guest.stop(),
    start ? { kind: "pid", pid: guest.pid, start } : undefined,
  );
  const consoleText = () => {
    try {
      return readFileSync(guest.consoleLog, "utf8");
    } catch {
      return "";
    }
  };
  await waitForText(
    guest.consoleLog,
    consoleText,
    new RegExp(`${VNF_READY} 2 ports`),
    guest,
    o.readyTimeoutMs ?? 300_000,
  );
  o.say(`VNF guest ${o.index} (${o.accel}) is forwarding: ${VNF_FORWARDER}`);
  return { name: guest.name, accel: o.accel, console: consoleText };
}

/** Wait (inotify, not a poll loop) until `read()` matches, the guest's QEMU exits, or the time is up. */
function waitForText(
  path: string,
  read: () => string,
  pattern: RegExp,
  guest: Guest,
  timeoutMs: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      watcher.close();
      clearTimeout(timer);
      clearInterval(backstop);
      if (err) reject(err);
      else resolve();
    };
    const look = () => {
      if (pattern.test(read())) finish();
    };
    const watcher = watch(path, look);
    // inotify on a file QEMU writes is the event; a slow backstop covers a missed one (the file replaced).
    const backstop = setInterval(look, 2000);
    const timer = setTimeout(() => {
      const tail = read().trim().split("\n").slice(-5).join(" | ");
      finish(
        new Kvm4nfvError(
          "GUEST_FAILED",
          `VNF guest did not start forwarding within ${timeoutMs} ms: ${tail}`,
        ),
      );
    }, timeoutMs);
    void guest.child.exited.then(() => {
      // The job ended (init sends its stderr over virtio-serial, then powers off) or QEMU died.
      let job = "";
      try {
        const report = parseGuestStream(readFileSync(guest.outputFile, "utf8"));
        job = (report.outputs.stderr ?? "").trim().split("\n").slice(-3).join(" | ");
      } catch {
        // no report: QEMU itself failed
      }
      const tail = read().trim().split("\n").slice(-5).join(" | ");
      finish(
        new Kvm4nfvError(
          "GUEST_FAILED",
          `VNF guest's QEMU exited before it forwarded: ${job ? `its forwarder set-up said: ${job}` : `${guest.stderrTail()} ${tail}`}`,
        ),
      );
    });
    look();
  });
}
