/**
 * Does a kernel package's build configuration (its /boot/config-RELEASE) carry what KVM4NFV asks of a real-time
 * kernel? The items: KVM4NFV's kernel/arch/x86/configs/opnfv.config (PREEMPT_RT_FULL — PREEMPT_RT since the merge —,
 * NO_HZ_FULL, RCU_NOCB_CPU, HIGH_RES_TIMERS, HZ_1000), the tuning guide's isolation (CPU_ISOLATION, which isolcpus=
 * and nohz_full= housekeeping need since 4.15), and the tracers kvm4nfv's latency instruments read (rtla timerlat
 * and osnoise, hwlatdetect's hwlat). HZ is advice (the kernel rules warn on it), the rest is required.
 */
import { parseKconfig } from "../../host/parse/kconfig.js";

export interface ConfigItem {
  /** the option checked (for PREEMPT_RT: either of two names) */
  option: string;
  want: string;
  /** what the config says ("n" for "is not set" or absent) */
  have: string;
  ok: boolean;
  required: boolean;
  why: string;
}

export interface ConfigVerdict {
  /** where the config text came from (a .deb and its path inside, or a /boot file) */
  source: string;
  items: ConfigItem[];
  /** required items the config lacks: "CONFIG_NO_HZ_FULL=y (have n)" */
  lacks: string[];
  /** advised items that differ */
  differs: string[];
  /** every required item is there */
  ok: boolean;
}

interface Requirement {
  options: string[];
  want: string;
  required: boolean;
  why: string;
  test: (value: string) => boolean;
}

const y = (v: string) => v === "y";

const OPNFV = "KVM4NFV opnfv.config";
export const RT_CONFIG_REQUIREMENTS: readonly Requirement[] = [
  {
    options: ["CONFIG_PREEMPT_RT", "CONFIG_PREEMPT_RT_FULL"],
    want: "y",
    required: true,
    why: `${OPNFV} (PREEMPT_RT_FULL=y before the mainline merge)`,
    test: y,
  },
  { options: ["CONFIG_NO_HZ_FULL"], want: "y", required: true, why: `${OPNFV}; guide: Tickless`, test: y },
  { options: ["CONFIG_RCU_NOCB_CPU"], want: "y", required: true, why: `${OPNFV}; guide: RCU_NOCB`, test: y },
  { options: ["CONFIG_HIGH_RES_TIMERS"], want: "y", required: true, why: OPNFV, test: y },
  {
    options: ["CONFIG_CPU_ISOLATION"],
    want: "y",
    required: true,
    why: "guide: CPU isolation (isolcpus=, nohz_full= housekeeping)",
    test: y,
  },
  { options: ["CONFIG_TIMERLAT_TRACER"], want: "y", required: true, why: "rtla timerlat", test: y },
  { options: ["CONFIG_OSNOISE_TRACER"], want: "y", required: true, why: "rtla osnoise, oslat", test: y },
  { options: ["CONFIG_HWLAT_TRACER"], want: "y", required: true, why: "hwlatdetect", test: y },
  {
    options: ["CONFIG_HZ"],
    want: "1000",
    required: false,
    why: `${OPNFV} (HZ_1000); matters for CPUs outside nohz_full`,
    test: (v) => /^\d+$/.test(v) && Number(v) >= 1000,
  },
];

/** Judge a kernel config text against the requirements. */
export function judgeConfig(text: string, source: string): ConfigVerdict {
  const config = parseKconfig(text);
  const items: ConfigItem[] = RT_CONFIG_REQUIREMENTS.map((r) => {
    // the first name the config knows wins; a name it never mentions reads "n" (the kernel's own default)
    const named =
      r.options.find((o) => config[o] !== undefined && r.test(config[o]!)) ??
      r.options.find((o) => config[o] !== undefined) ??
      r.options[0]!;
    const have = config[named] ?? "n";
    return { option: named, want: r.want, have, ok: r.test(have), required: r.required, why: r.why };
  });
  const show = (i: ConfigItem) => `${i.option}=${i.want} (have ${i.have}; ${i.why})`;
  const lacks = items.filter((i) => i.required && !i.ok).map(show);
  const differs = items.filter((i) => !i.required && !i.ok).map(show);
  return { source, items, lacks, differs, ok: lacks.length === 0 };
}

/** One line: "meets every required item" or "lacks …", then what differs from the advice. */
export function verdictLine(v: ConfigVerdict): string {
  const head = v.ok ? "meets every required item" : `lacks ${v.lacks.join(", ")}`;
  return v.differs.length === 0 ? head : `${head}; differs from advice: ${v.differs.join(", ")}`;
}
