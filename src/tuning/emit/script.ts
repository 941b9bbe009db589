/**
 * The script emitter: a standalone POSIX sh equivalent of the seeds' host-setup0.sh + host-setup1.sh
 * (guest-setup0/1.sh for --role guest), with their bugs fixed:
 *   - hugepages are written as a number (the original appended strings: "1" + "2" = "12");
 *   - every rcuc/rcub thread gets its priority (the original loop skipped the last CPU);
 *   - only sched_rt_runtime_us is set to -1 (the original also wrote -1 to sched_rt_period_us: EINVAL);
 *   - IRQs go to all housekeeping CPUs, not CPU 0 alone, and managed IRQs refusing the write are skipped, not fatal;
 *   - GRUB_CMDLINE_LINUX keeps its other parameters, and running the script twice changes nothing the second time.
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

# setkey PATH KEY VALUE: KEY=VALUE in a shell-style config file, other lines kept.
setkey() {
  f="$ROOT$1"
  if [ -f "$f" ] && grep -qx "$2=$3" "$f"; then return 0; fi
  mkdir -p "$(dirname "$f")"; touch "$f"
  if grep -q "^$2=" "$f"; then
    sed "s|^$2=.*|$2=$3|" "$f" > "$f.kvm4nfv.tmp" && cat "$f.kvm4nfv.tmp" > "$f" && rm -f "$f.kvm4nfv.tmp"
  else
    printf '%s=%s\n' "$2" "$3" >> "$f"
  fi
  echo "set $1: $2=$3"; changed=$((changed + 1))
}

# chrt_all PATTERN PRIORITY: SCHED_FIFO for every kernel thread whose name matches (PIDs looked up now).
chrt_all() {
  [ "$LIVE" = 1 ] || { echo "skip chrt $1: process priorities are set on a live machine only"; return 0; }
  for d in /proc/[0-9]*; do
    comm=$(cat "$d/comm" 2>/dev/null || true)
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
# a parameter the plan sets replaces any earlier value of the same key.
grub_cmdline() {
  f="$ROOT/etc/default/grub"
  if [ ! -f "$f" ]; then
    echo "no /etc/default/grub: add to your bootloader's kernel command line: $CMDLINE"; return 0
  fi
  old=$(sed -n 's/^GRUB_CMDLINE_LINUX="\(.*\)"$/\1/p' "$f" | tail -n 1)
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
  if grep -q '^GRUB_CMDLINE_LINUX=' "$f"; then
    sed "s|^GRUB_CMDLINE_LINUX=.*|GRUB_CMDLINE_LINUX=\"$new\"|" "$f" > "$f.kvm4nfv.tmp"
    cat "$f.kvm4nfv.tmp" > "$f" && rm -f "$f.kvm4nfv.tmp"
  else
    printf 'GRUB_CMDLINE_LINUX="%s"\n' "$new" >> "$f"
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
    `CMDLINE=${shq(cmdline)}`,
    `KEYS=${shq(keys)}`,
    "",
    ...body,
    GRUB,
    'echo "$changed change(s)"',
    "",
  ].join("\n");
}
