/**
 * The QEMU argv, run by the real qemu-system-x86_64 (Debian's QEMU 7.2) paused (-S), with a QMP conversation on the
 * socket the argv names. Only what this machine cannot do is changed, each change named: accel=kvm → tcg (with a
 * 32 MiB translation buffer, which mem-lock=on locks) and
 * -cpu host… → max (KVM cannot run guests here), host-nodes → 0 (one NUMA node here), the QMP path → a temp dir,
 * and, for the conversation, hugetlb=off when this machine has no free hugepages of the size (the hugetlb path is
 * the refusal test). The libvirt XML is validated by libvirt's own virt-xml-validate (domain schema).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emitLibvirt } from "../../src/tuning/emit/libvirt.js";
import { qemuSpec } from "../../src/tuning/emit/qemu.js";
import { derivePlan } from "../../src/tuning/plan.js";
import { QmpClient } from "../../src/vm/qmp.js";
import { baseline } from "../helpers/host.js";

const plan = derivePlan(baseline(), { role: "host", rtCpus: 16 });
const spec = qemuSpec(plan);
const tmp = mkdtempSync(join(tmpdir(), "kvm4nfv-qemu-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

const arg = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1]!;

/** The emitted argv with this machine's limits applied (see the header), plus -S. */
function forThisMachine(argv: string[], qmp: string, opts: { hugetlb: boolean; sizeMiB?: number }): string[] {
  return [
    ...argv.map((a, i) => {
      const flag = argv[i - 1];
      // TCG's default 1 GiB translation buffer would be mlocked too (mem-lock=on): 32 MiB is plenty paused
      if (flag === "-machine") return a.replace(",accel=kvm", "");
      if (flag === "-cpu") return "max";
      if (flag === "-qmp") return `unix:${qmp},server=on,wait=off`;
      if (flag === "-m" && opts.sizeMiB) return `${opts.sizeMiB}M`;
      if (flag === "-object" && a.startsWith("memory-backend-memfd")) {
        let b = a.replace(/host-nodes=\d+/, "host-nodes=0");
        if (opts.sizeMiB) b = b.replace(/size=\d+M/, `size=${opts.sizeMiB}M`);
        if (!opts.hugetlb) b = b.replace("hugetlb=on", "hugetlb=off").replace(/,hugetlbsize=[^,]+/, "");
        return b;
      }
      return a;
    }),
    "-accel",
    "tcg,tb-size=32",
    "-S",
  ];
}

/** Start QEMU; resolves when the QMP socket exists, or with its exit status and stderr when it ends first. */
async function start(
  argv: string[],
  qmp: string,
): Promise<{ child?: ChildProcess; status?: number | null; stderr: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await new Promise((r) => setTimeout(r, 50)); // the last stderr chunk
      return { status: child.exitCode, stderr };
    }
    if (existsSync(qmp)) return { child, stderr };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`QEMU neither listened on ${qmp} nor exited within 20 s: ${stderr}`);
}

function freeHugepages(sizeKiB: number): number {
  const f = `/sys/kernel/mm/hugepages/hugepages-${sizeKiB}kB/free_hugepages`;
  return existsSync(f) ? Number(readFileSync(f, "utf8")) : 0;
}

describe("the emitted argv", () => {
  it("has no -mem-path, a QMP socket, and libvirt's timer and memory choices", () => {
    expect(spec.argv.join(" ")).not.toMatch(/mem-path|memory-backend-file/);
    expect(arg(spec.argv, "-qmp")).toBe(`unix:${spec.qmp},server=on,wait=off`);
    expect(arg(spec.argv, "-machine")).toContain("hpet=off");
    expect(arg(spec.argv, "-object")).toMatch(
      /^memory-backend-memfd,id=mem0,size=1024M,hugetlb=on,hugetlbsize=1G,prealloc=on,share=off,merge=off,host-nodes=1,policy=bind$/,
    );
    const xml = emitLibvirt(plan);
    expect(xml).toContain("<timer name='hpet' present='no'/>");
    expect(xml).toContain("<nosharepages/>");
    expect(xml).toContain("<timer name='rtc' tickpolicy='catchup'/>");
    expect(xml).toContain("<timer name='pit' tickpolicy='delay'/>");
  });

  it("is accepted by QEMU 7.2 and answers over QMP as planned (HPET off, KSM off, bound, vCPU threads)", async () => {
    const qmp = join(tmp, "conv.qmp");
    const hugetlb = freeHugepages(2048) >= 2;
    const argv = forThisMachine(spec.argv, qmp, { hugetlb, sizeMiB: 4 });
    // a 2 MiB-page backend of 4 MiB when this machine has free 2 MiB pages; the emitted one asks for 1 GiB pages
    if (hugetlb)
      argv[argv.indexOf("-object") + 1] = argv[argv.indexOf("-object") + 1]!.replace(
        "hugetlbsize=1G",
        "hugetlbsize=2M",
      );
    const started = await start(argv, qmp);
    expect(started.stderr).toBe("");
    expect(started.child).toBeDefined();
    const c = await QmpClient.connect(qmp);
    try {
      const status = await c.execute<{ status: string }>("query-status");
      expect(status.status).toBe("prelaunch");
      const cpus = await c.execute<{ "cpu-index": number; "thread-id": number }[]>("query-cpus-fast");
      expect(cpus.map((x) => x["cpu-index"])).toEqual(spec.pinning.vcpus.map((v) => v.vcpu));
      // the pinning step's input: real thread ids, each a thread of this QEMU
      for (const x of cpus)
        expect(readdirSync(`/proc/${started.child!.pid}/task`)).toContain(String(x["thread-id"]));
      expect(await c.execute("qom-get", { path: "/machine", property: "hpet" })).toBe(false);
      const [mem] = await c.execute<Record<string, unknown>[]>("query-memdev");
      expect(mem).toMatchObject({
        id: "mem0",
        merge: false,
        prealloc: true,
        share: false,
        policy: "bind",
        "host-nodes": [0],
      });
      expect(await c.execute("qom-get", { path: "/objects/mem0", property: "hugetlb" })).toBe(hugetlb);
      await c.execute("quit");
    } finally {
      c.close();
    }
  }, 60_000);

  it("refuses to start when the hugepage pool cannot back the guest (no silent fallback)", async () => {
    const sizeKiB = plan.guest!.hugepages.sizeKiB;
    const needed = plan.guest!.memoryMiB / (sizeKiB / 1024);
    if (freeHugepages(sizeKiB) >= needed) return; // this machine could really back it: nothing to refuse
    const qmp = join(tmp, "refuse.qmp");
    const argv = forThisMachine(spec.argv, qmp, { hugetlb: true });
    // QEMU opens the QMP socket before it maps guest RAM: wait for its exit, not for the socket
    const r = spawnSync(argv[0]!, argv.slice(1), {
      encoding: "utf8",
      timeout: 30_000,
      killSignal: "SIGKILL",
    });
    expect(r.signal).toBeNull(); // killed by the timeout = it started without the hugepages
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unable to map backing store for guest RAM: Cannot allocate memory/);
  }, 60_000);

  it("(the defect it replaces) a memory-backend-file on a plain directory starts silently on a regular file", async () => {
    const dir = mkdtempSync(join(tmp, "not-hugetlbfs-"));
    const qmp = join(tmp, "defect.qmp");
    const argv = forThisMachine(spec.argv, qmp, { hugetlb: false, sizeMiB: 4 });
    const i = argv.indexOf("-object") + 1;
    argv[i] =
      `memory-backend-file,id=mem0,size=4M,mem-path=${dir},prealloc=on,share=off,host-nodes=0,policy=bind`;
    const r = await start(argv, qmp);
    expect(r.child).toBeDefined(); // QEMU runs: nothing told the user the guest has no hugepages
    r.child!.kill("SIGKILL");
  }, 60_000);
});

describe("libvirt domain XML", () => {
  it("is valid for libvirt's domain schema (virt-xml-validate)", () => {
    const file = join(tmp, "domain.xml");
    writeFileSync(file, emitLibvirt(plan));
    const r = spawnSync("virt-xml-validate", [file, "domain"], { encoding: "utf8" });
    if (r.error) throw r.error;
    expect(r.stderr).toMatch(/ validates\n$/);
    expect(r.status).toBe(0);
  });

  it("is really validated: a broken domain is rejected", () => {
    const file = join(tmp, "broken.xml");
    writeFileSync(
      file,
      emitLibvirt(plan).replace("<vcpu placement='static'>", "<vcpu placement='everywhere'>"),
    );
    expect(spawnSync("virt-xml-validate", [file, "domain"], { encoding: "utf8" }).status).not.toBe(0);
  });
});
