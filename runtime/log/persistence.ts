// SAVE, BGSAVE, LASTSAVE and INFO persistence for a durable primary: a
// snapshot of the engine (runtime/snapshot.ts) stored on the log stores.
//
// A snapshot covers the log up to the last record sealed when it is taken,
// and is stored only once that record is committed, so that a snapshot never
// holds a write that could still be lost. SAVE answers when a quorum of
// stores holds it; BGSAVE answers at once and works in the background (the
// engine pauses only to copy its memory). LASTSAVE is the time of the last
// snapshot stored on a quorum (the start time until then, as in Redis).

import type { Engine } from "../engine.ts";
import type { Replicator } from "./replicator.ts";

export interface SaveResult {
  readonly ok: boolean;
  readonly message: string;
}

export class Persistence {
  readonly engine: Engine;
  readonly replicator: Replicator;
  readonly mode: string;
  /** Unix seconds of the last snapshot stored on a quorum (start time until then). */
  lastSaveTime: number;
  /** LSN of the newest snapshot known to be stored (recovered from or saved). */
  lastSnapshotLsn: number;
  lastStatus: "ok" | "err" = "ok";
  lastError = "";
  lastSaveMs = 0;
  /** The longest the engine stopped for a snapshot (the memory copy), ms. */
  worstPauseMs = 0;
  inProgress = false;
  private readonly now: () => number;
  private readonly log: (message: string) => void;

  constructor(engine: Engine, replicator: Replicator, options: { mode: string; snapshotLsn: number; now?: () => number; log?: (message: string) => void }) {
    this.engine = engine;
    this.replicator = replicator;
    this.mode = options.mode;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
    this.lastSaveTime = Math.floor(this.now() / 1000);
    this.lastSnapshotLsn = options.snapshotLsn;
  }

  /** SAVE: takes the image now (the engine stops for the copy) and stores it. */
  save(): Promise<SaveResult> {
    if (this.inProgress) return Promise.resolve({ ok: false, message: "ERR Background save already in progress" });
    const lsn = this.replicator.lastLsn;
    const started = this.now();
    const image = this.engine.snapshot(lsn);
    this.notePause(this.now() - started);
    return this.store(lsn, image, started);
  }

  /** BGSAVE: starts a background snapshot; false when one is already running. */
  bgsave(): boolean {
    if (this.inProgress) return false;
    const lsn = this.replicator.lastLsn;
    const started = this.now();
    this.inProgress = true;
    const image = this.engine.snapshotInBackground(lsn);
    // The copy is taken synchronously inside snapshotInBackground: that is the pause.
    this.notePause(this.now() - started);
    void image.then((bytes) => this.store(lsn, bytes, started), (error: unknown) => {
      this.inProgress = false;
      this.fail(`snapshot failed: ${String(error)}`);
    });
    return true;
  }

  private notePause(ms: number): void {
    if (ms > this.worstPauseMs) this.worstPauseMs = ms;
  }

  private async store(lsn: number, image: Uint8Array, started: number): Promise<SaveResult> {
    this.inProgress = true;
    try {
      const result = await this.replicator.saveSnapshot(lsn, image);
      if (!result.ok) return this.fail(`snapshot at LSN ${lsn} stored on ${result.stores} store(s), ${this.replicator.quorum} needed: ${result.error}`);
      this.lastSaveTime = Math.floor(this.now() / 1000);
      this.lastSnapshotLsn = Math.max(this.lastSnapshotLsn, lsn);
      this.lastStatus = "ok";
      this.lastError = "";
      this.lastSaveMs = this.now() - started;
      this.log(`snapshot at LSN ${lsn} (${image.length} bytes) stored on ${result.stores} log store(s) in ${this.lastSaveMs} ms`);
      return { ok: true, message: "OK" };
    } finally {
      this.inProgress = false;
    }
  }

  private fail(message: string): SaveResult {
    this.lastStatus = "err";
    this.lastError = message;
    this.log(`snapshot: ${message}`);
    return { ok: false, message: `ERR ${message}` };
  }

  /** INFO persistence lines (Redis's names where they mean the same, log_* for the log). */
  infoLines(): string[] {
    const rep = this.replicator;
    const stores = rep.stores();
    const lines = [
      "loading:0",
      `durability:${this.mode}`,
      `rdb_changes_since_last_save:${Math.max(0, rep.lastLsn - this.lastSnapshotLsn)}`,
      `rdb_bgsave_in_progress:${this.inProgress ? 1 : 0}`,
      `rdb_last_save_time:${this.lastSaveTime}`,
      `rdb_last_bgsave_status:${this.lastStatus}`,
      `rdb_last_snapshot_lsn:${this.lastSnapshotLsn}`,
      `rdb_last_save_ms:${this.lastSaveMs}`,
      `rdb_worst_pause_ms:${this.worstPauseMs}`,
      "aof_enabled:0",
      `log_state:${rep.state}`,
      `log_epoch:${rep.epoch}`,
      `log_last_lsn:${rep.lastLsn}`,
      `log_commit_lsn:${rep.commitLsn}`,
      `log_quorum:${rep.quorum}`,
      `log_stores:${stores.length}`,
      `log_stores_connected:${stores.filter((s) => s.state === "streaming").length}`,
    ];
    stores.forEach((s, i) => {
      lines.push(`log_store${i}:name=${s.name},url=${s.url},state=${s.state},acked_lsn=${s.acked},lag=${rep.lastLsn - s.acked}` +
        (s.lastError === "" ? "" : `,error=${s.lastError.replace(/[\r\n,]/g, " ")}`));
    });
    return lines;
  }
}
