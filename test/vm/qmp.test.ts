import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Kvm4nfvError } from "../../src/errors.js";
import { type Child, realExec } from "../../src/exec.js";
import { QmpClient } from "../../src/vm/qmp.js";

const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "fake"}, "capabilities": []}}\r\n';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvm4nfv-qmp-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("QmpClient against a real QEMU (-machine none)", () => {
  let qemu: Child;
  let client: QmpClient;
  const sock = () => join(dir, "real.sock");

  beforeAll(async () => {
    qemu = realExec.start("qemu-system-x86_64", [
      "-machine",
      "none",
      "-nodefaults",
      "-display",
      "none",
      "-qmp",
      `unix:${sock()},server=on,wait=off`,
    ]);
    for (let i = 0; i < 200 && !existsSync(sock()); i++) await new Promise((r) => setTimeout(r, 50));
    client = await QmpClient.connect(sock());
  });
  afterAll(async () => {
    client?.close();
    await qemu?.stop();
  });

  it("reads the greeting and answers query-version", async () => {
    expect(client.greeting.version.qemu.major).toBe(7);
    const v = await client.execute<{ qemu: { major: number; minor: number } }>("query-version");
    expect(v.qemu).toEqual(expect.objectContaining({ major: 7, minor: 2 }));
  });

  it("answers query-status", async () => {
    const s = await client.execute<{ status: string; running: boolean }>("query-status");
    expect(typeof s.status).toBe("string");
    expect(typeof s.running).toBe("boolean");
  });

  it("turns an unknown command into a QMP error naming the command and class", async () => {
    const err = await client.execute("no-such-command").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Kvm4nfvError);
    expect((err as Kvm4nfvError).code).toBe("QMP");
    expect((err as Kvm4nfvError).message).toMatch(/^no-such-command: CommandNotFound: /);
  });

  it("collects events with their QMP timestamps (STOP after stop)", async () => {
    const since = client.events.length;
    await client.execute("stop");
    const ev = await client.waitForEvent("STOP", () => true, 5000, since);
    expect(ev.timestamp.seconds).toBeGreaterThan(1_600_000_000);
    expect(ev.timeMs).toBeCloseTo(ev.timestamp.seconds * 1000 + ev.timestamp.microseconds / 1000, 3);
  });
});

/** A fake QMP server: sends the greeting, then lets each test script the rest. */
async function fakeServer(
  onCommand: (msg: Record<string, unknown>, sock: Socket) => void,
): Promise<{ path: string; server: Server }> {
  const path = join(dir, `fake-${Math.random().toString(36).slice(2)}.sock`);
  const server = createServer((sock) => {
    sock.write(GREETING);
    let buf = "";
    sock.on("data", (d) => {
      buf += d.toString();
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg.execute === "qmp_capabilities") sock.write(`{"return": {}, "id": ${msg.id}}\r\n`);
        else onCommand(msg, sock);
      }
    });
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(path, r));
  servers.push(server);
  return { path, server };
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe("QmpClient against malformed and hostile streams", () => {
  it("matches replies by id when an event arrives before the reply", async () => {
    const { path } = await fakeServer((msg, sock) => {
      sock.write(
        '{"event": "RESUME", "data": {}, "timestamp": {"seconds": 1700000000, "microseconds": 250000}}\r\n',
      );
      sock.write(`{"return": {"status": "running"}, "id": ${msg.id}}\r\n`);
    });
    const c = await QmpClient.connect(path);
    const seen: string[] = [];
    c.on("RESUME", (e) => seen.push(`${e.event}@${e.timeMs}`));
    await expect(c.execute("query-status")).resolves.toEqual({ status: "running" });
    expect(seen).toEqual(["RESUME@1700000000250"]);
    expect(c.events[0]?.timestamp).toEqual({ seconds: 1700000000, microseconds: 250000 });
    c.close();
  });

  it("reassembles JSON split across chunks, and out-of-order replies", async () => {
    const held: number[] = [];
    const { path } = await fakeServer((msg, sock) => {
      held.push(msg.id as number);
      if (held.length < 2) return;
      // Reply to the second command first, the first one in three fragments.
      sock.write(`{"return": "second", "id": ${held[1]}}\r\n`);
      const text = `{"return": "first", "id": ${held[0]}}\r\n`;
      sock.write(text.slice(0, 5));
      setTimeout(() => sock.write(text.slice(5, 20)), 10);
      setTimeout(() => sock.write(text.slice(20)), 20);
    });
    const c = await QmpClient.connect(path);
    const [a, b] = await Promise.all([c.execute("one"), c.execute("two")]);
    expect([a, b]).toEqual(["first", "second"]);
    c.close();
  });

  it("rejects pending commands with a clear error on a garbage line", async () => {
    const { path } = await fakeServer((_msg, sock) => sock.write("this is not json\r\n"));
    const c = await QmpClient.connect(path);
    await expect(c.execute("query-status")).rejects.toThrow(
      /query-status: malformed QMP message: this is not json/,
    );
    expect(c.closed).toBe(true);
    await expect(c.execute("again")).rejects.toThrow(/malformed QMP message/);
  });

  it("rejects a pending command when the socket closes mid-command", async () => {
    const { path } = await fakeServer((_msg, sock) => sock.destroy());
    const c = await QmpClient.connect(path);
    const err = await c.execute("query-status").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Kvm4nfvError);
    expect((err as Error).message).toMatch(/^query-status: QMP socket closed by QEMU/);
  });

  it("times out a command that gets no reply", async () => {
    const { path } = await fakeServer(() => {});
    const c = await QmpClient.connect(path);
    const err = await c.execute("query-status", undefined, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect((err as Kvm4nfvError).code).toBe("TIMEOUT");
    expect((err as Error).message).toBe("QMP query-status: no reply within 100 ms");
    c.close();
  });

  it("times out waitForEvent and rejects it when the connection closes", async () => {
    const { path } = await fakeServer(() => {});
    const c = await QmpClient.connect(path);
    await expect(c.waitForEvent("MIGRATION", () => true, 50)).rejects.toThrow(
      /MIGRATION did not arrive within 50 ms/,
    );
    const waiting = c.waitForEvent("MIGRATION", () => true, 10_000);
    c.close();
    await expect(waiting).rejects.toThrow(/QMP connection closed/);
  });

  it("reports an error reply with class and description", async () => {
    const { path } = await fakeServer((msg, sock) =>
      sock.write(`{"error": {"class": "GenericError", "desc": "no migration"}, "id": ${msg.id}}\r\n`),
    );
    const c = await QmpClient.connect(path);
    await expect(c.execute("migrate_cancel")).rejects.toThrow("migrate_cancel: GenericError: no migration");
    c.close();
  });

  it("refuses a server whose first line is not a QMP greeting", async () => {
    const path = join(dir, "nogreet.sock");
    const server = createServer((sock) => sock.write('{"hello": 1}\r\n'));
    await new Promise<void>((r) => server.listen(path, r));
    servers.push(server);
    await expect(QmpClient.connect(path)).rejects.toThrow(/expected a QMP greeting/);
  });

  it("fails clearly when nothing listens on the socket", async () => {
    await expect(QmpClient.connect(join(dir, "absent.sock"))).rejects.toThrow(/cannot connect to QMP socket/);
  });
});
