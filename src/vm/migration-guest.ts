/**
 * The migration test guest: a busybox initramfs whose init answers on the serial line and can start a memory
 * dirtier on request. It only needs a Linux kernel (the RT guest builder's, or the host's /boot one).
 *
 * It talks on ttyS1 (the launcher's ttyS0 is a log file). The protocol is one line each way, so it survives a
 * migration mid-conversation:
 *   host "ping TOKEN"          → guest "pong TOKEN <uptime seconds>"
 *   host "uname"               → guest "uname <kernel release>"
 *   host "mods"                → guest "mods <loaded module names>"
 *   host "free"                → guest "free <MemFree in kB>"
 *   host "dirtier"             → guest "dirtier <pid of the running dirtier | none>"
 *   host "dirty WSS_MIB RATE"  → guest starts the dirtier, then "dirtying WSS_MIB RATE" once its working set
 *                                 is populated (so the migration starts with the set already resident)
 * The init prints "KVM4NFV-MIGRATION-READY" when it listens.
 *
 * The dirtier is the seeds' DPDK L2fwd stand-in: a tiny static C program (compiled with gcc when present)
 * that writes one byte into each 4 KiB page of a working set at a paced rate, so the dirty-page rate is exactly
 * RATE MiB/s worth of pages. Without gcc a busybox dd loop into a tmpfs file does the same, less precisely.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm4nfvError, toolMissing } from "../errors.js";
import { type Exec, realExec } from "../exec.js";
import { buildCpio, type CpioEntry } from "./cpio.js";

export const READY_MARKER = "KVM4NFV-MIGRATION-READY";

const DIRTIER_C = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* dirtier WSS_MIB RATE_MIB_S: dirty RATE MiB/s of 4 KiB pages, round-robin over a WSS MiB working set. */
int main(int argc, char **argv) {
  if (argc < 3) return 2;
  size_t wss = (size_t)atol(argv[1]) << 20;
  double rate = atof(argv[2]);
  size_t pages = wss / 4096, next = 0;
  volatile unsigned char *p = malloc(wss);
  if (!p) { puts("dirtier: no memory"); return 1; }
  memset((void *)p, 1, wss);
  printf("dirtying %s %s\\n", argv[1], argv[2]);
  fflush(stdout);
  /* 10 ms ticks: enough resolution for pacing, cheap enough under TCG. */
  double per_tick = rate * 256.0 / 100.0, owed = 0;
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
  for (;;) {
    owed += per_tick;
    for (; owed >= 1; owed -= 1) { p[next * 4096]++; if (++next == pages) next = 0; }
    t.tv_nsec += 10000000; if (t.tv_nsec >= 1000000000) { t.tv_nsec -= 1000000000; t.tv_sec++; }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, 0);
  }
}
`;

// Busybox fallback: rewrite 1 MiB chunks of a tmpfs file at RATE chunks per second.
const DIRTIER_SH = `#!/bin/sh
wss=$1; rate=$2; f=/tmp/ws
dd if=/dev/zero bs=1M count=$wss 2>/dev/null | tr '\\000' '\\001' > $f
echo "dirtying $wss $rate"
pause=$((1000000 / ($rate > 0 ? $rate : 1))); off=0
while :; do
  dd if=/dev/urandom of=$f bs=1M count=1 seek=$off conv=notrunc 2>/dev/null
  off=$(( (off + 1) % wss )); usleep $pause
done
`;

const INIT = `#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs -o size=90% tmp /tmp
echo 0 > /proc/sys/kernel/printk
stty -F /dev/ttyS1 -echo 2>/dev/null
[ -f /etc/modules ] && while read -r m; do insmod "/lib/modules/$m" 2>/dev/null; done < /etc/modules
exec 0</dev/ttyS1 1>/dev/ttyS1 2>&1
echo ${READY_MARKER}
while read -r cmd a b; do
  case "$cmd" in
    ping) echo "pong $a $(cut -d' ' -f1 /proc/uptime)" ;;
    dirty) /bin/dirtier "$a" "$b" & ;;
    uname) echo "uname $(uname -r)" ;;
    free) echo "free $(grep MemFree /proc/meminfo | tr -s ' ' | cut -d' ' -f2)" ;;
    mods) echo "mods $(cut -d' ' -f1 /proc/modules | tr '\\n' ' ')" ;;
    dirtier) echo "dirtier $(pidof dirtier || echo none)" ;;
    "") ;;
    *) echo "unknown $cmd" ;;
  esac
done
echo "init: serial closed"
exec sleep 2147483647
`;

export interface MigrationGuestImage {
  initrd: string;
  /** Kernel modules /init loads, in order (the free-page-hinting balloon's stack), empty when none. */
  modules: string[];
  /** "c" when the dirtier is the compiled program, "busybox" for the dd loop. */
  dirtier: "c" | "busybox";
}

/** Where built guests are kept (keyed by content, so a rebuild is free). */
export function guestCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir() || tmpdir(), ".cache");
  return join(base, "kvm4nfv", "migration-guest");
}

/** A set of kernel modules for the guest, load order first to last. */
export interface GuestModules {
  release: string;
  files: { name: string; data: Buffer }[];
}

/** Build (or reuse) the migration initramfs, with `modules` loaded by /init when given. */
export async function buildMigrationGuest(
  exec: Exec = realExec,
  modules: GuestModules | null = null,
): Promise<MigrationGuestImage> {
  const busybox = exec.which("busybox");
  if (!busybox) throw toolMissing("busybox");
  const bb = readFileSync(busybox);
  const gcc = exec.which("gcc");
  const hash = createHash("sha256")
    .update(bb)
    .update(INIT)
    .update(gcc ? DIRTIER_C : DIRTIER_SH);
  for (const m of modules?.files ?? []) hash.update(m.name).update(m.data);
  const key = hash.digest("hex").slice(0, 16);
  const dir = join(guestCacheDir(), key);
  const initrd = join(dir, "initrd.cpio");
  const dirtierKind: "c" | "busybox" = gcc ? "c" : "busybox";
  const loaded = (modules?.files ?? []).map((m) => m.name);
  if (existsSync(initrd)) return { initrd, dirtier: dirtierKind, modules: loaded };
  mkdirSync(dir, { recursive: true });

  let dirtier: Buffer;
  if (gcc) {
    const src = join(dir, "dirtier.c");
    const bin = join(dir, "dirtier");
    writeFileSync(src, DIRTIER_C);
    await exec.run(gcc, ["-static", "-O2", "-s", "-o", bin, src], { timeoutMs: 120_000 });
    dirtier = readFileSync(bin);
  } else {
    dirtier = Buffer.from(DIRTIER_SH);
  }
  const entries: CpioEntry[] = [
    ...["bin", "dev", "proc", "sys", "tmp"].map((path) => ({ type: "dir" as const, path })),
    { type: "file", path: "bin/busybox", data: bb, mode: 0o755 },
    { type: "symlink", path: "bin/sh", target: "busybox" },
    { type: "file", path: "bin/dirtier", data: dirtier, mode: 0o755 },
    { type: "file", path: "init", data: INIT, mode: 0o755 },
  ];
  if (modules && modules.files.length > 0) {
    entries.push(
      { type: "dir", path: "lib" },
      { type: "dir", path: "lib/modules" },
      { type: "dir", path: "etc" },
    );
    for (const m of modules.files)
      entries.push({ type: "file", path: `lib/modules/${m.name}`, data: m.data, mode: 0o644 });
    entries.push({ type: "file", path: "etc/modules", data: `${loaded.join("\n")}\n`, mode: 0o644 });
  }
  // Write then rename: a concurrent build never sees half an archive.
  const tmp = `${initrd}.${process.pid}.tmp`;
  writeFileSync(tmp, buildCpio(entries));
  renameSync(tmp, initrd);
  return { initrd, dirtier: dirtierKind, modules: loaded };
}

/**
 * The guest kernel: an explicit path, else the RT guest builder's cached kernel, else the host's newest
 * /boot/vmlinuz-*. Fails with a hint when none exists (this machine may have an empty /boot).
 */
export function findGuestKernel(explicit?: string): string {
  if (explicit) {
    if (!existsSync(explicit)) throw new Kvm4nfvError("BAD_INPUT", `guest kernel ${explicit} does not exist`);
    return explicit;
  }
  const fromEnv = process.env.KVM4NFV_GUEST_KERNEL;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const candidates: string[] = [];
  const base = process.env.XDG_CACHE_HOME || join(homedir() || tmpdir(), ".cache");
  for (const dir of [join(base, "kvm4nfv", "guest"), join(base, "kvm4nfv", "kernel"), "/boot"]) {
    candidates.push(...listKernels(dir));
  }
  const found = candidates[0];
  if (!found) {
    throw new Kvm4nfvError("TOOL_MISSING", "no Linux kernel for the migration guest", {
      hint: "build the RT guest first (kvm4nfv guest build), or pass --kernel /path/to/vmlinuz",
    });
  }
  return found;
}

function listKernels(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names.sort().reverse()) {
      const p = join(d, n);
      if (/^(vmlinuz|bzImage)/.test(n)) out.push(p);
      else if (depth > 0 && !n.includes(".")) walk(p, depth - 1);
    }
  };
  walk(dir, 2);
  return out;
}
