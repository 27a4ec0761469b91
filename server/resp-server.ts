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
//
// TLS (--tls-port) serves the same protocol over node:tls: a TLS socket is a
// net.Socket to everything below the handshake, so both listeners hand their
// sockets to the same `accept`. Client certificates are checked by the
// handshake (tls-auth-clients yes), or only when given (optional).
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from "node:tls";
import { readFileSync } from "node:fs";
import { Engine } from "../runtime/engine.ts";
import { RequestParser } from "../runtime/resp-request.ts";
import { RespWriter, RespProtocolError } from "../runtime/resp.ts";
import { ErrorReply, OK, PushReply, SimpleString, Errors, type Reply } from "../runtime/reply.ts";
import { lowerAscii, ascii, utf8 } from "../runtime/bytes.ts";
import { Client, BLOCKED, NO_REPLY, refuseWriteOnReplica, type Outcome } from "../runtime/client.ts";
import { startsWithNativeCommand } from "../runtime/batch.ts";
import { ConfigError, type ServerConfig } from "./config.ts";
import { renderInfo } from "./info.ts";
import { REDIS_VERSION } from "../runtime/commands/security.ts";
import { PROTECTED_MODE_DENIED, protectedModeRefuses } from "./protected-mode.ts";
import { adminOf, type Admin, type ConnectionInfo } from "../runtime/admin/admin.ts";
import type { RequestLimits } from "../runtime/resp-request.ts";
import { clientInfoLine } from "../runtime/commands/admin.ts";

import type { CommitGate } from "../runtime/log/gate.ts";
import type { Persistence } from "../runtime/log/persistence.ts";

/** What a durable server adds: the gate replies wait at, and snapshots. */
export interface ServerDurability {
  gate: CommitGate;
  persistence: Persistence;
}

/** A read replica or a standby (server/replica.ts): it refuses writes and says how far behind it is. */
export interface ServerReplication {
  /** INFO replication lines. */
  infoLines(): string[];
  /** INFO persistence lines. */
  persistenceLines(): string[];
}

/** A reply held until the log commits `lsn` (Infinity: a deferred reply not produced yet). */
interface HeldReply {
  lsn: number;
  bytes: Uint8Array;
  /** A pub/sub message: it waits for its commit however long that takes, and never turns into an error. */
  push: boolean;
  /** A read that ran without the primary's lease: it waits until the lease is held again. */
  lease: boolean;
  /** How many replies `bytes` holds (a run of native writes shares one entry). */
  count: number;
}

export const SERVER_VERSION = REDIS_VERSION;
const ACTIVE_EXPIRE_INTERVAL_MS = 100;

/** The largest bulk the core's executor accepts (core-wasm/exec.ts BULK_BYTES_MAX). */
const NATIVE_BULK_BYTES_MAX = 512 * 1024 * 1024;
/** How often idle clients and soft output-buffer limits are checked (Redis's clientsCron runs at hz). */
const CLIENTS_CRON_INTERVAL_MS = 100;
/** How long a graceful shutdown waits for peers to take their last replies. */
const SHUTDOWN_DRAIN_MS_MAX = 2000;

class Connection implements ConnectionInfo {
  readonly client: Client;
  /**
   * Replies that wait for the log (durability): in arrival order, each with
   * the LSN it waits for. Replies behind one that waits, wait too, so a
   * connection's replies leave in the order its commands came.
   */
  private held: HeldReply[] = [];
  private heldHead = 0;
  private readonly scratch = new RespWriter(256);
  /** The server's gate, looked up each time: a standby gets one when it is promoted. */
  private readonly gateOf: () => CommitGate | undefined;
  private get gate(): CommitGate | undefined {
    return this.gateOf();
  }
  /** Called when this connection starts holding replies (the server releases them on commit). */
  onHold: (c: Connection) => void = () => {};
  closing = false;
  /** True while a chunk of input is being run; replies are then flushed once at the end. */
  processing = false;
  private flushScheduled = false;
  readonly parser: RequestParser;
  readonly writer = new RespWriter(16 * 1024);
  readonly socket: Socket;
  readonly createdAt = Date.now();
  /** This connection as a CLIENT LIST line (set by the server). */
  describeLine: () => string = () => "";
  lastInteraction = Date.now();
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  readonly isLocal: boolean;
  /** When the output buffer went over its soft limit (0: it is under). */
  softLimitSince = 0;
  private readonly limitExceeded: (c: Connection) => void;

  constructor(
    engine: Engine, socket: Socket, limits: RequestLimits, process: (c: Connection) => void,
    limitExceeded: (c: Connection) => void, gateOf: () => CommitGate | undefined,
  ) {
    this.socket = socket;
    this.gateOf = gateOf;
    this.limitExceeded = limitExceeded;
    this.addr = `${socket.remoteAddress}:${socket.remotePort}`;
    this.laddr = `${socket.localAddress}:${socket.localPort}`;
    this.fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    const remote = socket.remoteAddress ?? "";
    this.isLocal = remote === "::1" || remote.startsWith("127.") || remote.startsWith("::ffff:127.");
    this.client = new Client(engine, {
      deliver: (reply) => {
        if (this.closing) return;
        const gate = this.gate;
        this.output(reply, gate === undefined ? 0 : gate.deliveryLsn());
        if (this.outputBufferBytes() > 0) this.limitExceeded(this);
        this.scheduleFlush();
      },
      resumed: () => queueMicrotask(() => process(this)),
      disconnect: () => {
        this.closing = true;
        // A command of this very connection finishes first: its reply is written, then the socket ends.
        if (!this.processing) this.flush();
      },
      describe: () => this.describeLine(),
    });
    this.parser = new RequestParser(limits);
    this.parser.authRequired = () => this.client.needsAuth;
  }

  queryBufferBytes(): number {
    return this.parser.buffered;
  }

  /** Reply bytes not yet taken by the peer: in our writer and in the socket's queue. */
  outputBufferBytes(): number {
    return this.writer.length + this.socket.writableLength;
  }

  kill(afterReply: boolean): void {
    if (afterReply) {
      this.closing = true;
      if (!this.processing) this.flush();
    } else {
      this.closing = true;
      this.socket.destroy();
    }
  }

  get id(): number {
    return this.client.id;
  }

  get address(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  get holding(): boolean {
    return this.heldHead < this.held.length;
  }

  /**
   * Writes a reply that may leave once the log has committed `lsn` (0: at
   * once) and, for a read that ran without the lease (`lease`), once the
   * primary holds its lease again.
   */
  output(reply: Reply, lsn: number, lease = false): void {
    const gate = this.gate;
    if (gate === undefined || ((lsn === 0 || (!this.holding && lsn <= gate.commitLsn)) && !lease)) {
      if (this.holding) this.hold(reply, 0);
      else this.writer.write(reply, this.client.session.protocol);
      return;
    }
    if (!(reply instanceof PushReply) && (gate.failsNow(lsn) || (lease && gate.leaseFailsNow()))) {
      const error = lease && gate.leaseFailsNow() ? gate.leaseLost() : gate.notDurable();
      if (this.holding) this.hold(error, 0);
      else this.writer.write(error, this.client.session.protocol);
      return;
    }
    this.hold(reply, lsn, lease);
  }

  private hold(reply: Reply, lsn: number, lease = false): HeldReply {
    this.scratch.write(reply, this.client.session.protocol);
    return this.holdBytes(this.scratch.take(), 1, lsn, reply instanceof PushReply, lease);
  }

  private holdBytes(bytes: Uint8Array, count: number, lsn: number, push: boolean, lease: boolean): HeldReply {
    const entry = { lsn, bytes, push, lease, count };
    if (!this.holding) this.onHold(this);
    this.held.push(entry);
    return entry;
  }

  /**
   * Writes the replies of a run of native writes (`count` of them, encoded in
   * `bytes`, which this keeps) that may leave together once the log has
   * committed `lsn`, their one record (0: at once).
   */
  outputRun(bytes: Uint8Array, count: number, lsn: number): void {
    const gate = this.gate;
    if (gate === undefined || ((lsn === 0 || lsn <= gate.commitLsn) && !this.holding)) {
      this.writer.raw(bytes);
      return;
    }
    this.holdBytes(bytes, count, lsn, false, false);
    if (gate.failsNow(lsn)) this.failHeld(gate.commitLsn, gate.notDurable(), null);
  }

  /** A place for a reply produced later (SAVE): `settle` fills it in and lets it go. */
  deferred(): (reply: Reply) => void {
    const entry = this.hold(OK, Infinity);
    return (reply) => {
      this.scratch.write(reply, this.client.session.protocol);
      entry.bytes = this.scratch.take();
      entry.lsn = 0;
      this.release(this.gate?.commitLsn ?? 0);
      if (!this.processing) this.flush();
    };
  }

  /** Moves held replies whose LSN is committed (and everything before them) to the writer. */
  release(commitLsn: number): void {
    const held = this.held;
    let head = this.heldHead;
    const leaseHeld = this.gate?.leaseHeld() ?? true;
    while (head < held.length && held[head]!.lsn <= commitLsn && (leaseHeld || !held[head]!.lease)) this.writer.raw(held[head++]!.bytes);
    if (head === held.length) {
      this.held = [];
      this.heldHead = 0;
    } else {
      this.heldHead = head;
    }
  }

  /** The log cannot commit what held replies wait for (or renew the lease reads wait for): they become NOTDURABLE errors. */
  failHeld(commitLsn: number, error: Reply, leaseError: Reply | null): void {
    const encode = (reply: Reply): Uint8Array => {
      this.scratch.write(reply, this.client.session.protocol);
      return this.scratch.take();
    };
    const bytes = encode(error);
    const leaseBytes = leaseError === null ? null : encode(leaseError);
    for (let i = this.heldHead; i < this.held.length; i++) {
      const entry = this.held[i]!;
      if (entry.lsn === Infinity || entry.push) continue;
      if (entry.lease && leaseBytes !== null) {
        entry.lsn = 0;
        entry.lease = false;
        entry.bytes = leaseBytes;
      } else if (entry.lsn > commitLsn) {
        entry.lsn = 0;
        entry.lease = false;
        entry.bytes = entry.count === 1 ? bytes : repeatBytes(bytes, entry.count);
      }
    }
    this.release(commitLsn);
  }

  private scheduleFlush(): void {
    if (this.processing || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  flush(): void {
    if (this.writer.length > 0 && !this.socket.destroyed) {
      // A copy the socket may keep until it is sent; small ones come from
      // Buffer's shared pool rather than one allocation each.
      const view = this.writer.takeView();
      const out = Buffer.allocUnsafe(view.length);
      out.set(view);
      const flushed = this.socket.write(out);
      this.lastInteraction = Date.now();
      if (!flushed) {
        this.socket.pause();
        this.limitExceeded(this);
      }
    }
    if (this.closing && !this.holding) this.socket.end();
  }
}

export class RespServer {
  readonly engine: Engine;
  readonly config: ServerConfig;
  private readonly servers: Server[] = [];
  private readonly connections = new Map<number, Connection>();
  private expireTimer: ReturnType<typeof setInterval> | undefined;
  private clientsTimer: ReturnType<typeof setInterval> | undefined;
  private totalConnections = 0;
  readonly startedAt = Date.now();
  durability: ServerDurability | undefined;
  private gate: CommitGate | undefined;
  /** Set while this server follows the log as a replica or standby: writes are refused. */
  replication: ServerReplication | undefined;
  /** Connections holding replies for the log. */
  private readonly holding = new Set<Connection>();
  readonly admin: Admin;
  /** Shared by every connection's parser, so CONFIG SET of the limits reaches existing clients. */
  readonly requestLimits: RequestLimits;
  private shuttingDown = false;
  /** Set by executeDurableWrites: the core handed back a command of the run (it goes through JS next). */
  private durableRunShort = false;

  /**
   * Whether input may go to the core's executor directly: its parser's
   * bulk limit is the default 512 MB, so it may not when a lower
   * proto-max-bulk-len is set (the JS parser enforces that).
   */
  private get nativeInput(): boolean {
    return this.requestLimits.maxBulkBytes >= NATIVE_BULK_BYTES_MAX;
  }

  constructor(engine: Engine, config: ServerConfig, durability?: ServerDurability, replication?: ServerReplication) {
    this.engine = engine;
    this.config = config;
    this.replication = replication;
    if (durability !== undefined) this.attachDurability(durability);
    this.admin = adminOf(engine);
    this.requestLimits = {
      maxBulkBytes: config.protoMaxBulkLen,
      maxArgs: 2147483647,
      maxInlineBytes: 64 * 1024,
      maxQueryBufferBytes: config.clientQueryBufferLimit,
    };
  }

  /** Replies wait at this gate from now on (at start, or when a standby is promoted). */
  private attachDurability(durability: ServerDurability): void {
    this.durability = durability;
    const gate = durability.gate;
    this.gate = gate;
    const releaseAll = (): void => {
      for (const c of this.holding) {
        c.release(gate.commitLsn);
        if (!c.holding) this.holding.delete(c);
        if (!c.processing) c.flush();
      }
    };
    gate.replicator.onCommit(releaseAll);
    gate.replicator.onLease((held) => { if (held) releaseAll(); });
    gate.replicator.onStateChange((state) => {
      if (state !== "stalled" && state !== "fenced") return;
      const error = gate.notDurable();
      const leaseError = gate.leaseHeld() ? null : gate.leaseLost();
      for (const c of this.holding) {
        c.failHeld(gate.commitLsn, error, leaseError);
        if (!c.holding) this.holding.delete(c);
        if (!c.processing) c.flush();
      }
    });
  }

  /** A standby elected primary: writes are served from now on, through the gate. */
  promote(durability: ServerDurability): void {
    this.attachDurability(durability);
    this.replication = undefined;
  }

  /**
   * Listens on every bind address, for plain TCP on `port` and for TLS on
   * `tls-port` if set; returns the addresses it got (TLS ones marked "tls").
   * As in Redis, port 0 with a TLS port serves TLS only; port 0 without one
   * takes an ephemeral port (for tests that embed the server).
   */
  async listen(): Promise<string[]> {
    const bound: string[] = [];
    const tls = this.config.tlsPort !== 0 ? this.tlsOptions() : undefined;
    if (this.config.port !== 0 || tls === undefined) {
      await this.listenOnAll(bound, this.config.port, "", () => createServer((socket) => this.accept(socket)));
    }
    if (tls !== undefined) {
      await this.listenOnAll(bound, this.config.tlsPort, " (tls)", () => {
        const server = createTlsServer(tls, (socket) => this.acceptTls(socket));
        // A failed handshake (no or a bad client certificate, not TLS at
        // all) only ends that socket.
        server.on("tlsClientError", (_error, socket) => socket.destroy());
        return server;
      });
    }
    this.expireTimer = setInterval(() => {
      // Keys do not expire on their own while clients are paused, as in Redis,
      // nor on a replica: the primary's deletions come with the log.
      if (!this.admin.activeExpireEnabled || this.admin.writesPaused || this.replication !== undefined) return;
      const gate = this.gate;
      if (gate === undefined) {
        this.engine.activeExpire(1);
        return;
      }
      // While the log cannot commit, keys expire only when touched.
      if (gate.state !== "serving") return;
      this.engine.activeExpire(1);
      gate.afterBackground();
    }, ACTIVE_EXPIRE_INTERVAL_MS);
    this.clientsTimer = setInterval(() => this.clientsCron(), CLIENTS_CRON_INTERVAL_MS);
    return bound;
  }

  private async listenOnAll(bound: string[], port: number, label: string, make: () => Server): Promise<void> {
    const before = bound.length;
    for (const host of this.config.bind) {
      const server = make();
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen({ host, port }, () => resolve());
        });
        this.servers.push(server);
        const addr = server.address();
        bound.push((typeof addr === "object" && addr !== null ? `${addr.address}:${addr.port}` : String(addr)) + label);
      } catch (error) {
        // An IPv6 loopback that the machine lacks is not fatal, as in Redis.
        if (host === "::1" && bound.length > before) continue;
        throw error;
      }
    }
  }

  /** The TLS settings from tls-* directives, with Redis's start-up checks. */
  private tlsOptions(): TlsOptions {
    const { tlsCertFile, tlsKeyFile, tlsCaCertFile, tlsAuthClients } = this.config;
    if (tlsCertFile === undefined || tlsKeyFile === undefined) {
      throw new ConfigError("tls-port needs tls-cert-file and tls-key-file");
    }
    if (tlsAuthClients !== "no" && tlsCaCertFile === undefined) {
      throw new ConfigError("tls-ca-cert-file must be given when tls-auth-clients is yes or optional");
    }
    const read = (file: string) => {
      try {
        return readFileSync(file);
      } catch (error) {
        throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
      }
    };
    return {
      cert: read(tlsCertFile),
      key: read(tlsKeyFile),
      ...(tlsCaCertFile === undefined ? {} : { ca: read(tlsCaCertFile) }),
      requestCert: tlsAuthClients !== "no",
      rejectUnauthorized: tlsAuthClients === "yes",
      minVersion: "TLSv1.2",
    };
  }

  private acceptTls(socket: TLSSocket): void {
    // optional: a client may come without a certificate, but one it gives must be valid.
    if (this.config.tlsAuthClients === "optional" && !socket.authorized) {
      const peer = socket.getPeerCertificate();
      if (peer !== null && Object.keys(peer).length > 0) {
        socket.destroy();
        return;
      }
    }
    this.accept(socket);
  }

  async close(): Promise<void> {
    clearInterval(this.expireTimer);
    clearInterval(this.clientsTimer);
    for (const c of this.connections.values()) c.socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }

  /**
   * Graceful shutdown: stop listening, let every connection finish the
   * replies it has (within SHUTDOWN_DRAIN_MS_MAX), then close them all.
   */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    clearInterval(this.expireTimer);
    clearInterval(this.clientsTimer);
    const listenersClosed = Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
    const closed = [...this.connections.values()].map((c) => new Promise<void>((resolve) => {
      if (c.socket.destroyed) return resolve();
      c.socket.once("close", () => resolve());
      c.closing = true;
      if (!c.processing) c.flush();
    }));
    const drained = Promise.all(closed);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, SHUTDOWN_DRAIN_MS_MAX); });
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    for (const c of this.connections.values()) c.socket.destroy();
    await listenersClosed;
  }

  /** Output buffer limits (client-output-buffer-limit), checked whenever replies pile up. */
  private checkOutputLimits(conn: Connection): void {
    if (conn.closing) return;
    const limits = this.admin.outputBufferLimits[conn.client.subscriptionCount > 0 ? "pubsub" : "normal"];
    const used = conn.outputBufferBytes();
    const now = Date.now();
    let over = limits.hardBytes > 0 && used >= limits.hardBytes;
    if (limits.softBytes > 0 && used >= limits.softBytes) {
      if (conn.softLimitSince === 0) conn.softLimitSince = now;
      else if (now - conn.softLimitSince >= limits.softSeconds * 1000) over = true;
    } else {
      conn.softLimitSince = 0;
    }
    if (!over) return;
    this.admin.stats.clientsClosedForOutputLimit++;
    this.admin.log("warning", `Client ${clientInfoLine(this.admin, conn.client, now)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    conn.closing = true;
    conn.writer.take();
    conn.socket.destroy();
  }

  /** Closes idle clients (timeout) and re-checks soft output limits, like Redis's clientsCron. */
  private clientsCron(): void {
    const timeoutMs = this.admin.config.number("timeout") * 1000;
    const now = Date.now();
    for (const c of this.connections.values()) {
      if (c.softLimitSince !== 0) this.checkOutputLimits(c);
      if (timeoutMs <= 0 || c.closing) continue;
      const client = c.client;
      // Subscribers, MONITOR clients and blocked clients may stay quiet, as in Redis.
      if (client.subscriptionCount > 0 || client.isMonitor || client.isBlocked) continue;
      if (now - c.lastInteraction > timeoutMs) {
        this.admin.log("notice", "Closing idle client");
        c.closing = true;
        c.socket.destroy();
      }
    }
  }

  get connectedClients(): number {
    return this.connections.size;
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.config.maxclients || this.shuttingDown) {
      this.admin.stats.rejectedConnections++;
      refuseConnection(socket, "-ERR max number of clients reached\r\n");
      return;
    }
    if (protectedModeRefuses({
      protectedMode: this.config.protectedMode,
      defaultUserNoPassword: this.engine.acl.defaultUser.nopass,
      remoteAddress: socket.remoteAddress,
    })) {
      refuseConnection(socket, PROTECTED_MODE_DENIED);
      return;
    }
    socket.setNoDelay(true);
    this.totalConnections++;
    const conn = new Connection(this.engine, socket, this.requestLimits, (c) => this.process(c), (c) => this.checkOutputLimits(c), () => this.gate);
    conn.onHold = (c) => this.holding.add(c);
    conn.describeLine = () => clientInfoLine(this.admin, conn.client, Date.now());
    this.connections.set(conn.id, conn);
    this.admin.register(conn.client, conn);
    socket.on("data", (chunk: Buffer) => this.onData(conn, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    socket.on("drain", () => socket.resume());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.connections.delete(conn.id);
      this.holding.delete(conn);
      conn.client.close();
    });
  }

  private onData(conn: Connection, chunk: Uint8Array): void {
    if (conn.closing) return;
    conn.lastInteraction = Date.now();
    try {
      conn.parser.feed(chunk);
    } catch (error) {
      this.protocolError(conn, error);
      return;
    }
    this.process(conn);
  }

  /** Runs the complete commands buffered for a connection, until it blocks, closes or runs out. */
  private process(conn: Connection): void {
    conn.processing = true;
    // The core just handed back the command at the head: it goes through JS before the core is asked again.
    let handedBack = false;
    try {
      while (!conn.closing && !conn.client.isBlocked) {
        // Bytes in, bytes out: the commands the core runs natively at the
        // head of the input go to it as they arrived, with no JS per command.
        // With a durable log, as one log record whose commit its replies
        // wait for (executeDurableRun). On a follower its data is the
        // committed log: reads run natively and need no gate, and the core
        // hands every write back (follower mode), which then gets READONLY.
        if (this.nativeInput && !handedBack) {
          const input = conn.parser.unparsed();
          // A cheap look first: the executor would copy all the input only to stop at once on a command it does not run.
          if (startsWithNativeCommand(input)) {
            const gate = this.gate;
            let consumed: number;
            if (gate === undefined) consumed = this.engine.executeNativePrefix(conn.client.session, input, conn.writer).consumed;
            else {
              consumed = this.executeDurableRun(conn, gate, input);
              handedBack = this.durableRunShort;
            }
            if (consumed > 0) {
              conn.parser.skip(consumed);
              // All of it (the usual case): nothing is left to look at.
              if (consumed === input.length) break;
              continue;
            }
          }
        }
        handedBack = false;
        const args = conn.parser.next();
        if (args === null) break;
        if (args.length === 0) continue;
        const outcome = this.handle(conn, args);
        const gate = this.gate;
        const lsn = gate === undefined ? 0 : gate.afterCommand(args, conn.client.session.db);
        if (outcome === BLOCKED) break;
        // An error shows no data (a refused write, a syntax error): it needs no lease.
        if (outcome !== NO_REPLY) conn.output(outcome, lsn, gate !== undefined && gate.replyNeedsLease && !(outcome instanceof ErrorReply));
      }
    } catch (error) {
      this.protocolError(conn, error);
    } finally {
      conn.processing = false;
    }
    conn.flush();
  }

  /**
   * Durable: the native commands at the head of `input` run as one native
   * run (CommitGate.runNative), their replies held together for the LSN it
   * gives. Returns the bytes consumed (0: none ran); durableRunShort says
   * whether the core handed back a command of the run.
   */
  private executeDurableRun(conn: Connection, gate: CommitGate, input: Uint8Array): number {
    const run = gate.runNative(conn.client.session, input);
    this.durableRunShort = run?.handedBack ?? false;
    if (run === null || run.consumed === 0) return 0;
    conn.outputRun(run.replies, run.count, run.lsn);
    return run.consumed;
  }

  private protocolError(conn: Connection, error: unknown): void {
    if (!(error instanceof RespProtocolError)) throw error;
    conn.writer.write(new ErrorReply(`ERR ${error.message}`), conn.client.session.protocol);
    conn.closing = true;
    conn.flush();
  }

  private handle(conn: Connection, args: Uint8Array[]): Outcome {
    const refusal = this.gate?.refuse(args, conn.client) ?? this.refuseOnReplica(args, conn.client);
    if (refusal != null) return refusal;
    switch (lowerAscii(args[0]!)) {
      case "quit":
        conn.closing = true;
        return OK;
      case "reset":
        conn.client.reset();
        return new SimpleString("RESET");
      case "info":
        return conn.client.refuseUnauthenticated() ?? utf8(renderInfo({
          engine: this.engine, version: SERVER_VERSION, port: this.config.port, startedAt: this.startedAt,
          connectedClients: this.connections.size, maxclients: this.config.maxclients, totalConnections: this.totalConnections,
          ...(this.durability === undefined
            ? this.replication === undefined ? {} : { persistence: () => this.replication?.persistenceLines() ?? [] }
            : { persistence: () => this.durability!.persistence.infoLines() }),
          replication: () => this.replicationInfo(),
        }, args.slice(1).map((a) => lowerAscii(a))));
      case "save":
      case "bgsave":
      case "lastsave":
        if (conn.client.multi !== null) return conn.client.execute(args);
        return conn.client.refuseUnauthenticated() ?? this.persistenceCommand(conn, args);
      default:
        return conn.client.execute(args);
    }
  }

  /**
   * A replica runs no writes (a write queued in MULTI fails the transaction,
   * as in Redis): its data is the primary's committed log and nothing else.
   */
  private refuseOnReplica(args: Uint8Array[], client: Client): ErrorReply | null {
    return this.replication === undefined ? null : refuseWriteOnReplica(client, args);
  }

  /** INFO replication: a replica's or standby's own lines; a durable primary's lease. */
  private replicationInfo(): string[] {
    if (this.replication !== undefined) return this.replication.infoLines();
    const lines = ["role:master", "connected_slaves:0"];
    const rep = this.gate?.replicator;
    if (rep !== undefined) {
      lines.push(`trireme_role:primary`, `log_epoch:${rep.epoch}`, `lease_ms:${rep.leaseMs}`,
        `lease_held:${rep.leaseHeld() ? 1 : 0}`, `lease_remaining_ms:${rep.leaseRemainingMs()}`);
    }
    return lines;
  }

  /** SAVE, BGSAVE, LASTSAVE: snapshots stored on the log stores (docs/durability.md). */
  private persistenceCommand(conn: Connection, args: Uint8Array[]): Outcome {
    const name = lowerAscii(args[0]!);
    const persistence = this.durability?.persistence;
    if (name === "lastsave") {
      if (args.length !== 1) return Errors.wrongArity("lastsave");
      return persistence === undefined ? Math.floor(this.startedAt / 1000) : persistence.lastSaveTime;
    }
    if (name === "save" && args.length !== 1) return Errors.wrongArity("save");
    if (name === "bgsave" && (args.length > 2 || (args.length === 2 && lowerAscii(args[1]!) !== "schedule"))) return Errors.syntax;
    if (persistence === undefined && this.replication !== undefined) {
      return new ErrorReply("ERR this server is a replica: snapshots are taken by the primary");
    }
    if (persistence === undefined) {
      return new ErrorReply("ERR this server runs with durability none: there is no log store to save a snapshot on");
    }
    if (name === "bgsave") {
      if (!persistence.bgsave()) return new ErrorReply("ERR Background save already in progress");
      return new SimpleString("Background saving started");
    }
    const settle = conn.deferred();
    void persistence.save().then((result) => settle(result.ok ? OK : new ErrorReply(result.message)));
    return NO_REPLY;
  }


}

/**
 * Writes the error and closes the socket once it is written. Not just
 * end(): a refused socket is never read, so the peer's FIN would go unseen
 * and the half-closed socket would keep server.close() (a graceful shutdown)
 * waiting for ever.
 */
function refuseConnection(socket: Socket, error: string): void {
  socket.on("error", () => socket.destroy());
  socket.end(error, () => socket.destroy());
}

/** `bytes` `count` times over: the error that replaces each of a run's replies. */
function repeatBytes(bytes: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(bytes.length * count);
  for (let i = 0; i < count; i++) out.set(bytes, i * bytes.length);
  return out;
}
