/**
 * A small QMP client over a unix socket (node:net). QMP is CRLF/LF-delimited JSON: a greeting {"QMP":…},
 * then `qmp_capabilities`, then commands {execute, arguments, id} answered by {return|error, id}. Events
 * ({event, data, timestamp}) may arrive at any point, even between a command and its reply, so replies are
 * matched by id, never by order. npm's QMP clients are abandoned or wrong, hence this one.
 */
import { connect, type Socket } from "node:net";
import { Kvm4nfvError } from "../errors.js";

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  /** QMP's own timestamp (host wall clock when QEMU emitted it), as given. */
  timestamp: { seconds: number; microseconds: number };
  /** The same instant in milliseconds since the epoch, for arithmetic. */
  timeMs: number;
}

export interface QmpGreeting {
  version: { qemu: { major: number; minor: number; micro: number }; package?: string };
  capabilities: unknown[];
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

type Listener = (ev: QmpEvent) => void;

const DEFAULT_TIMEOUT_MS = 10_000;

export class QmpClient {
  readonly greeting: QmpGreeting;
  /** Every event received, in arrival order (the raw log kept for run records). */
  readonly events: QmpEvent[] = [];
  private readonly socket: Socket;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private nextId = 1;
  private buffer = "";
  private closedError: Error | null = null;

  private constructor(socket: Socket, greeting: QmpGreeting, rest: string) {
    this.socket = socket;
    this.greeting = greeting;
    socket.on("data", (chunk: Buffer) => this.onData(chunk.toString("utf8")));
    socket.on("error", (err) => this.fail(new Kvm4nfvError("QMP", `QMP socket error: ${err.message}`)));
    socket.on("close", () => this.fail(new Kvm4nfvError("QMP", "QMP socket closed by QEMU")));
    if (rest) this.onData(rest);
  }

  /** Connect, read the greeting and negotiate capabilities. */
  static async connect(path: string, options: { timeoutMs?: number } = {}): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const socket = connect(path);
    const { greeting, rest } = await new Promise<{ greeting: QmpGreeting; rest: string }>(
      (resolve, reject) => {
        let buf = "";
        const timer = setTimeout(() => {
          done();
          socket.destroy();
          reject(new Kvm4nfvError("TIMEOUT", `no QMP greeting on ${path} within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          socket.off("data", onData);
          socket.off("error", onError);
          socket.off("close", onClose);
        };
        const onError = (err: Error) => {
          done();
          socket.destroy();
          reject(new Kvm4nfvError("QMP", `cannot connect to QMP socket ${path}: ${err.message}`));
        };
        const onClose = () => {
          done();
          reject(new Kvm4nfvError("QMP", `QMP socket ${path} closed before the greeting`));
        };
        const onData = (chunk: Buffer) => {
          buf += chunk.toString("utf8");
          const nl = buf.indexOf("\n");
          if (nl < 0) return;
          const line = buf.slice(0, nl).trim();
          done();
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch {
            socket.destroy();
            reject(new Kvm4nfvError("QMP", `malformed QMP greeting: ${line.slice(0, 200)}`));
            return;
          }
          const qmp = (parsed as { QMP?: QmpGreeting }).QMP;
          if (!qmp || typeof qmp !== "object") {
            socket.destroy();
            reject(new Kvm4nfvError("QMP", `expected a QMP greeting, got: ${line.slice(0, 200)}`));
            return;
          }
          resolve({ greeting: qmp, rest: buf.slice(nl + 1) });
        };
        socket.on("data", onData);
        socket.on("error", onError);
        socket.on("close", onClose);
      },
    );
    const client = new QmpClient(socket, greeting, rest);
    try {
      await client.execute("qmp_capabilities", undefined, { timeoutMs });
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** Run one command; resolves with its `return` value, rejects with a QMP error naming the command. */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    options: { timeoutMs?: number } = {},
  ): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Kvm4nfvError("TIMEOUT", `QMP ${command}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      const msg: Record<string, unknown> = { execute: command, id };
      if (args !== undefined) msg.arguments = args;
      this.socket.write(`${JSON.stringify(msg)}\r\n`);
    });
  }

  /** Subscribe to an event by name ("*" for all). Returns the unsubscribe function. */
  on(event: string, cb: Listener): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(cb);
    return () => set.delete(cb);
  }

  /**
   * Resolve with the first event named `name` (matching `predicate`) that arrives from now on, or one already
   * received after `since` (an index into `events`), so an event racing the caller's setup is not missed.
   */
  waitForEvent(
    name: string,
    predicate: (ev: QmpEvent) => boolean = () => true,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    since?: number,
  ): Promise<QmpEvent> {
    if (since !== undefined) {
      const hit = this.events.slice(since).find((e) => e.event === name && predicate(e));
      if (hit) return Promise.resolve(hit);
    }
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<QmpEvent>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        off();
        offClose();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Kvm4nfvError("TIMEOUT", `QMP event ${name} did not arrive within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on(name, (ev) => {
        if (!predicate(ev)) return;
        cleanup();
        resolve(ev);
      });
      const offClose = this.on("__closed", () => {
        cleanup();
        reject(this.closedError ?? new Kvm4nfvError("QMP", "QMP connection closed"));
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Close the connection; pending commands are rejected. */
  close(): void {
    this.fail(new Kvm4nfvError("QMP", "QMP connection closed"));
    this.socket.destroy();
  }

  private onData(text: string): void {
    this.buffer += text;
    for (;;) {
      const nl = this.buffer.indexOf("\n");
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onLine(line);
    }
  }

  private onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      // A garbled stream cannot be resynchronised reliably: fail every pending command with the evidence.
      this.fail(new Kvm4nfvError("QMP", `malformed QMP message: ${line.slice(0, 200)}`));
      this.socket.destroy();
      return;
    }
    if (typeof msg.event === "string") {
      const ts = (msg.timestamp ?? {}) as { seconds?: number; microseconds?: number };
      const seconds = Number(ts.seconds ?? 0);
      const microseconds = Number(ts.microseconds ?? 0);
      const ev: QmpEvent = {
        event: msg.event,
        data: (msg.data ?? {}) as Record<string, unknown>,
        timestamp: { seconds, microseconds },
        timeMs: seconds * 1000 + microseconds / 1000,
      };
      this.events.push(ev);
      this.emit(ev.event, ev);
      this.emit("*", ev);
      return;
    }
    const id = typeof msg.id === "number" ? msg.id : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || id === undefined) return; // a reply to a timed-out command: nobody is waiting
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (msg.error !== undefined) {
      const e = msg.error as { class?: string; desc?: string };
      p.reject(new Kvm4nfvError("QMP", `${p.command}: ${e.class ?? "Error"}: ${e.desc ?? "unknown error"}`));
    } else {
      p.resolve(msg.return);
    }
  }

  private emit(name: string, ev: QmpEvent): void {
    for (const cb of [...(this.listeners.get(name) ?? [])]) cb(ev);
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new Kvm4nfvError("QMP", `${p.command}: ${err.message}`));
    }
    this.emit("__closed", {
      event: "__closed",
      data: {},
      timestamp: { seconds: 0, microseconds: 0 },
      timeMs: 0,
    });
  }
}
