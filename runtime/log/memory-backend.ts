// A log-store backend in memory: the reference implementation of the
// backend contract (backend.ts) for tests and for the protocol simulation.
// "Durable" here means "in this object": nothing survives the process. Every
// operation completes in one turn of the event loop, so a group commit is
// trivially one "sync" per call; the counters still say how many there were.
//
// For the simulation (test/sim) a backend can be given a `sync` function,
// its fsync: then, as in the Node store, a change is written at once (appends
// are checked against the written tail) but acknowledged, read, reported in
// status and promise replies only once a sync has covered it, and
// `crashImage` says what a crash leaves behind: everything synced, plus a
// prefix of what was written but not yet synced (the page cache may or may
// not have reached the disk). A new backend started from that image is the
// store after its restart.

import type { LogBackend, LogEvent, LogLimits, LogListener, StoredSnapshot } from "./backend.ts";
import { DEFAULT_LOG_LIMITS } from "./backend.ts";
import type { Crc32c } from "./crc32c.ts";
import { concatBytes } from "../bytes.ts";
import {
  LOG_PROTOCOL_VERSION, logError,
  type AppendReply, type AppendRequest, type LogTail, type PromiseReply, type PromiseRequest, type PutSnapshotReply,
  type PutSnapshotRequest, type ReadReply, type ReadRequest, type SnapshotInfo, type StoreStatus, type TrimReply,
  type TrimRequest, type TruncateReply, type TruncateRequest, type ReleaseLeaseReply, type ReleaseLeaseRequest,
} from "./protocol.ts";
import { systemClock, type Clock } from "./clock.ts";
import {
  StoreLease, isHeartbeat, checkAppendFrames, checkReleaseLease, checkPromise, checkRead, checkSnapshotRequest, checkTrim, checkTruncate, checkWriteEpoch, isLsn,
} from "./rules.ts";

export interface StoredRecord {
  readonly lsn: number;
  readonly epoch: number;
  readonly frame: Uint8Array;
}

export interface MemoryBackendOptions {
  region: string;
  crc32c: Crc32c;
  limits?: Partial<LogLimits>;
  /** Time for the primary's lease (the simulation's clock; the system's by default). */
  clock?: Clock;
  /** The store's fsync: resolves once what was written before the call is durable. Default: durable at once. */
  sync?: () => Promise<void>;
  /** Start from what a crash left (crashImage), as a restarted store. */
  image?: MemoryLogImage;
}

/** What a crashed in-memory store left on its "disk". */
export interface MemoryLogImage {
  readonly promisedEpoch: number;
  readonly promisedTo: string;
  /** The lease length of the promise (0: none): a restarted store keeps the lease from its restart, as the Node store does. */
  readonly leaseMs?: number;
  readonly base: LogTail;
  readonly records: readonly StoredRecord[];
  readonly snapshots: readonly StoredSnapshot[];
}

/** What one sync covers, captured when it starts (a truncation meanwhile lowers `lsn`). */
interface SyncCover {
  lsn: number;
  readonly promisedEpoch: number;
  readonly promisedTo: string;
  readonly snapshots: StoredSnapshot[];
}

export class MemoryLogBackend implements LogBackend {
  readonly region: string;
  private readonly crc32c: Crc32c;
  private readonly limits: LogLimits;
  private promisedEpoch = 0;
  private promisedTo = "";
  /** LSN and epoch of the record before records[0]. */
  private base: LogTail = { lastLsn: 0, lastEpoch: 0 };
  private records: StoredRecord[] = [];
  private commitLsn = 0;
  private snapshots: StoredSnapshot[] = [];
  private readonly listeners = new Set<LogListener>();
  private readonly lease: StoreLease;
  /** Number of times this backend made something "durable" (one per mutating call). */
  syncs = 0;
  private readonly syncHook: (() => Promise<void>) | undefined;
  /** Records up to here are durable (the rest of `records` is only written). */
  private durableLsn = 0;
  private durablePromise = { epoch: 0, to: "" };
  private durableSnapshots: StoredSnapshot[] = [];
  private readonly syncing = new Set<SyncCover>();

  constructor(options: MemoryBackendOptions) {
    this.region = options.region;
    this.crc32c = options.crc32c;
    this.limits = { ...DEFAULT_LOG_LIMITS, ...options.limits };
    this.lease = new StoreLease(options.clock ?? systemClock);
    this.syncHook = options.sync;
    const image = options.image;
    if (image !== undefined) {
      this.promisedEpoch = image.promisedEpoch;
      this.promisedTo = image.promisedTo;
      this.durablePromise = { epoch: image.promisedEpoch, to: image.promisedTo };
      this.lease.restored(image.promisedTo, image.leaseMs ?? 0);
      this.base = image.base;
      this.records = [...image.records];
      this.snapshots = [...image.snapshots];
      this.durableSnapshots = this.snapshots;
      this.durableLsn = this.tail().lastLsn;
    }
  }

  /** The written tail: what appends continue. */
  private tail(): LogTail {
    const last = this.records[this.records.length - 1];
    return last === undefined ? this.base : { lastLsn: last.lsn, lastEpoch: last.epoch };
  }

  /** The durable tail: what is acknowledged, read and reported. */
  private durableTail(): LogTail {
    const last = this.records[this.durableLsn - this.base.lastLsn - 1];
    return last === undefined ? this.base : { lastLsn: last.lsn, lastEpoch: last.epoch };
  }

  /** Makes everything written so far durable (at once, or when the sync hook says so). */
  private async sync(): Promise<void> {
    const cover: SyncCover = {
      lsn: this.tail().lastLsn, promisedEpoch: this.promisedEpoch, promisedTo: this.promisedTo, snapshots: this.snapshots,
    };
    if (this.syncHook !== undefined) {
      this.syncing.add(cover);
      try {
        await this.syncHook();
      } finally {
        this.syncing.delete(cover);
      }
    }
    this.syncs++;
    const grew = cover.lsn > this.durableLsn;
    if (grew) this.durableLsn = cover.lsn;
    if (cover.promisedEpoch > this.durablePromise.epoch) this.durablePromise = { epoch: cover.promisedEpoch, to: cover.promisedTo };
    this.durableSnapshots = cover.snapshots;
    if (grew) this.emit({ type: "appended", lastLsn: this.durableLsn });
  }

  /**
   * What a crash now leaves: the durable state and the first `unsyncedKept`
   * records written after it (none of them was acknowledged; the page cache
   * may have reached the disk anyway).
   */
  crashImage(unsyncedKept: number): MemoryLogImage {
    const keepLsn = Math.min(this.tail().lastLsn, this.durableLsn + Math.max(0, unsyncedKept));
    return {
      promisedEpoch: this.durablePromise.epoch,
      promisedTo: this.durablePromise.to,
      leaseMs: this.lease.lengthMs,
      base: this.base,
      records: this.records.slice(0, keepLsn - this.base.lastLsn),
      snapshots: this.durableSnapshots,
    };
  }

  private firstLsn(): number {
    return this.base.lastLsn + 1;
  }

  private emit(event: LogEvent): void {
    for (const l of [...this.listeners]) l(event);
  }

  async status(): Promise<StoreStatus> {
    const tail = this.durableTail();
    let logBytes = 0;
    for (const r of this.records) logBytes += r.frame.length;
    return {
      protocol: LOG_PROTOCOL_VERSION,
      region: this.region,
      promisedEpoch: this.promisedEpoch,
      promisedTo: this.promisedTo,
      firstLsn: this.firstLsn(),
      lastLsn: tail.lastLsn,
      lastEpoch: tail.lastEpoch,
      commitLsn: this.commitLsn,
      logBytes,
      segments: 1,
      snapshots: this.snapshots.length,
      newestSnapshotLsn: this.snapshots[0]?.info.lsn ?? 0,
      recovery: null,
      leaseRemainingMs: this.lease.remainingMs(),
    };
  }

  async promise(request: PromiseRequest): Promise<PromiseReply> {
    const verdict = checkPromise({ promisedEpoch: this.promisedEpoch, promisedTo: this.promisedTo }, request, this.lease);
    if (typeof verdict !== "string") return verdict;
    if (verdict === "grant") {
      this.promisedEpoch = request.epoch;
      this.promisedTo = request.candidate;
      this.lease.granted(request);
    }
    // The promise, and every record written before it, durable before the reply.
    await this.sync();
    return { ok: true, promisedEpoch: this.promisedEpoch, firstLsn: this.firstLsn(), tail: this.durableTail() };
  }

  async append(request: AppendRequest): Promise<AppendReply> {
    const epochError = checkWriteEpoch(this.promisedEpoch, request.epoch);
    if (epochError !== null) return epochError;
    this.lease.renew(request);
    if (isHeartbeat(request.frames)) {
      this.emit({ type: "heartbeat", epoch: request.epoch });
      this.noteCommit(request.commitLsn);
      return { ok: true, lastLsn: this.durableTail().lastLsn, records: 0 };
    }
    const scan = checkAppendFrames(request.frames, request.epoch, this.tail(), this.crc32c, this.limits);
    if ("ok" in scan) return scan;
    for (const f of scan.frames) {
      this.records.push({ lsn: f.lsn, epoch: f.epoch, frame: request.frames.slice(f.offset, f.offset + f.bytes) });
    }
    const lastLsn = this.tail().lastLsn;
    await this.sync();
    this.noteCommit(request.commitLsn);
    return { ok: true, lastLsn, records: scan.frames.length };
  }

  private noteCommit(commitLsn: number | undefined): void {
    if (commitLsn !== undefined && isLsn(commitLsn) && commitLsn > this.commitLsn) {
      this.commitLsn = commitLsn;
      this.emit({ type: "commit", lsn: commitLsn });
    }
  }

  async truncate(request: TruncateRequest): Promise<TruncateReply> {
    const epochError = checkWriteEpoch(this.promisedEpoch, request.epoch);
    if (epochError !== null) return epochError;
    const rangeError = checkTruncate(request.afterLsn, this.firstLsn(), this.tail(), request.ifTail);
    if (rangeError !== null) return rangeError;
    const keep = request.afterLsn - this.base.lastLsn;
    const removed = this.records.length - keep;
    this.records.length = keep;
    // What was cut is gone from the durable log too, and from what running syncs cover.
    this.durableLsn = Math.min(this.durableLsn, request.afterLsn);
    for (const cover of this.syncing) cover.lsn = Math.min(cover.lsn, request.afterLsn);
    await this.sync();
    if (removed > 0) this.emit({ type: "truncated", afterLsn: request.afterLsn });
    return { ok: true, tail: this.durableTail(), removed };
  }

  async read(request: ReadRequest): Promise<ReadReply> {
    const tail = this.durableTail();
    const error = checkRead(request.fromLsn, this.firstLsn(), tail);
    if (error !== null) return error;
    const maxBytes = Math.min(Math.max(1, request.maxBytes), this.limits.readBytesMax);
    const parts: Uint8Array[] = [];
    let bytes = 0;
    for (let i = request.fromLsn - this.firstLsn(); i < this.durableLsn - this.base.lastLsn; i++) {
      const frame = this.records[i]!.frame;
      if (parts.length > 0 && bytes + frame.length > maxBytes) break;
      parts.push(frame);
      bytes += frame.length;
    }
    return { ok: true, frames: concatBytes(parts), records: parts.length, firstLsn: this.firstLsn(), tail };
  }

  async putSnapshot(request: PutSnapshotRequest): Promise<PutSnapshotReply> {
    const epochError = checkWriteEpoch(this.promisedEpoch, request.epoch);
    if (epochError !== null) return epochError;
    const error = checkSnapshotRequest(request.lsn, request.recordEpoch, request.data.length, this.limits);
    if (error !== null) return error;
    const info: SnapshotInfo = {
      lsn: request.lsn, epoch: request.recordEpoch, bytes: request.data.length, crc32c: this.crc32c(request.data),
    };
    this.snapshots = this.snapshots.filter((s) => s.info.lsn !== request.lsn);
    this.snapshots.push({ info, data: request.data.slice() });
    this.snapshots.sort((a, b) => b.info.lsn - a.info.lsn);
    this.snapshots.length = Math.min(this.snapshots.length, this.limits.snapshotsKept);
    await this.sync();
    return { ok: true, snapshot: info };
  }

  async listSnapshots(): Promise<SnapshotInfo[]> {
    return this.snapshots.map((s) => s.info);
  }

  async getSnapshot(lsn: number | "latest"): Promise<StoredSnapshot | null> {
    const found = lsn === "latest" ? this.snapshots[0] : this.snapshots.find((s) => s.info.lsn === lsn);
    return found === undefined ? null : { info: found.info, data: found.data.slice() };
  }

  async trim(request: TrimRequest): Promise<TrimReply> {
    const epochError = checkWriteEpoch(this.promisedEpoch, request.epoch);
    if (epochError !== null) return epochError;
    const verdict = checkTrim(request.lsn, this.snapshots.map((s) => s.info), this.tail());
    if ("ok" in verdict) return verdict;
    if (verdict.reset !== null) {
      this.records = [];
      this.base = { lastLsn: verdict.reset.lsn, lastEpoch: verdict.reset.epoch };
    } else if (request.lsn >= this.firstLsn()) {
      const drop = request.lsn - this.base.lastLsn;
      const last = this.records[drop - 1]!;
      this.base = { lastLsn: last.lsn, lastEpoch: last.epoch };
      this.records = this.records.slice(drop);
    }
    this.durableLsn = Math.max(this.durableLsn, this.base.lastLsn);
    await this.sync();
    this.emit({ type: "trimmed", firstLsn: this.firstLsn() });
    return { ok: true, firstLsn: this.firstLsn(), tail: this.durableTail(), segmentsRemoved: 0 };
  }

  async releaseLease(request: ReleaseLeaseRequest): Promise<ReleaseLeaseReply> {
    const verdict = checkReleaseLease({ promisedEpoch: this.promisedEpoch, promisedTo: this.promisedTo }, request);
    if (typeof verdict !== "boolean") return verdict;
    if (verdict) this.lease.release();
    return { ok: true, released: verdict };
  }

  watch(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
