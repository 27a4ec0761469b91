// A server that follows the log instead of writing it: a read replica
// (`--replica`) or a standby (`--standby`). Both start from the newest
// snapshot on the stores, tail the log and apply what is committed
// (runtime/log/follower.ts), answer reads of that committed data and refuse
// writes with Redis's READONLY error. A standby also runs an election from
// the start: the stores hold it back while the primary's lease runs
// (Replicator.start waits, asking only when a quorum of stores is free of the
// lease), so it takes the next epoch once the primary has been silent for a
// lease. Then it stops tailing, reads the rest of the adopted log, and
// serves as the primary (the caller promotes the RESP server).

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { Engine, type EngineOptions } from "../runtime/engine.ts";
import { LogStoreClient } from "../runtime/log/client.ts";
import type { StoredSnapshot } from "../runtime/log/backend.ts";
import { LogFollower } from "../runtime/log/follower.ts";
import { Replicator } from "../runtime/log/replicator.ts";
import { CommitGate } from "../runtime/log/gate.ts";
import { Persistence } from "../runtime/log/persistence.ts";
import { systemClock } from "../runtime/log/clock.ts";
import { ConfigError, type ServerConfig } from "./config.ts";
import { nodeCrc32c } from "./logstore/server.ts";
import type { ServerDurability, ServerReplication } from "./resp-server.ts";

export interface RunningFollower {
  readonly engine: Engine;
  readonly follower: LogFollower;
  readonly replication: ServerReplication;
  /** A standby: resolves once it is the primary, with what the RESP server needs to serve writes. */
  readonly promoted: Promise<ServerDurability & { replicator: Replicator }> | null;
  readonly banner: string;
  close(): Promise<void>;
}

const STORE_WAIT_LOG_MS = 5000;

export async function startFollowing(
  config: ServerConfig, wasm: Uint8Array, engineOptions: EngineOptions, log: (message: string) => void,
  onFatal: (message: string) => void,
): Promise<RunningFollower> {
  const role = config.role;
  if (config.durability === "none") throw new ConfigError(`--${role} follows a log: it needs --durability quorum or local`);
  if (config.logStores.length === 0) throw new ConfigError(`--${role} needs the primary's --log-stores (and --log-token)`);
  const urls = config.logStores;
  const fromFile = config.logTokenFile === undefined ? undefined : readFileSync(config.logTokenFile, "utf8").trim();
  const token = config.logToken ?? fromFile;
  if (token === undefined || token === "") throw new ConfigError("--log-stores needs --log-token (or --log-token-file)");
  const crc32c = await nodeCrc32c();
  const stores = urls.map((url) => ({ name: url.replace(/^https?:\/\//, ""), api: new LogStoreClient(url, token) }));

  // The newest snapshot any store holds (stored only at committed LSNs), then the log after it.
  let engine: Engine | undefined;
  let snapshotLsn = 0;
  for (let waited = 0; engine === undefined; waited += 500) {
    const newest = await newestSnapshot(stores);
    if (newest === "unreachable") {
      if (waited % STORE_WAIT_LOG_MS === 0) log(`${role}: waiting for a log store to answer (${urls.join(", ")})`);
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    if (newest !== null) {
      try {
        engine = await Engine.fromSnapshot(wasm, newest.snapshot.data, { ...engineOptions, seed: undefined });
        snapshotLsn = newest.snapshot.info.lsn;
        const how = engine.rebuiltFromOtherBuild ? " (taken by another core build: rebuilt from the dump of the core it carries)" : "";
        log(`${role}: restored the snapshot at LSN ${snapshotLsn} from ${newest.store}${how}`);
      } catch (error) {
        log(`${role}: the snapshot at LSN ${newest.snapshot.info.lsn} cannot be restored (${error instanceof Error ? error.message : String(error)}); following the whole log`);
      }
    }
    engine ??= await Engine.create(wasm, engineOptions);
  }

  const follower = new LogFollower({
    stores: stores.map((s) => ({ name: s.name, api: s.api })),
    crc32c,
    engine,
    appliedLsn: snapshotLsn,
    silenceMs: config.leaseMs,
    name: role,
    log,
    onFatal,
    // Fallen behind a trimmed log: the newest snapshot replaces the data in place (the server keeps its engine).
    reload: async (atLeastLsn, stillWanted) => {
      const newest = await newestSnapshot(stores);
      if (newest === "unreachable" || newest === null || newest.snapshot.info.lsn < atLeastLsn) return null;
      const loaded = await engine.replaceWithSnapshot(newest.snapshot.data, stillWanted);
      if (loaded === null) return null;
      snapshotLsn = newest.snapshot.info.lsn;
      return snapshotLsn;
    },
  });
  follower.start();

  let state = role === "standby" ? "waiting for the primary's lease to lapse" : "following";
  const replication: ServerReplication = {
    infoLines() {
      const store = new URL(follower.storeUrl);
      return [
        "role:slave",
        `master_host:${store.hostname}`,
        `master_port:${store.port}`,
        `master_link_status:${follower.linkUp ? "up" : "down"}`,
        `master_last_io_seconds_ago:${Math.floor((systemClock.now() - follower.lastHeardAt) / 1000)}`,
        "master_sync_in_progress:0",
        `slave_read_repl_offset:${follower.received}`,
        `slave_repl_offset:${follower.applied}`,
        "slave_priority:100",
        "slave_read_only:1",
        "replica_announced:1",
        "connected_slaves:0",
        `trireme_role:${role}`,
        `trireme_state:${state}`,
        `replica_log_store:${follower.storeName}`,
        `replica_applied_lsn:${follower.applied}`,
        `replica_commit_lsn:${follower.commitSeen}`,
        `replica_lag_records:${follower.lagRecords}`,
        `replica_lag_ms:${follower.lagMs}`,
        `replica_snapshot_reloads:${follower.reloads}`,
        `replica_primary_epoch:${follower.primaryEpoch}`,
      ];
    },
    persistenceLines() {
      return [
        "loading:0",
        `durability:${config.durability}`,
        `rdb_last_snapshot_lsn:${snapshotLsn}`,
        "aof_enabled:0",
        `log_state:following`,
        `log_applied_lsn:${follower.applied}`,
        `log_commit_lsn:${follower.commitSeen}`,
      ];
    },
  };

  let replicator: Replicator | null = null;
  let promoted: RunningFollower["promoted"] = null;
  if (role === "standby") {
    const quorum = Math.floor(urls.length / 2) + 1;
    const rep = new Replicator({
      stores,
      crc32c,
      candidate: `${hostname()}:${config.port}:${process.pid}:${randomBytes(4).toString("hex")}:standby`,
      quorum,
      commitTimeoutMs: config.durabilityTimeout,
      leaseMs: config.leaseMs,
      log,
    });
    replicator = rep;
    promoted = rep.start().then(async () => {
      state = "catching up";
      follower.stop();
      const from = follower.applied;
      await rep.readLog(from + 1, rep.lastLsn, (frames) => follower.applyFrames(frames));
      log(`standby: elected primary at epoch ${rep.epoch}; applied ${rep.lastLsn - from} record(s) it lacked ` +
        `(log ends at LSN ${rep.lastLsn}); serving writes`);
      const gate = new CommitGate(engine, rep);
      // Keys expire here from now on; the DELs go to the log through the gate.
      engine.following = false;
      const persistence = new Persistence(engine, rep, { mode: config.durability, snapshotLsn, log });
      return { gate, persistence, replicator: rep };
    });
  }

  const banner = role === "standby"
    ? `standby: following the log of ${urls.join(", ")}; takes over when the primary's lease (${config.leaseMs} ms) lapses`
    : `replica: serving reads of the committed log of ${urls.join(", ")}; writes get READONLY`;
  return {
    engine, follower, replication, promoted, banner,
    async close() {
      follower.stop();
      await replicator?.releaseLease();
      await replicator?.close();
    },
  };
}

/** The newest snapshot any store holds and serves ("unreachable": no store answered; null: none holds one). */
async function newestSnapshot(
  stores: ReadonlyArray<{ name: string; api: LogStoreClient }>,
): Promise<{ store: string; snapshot: StoredSnapshot } | null | "unreachable"> {
  const lists = await Promise.all(stores.map(async (s) => {
    try {
      const list = await s.api.listSnapshots();
      return Array.isArray(list) ? { store: s, newest: list[0] } : null;
    } catch {
      return null;
    }
  }));
  const reachable = lists.filter((l) => l !== null);
  if (reachable.length === 0) return "unreachable";
  reachable.sort((a, b) => (b.newest?.lsn ?? 0) - (a.newest?.lsn ?? 0));
  const best = reachable[0]!;
  if (best.newest === undefined || best.newest.lsn === 0) return null;
  const snapshot = await best.store.api.getSnapshot(best.newest.lsn).catch(() => null);
  if (snapshot === null || "ok" in snapshot) return null;
  return { store: best.store.name, snapshot };
}
