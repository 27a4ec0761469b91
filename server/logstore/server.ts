// One log store on Node: the file backend behind the protocol service,
// served by @hono/node-server with WebSocket upgrades through `ws`.
//
//   const store = await startLogStore({ region: "local-a", dir, port: 7001, token });
//   store.url            // http://127.0.0.1:7001
//   await store.close();

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { serve, upgradeWebSocket, type ServerType } from "@hono/node-server";
// @ts-expect-error -- `ws` ships no type declarations here; only its constructor is used.
import { WebSocketServer } from "ws";
import { loadCrc32c, type Crc32c } from "../../runtime/log/crc32c.ts";
import { createLogStoreApp } from "../../runtime/log/service.ts";
import type { LogLimits } from "../../runtime/log/backend.ts";
import { FileLogBackend } from "./file-backend.ts";

export interface LogStoreOptions {
  region: string;
  /** Data folder. */
  dir: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  token: string;
  segmentBytes?: number;
  limits?: Partial<LogLimits>;
  /** Called when the backend stops after a failed fsync (the CLI exits). */
  onFatal?: (error: unknown) => void;
  /** For tests: see FileBackendOptions.beforeFlush. */
  beforeFlush?: () => Promise<void>;
}

export interface RunningLogStore {
  readonly url: string;
  readonly port: number;
  readonly backend: FileLogBackend;
  close(): Promise<void>;
}

const CORE_WASM = new URL("../../build/trireme-core.wasm", import.meta.url);

let crcPromise: Promise<Crc32c> | undefined;

/** CRC32C from the built core (one instance per process). */
export function nodeCrc32c(): Promise<Crc32c> {
  crcPromise ??= loadCrc32c(readFileSync(fileURLToPath(CORE_WASM)));
  return crcPromise;
}

export async function startLogStore(options: LogStoreOptions): Promise<RunningLogStore> {
  const crc32c = await nodeCrc32c();
  const backend = await FileLogBackend.open({
    region: options.region,
    dir: options.dir,
    crc32c,
    ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.onFatal === undefined ? {} : { onFatal: options.onFatal }),
    ...(options.beforeFlush === undefined ? {} : { beforeFlush: options.beforeFlush }),
  });
  const app = createLogStoreApp(backend, {
    token: options.token,
    upgradeWebSocket,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: (options.limits?.appendBytesMax ?? 64 * 1024 * 1024) + 1024 });
  const host = options.host ?? "127.0.0.1";
  let server: ServerType;
  const port = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: options.port, hostname: host, websocket: { server: wss } }, (info: AddressInfo) => resolve(info.port));
    server.once("error", reject);
  });
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    backend,
    async close() {
      for (const client of wss.clients as Set<{ terminate(): void }>) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backend.close();
    },
  };
}

/** What a store found on start, as the lines it prints: recovery notes, a cut tail, then "ready on URL". */
export async function startupReport(store: RunningLogStore, region: string, dir: string): Promise<string[]> {
  const lines = store.backend.recoveryNotes.map((note) => `recovery: ${note}`);
  const recovery = store.backend.recovery;
  if (recovery !== null) {
    lines.push(`recovery: cut ${recovery.bytesCut} bytes of torn or corrupt tail from ${recovery.segment} at offset ${recovery.validEndOffset} ` +
      `(last valid record ${recovery.lastValidLsn}; ${recovery.reason})`);
  }
  const status = await store.backend.status();
  lines.push(`log store ${region} ready on ${store.url}: records ${status.firstLsn}..${status.lastLsn} ` +
    `(last epoch ${status.lastEpoch}), promised epoch ${status.promisedEpoch}, ${status.snapshots} snapshot(s), data in ${dir}`);
  return lines;
}
