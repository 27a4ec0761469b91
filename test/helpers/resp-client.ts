// A minimal RESP client over TCP that returns each reply's raw bytes, so
// tests can compare replies byte for byte. Commands are sent one at a time or
// pipelined; replies are split with the runtime's RESP parser.
import { createConnection, type Socket } from "node:net";
import { encodeCommand, parseValue, type RespValue } from "../../runtime/resp.ts";
import { toBytes, concatBytes, type Arg } from "../../runtime/bytes.ts";

export interface RawReply {
  bytes: Uint8Array;
  value: RespValue;
}

export class RespClient {
  private buffer: Uint8Array = new Uint8Array(0);
  private waiting: Array<(r: RawReply) => void> = [];
  private readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.onData(new Uint8Array(chunk)));
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      socket.once("connect", () => resolve(new RespClient(socket)));
      socket.once("error", reject);
    });
  }

  private onData(chunk: Uint8Array): void {
    this.buffer = this.buffer.length === 0 ? chunk : concatBytes([this.buffer, chunk]);
    for (;;) {
      if (this.waiting.length === 0) return;
      const r = parseValue(this.buffer, 0);
      if (r === "incomplete") return;
      const bytes = this.buffer.slice(0, r.consumed);
      this.buffer = this.buffer.subarray(r.consumed);
      this.waiting.shift()!({ bytes, value: r.value });
    }
  }

  send(...args: Arg[]): Promise<RawReply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(encodeCommand(args.map(toBytes)));
    });
  }

  /** Sends many commands in one write and waits for all replies. */
  pipeline(commands: Arg[][]): Promise<RawReply[]> {
    const replies = commands.map(() => new Promise<RawReply>((resolve) => this.waiting.push(resolve)));
    this.socket.write(concatBytes(commands.map((c) => encodeCommand(c.map(toBytes)))));
    return Promise.all(replies);
  }

  close(): void {
    this.socket.destroy();
  }
}
