// SAVE, BGSAVE, LASTSAVE and INFO persistence for a durable primary: a
// snapshot of the engine (runtime/snapshot.ts) stored on the log stores.
//
// A snapshot covers the log up to the last record sealed when it is taken,
// and is stored only once that record is committed, so that a snapshot never
// holds a write that could still be lost. SAVE answers when a quorum of
// stores holds it; BGSAVE answers at once. Both work in the background (the
// engine pauses only to copy its memory, into a buffer whose pages it made
// ready beforehand a piece per turn). LASTSAVE is the time of the last
// snapshot stored on a quorum (the start time until then, as in Redis).
//
// Scheduled snapshots: the host calls `scheduledSave()` about once a second
// (Redis's serverCron). It starts a BGSAVE when a `save` rule holds (N
// seconds since the last snapshot and at least M records since it), or when
// the log sealed since the last snapshot holds `snapshot-log-bytes` and at
// least the last snapshot's size (a snapshot costs no more than the log it
// lets the stores trim). After a failed snapshot the schedule waits 5 s
// before it tries again, as Redis does.

import type { Engine } from "../engine.ts";
import type { Replicator } from "./replicator.ts";

/** What starts a scheduled snapshot (read at each check, so CONFIG SET applies at once). */
export interface SnapshotPolicy {
  /** The `save` setting: "seconds changes" pairs, "" for none. */
  save(): string;
  /** `snapshot-log-bytes`: log bytes since the last snapshot that start one (0: never). */
  logBytes(): number;
}

/** Redis's CONFIG_BGSAVE_RETRY_DELAY. */
const RETRY_AFTER_FAILURE_MS = 5000;

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
  /** Snapshots stored on a quorum since the start. */
  saves = 0;
  /** Size of the newest snapshot taken (bytes). */
  lastSnapshotBytes = 0;
  /** Unix ms when the running snapshot started (0: none). */
  private startedAt = 0;
  /** Unix ms of the last attempt that failed (0: none since the last success). */
  private lastFailureAt = 0;
  /** replicator.sealedBytes when the image of the newest stored snapshot was taken. */
  private sealedBytesAtSnapshot: number;
  private readonly now: () => number;
  private readonly log: (message: string) => void;

  /** Set by close(): a background snapshot still making its buffer ready takes no image. */
  private closed = false;
  private readonly imagesAtOnce: boolean;
  /** Allocates a background image's buffer (shared memory, where the stores are threads of this process). */
  private readonly allocateImage: ((bytes: number) => Uint8Array) | undefined;

  constructor(engine: Engine, replicator: Replicator, options: {
    mode: string; snapshotLsn: number; now?: () => number; log?: (message: string) => void;
    /** Allocates a background image's buffer; default an ordinary one. */
    allocateImage?: (bytes: number) => Uint8Array;
    /**
     * Take each image at once, the engine stopped for the copy and its
     * checksum, with no turns of the event loop between: for the
     * deterministic simulation, where no real timer may decide anything.
     */
    imagesAtOnce?: boolean;
    /** Log bytes replayed after the snapshot recovery started from (they count towards snapshot-log-bytes). */
    logBytesSinceSnapshot?: number;
    /** Size of that snapshot. */
    snapshotBytes?: number;
  }) {
    this.engine = engine;
    this.replicator = replicator;
    this.mode = options.mode;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
    this.lastSaveTime = Math.floor(this.now() / 1000);
    this.lastSnapshotLsn = options.snapshotLsn;
    this.sealedBytesAtSnapshot = replicator.sealedBytes - (options.logBytesSinceSnapshot ?? 0);
    this.lastSnapshotBytes = options.snapshotBytes ?? 0;
    this.allocateImage = options.allocateImage;
    this.imagesAtOnce = options.imagesAtOnce === true;
  }

  /** Records sealed since the newest snapshot (Redis's dirty counter). */
  changesSinceSave(): number {
    return Math.max(0, this.replicator.lastLsn - this.lastSnapshotLsn);
  }

  /** Bytes of log sealed since the newest snapshot's image was taken. */
  logBytesSinceSave(): number {
    return this.replicator.sealedBytes - this.sealedBytesAtSnapshot;
  }

  /**
   * Starts a background snapshot if the policy says one is due; returns why
   * (for the log line), or null. Call it about once a second.
   */
  scheduledSave(policy: SnapshotPolicy): string | null {
    if (this.inProgress || this.replicator.state !== "serving") return null;
    const now = this.now();
    if (this.lastFailureAt !== 0 && now - this.lastFailureAt < RETRY_AFTER_FAILURE_MS) return null;
    const changes = this.changesSinceSave();
    if (changes === 0) return null;
    let reason: string | null = null;
    const rules = policy.save().split(" ").filter((p) => p.length > 0).map(Number);
    const elapsed = Math.floor(now / 1000) - this.lastSaveTime;
    for (let i = 0; i + 1 < rules.length && reason === null; i += 2) {
      if (changes >= rules[i + 1]! && elapsed > rules[i]!) reason = `${rules[i + 1]} changes in ${rules[i]} seconds`;
    }
    const limit = policy.logBytes();
    const bytes = this.logBytesSinceSave();
    if (reason === null && limit > 0 && bytes >= Math.max(limit, this.lastSnapshotBytes)) {
      reason = `${bytes} bytes of log since the last snapshot (snapshot-log-bytes ${limit})`;
    }
    if (reason === null || !this.bgsave()) return null;
    this.log(`${reason}. Saving...`);
    return reason;
  }

  /** The LSN an image taken now covers: native runs of this turn may wait in the open record, which is sealed first. */
  private coveredLsn(): number {
    this.replicator.seal();
    return this.replicator.lastLsn;
  }

  /**
   * SAVE: takes an image as BGSAVE does and answers once it is stored. The
   * engine stops only for the copy (Redis's SAVE stops the server for the
   * whole save); the image covers at least everything before the command.
   */
  save(): Promise<SaveResult> {
    if (this.inProgress) return Promise.resolve({ ok: false, message: "ERR Background save already in progress" });
    return this.start();
  }

  /**
   * BGSAVE: starts a background snapshot; false when one is already running.
   * The image covers the log at the moment it is copied, after its buffer is
   * ready (Engine.snapshotBuffer), a few hundred turns of the event loop later.
   */
  bgsave(): boolean {
    if (this.inProgress) return false;
    void this.start();
    return true;
  }

  private async start(): Promise<SaveResult> {
    const started = this.now();
    this.inProgress = true;
    this.startedAt = started;
    try {
      let lsn: number;
      let sealedBytes: number;
      let image: Uint8Array;
      try {
        const into = this.imagesAtOnce ? undefined : await this.engine.snapshotBuffer(this.allocateImage);
        if (this.closed) throw new Error("the server is stopping");
        lsn = this.coveredLsn();
        sealedBytes = this.replicator.sealedBytes;
        const copyStarted = this.now();
        // Either way the copy is taken synchronously here: that is the pause.
        const taken = this.imagesAtOnce ? this.engine.snapshot(lsn) : this.engine.snapshotInBackground(lsn, into);
        this.notePause(this.now() - copyStarted);
        image = await taken;
      } catch (error) {
        return this.fail(`snapshot failed: ${String(error)}`);
      }
      return await this.store(lsn, image, started, sealedBytes);
    } finally {
      this.inProgress = false;
      this.startedAt = 0;
    }
  }

  /** The host is stopping: no new image is taken (one being stored may still finish). */
  close(): void {
    this.closed = true;
  }

  private notePause(ms: number): void {
    if (ms > this.worstPauseMs) this.worstPauseMs = ms;
  }

  /** Stores a taken image on the stores (start() holds inProgress meanwhile). */
  private async store(lsn: number, image: Uint8Array, started: number, sealedBytes: number): Promise<SaveResult> {
    const result = await this.replicator.saveSnapshot(lsn, image);
    if (!result.ok) return this.fail(`snapshot at LSN ${lsn} stored on ${result.stores} store(s), ${this.replicator.quorum} needed: ${result.error}`);
    this.lastSaveTime = Math.floor(this.now() / 1000);
    if (lsn >= this.lastSnapshotLsn) this.sealedBytesAtSnapshot = sealedBytes;
    this.lastSnapshotLsn = Math.max(this.lastSnapshotLsn, lsn);
    this.saves++;
    this.lastFailureAt = 0;
    this.lastSnapshotBytes = image.length;
    this.lastStatus = "ok";
    this.lastError = "";
    this.lastSaveMs = this.now() - started;
    this.log(`snapshot at LSN ${lsn} (${image.length} bytes) stored on ${result.stores} log store(s) in ${this.lastSaveMs} ms`);
    return { ok: true, message: "OK" };
  }

  private fail(message: string): SaveResult {
    this.lastStatus = "err";
    this.lastFailureAt = this.now();
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
      `rdb_changes_since_last_save:${this.changesSinceSave()}`,
      `rdb_bgsave_in_progress:${this.inProgress ? 1 : 0}`,
      `rdb_last_save_time:${this.lastSaveTime}`,
      `rdb_last_bgsave_status:${this.lastStatus}`,
      `rdb_saves:${this.saves}`,
      `rdb_last_bgsave_time_sec:${this.saves === 0 ? -1 : Math.round(this.lastSaveMs / 1000)}`,
      `rdb_current_bgsave_time_sec:${this.startedAt === 0 ? -1 : Math.round((this.now() - this.startedAt) / 1000)}`,
      `rdb_last_snapshot_bytes:${this.lastSnapshotBytes}`,
      `log_bytes_since_last_save:${this.logBytesSinceSave()}`,
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
