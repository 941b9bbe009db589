// Fleet benchmark: ansible-playbook ansible/fleet.yml over N inventory nodes, with Ansible's forks at 1 (the
// serial baseline, same run) and at N. Nodes are this machine (ansible_connection=local): the figures are
// Ansible's own per-host cost (module transfer, python start, fetch) and how forks overlap it, not SSH
// handshakes. Prints wall times; never asserts. Usage: node bench/fleet.mjs [N=8] [timer seconds=0]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const n = Number(process.argv[2] ?? 8);
const timerS = Number(process.argv[3] ?? 0);
const dir = mkdtempSync(join(tmpdir(), "kvm4nfv-fleet-bench-"));
try {
  const list = spawnSync(
    "node",
    [
      "--input-type=module",
      "-e",
      `
      const { RecordingFs } = await import("${resolve("dist/host/snapshot.js")}");
      const { RootFs } = await import("${resolve("dist/host/fs.js")}");
      const { readHost } = await import("${resolve("dist/host/read.js")}");
      const rec = new RecordingFs(new RootFs("/")); readHost(rec);
      process.stdout.write([...[...rec.reads.keys()].map(p => "read " + p), ...[...rec.lists.keys()].map(p => "list " + p), ...[...rec.existing].map(p => "exists " + p), ""].join("\\n"));`,
    ],
    { encoding: "utf8" },
  );
  const cliList = spawnSync("node", ["bin/kvm4nfv.js", "inspect", "--list-files"], { encoding: "utf8" });
  const files = join(dir, "files.txt");
  writeFileSync(
    files,
    cliList.status === 0 && /^read \//m.test(cliList.stdout) ? cliList.stdout : list.stdout,
  );
  const inv = join(dir, "inv.ini");
  writeFileSync(
    inv,
    `[compute]\n${Array.from({ length: n }, (_, i) => `node${i + 1} ansible_connection=local ansible_python_interpreter=/usr/bin/python3`).join("\n")}\n`,
  );
  const run = (forks) => {
    const fetch = join(dir, `fleet-${forks}`);
    const t = performance.now();
    const r = spawnSync(
      "ansible-playbook",
      [
        "-i",
        inv,
        "ansible/fleet.yml",
        "-f",
        String(forks),
        "-e",
        `kvm4nfv_file_list=${files}`,
        "-e",
        `kvm4nfv_fetch_dir=${fetch}`,
        "-e",
        `kvm4nfv_timer=${timerS > 0}`,
        "-e",
        `kvm4nfv_timer_duration_s=${timerS || 1}`,
      ],
      {
        encoding: "utf8",
        env: { ...process.env, ANSIBLE_CONFIG: resolve("ansible/ansible.cfg"), ANSIBLE_NOCOLOR: "1" },
      },
    );
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`ansible-playbook -f ${forks} failed:\n${r.stdout.slice(-2000)}`);
    const t2 = performance.now();
    const imp = spawnSync(
      "node",
      ["bin/kvm4nfv.js", "pod", "import-fleet", fetch, "--store", join(dir, `s-${forks}.db`)],
      { encoding: "utf8" },
    );
    return { ms, importMs: performance.now() - t2, lines: imp.stdout.trim().split("\n").length - 1 };
  };
  console.log(
    `fleet bench: ${n} nodes (ansible_connection=local on this ${spawnSync("nproc", { encoding: "utf8" }).stdout.trim()}-CPU machine), snapshot${timerS ? ` + ${timerS} s timer test` : ""}`,
  );
  for (const forks of [1, n]) {
    const r = run(forks);
    console.log(
      `  forks ${String(forks).padStart(2)}: playbook ${(r.ms / 1000).toFixed(1)} s (${(r.ms / n / 1000).toFixed(2)} s/node), import-fleet ${(r.importMs / 1000).toFixed(1)} s for ${r.lines} nodes`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
