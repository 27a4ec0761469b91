// The durable primary on Node: log stores (given by URL, or started locally),
// the replicator's election, recovery of the engine from the log, and the
// gate the RESP server and the HTTP API hold replies with.
//
//   durability quorum   three stores, a write is acknowledged at two (default)
//   durability local    one store
//   durability none     memory only: no log, no gating (a cache)
//
// With no --log-stores, `quorum` starts three stores as worker threads under
// --dir (local-a, local-b, local-c) and `local` one (local-a).

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { Engine, type EngineOptions } from "../runtime/engine.ts";
import { LogStoreClient } from "../runtime/log/client.ts";
import { Replicator } from "../runtime/log/replicator.ts";
import { CommitGate } from "../runtime/log/gate.ts";
import { recoverEngine } from "../runtime/log/recovery.ts";
import { Persistence, type SnapshotPolicy } from "../runtime/log/persistence.ts";
import { ConfigError, type ServerConfig } from "./config.ts";
import { nodeCrc32c } from "./logstore/server.ts";
import { startLocalStores, type LocalStores } from "./logstore/local.ts";

export interface DurablePrimary {
  readonly engine: Engine;
  readonly gate: CommitGate;
  readonly replicator: Replicator;
  readonly persistence: Persistence;
  readonly local: LocalStores | null;
  /** One line for the banner: how durable this server is. */
  readonly banner: string;
  /** Checks once a second whether a scheduled snapshot is due (`save`, `snapshot-log-bytes`). */
  startSnapshotSchedule(policy: SnapshotPolicy): void;
  close(): Promise<void>;
}

export async function startDurablePrimary(
  config: ServerConfig, wasm: Uint8Array, engineOptions: EngineOptions, log: (message: string) => void,
): Promise<DurablePrimary> {
  const mode = config.durability;
  if (mode === "none") throw new Error("startDurablePrimary needs durability quorum or local");
  const wanted = mode === "quorum" ? 3 : 1;
  let urls: string[];
  let token: string;
  let local: LocalStores | null = null;
  if (config.logStores.length === 0) {
    log(`starting ${wanted} local log store(s) under ${config.dir}`);
    local = await startLocalStores(config.dir, wanted, log);
    urls = local.urls;
    token = local.token;
  } else {
    urls = config.logStores;
    if (mode === "quorum" && (urls.length < 3 || urls.length % 2 === 0)) {
      throw new ConfigError(`durability quorum needs an odd number of log stores, at least 3 (got ${urls.length})`);
    }
    if (mode === "local" && urls.length !== 1) throw new ConfigError(`durability local uses one log store (got ${urls.length})`);
    const fromFile = config.logTokenFile === undefined ? undefined : readFileSync(config.logTokenFile, "utf8").trim();
    const t = config.logToken ?? fromFile;
    if (t === undefined || t === "") throw new ConfigError("--log-stores needs --log-token (or --log-token-file)");
    token = t;
  }
  const quorum = Math.floor(urls.length / 2) + 1;
  const crc32c = await nodeCrc32c();
  const names = local?.regions ?? urls.map((u) => u.replace(/^https?:\/\//, ""));
  const replicator = new Replicator({
    stores: urls.map((url, i) => ({ name: names[i]!, api: local?.apis[i] ?? new LogStoreClient(url, token) })),
    crc32c,
    candidate: `${hostname()}:${config.port}:${process.pid}:${randomBytes(4).toString("hex")}`,
    quorum,
    commitTimeoutMs: config.durabilityTimeout,
    leaseMs: config.leaseMs,
    log,
  });
  try {
    await replicator.start();
    const recovered = await recoverEngine(replicator, {
      crc32c,
      fresh: () => Engine.create(wasm, engineOptions),
      restore: (image) => Engine.fromSnapshot(wasm, image, { ...engineOptions, seed: undefined }),
      log,
    });
    const engine = recovered.engine;
    const gate = new CommitGate(engine, replicator);
    const persistence = new Persistence(engine, replicator, {
      mode, snapshotLsn: recovered.snapshotLsn, log, logBytesSinceSnapshot: recovered.replayedBytes,
      snapshotBytes: recovered.snapshotBytes,
      // Local stores are threads: an image in shared memory is handed to each without a copy (thread.ts).
      ...(local === null ? {} : { allocateImage: (bytes: number) => new Uint8Array(new SharedArrayBuffer(bytes)) }),
    });
    let schedule: NodeJS.Timeout | undefined;
    const where = local === null ? urls.join(", ") : `${urls.length} local store(s) under ${config.dir} (${urls.join(", ")})`;
    const banner = mode === "quorum"
      ? `durability: quorum — a write is acknowledged once ${quorum} of ${urls.length} log stores have it on disk; log stores: ${where}`
      : `durability: local — a write is acknowledged once one log store has it on disk (no copy survives the loss of that store); log store: ${where}`;
    return {
      engine, gate, replicator, persistence, local, banner,
      startSnapshotSchedule(policy) {
        clearInterval(schedule);
        schedule = setInterval(() => persistence.scheduledSave(policy), 1000);
        schedule.unref();
      },
      async close() {
        clearInterval(schedule);
        persistence.close();
        const released = await replicator.releaseLease();
        if (released > 0) log(`log: lease released on ${released} log store(s); a successor need not wait for it`);
        await replicator.close();
        await local?.close();
      },
    };
  } catch (error) {
    await replicator.close();
    await local?.close();
    throw error;
  }
}
