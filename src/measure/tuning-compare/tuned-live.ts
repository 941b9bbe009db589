/**
 * tuned's profile as live settings on a node where tuned's daemon cannot run (the busybox RT guest has neither
 * python3 nor D-Bus). The profile is resolved by tuned's own loader (bench/tuning-vs-tuned-resolve.py: Debian's
 * python3 `tuned` modules, includes and variables expanded as the daemon would) into its units' options; this
 * module keeps what can be set live and says, for everything else, why it was not:
 *   [sysctl]   → /proc/sys writes            [sysfs] → the file writes (tuned's globs kept, expanded on the node)
 *   [vm] transparent_hugepages → PATHS.thpEnabled (THP mode)
 *   [scheduler] group.NAME=rule:policy:priority:affinity:regex → chrt of every thread whose "[comm]" matches
 * The shell scripts save each value before writing it and put every saved value back on restore.
 */
import { PATHS } from "../../host/paths.js";
import { shQuote } from "../../pod/quote.js";

/** tuned's units as the resolver prints them: unit name → option → expanded value */
export type ResolvedProfile = Record<string, Record<string, string>>;

export interface LiveWrite {
  /** a path, or a glob tuned expands (/sys/devices/virtual/workqueue/*\/cpumask) */
  path: string;
  value: string;
  unit: string;
}

export interface KthreadRule {
  group: string;
  policy: "f" | "r" | "o" | "b" | "i";
  priority: number;
  /** tuned's regex, matched against "[comm]" as tuned matches kernel threads in ps' output */
  regex: string;
}

export interface TunedLive {
  writes: LiveWrite[];
  kthreads: KthreadRule[];
  /** "unit option: why not applied", one per thing left out */
  skipped: string[];
}

const NOT_LIVE: Record<string, string> = {
  bootloader:
    "boot-time kernel command line (the guest boots with the same command line in every configuration)",
  script: "the profile's script.sh (start() returns 0 in realtime and realtime-virtual-guest)",
  irqbalance: "irqbalance's banned CPUs (no irqbalance runs on the node)",
  cpu: "CPU governor / PM QoS (no cpufreq on the node; cyclictest holds /dev/cpu_dma_latency at 0 itself)",
  net: "NIC channel counts (virtio-net, not measured)",
  rtentsk: "tuned's socket that keeps the rt_entsk static key (held only while tuned's daemon runs)",
  variables: "",
  main: "",
};

export function tunedLiveSettings(profile: ResolvedProfile): TunedLive {
  const writes: LiveWrite[] = [];
  const kthreads: KthreadRule[] = [];
  const skipped: string[] = [];
  for (const [unit, options] of Object.entries(profile)) {
    // tuned's own keys on every unit (type, enabled, devices, replace, …) are not settings
    const settings = Object.entries(options).filter(
      ([k]) =>
        ![
          "type",
          "enabled",
          "devices",
          "devices_udev_regex",
          "replace",
          "uname_regex",
          "cpuinfo_regex",
        ].includes(k),
    );
    if (unit === "sysctl") {
      for (const [k, v] of settings)
        writes.push({ path: `/proc/sys/${k.replaceAll(".", "/")}`, value: v, unit });
    } else if (unit === "sysfs") {
      for (const [k, v] of settings) writes.push({ path: k, value: v, unit });
    } else if (unit === "vm") {
      for (const [k, v] of settings) {
        if (k === "transparent_hugepages" || k === "transparent_hugepage") {
          writes.push({ path: PATHS.thpEnabled, value: v, unit });
        } else skipped.push(`[vm] ${k}: not a live file write kvm4nfv knows`);
      }
    } else if (unit === "scheduler") {
      for (const [k, v] of settings) {
        const rule = /^group\.(.+)$/.exec(k);
        const parts = v.split(":");
        if (rule && parts.length >= 5 && /^[froib]$/.test(parts[1]!) && /^\d+$/.test(parts[2]!)) {
          if (parts[3] !== "*")
            skipped.push(`[scheduler] ${k}: affinity ${parts[3]} not applied (priority only)`);
          kthreads.push({
            group: rule[1]!,
            policy: parts[1] as KthreadRule["policy"],
            priority: Number(parts[2]),
            regex: parts.slice(4).join(":"),
          });
        } else if (k !== "ps_blacklist") {
          skipped.push(
            `[scheduler] ${k}=${v}: not applied (thread affinities: the node's isolcpus already keeps them off)`,
          );
        }
      }
    } else if (unit in NOT_LIVE) {
      if (NOT_LIVE[unit] && settings.length > 0) skipped.push(`[${unit}] ${NOT_LIVE[unit]}`);
    } else if (settings.length > 0) {
      skipped.push(`[${unit}]: a unit kvm4nfv does not apply`);
    }
  }
  return { writes, kthreads, skipped };
}

/**
 * The node-side script that saves and applies the settings. `root` prefixes every written path (a test points
 * it at a directory; on a node it is ""). Each matched file: its path and its current value (a bracketed choice
 * such as "always [madvise] never" saved as the chosen word) go to $S, then the new value is written. Threads:
 * policy and priority saved from /proc/PID/stat, then chrt. Prints "KVM4NFV-OK path" / "KVM4NFV-FAIL path why".
 */
export function applyScript(live: TunedLive, saveDir: string, root = ""): string {
  const lines = [
    `S=${shQuote(saveDir)}`,
    'rm -rf "$S" && mkdir -p "$S" || exit 5',
    "n=0",
    // one write: save, then write (the errno text through cat)
    'w() { v=$1; shift; for f in "$@"; do [ -e "$f" ] || continue; n=$((n+1)); printf "%s" "$f" > "$S/$n.path"; ' +
      'sed -e \'s/.*\\[\\(.*\\)\\].*/\\1/\' "$f" > "$S/$n.val" 2>/dev/null; ' +
      'if e=$( { printf "%s" "$v" | cat > "$f"; } 2>&1 ); then echo "KVM4NFV-OK $f"; else echo "KVM4NFV-FAIL $f $e"; fi; done; }',
  ];
  for (const wr of live.writes) lines.push(`w ${shQuote(wr.value)} ${globQuote(`${root}${wr.path}`)}`);
  if (live.kthreads.length > 0) {
    lines.push(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
      'for d in /proc/[0-9]*; do c=$(cat "$d/comm" 2>/dev/null) && echo "${d#/proc/} [$c]"; done > "$S/ps"',
      // policy ($39 = stat field 41) and rt priority ($38 = field 40), after the "pid (comm) " prefix
      't() { re=$1; pol=$2; pri=$3; for p in $(RE="$re" awk \'{ s = substr($0, index($0, " ") + 1); if (s ~ ENVIRON["RE"]) print $1 }\' "$S/ps"); do ' +
        's=$(sed "s/.*) //" /proc/$p/stat 2>/dev/null) || continue; set -- $s; ' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
        'echo "$p ${39} ${38}" >> "$S/threads"; ' +
        'if chrt -$pol -p $pri $p >/dev/null 2>&1; then echo "KVM4NFV-OK thread $p"; else echo "KVM4NFV-FAIL thread $p"; fi; done; }',
    );
    for (const k of live.kthreads) {
      lines.push(`t ${shQuote(k.regex)} ${k.policy} ${k.priority}`);
    }
  }
  lines.push('echo "KVM4NFV-END"');
  return `${lines.join("\n")}\n`;
}

/** Put back everything applyScript saved (files newest first, then threads), then remove the save directory. */
export function restoreScript(saveDir: string): string {
  return `${[
    `S=${shQuote(saveDir)}`,
    '[ -d "$S" ] || { echo "KVM4NFV-END"; exit 0; }',
    // newest first: a file reached twice (a path and a glob naming the same file) gets its first-saved value last
    'n=$(ls "$S" | grep -c "\\.path$"); while [ "$n" -gt 0 ]; do p="$S/$n.path"; n=$((n-1)); f=$(cat "$p"); ' +
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
      'if cat "${p%.path}.val" > "$f" 2>/dev/null; then echo "KVM4NFV-OK $f"; else echo "KVM4NFV-FAIL $f"; fi; done',
    '[ -e "$S/threads" ] && while read p pol pri; do case $pol in 1) o=-f;; 2) o=-r;; 3) o=-b; pri=0;; 5) o=-i; pri=0;; *) o=-o; pri=0;; esac; ' +
      'chrt $o -p $pri $p >/dev/null 2>&1 && echo "KVM4NFV-OK thread $p" || echo "KVM4NFV-FAIL thread $p"; done < "$S/threads"',
    'rm -rf "$S"',
    'echo "KVM4NFV-END"',
  ].join("\n")}\n`;
}

/** A path for the shell with its * and ? left to expand, everything else quoted. */
export function globQuote(path: string): string {
  return path
    .split(/([*?])/)
    .map((part) => (part === "*" || part === "?" ? part : part === "" ? "" : shQuote(part)))
    .join("");
}
