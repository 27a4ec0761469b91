// A log store in a worker thread of this process, and the primary's client of
// it. The local stores a primary starts under --dir run this way: each
// thread is a whole store (its own data folder, its own fsyncs, its own
// HTTP/WebSocket port for replicas, standbys and operators), but the primary
// reaches it over a MessagePort instead of loopback TCP. The requests, the
// replies and the append envelope are the protocol's own (protocol.ts); only
// the wire differs. A round of appends to three stores costs about a third
// of the CPU it costs over WebSockets (docs/BENCHMARKS.md). Append messages
// are written into a ring of memory shared with the thread (AppendRing), and
// the port carries only where each one lies.
//
//   const store = await startStoreThread({ region: "local-a", dir, port: 0, host: "127.0.0.1", token }, log);
//   replicator stores: [{ name: store.region, api: store.api }]
//   store.url      // its HTTP address, for everyone else
//
// A thread that dies (a failed fsync stops a store) is started again after a
// second; meanwhile requests to it fail as a network request to a stopped
// store would, and its append streams close.

import { resolve as resolvePath } from "node:path";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { StoredSnapshot } from "../../runtime/log/backend.ts";
import { AppendStream } from "../../runtime/log/client.ts";
import type { AppendStreamApi, StoreApi } from "../../runtime/log/replicator.ts";
import { appendMessageBytes, encodeAppendMessage, writeAppendMessage } from "../../runtime/log/protocol.ts";
import type {
  AppendStreamReply, LogError, PromiseReply, PromiseRequest, PutSnapshotReply, PutSnapshotRequest, ReadReply, ReadRequest,
  ReleaseLeaseReply, ReleaseLeaseRequest, SnapshotInfo, StoreStatus, TrimReply, TrimRequest, TruncateReply, TruncateRequest,
} from "../../runtime/log/protocol.ts";
import { lockDataDir } from "./cli.ts";

const ENTRY = new URL("./store-thread.ts", import.meta.url);
const READY_TIMEOUT_MS = 30_000;
const RESTART_DELAY_MS = 1000;

/** What the thread is started with (its workerData). */
export interface StoreThreadOptions {
  region: string;
  /** Data folder. */
  dir: string;
  /** TCP port of its HTTP/WebSocket service; 0 picks a free one. */
  port: number;
  host: string;
  token: string;
}

/** The backend's requests the primary makes over the port (the append stream has its own port). */
export type StoreCallOp = "status" | "promise" | "truncate" | "read" | "putSnapshot" | "listSnapshots" | "getSnapshot" | "trim" | "releaseLease";

/** Primary to thread, on the worker's own port. */
export type ToStoreThread =
  | { readonly type: "call"; readonly id: number; readonly op: StoreCallOp; readonly arg: unknown }
  /**
   * A new append stream: appends arrive on `port` as append messages (a
   * Uint8Array) or as the place of one in `ring` (a number, AppendRing),
   * replies leave on it as AppendStreamReply.
   */
  | { readonly type: "open"; readonly port: MessagePort; readonly ring: SharedArrayBuffer }
  /** Close the store and end the thread. */
  | { readonly type: "close" };

/** Thread to primary. */
export type FromStoreThread =
  | { readonly type: "ready"; readonly url: string; readonly port: number; readonly lines: string[] }
  | { readonly type: "reply"; readonly id: number; readonly value: unknown }
  | { readonly type: "thrown"; readonly id: number; readonly message: string }
  | { readonly type: "log"; readonly line: string };

export interface StoreThread {
  readonly region: string;
  /** Its HTTP address (the port stays the same across restarts). */
  readonly url: string;
  /** The primary's client of it. */
  readonly api: StoreApi;
  /** Ends the thread at once, as a crash would; it is started again like after one. */
  terminate(): Promise<void>;
  close(): Promise<void>;
}

interface Running {
  worker: Worker;
  exited: Promise<void>;
}

/**
 * A snapshot image in shared memory, made once for every store it goes to:
 * posting an ordinary buffer copies it on this thread, about 50 ms per 100 MB
 * and per store, a pause every client of the primary would feel.
 */
const sharedImages = new WeakMap<Uint8Array, Uint8Array>();

function shared(data: Uint8Array): Uint8Array {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  let copy = sharedImages.get(data);
  if (copy === undefined) {
    copy = inSharedMemory(data);
    sharedImages.set(data, copy);
  }
  return copy;
}

/** A copy of `data` in shared memory: posted to another thread, it is shared, not copied again. */
export function inSharedMemory(data: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new SharedArrayBuffer(data.length));
  copy.set(data);
  return copy;
}

/** Data folders held by a store thread of this process (lockDataDir sees only other processes). */
const heldDirs = new Set<string>();

export async function startStoreThread(options: StoreThreadOptions, log: (line: string) => void): Promise<StoreThread> {
  const dir = resolvePath(options.dir);
  if (heldDirs.has(dir)) throw new Error(`data folder ${dir} is in use by another log store of this process`);
  heldDirs.add(dir);
  let unlock: () => void;
  try {
    unlock = await lockDataDir(dir);
  } catch (error) {
    heldDirs.delete(dir);
    throw error;
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    unlock();
    heldDirs.delete(dir);
  };
  try {
    return await runStoreThread({ ...options, dir }, log, release);
  } catch (error) {
    release();
    throw error;
  }
}

async function runStoreThread(options: StoreThreadOptions, log: (line: string) => void, release: () => void): Promise<StoreThread> {
  let running: Running | null = null;
  let closing = false;
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let port = options.port;

  const start = (): Promise<string> => {
    const worker = new Worker(ENTRY, { workerData: { ...options, port } satisfies StoreThreadOptions, name: `store ${options.region}` });
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    running = { worker, exited };
    return new Promise<string>((resolveUrl, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        reject(new Error(`log store ${options.region} did not start within ${READY_TIMEOUT_MS / 1000} s`));
        void worker.terminate();
      }, READY_TIMEOUT_MS);
      worker.on("message", (message: FromStoreThread) => {
        switch (message.type) {
          case "ready":
            ready = true;
            clearTimeout(timer);
            port = message.port;
            for (const line of message.lines) log(line);
            resolveUrl(message.url);
            break;
          case "reply":
          case "thrown": {
            const call = pending.get(message.id);
            if (call === undefined) break;
            pending.delete(message.id);
            if (message.type === "reply") call.resolve(message.value);
            else call.reject(new Error(message.message));
            break;
          }
          case "log":
            log(message.line);
            break;
        }
      });
      worker.once("error", (error) => {
        log(`log store ${options.region} failed: ${error.stack ?? String(error)}`);
      });
      worker.once("exit", (code) => {
        clearTimeout(timer);
        if (running?.worker === worker) running = null;
        const gone = new Error(`log store ${options.region} stopped`);
        for (const call of pending.values()) call.reject(gone);
        pending.clear();
        if (!ready) {
          reject(new Error(`log store ${options.region} exited (${code}) before it was ready`));
          return;
        }
        if (closing) return;
        log(`log store ${options.region} exited (${code}); restarting it on port ${port}`);
        restart();
      });
    });
  };

  /** Starts the thread again after a second, and keeps trying while it fails (its port may be taken for a while). */
  const restart = (): void => {
    setTimeout(() => {
      if (closing) return;
      start().catch((error: unknown) => {
        log(`log store ${options.region} could not restart: ${String(error).split("\n")[0]}; trying again`);
        restart();
      });
    }, RESTART_DELAY_MS).unref();
  };

  const call = <T>(op: StoreCallOp, arg?: unknown): Promise<T> => {
    const current = running;
    if (current === null || closing) return Promise.reject(new Error(`log store ${options.region} is not running`));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      current.worker.postMessage({ type: "call", id, op, arg } satisfies ToStoreThread);
    });
  };

  const url = await start();

  const api: StoreApi = {
    url,
    status: () => call<StoreStatus | LogError>("status"),
    promise: (request: PromiseRequest) => call<PromiseReply>("promise", request),
    truncate: (request: TruncateRequest) => call<TruncateReply>("truncate", request),
    read: (request: ReadRequest) => call<ReadReply>("read", request),
    putSnapshot: (request: PutSnapshotRequest) => call<PutSnapshotReply>("putSnapshot", { ...request, data: shared(request.data) }),
    listSnapshots: () => call<SnapshotInfo[] | LogError>("listSnapshots"),
    getSnapshot: (lsn: number | "latest") => call<StoredSnapshot | null | LogError>("getSnapshot", lsn),
    trim: (request: TrimRequest) => call<TrimReply>("trim", request),
    releaseLease: (request: ReleaseLeaseRequest) => call<ReleaseLeaseReply>("releaseLease", request),
    openAppendStream: async (): Promise<AppendStreamApi> => {
      const current = running;
      if (current === null || closing) throw new Error(`log store ${options.region} is not running`);
      const { port1, port2 } = new MessageChannel();
      let open = true;
      const ring = new AppendRing();
      const stream = new AppendStream({
        get open() {
          return open;
        },
        send: (id, request) => {
          const bytes = appendMessageBytes(request);
          const at = ring.place(id, bytes);
          if (at >= 0) {
            writeAppendMessage(ring.bytes, at, id, request);
            port1.postMessage(ringLocator(at, bytes));
            return;
          }
          // No room: a buffer of its own, handed over rather than copied.
          const message = encodeAppendMessage(id, request);
          port1.postMessage(message, [message.buffer as ArrayBuffer]);
        },
        replied: (id) => ring.release(id),
        close: () => port1.close(),
      });
      port1.on("message", (reply: AppendStreamReply) => stream.receive(reply));
      // Either side closing, or the thread ending, closes the port.
      port1.once("close", () => {
        open = false;
        stream.closed();
      });
      current.worker.postMessage({ type: "open", port: port2, ring: ring.shared } satisfies ToStoreThread, [port2]);
      return stream;
    },
  };

  return {
    region: options.region,
    url,
    api,
    async terminate() {
      await running?.worker.terminate();
    },
    async close() {
      closing = true;
      const current = running;
      if (current === null) {
        release();
        return;
      }
      current.worker.postMessage({ type: "close" } satisfies ToStoreThread);
      const stopped = await Promise.race([current.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]);
      if (!stopped) await current.worker.terminate();
      release();
    },
  };
}

/** Bytes of an append stream's ring: appends at -P 16 take tens of KB; a larger one goes as a buffer of its own. */
const APPEND_RING_BYTES = 1024 * 1024;

/**
 * The primary's side of an append stream's shared memory. Each append
 * message is written into the ring and the port carries only its place, so
 * an append allocates nothing on the primary's thread: a fresh buffer per
 * message and store (handed over to the thread) came to tens of MB a second
 * of ArrayBuffer memory at -P 16, which made V8 run full collections every
 * couple of hundred milliseconds (docs/BENCHMARKS.md). A message's bytes
 * stay untouched until the store answers it (the store writes them to its
 * file before it answers); answers come in the order of the appends.
 */
export class AppendRing {
  readonly shared = new SharedArrayBuffer(APPEND_RING_BYTES);
  readonly bytes = new Uint8Array(this.shared);
  /** Appends sent and not answered yet, oldest first: id, and start in the ring (-1: sent as a buffer of its own). */
  private ids: number[] = [];
  private starts: number[] = [];
  private first = 0;
  /** Where the newest message in the ring ends (the next one goes there, or at 0). */
  private head = 0;

  /** Where append `id` of `length` bytes goes in the ring, or -1 when it has no room now (it then goes as a buffer). */
  place(id: number, length: number): number {
    const tail = this.oldestStart();
    let at = -1;
    if (tail < 0) at = length <= APPEND_RING_BYTES ? 0 : -1;
    else if (this.head > tail) at = APPEND_RING_BYTES - this.head >= length ? this.head : length <= tail ? 0 : -1;
    else at = tail - this.head >= length ? this.head : -1;
    this.ids.push(id);
    this.starts.push(at);
    if (at >= 0) this.head = at + length;
    return at;
  }

  /** The store answered `id` (and so every append before it). */
  release(id: number): void {
    const i = this.ids.indexOf(id, this.first);
    if (i < 0) return;
    this.first = i + 1;
    if (this.first === this.ids.length) {
      this.ids = [];
      this.starts = [];
      this.first = 0;
    } else if (this.first >= 1024) {
      // Under a load that always has an append in flight the queue never empties: drop what was answered.
      this.ids = this.ids.slice(this.first);
      this.starts = this.starts.slice(this.first);
      this.first = 0;
    }
  }

  private oldestStart(): number {
    for (let i = this.first; i < this.starts.length; i++) if (this.starts[i]! >= 0) return this.starts[i]!;
    return -1;
  }
}

/** The port message that says an append lies at `at` in the ring, `length` bytes. */
function ringLocator(at: number, length: number): number {
  return length * APPEND_RING_BYTES + at;
}

/** The append message a ring locator points at (a view into the ring). */
export function ringMessage(ring: Uint8Array, locator: number): Uint8Array {
  const at = locator % APPEND_RING_BYTES;
  return ring.subarray(at, at + Math.floor(locator / APPEND_RING_BYTES));
}
