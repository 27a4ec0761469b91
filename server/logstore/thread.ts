// A log store in a worker thread of this process, and the primary's client of
// it. The local stores a primary starts under --dir run this way: each
// thread is a whole store (its own data folder, its own fsyncs, its own
// HTTP/WebSocket port for replicas, standbys and operators), but the primary
// reaches it over a MessagePort instead of loopback TCP. The requests, the
// replies and the append envelope are the protocol's own (protocol.ts); only
// the wire differs. A round of appends to three stores costs about a third
// of the CPU it costs over WebSockets (docs/BENCHMARKS.md).
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
  /** A new append stream: appends arrive on `port` as append messages, replies leave on it as AppendStreamReply. */
  | { readonly type: "open"; readonly port: MessagePort }
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
      const stream = new AppendStream({
        get open() {
          return open;
        },
        // Each message is a fresh buffer of its own: hand it over instead of copying it.
        send: (message) => port1.postMessage(message, [message.buffer as ArrayBuffer]),
        close: () => port1.close(),
      });
      port1.on("message", (reply: AppendStreamReply) => stream.receive(reply));
      // Either side closing, or the thread ending, closes the port.
      port1.once("close", () => {
        open = false;
        stream.closed();
      });
      current.worker.postMessage({ type: "open", port: port2 } satisfies ToStoreThread, [port2]);
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
