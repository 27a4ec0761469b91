// Local log stores: what `trireme` starts when no --log-stores are given, so
// that a newcomer's `npm start` is durable out of the box. Each store is a
// worker thread of the server's process (thread.ts) with its own data folder
// under --dir (local-a, local-b, local-c), its own fsyncs and its own
// loopback port, so that replicas, standbys and operators reach it as they
// reach any store, with a token generated once and kept in DIR/log-token
// (mode 0600). The primary itself talks to them over MessagePorts, which
// costs far less CPU than loopback WebSockets. They end with the process,
// even on kill -9; a thread that dies while the primary runs is started again
// on the same port. A restart with the same --dir finds the same data.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { StoreApi } from "../../runtime/log/replicator.ts";
import { startStoreThread, type StoreThread } from "./thread.ts";

export interface LocalStores {
  readonly urls: string[];
  readonly regions: string[];
  /** The primary's clients of the stores, in the order of `regions`. */
  readonly apis: StoreApi[];
  readonly token: string;
  readonly tokenFile: string;
  close(): Promise<void>;
}

/** The token of the local stores under `dir`: read from DIR/log-token, or made and saved there. */
export function localStoreToken(dir: string): { token: string; file: string } {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "log-token");
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (token.length > 0) return { token, file };
  }
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, token + "\n", { mode: 0o600 });
  return { token, file };
}

export async function startLocalStores(dir: string, count: number, log: (message: string) => void): Promise<LocalStores> {
  const root = resolve(dir);
  const { token, file } = localStoreToken(root);
  const regions = Array.from({ length: count }, (_, i) => `local-${String.fromCharCode(97 + i)}`);
  const started = await Promise.allSettled(regions.map((region) =>
    startStoreThread({ region, dir: join(root, region), port: 0, host: "127.0.0.1", token }, log)));
  const stores = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(stores.map((s) => s.close()));
    throw failed.reason;
  }
  return {
    urls: stores.map((s: StoreThread) => s.url),
    regions,
    apis: stores.map((s) => s.api),
    token,
    tokenFile: file,
    async close() {
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}
