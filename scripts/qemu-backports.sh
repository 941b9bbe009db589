#!/usr/bin/env bash
# Optional: a newer QEMU next to Debian 12's 7.2, for `KVM4NFV_QEMU=… kvm4nfv test migration …`.
# Fetches qemu-system-x86/-common/-data from Debian's bookworm-backports (QEMU 10.0 at the time of writing) with
# `apt-get download` and extracts them with `dpkg-deb -x` under ~/.cache/kvm4nfv/qemu-backports: nothing is
# installed and the system's QEMU stays the default. Adds the standard backports source to apt if it is missing
# (backports are never installed or upgraded unless asked for by name). Prints the path to put in KVM4NFV_QEMU.
set -euo pipefail

cache="${XDG_CACHE_HOME:-$HOME/.cache}/kvm4nfv/qemu-backports"
src=/etc/apt/sources.list.d/kvm4nfv-bookworm-backports.sources
# seabios too: QEMU 10 wants a newer one than bookworm has (its bios-256k.bin)
pkgs=(qemu-system-x86 qemu-system-common qemu-system-data seabios)

if ! apt-cache policy 2>/dev/null | grep -q 'bookworm-backports'; then
  echo "qemu-backports: adding bookworm-backports to apt ($src)" >&2
  cat >"$src" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  apt-get update -qq
fi

# awk reads to the end (no early exit): under pipefail, apt-cache killed by SIGPIPE would end the script (rc 141)
version=$(apt-cache madison qemu-system-x86 | awk -F'|' '/bookworm-backports/ && v == "" {gsub(/ /, "", $2); v = $2} END {print v}')
if [ -z "$version" ]; then
  echo "qemu-backports: bookworm-backports offers no qemu-system-x86" >&2
  exit 3
fi
dir="$cache/${version//[:~+]/_}"
if [ ! -x "$dir/bin/qemu-system-x86_64" ]; then
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/debs" "$dir.tmp/root" "$dir.tmp/bin"
  echo "qemu-backports: downloading QEMU $version" >&2
  (cd "$dir.tmp/debs" && apt-get download -qq -o APT::Sandbox::User=root "${pkgs[@]/%//bookworm-backports}")
  for deb in "$dir.tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$dir.tmp/root"; done
  missing=$(ldd "$dir.tmp/root/usr/bin/qemu-system-x86_64" | awk '/not found/ {print $1}')
  if [ -n "$missing" ]; then
    echo "qemu-backports: QEMU $version needs libraries this machine lacks: $missing" >&2
    echo "  (apt-get install the packages that provide them, then run this again)" >&2
    exit 3
  fi
  # Firmware (-L: option ROMs, then SeaBIOS) and modules come from the extracted tree, not from QEMU 7.2's.
  # kvm4nfv always passes -nodefaults; without it this QEMU may still probe the system's 7.2 display modules
  # and abort on their version mismatch.
  cat >"$dir.tmp/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
QEMU_MODULE_DIR='$dir/root/usr/lib/x86_64-linux-gnu/qemu' exec '$dir/root/usr/bin/qemu-system-x86_64' -L '$dir/root/usr/share/qemu' -L '$dir/root/usr/share/seabios' "\$@"
EOF
  chmod +x "$dir.tmp/bin/qemu-system-x86_64"
  rm -rf "$dir.tmp/debs" "$dir"
  mv "$dir.tmp" "$dir"
fi
"$dir/bin/qemu-system-x86_64" --version | sed -n 1p >&2
echo "$dir/bin/qemu-system-x86_64"
