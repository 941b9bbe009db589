/**
 * The tracing instruments of the RT guest image: Debian's rtla (timerlat, osnoise; with libtracefs1 and
 * libtraceevent1 found through ldd like every other binary) and rt-tests' hwlatdetect, a Python script, with
 * the Python interpreter and exactly the standard-library modules it imports (asked from the host's own
 * /usr/bin/python3.11, so the list follows the installed Python, not a list written here).
 * Everything comes from installed Debian packages; their versions are part of the image's cache key.
 */
import { readFile } from "node:fs/promises";
import { Kvm4nfvError } from "../errors.js";
import type { Exec } from "../exec.js";

/** Packages whose files go into the image for the tracing instruments. */
export const TRACE_PACKAGES = ["rtla", "python3.11-minimal"] as const;

export const GUEST_PYTHON = "/usr/bin/python3.11";
export const HWLATDETECT = "/usr/sbin/hwlatdetect";

/** Run hwlatdetect's own imports (and its --help, which imports argparse) and list every module file loaded. */
const LIST_MODULES = `
import io, runpy, sys
out = sys.stdout
sys.stdout = io.StringIO()
sys.argv = ["hwlatdetect", "--help"]
try:
    runpy.run_path("${HWLATDETECT}", run_name="__main__")
except SystemExit:
    pass
sys.stdout = out
for f in sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())}):
    if f:
        print(f)
`;

export type ImageFiles = Map<string, { data: Buffer; mode: number }>;

/** Parse `python3 -c LIST_MODULES` output: absolute module paths under /usr/lib/python3.*. */
export function parseModuleList(output: string): string[] {
  return output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^\/usr\/lib\/python3\.\d+\/\S+\.(?:py|so)$/.test(l));
}

/**
 * Add rtla, hwlatdetect, python and their libraries/modules to `files` (image path → content).
 * `addBinary` copies a binary and the libraries ldd names (guest-build's own routine).
 */
export async function addTraceTools(
  exec: Exec,
  files: ImageFiles,
  addBinary: (hostPath: string, imagePath: string) => Promise<void>,
): Promise<void> {
  const rtla = exec.which("rtla");
  if (!rtla) {
    throw new Kvm4nfvError("TOOL_MISSING", "rtla is not installed (needed inside the guest image)", {
      hint: "apt-get install rtla",
    });
  }
  await addBinary(rtla, "usr/bin/rtla");
  const py = await exec.run(GUEST_PYTHON, ["-S", "-E", "-c", LIST_MODULES], {
    timeoutMs: 30_000,
    allowFailure: true,
  });
  const modules = parseModuleList(py.stdout);
  if (py.exitCode !== 0 || !modules.some((m) => m.endsWith("/os.py"))) {
    throw new Kvm4nfvError(
      "TOOL_MISSING",
      `${GUEST_PYTHON} cannot list hwlatdetect's modules (needed inside the guest image)`,
      { hint: "apt-get install python3.11-minimal rt-tests" },
    );
  }
  await addBinary(GUEST_PYTHON, GUEST_PYTHON.slice(1));
  for (const m of modules) files.set(m.slice(1), { data: await readFile(m), mode: 0o644 });
  files.set(HWLATDETECT.slice(1), { data: await readFile(HWLATDETECT), mode: 0o755 });
}
