// The RESP server: Redis clients connect over TCP and talk to one engine.
//
// Each connection parses requests incrementally (runtime/resp-request.ts),
// runs every complete command in arrival order, and writes all replies
// produced by one chunk of input with a single socket write, so pipelined
// commands cost one syscall per batch, not per command. A protocol error
// is answered with Redis's text and the connection is closed; the server and
// the data are untouched. Reading pauses while the socket's send buffer is
// full, so a client that does not read its replies cannot make us buffer
// without bound.
import { createServer, type Server, type Socket } from "node:net";
import { Engine } from "../runtime/engine.ts";
import { RequestParser } from "../runtime/resp-request.ts";
import { RespWriter, RespProtocolError } from "../runtime/resp.ts";
import { ErrorReply, MapReply, OK, SimpleString, Errors, type Reply } from "../runtime/reply.ts";
import { lowerAscii, ascii, utf8 } from "../runtime/bytes.ts";
import type { Session } from "../runtime/context.ts";
import type { ServerConfig } from "./config.ts";

export const SERVER_VERSION = "7.0.15";
const ACTIVE_EXPIRE_INTERVAL_MS = 100;

class Connection {
  readonly session: Session;
  name = "";
  closing = false;
  readonly parser: RequestParser;
  readonly writer = new RespWriter(16 * 1024);
  readonly id: number;
  readonly socket: Socket;
  readonly createdAt = Date.now();

  constructor(id: number, socket: Socket, session: Session, config: ServerConfig) {
    this.id = id;
    this.socket = socket;
    this.session = session;
    this.parser = new RequestParser({
      maxBulkBytes: config.protoMaxBulkLen,
      maxArgs: 2147483647,
      maxInlineBytes: 64 * 1024,
      maxQueryBufferBytes: config.clientQueryBufferLimit,
    });
  }

  get address(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }
}

export class RespServer {
  readonly engine: Engine;
  readonly config: ServerConfig;
  private readonly servers: Server[] = [];
  private readonly connections = new Map<number, Connection>();
  private nextClientId = 1;
  private expireTimer: ReturnType<typeof setInterval> | undefined;
  readonly startedAt = Date.now();

  constructor(engine: Engine, config: ServerConfig) {
    this.engine = engine;
    this.config = config;
  }

  /** Listens on every bind address; returns the addresses it got. */
  async listen(): Promise<string[]> {
    const bound: string[] = [];
    for (const host of this.config.bind) {
      const server = createServer((socket) => this.accept(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen({ host, port: this.config.port }, () => resolve());
        });
        this.servers.push(server);
        const addr = server.address();
        bound.push(typeof addr === "object" && addr !== null ? `${addr.address}:${addr.port}` : String(addr));
      } catch (error) {
        // An IPv6 loopback that the machine lacks is not fatal, as in Redis.
        if (host === "::1" && bound.length > 0) continue;
        throw error;
      }
    }
    this.expireTimer = setInterval(() => this.engine.activeExpire(1), ACTIVE_EXPIRE_INTERVAL_MS);
    return bound;
  }

  async close(): Promise<void> {
    clearInterval(this.expireTimer);
    for (const c of this.connections.values()) c.socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.config.maxclients) {
      socket.end("-ERR max number of clients reached\r\n");
      return;
    }
    socket.setNoDelay(true);
    const conn = new Connection(this.nextClientId++, socket, this.engine.newSession(), this.config);
    this.connections.set(conn.id, conn);
    socket.on("data", (chunk: Buffer) => this.onData(conn, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    socket.on("drain", () => socket.resume());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.connections.delete(conn.id));
  }

  private onData(conn: Connection, chunk: Uint8Array): void {
    if (conn.closing) return;
    try {
      conn.parser.feed(chunk);
      for (;;) {
        const args = conn.parser.next();
        if (args === null) break;
        if (args.length === 0) continue;
        conn.writer.write(this.handle(conn, args), conn.session.protocol);
        if (conn.closing) break;
      }
    } catch (error) {
      if (!(error instanceof RespProtocolError)) throw error;
      conn.writer.write(new ErrorReply(`ERR ${error.message}`), conn.session.protocol);
      conn.closing = true;
    }
    if (conn.writer.length > 0) {
      const flushed = conn.socket.write(conn.writer.take());
      if (!flushed) conn.socket.pause();
    }
    if (conn.closing) conn.socket.end();
  }

  private handle(conn: Connection, args: Uint8Array[]): Reply {
    switch (lowerAscii(args[0]!)) {
      case "quit":
        conn.closing = true;
        return OK;
      case "hello":
        return this.hello(conn, args);
      case "client":
        return this.client(conn, args);
      case "reset":
        conn.session.db = 0;
        conn.session.protocol = 2;
        conn.name = "";
        return new SimpleString("RESET");
      default:
        return this.engine.execute(conn.session, args);
    }
  }

  // HELLO [protover [AUTH username password] [SETNAME clientname]]
  private hello(conn: Connection, args: Uint8Array[]): Reply {
    let protocol = conn.session.protocol;
    if (args.length >= 2) {
      const v = Number(ascii(args[1]!));
      if (!Number.isInteger(v)) return new ErrorReply("ERR Protocol version is not an integer or out of range");
      if (v < 2 || v > 3) return new ErrorReply("NOPROTO unsupported protocol version");
      protocol = v as 2 | 3;
    }
    for (let i = 2; i < args.length; i++) {
      const opt = lowerAscii(args[i]!);
      if (opt === "setname" && i + 1 < args.length) conn.name = ascii(args[++i]!);
      else if (opt === "auth" && i + 2 < args.length) i += 2; // no passwords yet: any credentials are accepted
      else return new ErrorReply(`ERR Syntax error in HELLO option '${ascii(args[i]!)}'`);
    }
    conn.session.protocol = protocol;
    return new MapReply([
      [utf8("server"), utf8("redis")],
      [utf8("version"), utf8(SERVER_VERSION)],
      [utf8("proto"), protocol],
      [utf8("id"), conn.id],
      [utf8("mode"), utf8("standalone")],
      [utf8("role"), utf8("master")],
      [utf8("modules"), []],
    ]);
  }

  // CLIENT ID | SETNAME name | GETNAME | LIST | INFO
  private client(conn: Connection, args: Uint8Array[]): Reply {
    if (args.length < 2) return Errors.wrongArity("client");
    const sub = lowerAscii(args[1]!);
    switch (sub) {
      case "id": return conn.id;
      case "getname": return conn.name === "" ? null : utf8(conn.name);
      case "setname": {
        if (args.length !== 3) return Errors.wrongArity("client|setname");
        const name = ascii(args[2]!);
        if (/[\s]/.test(name)) return new ErrorReply("ERR Client names cannot contain spaces, newlines or special characters.");
        conn.name = name;
        return OK;
      }
      case "info": return utf8(this.clientLine(conn) + "\n");
      case "list": return utf8([...this.connections.values()].map((c) => this.clientLine(c) + "\n").join(""));
      default:
        return new ErrorReply(`ERR unknown subcommand '${ascii(args[1]!)}'. Try CLIENT HELP.`);
    }
  }

  private clientLine(c: Connection): string {
    const age = Math.floor((Date.now() - c.createdAt) / 1000);
    return `id=${c.id} addr=${c.address} name=${c.name} age=${age} db=${c.session.db} resp=${c.session.protocol}`;
  }
}
