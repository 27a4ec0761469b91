// A TCP proxy for fault tests: it listens on 127.0.0.1, forwards every
// connection to a target, and on command delays what it forwards, drops the
// connections (a reset), partitions (blackholes: connections are accepted
// but nothing is forwarded, on new and existing connections alike), refuses
// (resets every connection at once, like a host that is down), and heals. A partition pauses reading instead of discarding bytes, so a healed
// connection goes on where it stopped, as TCP does after a partition that did
// not outlast its retransmissions; combine partition() with drop() for
// connections that die.
//
//   const proxy = await FaultProxy.start(targetPort);
//   proxy.delay(50); proxy.partition(); proxy.drop(); proxy.refuse(); proxy.heal();
//   await proxy.close();
//
// Every buffer is bounded: each direction of a connection queues at most
// QUEUE_BYTES_MAX (while delaying, or while the other side is slow) and stops
// reading beyond that; the kernel's socket buffers then push back on the sender.
import { createConnection, createServer, type Server, type Socket } from "node:net";

const QUEUE_BYTES_MAX = 1024 * 1024;
const CONNECTIONS_MAX = 256;

/** One direction of a proxied connection: reads `from`, writes `to`, after the proxy's delay. */
class Pipe {
  private readonly queue: Array<{ chunk: Buffer; due: number }> = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingDrain = false;
  private ended = false;
  private readonly from: Socket;
  private readonly to: Socket;
  private readonly proxy: FaultProxy;

  constructor(from: Socket, to: Socket, proxy: FaultProxy) {
    this.from = from;
    this.to = to;
    this.proxy = proxy;
    from.on("data", (chunk: Buffer) => {
      this.queue.push({ chunk, due: Date.now() + proxy.delayMs });
      this.queuedBytes += chunk.length;
      this.update();
    });
    from.on("end", () => {
      this.ended = true;
      this.update();
    });
    to.on("drain", () => {
      this.waitingDrain = false;
      this.update();
    });
  }

  /** Forwards what is due, and reads only while forwarding is possible and the queue has room. */
  update(): void {
    const flowing = !this.proxy.partitioned && !this.to.connecting && !this.to.destroyed;
    while (flowing && !this.waitingDrain && this.queue.length > 0) {
      const head = this.queue[0]!;
      const wait = head.due - Date.now();
      if (wait > 0) {
        if (this.timer === undefined) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.update();
          }, wait);
        }
        break;
      }
      this.queue.shift();
      this.queuedBytes -= head.chunk.length;
      this.proxy.bytesForwarded += head.chunk.length;
      if (!this.to.write(head.chunk)) this.waitingDrain = true;
    }
    if (flowing && this.ended && this.queue.length === 0 && !this.to.writableEnded) this.to.end();
    const read = flowing && this.queuedBytes < QUEUE_BYTES_MAX && !this.waitingDrain;
    if (read && this.from.isPaused()) this.from.resume();
    else if (!read && !this.from.isPaused()) this.from.pause();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}

class Connection {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly pipes: Pipe[];
  private closed = false;

  constructor(client: Socket, targetPort: number, proxy: FaultProxy, onClose: () => void) {
    this.client = client;
    this.upstream = createConnection({ host: "127.0.0.1", port: targetPort, allowHalfOpen: true });
    client.pause();
    this.upstream.pause();
    this.pipes = [new Pipe(client, this.upstream, proxy), new Pipe(this.upstream, client, proxy)];
    this.upstream.once("connect", () => this.update());
    const close = () => {
      if (this.closed) return;
      this.closed = true;
      for (const pipe of this.pipes) pipe.dispose();
      client.destroy();
      this.upstream.destroy();
      onClose();
    };
    for (const socket of [client, this.upstream]) {
      socket.on("close", close);
      socket.on("error", close);
    }
  }

  update(): void {
    for (const pipe of this.pipes) pipe.update();
  }

  /** Drops the connection with a reset on both sides. */
  reset(): void {
    for (const socket of [this.client, this.upstream]) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
  }
}

export class FaultProxy {
  readonly port: number;
  readonly targetPort: number;
  /** Added to every chunk forwarded from now on, both ways (ms). */
  delayMs = 0;
  /** Blackholed: connections are accepted, nothing is forwarded. */
  partitioned = false;
  /** Every connection is reset at once. */
  refusing = false;
  /** Counters, so a test can tell that traffic went through the proxy. */
  connectionsAccepted = 0;
  bytesForwarded = 0;
  private readonly server: Server;
  private readonly connections = new Set<Connection>();

  private constructor(server: Server, port: number, targetPort: number) {
    this.server = server;
    this.port = port;
    this.targetPort = targetPort;
    server.on("connection", (client: Socket) => {
      if (this.refusing || this.connections.size >= CONNECTIONS_MAX) {
        client.resetAndDestroy();
        return;
      }
      this.connectionsAccepted++;
      const connection = new Connection(client, targetPort, this, () => this.connections.delete(connection));
      this.connections.add(connection);
    });
  }

  /** A proxy on a free loopback port (chosen by the system) in front of 127.0.0.1:targetPort. */
  static start(targetPort: number): Promise<FaultProxy> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        if (address === null || typeof address === "string") throw new Error("no port");
        resolve(new FaultProxy(server, address.port, targetPort));
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Delays every chunk forwarded from now on by `ms`, both ways. */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** Resets every open connection; new ones are accepted as before. */
  drop(): void {
    for (const connection of [...this.connections]) connection.reset();
  }

  /** Forwards nothing, on open and new connections (which are still accepted), until heal(). */
  partition(): void {
    this.partitioned = true;
    this.update();
  }

  /** Resets open connections and every new one until heal(): the target looks down. */
  refuse(): void {
    this.refusing = true;
    this.drop();
  }

  /** No delay, no partition, no refusal: what was held back flows again. */
  heal(): void {
    this.delayMs = 0;
    this.partitioned = false;
    this.refusing = false;
    this.update();
  }

  private update(): void {
    for (const connection of this.connections) connection.update();
  }

  async close(): Promise<void> {
    for (const connection of [...this.connections]) connection.reset();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
