/**
 * The script emitter: a standalone POSIX sh equivalent of the seeds' host-setup0.sh + host-setup1.sh
 * (guest-setup0/1.sh for --role guest), with their bugs fixed:
 *   - hugepages are written as a number (the original appended strings: "1" + "2" = "12");
 *   - every rcuc/rcub thread gets its priority (the original loop skipped the last CPU);
 *   - only sched_rt_runtime_us is set to -1 (the original also wrote -1 to sched_rt_period_us: EINVAL);
 *   - IRQs go to all housekeeping CPUs, not CPU 0 alone, and managed IRQs refusing the write are skipped, not fatal;
 *   - GRUB_CMDLINE_LINUX keeps its other parameters, however it is quoted, whatever characters they hold, and
 *     running the script twice changes nothing the second time;
 *   - a config file that is not there (/etc/default/irqbalance without irqbalance) is not created.
 * shellcheck-clean (test/consumers/script.test.ts runs Debian's shellcheck on it).
 * `ROOT=/copy sh script` applies it to a copy of a machine's files (nothing live is touched: no chrt, mount, grub).
 */
import { formatCpuList } from "../../host/parse/cpulist.js";
import { formatCmdline } from "../plan-cmdline.js";
import type { Plan, RuntimeItem } from "../plan-types.js";

/** Single-quote for sh: the only character needing care inside '…' is ' itself. */
export function shq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

const PRELUDE = String.raw`set -eu
ROOT=@{ROOT:-}
# Live machine only when no ROOT is given: process priorities, mounts, services and grub are left alone on a copy.
if [ -z "$ROOT" ]; then LIVE=1; else LIVE=0; fi
if [ "$LIVE" = 1 ] && [ "$(id -u)" != 0 ]; then
  echo "run as root (or set ROOT=DIR to apply to a copy of the machine's files)" >&2
  exit 3
fi
changed=0

masknorm() { printf '%s' "$1" | tr -d ',' | sed 's/^0*//'; }

# setval PATH VALUE [tolerate|mask]: write VALUE when the file holds something else. Kernel files are never created.
setval() {
  f="$ROOT$1"
  if [ ! -e "$f" ]; then echo "skip $1: not present on this machine"; return 0; fi
  cur=$(cat "$f" 2>/dev/null || true)
  case "$cur" in
    "$2" | *"[$2]"*) return 0 ;;
  esac
  # hex CPU masks: "00000000,000fffff" is "fffff" (groups are zero-padded, so dropping commas keeps the value)
  if [ "@{3:-}" = mask ] && [ "$(masknorm "$cur")" = "$(masknorm "$2")" ]; then return 0; fi
  if (printf '%s\n' "$2" > "$f") 2>/dev/null; then
    echo "set $1: $cur -> $2"; changed=$((changed + 1))
  elif [ "@{3:-}" = tolerate ]; then
    echo "skip $1: the kernel keeps this one (managed IRQ)"
  else
    echo "failed: cannot write $2 to $1" >&2; exit 1
  fi
}

# setfile PATH CONTENT: a whole file kvm4nfv owns.
setfile() {
  f="$ROOT$1"
  if [ -f "$f" ] && [ "$(cat "$f")" = "$2" ]; then return 0; fi
  mkdir -p "$(dirname "$f")"
  printf '%s\n' "$2" > "$f"
  echo "wrote $1"; changed=$((changed + 1))
}

# replace_line FILE N TEXT: line N of FILE becomes TEXT, byte for byte (awk reads TEXT from the environment:
# no sed replacement syntax, so &, |, \ and quotes in TEXT are kept as they are). The file keeps its inode.
replace_line() {
  KVM4NFV_LINE=$3 awk -v n="$2" 'NR == n { print ENVIRON["KVM4NFV_LINE"]; next } { print }' "$1" > "$1.kvm4nfv.tmp"
  cat "$1.kvm4nfv.tmp" > "$1" && rm -f "$1.kvm4nfv.tmp"
}

# setkey PATH KEY VALUE: KEY=VALUE in a shell-style config file, other lines kept. A file that is not there is
# left alone: it belongs to a package this machine does not have.
setkey() {
  f="$ROOT$1"
  if [ ! -f "$f" ]; then echo "skip $1: not present on this machine"; return 0; fi
  if grep -qxF -- "$2=$3" "$f"; then return 0; fi
  n=$(grep -n "^$2=" "$f" | tail -n 1 | cut -d: -f1)
  if [ -n "$n" ]; then replace_line "$f" "$n" "$2=$3"; else printf '%s=%s\n' "$2" "$3" >> "$f"; fi
  echo "set $1: $2=$3"; changed=$((changed + 1))
}

# chrt_all PATTERN PRIORITY: SCHED_FIFO for every kernel thread whose name matches (PIDs looked up now).
chrt_all() {
  [ "$LIVE" = 1 ] || { echo "skip chrt $1: process priorities are set on a live machine only"; return 0; }
  for d in /proc/[0-9]*; do
    comm=$(cat "$d/comm" 2>/dev/null || true)
    # shellcheck disable=SC2254 # $1 is a glob on purpose (ksoftirqd/*: one thread per CPU)
    case "$comm" in
      $1) chrt -f -p "$2" "@{d#/proc/}" && echo "chrt -f $2 $comm" ;;
    esac
  done
}
`.replaceAll("@{", "${");

function itemLines(item: RuntimeItem): string[] {
  const why = `# ${item.why}`;
  switch (item.kind) {
    case "write":
      if (item.path.includes("*")) {
        // one "*" segment standing for a number, as apply expands it: irq/*/ → irq/[0-9]*, cpu*/ → cpu[0-9]*
        const parts = item.path.split("/");
        const at = parts.findIndex((p) => p.includes("*"));
        const dir = parts.slice(0, at).join("/");
        const file = parts.slice(at + 1).join("/");
        return [
          why,
          `for d in "$ROOT"${shq(dir)}/${parts[at]!.replace("*", "[0-9]*")}; do`,
          `  [ -e "$d/${file}" ] || continue`,
          `  setval "\${d#"$ROOT"}/${file}" ${shq(item.value)}${item.tolerate ? " tolerate" : ""}`,
          "done",
        ];
      }
      if (item.compare === "min") {
        return [
          why,
          `[ "$(cat "$ROOT"${shq(item.path)} 2>/dev/null || echo 0)" -ge ${Number(item.value)} ] 2>/dev/null ||`,
          `  setval ${shq(item.path)} ${shq(item.value)}`,
        ];
      }
      if (item.accept) {
        return [
          why,
          `case "$(cat "$ROOT"${shq(item.path)} 2>/dev/null || true)" in`,
          `  ${item.accept.map(shq).join(" | ")}) ;;`,
          `  *) setval ${shq(item.path)} ${shq(item.value)} ;;`,
          "esac",
        ];
      }
      return [why, `setval ${shq(item.path)} ${shq(item.value)}${item.compare === "cpumask" ? " mask" : ""}`];
    case "keys":
      return [why, ...Object.entries(item.keys).map(([k, v]) => `setkey ${shq(item.path)} ${k} ${shq(v)}`)];
    case "file":
      return [why, `setfile ${shq(item.path)} ${shq(item.content.replace(/\n$/, ""))}`];
    case "sched":
      return [why, `chrt_all ${shq(item.comm)} ${item.priority}`];
    case "service":
      return [
        why,
        `if [ "$LIVE" = 1 ] && command -v systemctl >/dev/null && systemctl -q is-active ${item.name}; then`,
        `  systemctl ${item.action} ${item.name}`,
        "fi",
      ];
    case "sriov-vfs": {
      // the kernel answers EBUSY to a new count over another nonzero one: 0 first (drivers/pci/iov.c)
      const f = shq(`/sys/bus/pci/devices/${item.pf}/sriov_numvfs`);
      return [
        why,
        `f="$ROOT"${f}; cur=$(cat "$f" 2>/dev/null || echo absent)`,
        `if [ "$cur" = absent ]; then echo "skip "${f}": not present on this machine"`,
        `elif [ "$cur" != ${item.count} ]; then`,
        `  if [ "$cur" != 0 ]; then printf '0\n' > "$f"; fi`,
        `  printf '%s\n' ${item.count} > "$f"; echo "set "${f}": $cur -> ${item.count}"; changed=$((changed + 1))`,
        "fi",
      ];
    }
    case "pci-driver": {
      // live: driver_override, unbind, drivers_probe; a copy has no kernel to bind: driver_override only
      const pf = shq(`/sys/bus/pci/devices/${item.pf}`);
      const drv = shq(item.driver);
      return [
        why,
        `for vf in "$ROOT"${pf}/virtfn[0-9]*; do`,
        `  [ -e "$vf/driver_override" ] || continue`,
        `  a=$(basename "$(readlink "$vf")")`,
        `  [ "$(basename "$(readlink "$vf/driver" 2>/dev/null || true)")" = ${drv} ] && continue`,
        `  printf '%s\n' ${drv} > "$vf/driver_override"`,
        `  if [ "$LIVE" = 1 ]; then`,
        `    if [ -e "$vf/driver" ]; then printf '%s\n' "$a" > "$vf/driver/unbind"; fi`,
        `    printf '%s\n' "$a" > /sys/bus/pci/drivers_probe`,
        "  fi",
        `  echo "bound $a to "${drv}; changed=$((changed + 1))`,
        "done",
      ];
    }
    case "mount":
      return [
        why,
        `if [ "$LIVE" = 1 ]; then`,
        `  mkdir -p ${shq(item.target)}`,
        `  mountpoint -q ${shq(item.target)} || mount -t ${item.fstype} -o ${shq(item.options)} none ${shq(item.target)}`,
        "fi",
      ];
  }
}

const GRUB =
  String.raw`# Kernel command line (host-setup0.sh / guest-setup0.sh): GRUB_CMDLINE_LINUX keeps its other parameters;
# a parameter the plan sets replaces any earlier value of the same key. The current value is read the way
# grub-mkconfig reads it (the file's GRUB_CMDLINE_LINUX= lines evaluated by sh: double, single or no quotes),
# and written back double-quoted with ", \, $ and backquote escaped.
dq() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"$` +
  "`" +
  String.raw`]/\\&/g')"; }
grub_cmdline() {
  f="$ROOT/etc/default/grub"
  if [ ! -f "$f" ]; then
    echo "no /etc/default/grub: add to your bootloader's kernel command line: $CMDLINE"; return 0
  fi
  # shellcheck disable=SC2034 # read by the evaluated lines
  old=$(set +u; GRUB_CMDLINE_LINUX=; eval "$(grep '^[[:space:]]*GRUB_CMDLINE_LINUX=' "$f")"; printf '%s' "$GRUB_CMDLINE_LINUX")
  new=""
  set -f
  for p in $old; do
    case " $KEYS " in
      *" @{p%%=*} "*) ;;
      *) new="$new $p" ;;
    esac
  done
  set +f
  new="@{new# } $CMDLINE"
  new="@{new# }"
  [ "$old" = "$new" ] && return 0
  n=$(grep -n '^[[:space:]]*GRUB_CMDLINE_LINUX=' "$f" | tail -n 1 | cut -d: -f1)
  if [ -n "$n" ]; then
    replace_line "$f" "$n" "GRUB_CMDLINE_LINUX=$(dq "$new")"
  else
    printf 'GRUB_CMDLINE_LINUX=%s\n' "$(dq "$new")" >> "$f"
  fi
  echo "set GRUB_CMDLINE_LINUX: $new"; changed=$((changed + 1))
  if [ "$LIVE" = 1 ]; then
    if command -v update-grub >/dev/null; then update-grub
    elif command -v grubby >/dev/null; then grubby --update-kernel=ALL --args="$new"
    elif command -v grub2-mkconfig >/dev/null; then grub2-mkconfig -o /boot/grub2/grub.cfg
    else echo "regenerate your bootloader configuration to use the new command line"
    fi
  fi
}
grub_cmdline
`.replaceAll("@{", "${");

/** NAME='VALUE', with shellcheck told why a $ or ` in it stays literal (SC2016 would suggest expanding it). */
function literal(name: string, value: string): string[] {
  const directive = /[$`]/.test(value)
    ? ["# shellcheck disable=SC2016 # the kernel parameter's text itself: nothing in it is expanded"]
    : [];
  return [...directive, `${name}=${shq(value)}`];
}

export function emitScript(plan: Plan): string {
  const cmdline = formatCmdline(plan.cmdline);
  const keys = [...new Set(plan.cmdline.map((p) => p.key))].join(" ");
  const m = plan.machine;
  const header = [
    "#!/bin/sh",
    `# kvm4nfv ${plan.role} set-up (generated by kvm4nfv plan --emit script) for:`,
    `#   ${m.model ?? "unknown CPU"}, ${m.cpus} CPUs, NUMA ${Object.entries(m.nodes)
      .map(([n, c]) => `node${n} ${c}`)
      .join(" ")}`,
    `# Isolated (real-time) CPUs ${formatCpuList(plan.isolated)} on node ${plan.node}; housekeeping ${formatCpuList(plan.housekeeping)}.`,
    "# Idempotent: a second run changes nothing. Run as root; ROOT=DIR applies to a copy of the machine's files.",
    "# Every setting is explained by the comment above it. Undo with `kvm4nfv revert` only when applied by",
    "# `kvm4nfv apply` (which journals old values); this script keeps no journal.",
  ];
  const body = plan.runtime.flatMap((i) => [...itemLines(i), ""]);
  return [
    ...header,
    PRELUDE,
    ...literal("CMDLINE", cmdline),
    ...literal("KEYS", keys),
    "",
    ...body,
    GRUB,
    'echo "$changed change(s)"',
    "",
  ].join("\n");
}
