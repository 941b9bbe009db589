/**
 * The RT guest as a pod node for the tests: the image kvm4nfv builds (Debian's PREEMPT_RT kernel, busybox,
 * rt-tests, stress-ng, dropbear), booted once per test file under QEMU (TCG here) with user networking and
 * hostfwd from a free 127.0.0.1 port to the guest's dropbear. The test's key is authorized through the per-run
 * cpio; the host key the guest prints on its console is pinned in the test's known_hosts (never accept-new).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, realExec } from "../../src/exec.js";
import { appendCpio, buildCpio } from "../../src/vm/cpio.js";
import { ensureGuestImages } from "../../src/vm/guest-build.js";
import { DEFAULT_GUEST_CMDLINE } from "../../src/vm/spec.js";
import { freePort } from "./sshd.js";

export interface GuestNode {
  dir: string;
  port: number;
  key: string;
  knownHosts: string;
  kernelRelease: string;
  qemu: Child;
  console(): string;
  writePod(): string;
  stop(): Promise<void>;
}

export async function bootGuestNode(timeoutMs = 240_000): Promise<GuestNode> {
  const images = await ensureGuestImages();
  const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-guestnode-"));
  const key = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kvm4nfv-guest-test", "-f", key]);
  const jobCpio = buildCpio([
    { type: "dir", path: "kvm4nfv" },
    // the node stays up until the test stops QEMU
    { type: "file", path: "kvm4nfv/job.sh", data: "while :; do sleep 3600; done\n", mode: 0o755 },
    { type: "file", path: "kvm4nfv/authorized_keys", data: readFileSync(`${key}.pub`), mode: 0o600 },
  ]);
  const initrd = join(dir, "initrd.img");
  writeFileSync(initrd, appendCpio(await readFile(images.initrd), jobCpio));
  const port = await freePort();
  const qemu = realExec.start(
    process.env.KVM4NFV_QEMU ?? "qemu-system-x86_64",
    [
      "-name",
      "kvm4nfv-guest-node",
      "-machine",
      "q35,accel=tcg",
      "-cpu",
      "max",
      "-smp",
      "2",
      "-m",
      "768M",
      "-nodefaults",
      "-display",
      "none",
      "-no-reboot",
      "-kernel",
      images.kernel,
      "-initrd",
      initrd,
      "-append",
      `${DEFAULT_GUEST_CMDLINE.replace(" quiet loglevel=3", "")} quiet loglevel=3 kvm4nfv.sshd=1`,
      "-serial",
      "stdio",
      "-netdev",
      `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`,
      "-device",
      "virtio-net-pci,netdev=n0",
    ],
    { stdin: "pipe" },
  );
  let consoleText = "";
  qemu.stdout?.on("data", (b: Buffer) => {
    consoleText += b.toString();
  });
  let exited = false;
  void qemu.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (!/KVM4NFV-SSHD-UP/.test(consoleText)) {
    if (exited || Date.now() > deadline) {
      await qemu.stop(1000);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`the guest node did not come up: ${consoleText.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const hostKey = /KVM4NFV-HOSTKEY (ssh-ed25519 \S+)/.exec(consoleText)?.[1];
  if (!hostKey) throw new Error(`the guest printed no host key: ${consoleText.slice(-2000)}`);
  const knownHosts = join(dir, "known_hosts");
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n`);
  return {
    dir,
    port,
    key,
    knownHosts,
    kernelRelease: images.kernelRelease,
    qemu,
    console: () => consoleText,
    writePod() {
      const path = join(dir, "pod.yaml");
      writeFileSync(
        path,
        `nodes:\n-\n    name: rtguest\n    role: Compute\n    ip: 127.0.0.1\n    user: root\n    key_filename: ${key}\n    ssh_port: ${port}\n`,
      );
      return path;
    },
    async stop() {
      await qemu.stop(2000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
