#!/usr/bin/env bash
# Installs everything kvm4nfv needs on a fresh Debian 12 machine (as root), then builds the CLI.
# Idempotent: a second run installs nothing and only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the real tools kvm4nfv drives (rt-tests, stress-ng, QEMU, the guest's busybox) and the
# headless browser used to look at reports.
APT_PACKAGES=(rt-tests stress-ng qemu-system-x86 qemu-utils busybox-static cpio zstd xz-utils
  chromium openssh-client util-linux procps kmod)
APT_PACKAGES+=(debootstrap)  # rtkernel: the kernel apply/revert round trip runs in a disposable Debian root made with debootstrap
APT_PACKAGES+=(tuned libxml2-utils shellcheck influxdb libvirt-clients)  # consumers: tuned's profile loader, xmllint (JUnit XSD), shellcheck, a real InfluxDB 1.x, virt-xml-validate — emitted files are checked by the programs that read them
APT_PACKAGES+=(dpdk dpdk-dev openvswitch-switch openvswitch-switch-dpdk sockperf iproute2 coreutils)  # test forwarding: testpmd, OVS-DPDK (its own daemons, never the packages' services), sockperf as generator
APT_PACKAGES+=(rtla python3.11-minimal)  # instruments: rtla (timerlat/osnoise) and hwlatdetect's Python go into the RT guest image
APT_PACKAGES+=(ansible-core)  # yardstick: the fleet role (ansible/) and pod from-ansible (ansible-inventory reads the inventory) are tested with the real Ansible
APT_PACKAGES+=(openssh-server dropbear-bin)  # pod: a real sshd for the localhost-node tests; dropbear in the RT guest node
APT_PACKAGES+=(python3-nova)  # sriov: Nova's own PCI code (oslo.config, nova.pci devspec/whitelist/request/stats) checks the emitted nova.conf and `sriov place`
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})" >&2
    exit 3
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  # consumers: tuned and influxdb are here for tests only; their packages would start daemons (tuned would retune
  # this host, influxd would listen on :8086). A policy-rc.d (Debian's documented switch, honoured by invoke-rc.d
  # and deb-systemd-invoke) keeps every service from starting during this install, and the two are disabled
  # afterwards so they do not start at boot either. Tests start their own influxd.
  # forwarding: openvswitch-switch and dpdk likewise (test forwarding starts its own ovsdb-server/ovs-vswitchd).
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ] && [[ " ${missing[*]} " =~ \ (tuned|influxdb|openvswitch-switch|dpdk|openssh-server)\  ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy=1
    trap '[ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$policy" ]; then rm -f /usr/sbin/policy-rc.d; policy=""; fi
  for s in tuned influxdb openvswitch-switch dpdk; do
    case " ${missing[*]} " in *" $s "*)
      if [ -d /run/systemd/system ]; then systemctl disable --now -q "$s" 2>/dev/null || true
      elif command -v systemctl >/dev/null; then systemctl disable -q "$s" 2>/dev/null || true
      fi
      if [ ! -d /run/systemd/system ] && [ -x "/etc/init.d/$s" ]; then
        "/etc/init.d/$s" stop >/dev/null 2>&1 || true
        update-rc.d "$s" disable >/dev/null 2>&1 || true
      fi ;;
    esac
  done
  # pod: the tests start their own sshd on 127.0.0.1; the system service of openssh-server (kept from starting by
  # the policy-rc.d above) is disabled, and stopped should a postinst have started it anyway.
  if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
    { systemctl disable --now ssh.service || service ssh stop; } >/dev/null 2>&1 || true
  fi
fi

# npm dependencies. better-sqlite3 builds from source here (no prebuilt download is reachable); node-gyp
# needs Node's headers, which Debian's node keeps under /usr.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
stamp=node_modules/.kvm4nfv-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "setup: installing npm dependencies (better-sqlite3 compiles from source: about 90 s)"
  # `npm install --no-save` rather than `npm ci`: npm 11 writes only this platform's optional biome binaries
  # into the lock and `npm ci` then rejects its own lock; install honours the lock without that check.
  npm install --no-save --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

npm run --silent build

# pod: `kvm4nfv` on PATH (bin/kvm4nfv resolves its own link back to this checkout).
if [ "$(id -u)" -eq 0 ] && [ -d /usr/local/bin ]; then ln -sfn "$PWD/bin/kvm4nfv" /usr/local/bin/kvm4nfv; fi
