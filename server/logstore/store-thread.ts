// The body of a log store's worker thread (thread.ts starts it): the same
// store `trireme logstore` runs, serving its HTTP/WebSocket port, plus the
// primary's requests and append streams over MessagePorts, answered by the
// same backend and in the same order rules as the WebSocket service's. The
// primary's thread holds the data folder's lock, across restarts of this one.

import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { OrderedAppends } from "../../runtime/log/append-order.ts";
import type { LogBackend } from "../../runtime/log/backend.ts";
import { decodeAppendMessage, logError, type AppendStreamReply } from "../../runtime/log/protocol.ts";
import { startLogStore, startupReport, type RunningLogStore } from "./server.ts";
import { inSharedMemory, ringMessage, type FromStoreThread, type StoreCallOp, type StoreThreadOptions, type ToStoreThread } from "./thread.ts";

const options = workerData as StoreThreadOptions;
const primary = parentPort!;
const post = (message: FromStoreThread): void => primary.postMessage(message);
const log = (line: string): void => post({ type: "log", line: `[${options.region}] ${line}` });

let store: RunningLogStore | null = null;

/** Ends the thread after closing what it holds (file descriptors are the process's: they outlive a thread that does not close them). */
async function stop(code: number): Promise<never> {
  try {
    await store?.close();
  } catch {
    // A store that failed its fsync may not close cleanly; the thread ends all the same.
  }
  process.exit(code);
}

function call(backend: LogBackend, op: StoreCallOp, arg: unknown): Promise<unknown> {
  switch (op) {
    case "status": return backend.status();
    case "listSnapshots": return backend.listSnapshots();
    // Copied into shared memory here, on the store's thread: posted as they are, the bytes
    // would be copied again on the primary's thread as they arrive (about 50 ms per 100 MB).
    case "getSnapshot": return backend.getSnapshot(arg as number | "latest").then((found) => (found === null ? null : { ...found, data: inSharedMemory(found.data) }));
    default: return (backend[op] as (request: unknown) => Promise<unknown>).call(backend, arg);
  }
}

function serveAppendStream(port: MessagePort, ring: SharedArrayBuffer, backend: LogBackend): void {
  const appends = new OrderedAppends(backend, (error) => log(`append failed: ${String(error)}`));
  const ringBytes = new Uint8Array(ring);
  // The backend has written an append's frames by the time it answers, so the primary may reuse its place in the ring then.
  port.on("message", (message: Uint8Array | number) => {
    const decoded = decodeAppendMessage(typeof message === "number" ? ringMessage(ringBytes, message) : message);
    if (decoded === null) {
      port.postMessage({ type: "error", id: 0, ...logError("bad-request", "not an append message") } satisfies AppendStreamReply);
      return;
    }
    const id = decoded.id;
    appends.append(decoded.request, (result) => {
      port.postMessage((result.ok
        ? { type: "ack", id, lastLsn: result.lastLsn, records: result.records }
        : { type: "error", id, ...result }) satisfies AppendStreamReply);
    });
  });
}

try {
  store = await startLogStore({
    region: options.region,
    dir: options.dir,
    port: options.port,
    host: options.host,
    token: options.token,
    onFatal: (error) => {
      log(`FATAL: an fsync failed (${String(error)}); stopping this store so that recovery runs on restart`);
      void stop(1);
    },
  });
} catch (error) {
  log(`could not start: ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
}

const running = store!;
primary.on("message", (message: ToStoreThread) => {
  switch (message.type) {
    case "call":
      call(running.backend, message.op, message.arg).then(
        (value) => post({ type: "reply", id: message.id, value }),
        (error: unknown) => post({ type: "thrown", id: message.id, message: error instanceof Error ? error.message : String(error) }),
      );
      break;
    case "open":
      serveAppendStream(message.port, message.ring, running.backend);
      break;
    case "close":
      void stop(0);
      break;
  }
});
post({
  type: "ready", url: running.url, port: running.port,
  lines: (await startupReport(running, options.region, options.dir)).map((line) => `[${options.region}] ${line}`),
});
