/**
 * The guest's /init (busybox sh) and the host-side parser of what it sends back.
 *
 * Protocol: the host appends /kvm4nfv/job.sh to the initramfs for each run. /init applies the guest-setup1
 * settings, runs the job with /out as its working directory, then sends every file of /out — plus its own
 * facts (uname, cmdline, settings applied) — over the virtio-serial port named kvm4nfv.0, each framed as
 *   KVM4NFV-BEGIN <name> <bytes>\n<base64 lines>\nKVM4NFV-END <name>\n
 * and finally "KVM4NFV-DONE <exit code>". Base64 keeps binary and marker-like content intact. If the port
 * is missing (module failed to load) the same frames go to the serial console, so results still arrive.
 */
import { InputError } from "../errors.js";
import { PATHS } from "../host/paths.js";

export const INIT_UP_MARKER = "KVM4NFV-INIT-UP";
export const DONE_MARKER = "KVM4NFV-DONE";
export const PORT_NAME = "kvm4nfv.0";

export const INIT_SCRIPT = `#!/bin/sh
# kvm4nfv guest init: set up, run /kvm4nfv/job.sh, send /out back to the host, power off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /tmp /run /out
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
# tracefs for rtla and ftrace capture, debugfs for hwlatdetect (it finds tracing/ under the debugfs mount).
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
echo "${INIT_UP_MARKER} uptime=$(cut -d' ' -f1 /proc/uptime)"

arg() { for w in $(cat /proc/cmdline); do case "$w" in "$1"=*) echo "\${w#*=}";; esac; done; }
HK=$(arg kvm4nfv.hk); HK=\${HK:-0}

# Modules the RT kernel builds as modules (virtio-serial), in dependency order.
for m in $(cat /etc/kvm4nfv/modules 2>/dev/null); do insmod "/lib/modules/$m" 2>>/tmp/setup.log; done

# guest-setup1: no watchdogs, no RT throttling, no timer migration, IRQs on the housekeeping vCPU.
{
  for kv in kernel/watchdog=0 kernel/nmi_watchdog=0 kernel/sched_rt_runtime_us=-1 kernel/timer_migration=0; do
    k=\${kv%%=*}; v=\${kv#*=}
    if [ -e /proc/sys/$k ] && echo "$v" > /proc/sys/$k 2>/dev/null; then echo "$k=$(cat /proc/sys/$k)"
    else echo "$k: not set"; fi
  done
  for f in ${PATHS.irqAffinityList}; do echo "$HK" > "$f" 2>/dev/null; done
  echo "irqs->cpu$HK"
} >> /tmp/setup.log 2>&1

# pod: the guest as an SSH node (kernel cmdline kvm4nfv.sshd=1): QEMU user-net's address, dropbear key-only with
# the key the host put in /kvm4nfv/authorized_keys; the host key goes to the console for the host to pin.
if [ "$(arg kvm4nfv.sshd)" = 1 ]; then
  ip link set lo up; ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2
  mkdir -p /root/.ssh /etc/dropbear /var/log; chmod 700 /root /root/.ssh
  cp /kvm4nfv/authorized_keys /root/.ssh/authorized_keys; chmod 600 /root/.ssh/authorized_keys
  dropbearkey -t ed25519 -f /etc/dropbear/dropbear_ed25519_host_key >/dev/null 2>&1
  echo "KVM4NFV-HOSTKEY $(dropbearkey -y -f /etc/dropbear/dropbear_ed25519_host_key | grep '^ssh-ed25519')"
  dropbear -s -g -p 22 -r /etc/dropbear/dropbear_ed25519_host_key -P /run/dropbear.pid 2>>/tmp/dropbear.log
  echo "KVM4NFV-SSHD-UP uptime=$(cut -d' ' -f1 /proc/uptime)"
fi

PORT=""
for n in /sys/class/virtio-ports/*; do
  [ "$(cat "$n/name" 2>/dev/null)" = "${PORT_NAME}" ] && PORT=/dev/$(basename "$n")
done
[ -c "$PORT" ] || PORT=/dev/console

echo "KVM4NFV-JOB-START uptime=$(cut -d' ' -f1 /proc/uptime)"
cd /out
sh /kvm4nfv/job.sh > /tmp/stdout 2> /tmp/stderr
RC=$?
cd /
echo "KVM4NFV-JOB-END rc=$RC uptime=$(cut -d' ' -f1 /proc/uptime)"

send() {
  echo "KVM4NFV-BEGIN $1 $(wc -c < "$2")"
  base64 "$2"
  echo "KVM4NFV-END $1"
}
uname -r > /tmp/uname
cat /proc/cmdline > /tmp/cmdline
{
  send kvm4nfv.uname /tmp/uname
  send kvm4nfv.cmdline /tmp/cmdline
  send kvm4nfv.setup /tmp/setup.log
  send stdout /tmp/stdout
  send stderr /tmp/stderr
  for f in /out/*; do [ -f "$f" ] && send "$(basename "$f")" "$f"; done
  echo "${DONE_MARKER} $RC"
} > "$PORT"
sync
poweroff -f
`;

export interface GuestReport {
  /** Files sent back, by name (job files of /out plus "stdout" and "stderr"). */
  outputs: Record<string, string>;
  /** Facts the init reported about itself: kvm4nfv.uname, kvm4nfv.cmdline, kvm4nfv.setup. */
  facts: Record<string, string>;
  /** The job's exit code, or null if the guest never said it was done. */
  exitCode: number | null;
}

/** Parse the framed stream. Text outside frames (kernel messages on a shared console) is ignored. */
export function parseGuestStream(text: string): GuestReport {
  const outputs: Record<string, string> = {};
  const facts: Record<string, string> = {};
  let exitCode: number | null = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const done = new RegExp(`${DONE_MARKER} (-?\\d+)\\s*$`).exec(line);
    if (done) {
      exitCode = Number(done[1]);
      continue;
    }
    const m = /KVM4NFV-BEGIN (\S+) (\d+)\s*$/.exec(line);
    if (!m) continue;
    const name = m[1] ?? "";
    const size = Number(m[2]);
    const chunks: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !(lines[j] ?? "").startsWith(`KVM4NFV-END ${name}`); j++) {
      chunks.push((lines[j] ?? "").trim());
    }
    if (j >= lines.length) throw new InputError("BAD_TOOL_OUTPUT", `guest output "${name}" is truncated`);
    const data = Buffer.from(chunks.join(""), "base64");
    if (data.length !== size) {
      throw new InputError(
        "BAD_TOOL_OUTPUT",
        `guest output "${name}" has ${data.length} bytes, the guest announced ${size}`,
      );
    }
    (name.startsWith("kvm4nfv.") ? facts : outputs)[name] = data.toString("utf8");
    i = j;
  }
  return { outputs, facts, exitCode };
}
