/**
 * Options several commands share, declared once: the results store, the guest accelerator, the RT CPU list.
 * Help texts name one default store path (results/store.ts: defaultStorePath decides it).
 */
import { Option } from "@commander-js/extra-typings";

export const ACCELERATORS = ["auto", "kvm", "tcg"] as const;

export const STORE_HELP =
  "results store file (default $KVM4NFV_STORE, else $XDG_DATA_HOME/kvm4nfv/results.db, " +
  "else ~/.local/share/kvm4nfv/results.db)";

export function storeOption() {
  return new Option("--store <path>", STORE_HELP);
}

/** --accel; callers add .default("auto") except where the flag's absence itself means something (test timer). */
export function accelOption(description = "guest accelerator: auto probes KVM and falls back to TCG") {
  return new Option("--accel <accel>", description).choices(ACCELERATORS);
}

export function cpusOption(description: string) {
  return new Option("--cpus <list>", description);
}

/**
 * The options object a declared command's action receives, as commander's extra-typings infer it from the option
 * table. Handlers in src/app take these types (`import type`, erased), so a flag renamed here breaks their build.
 */
export type OptsOf<C extends { opts(): object }> = ReturnType<C["opts"]>;

/** A table's options with its defaulted keys optional again: the handler keeps the default for other callers. */
export type Defaulted<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
