/**
 * The host end of the migration guest's serial line: QEMU's `-chardev socket,server=on,wait=off` on a unix
 * socket, connected from here. Line-based, with `waitFor(regex)` so a reply can be awaited by its token (the
 * kernel may print on the same line discipline; anything that does not match is kept only for the log).
 */
import { connect, type Socket } from "node:net";
import { Kvm4nfvError } from "../errors.js";

export class SerialLine {
  /** Everything received, for the raw log and for error messages. */
  text = "";
  private socket: Socket;
  private waiters = new Set<() => void>();
  private closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (b: Buffer) => {
      // Cap the transcript: a chatty kernel must not grow it without bound over a long sweep.
      this.text = (this.text + b.toString("utf8")).slice(-256 * 1024);
      for (const w of [...this.waiters]) w();
    });
    const end = () => {
      this.closed = true;
      for (const w of [...this.waiters]) w();
    };
    socket.on("close", end);
    socket.on("error", end);
  }

  /** Connect to a chardev socket; QEMU creates it at start-up, so retry briefly until it exists. */
  static async connect(path: string, timeoutMs = 10_000): Promise<SerialLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once("connect", () => {
            s.off("error", reject);
            resolve(s);
          });
          s.once("error", reject);
        });
        return new SerialLine(socket);
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Kvm4nfvError("GUEST_FAILED", `cannot connect to the guest serial socket ${path}`, {
            cause: err,
          });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  send(line: string): void {
    if (!this.closed) this.socket.write(`${line}\n`);
  }

  /**
   * Resolve with the first match of `re` in text received after offset `from` (default: what is already here
   * counts too). Rejects with GUEST_FAILED on timeout or when the line closes, quoting the last output.
   */
  waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = this.text.slice(from).match(re);
        if (m) {
          done();
          resolve(m);
          return true;
        }
        if (this.closed) {
          done();
          reject(new Kvm4nfvError("GUEST_FAILED", `guest serial line closed while waiting for ${re}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        const tail = this.text.slice(-200).replace(/\s+/g, " ").trim();
        reject(
          new Kvm4nfvError("GUEST_FAILED", `guest did not answer ${re} within ${timeoutMs} ms`, {
            hint: tail ? `last output: ${tail}` : "no output at all on the serial line",
          }),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = () => {
        check();
      };
      if (check()) return;
      this.waiters.add(waiter);
    });
  }

  /** Send "ping TOKEN" and wait for "pong TOKEN <uptime>"; returns the guest's uptime in seconds. */
  async ping(token: string, timeoutMs: number): Promise<number> {
    const from = this.text.length;
    this.send(`ping ${token}`);
    const m = await this.waitFor(new RegExp(`pong ${token} ([\\d.]+)`), timeoutMs, from);
    return Number(m[1]);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
