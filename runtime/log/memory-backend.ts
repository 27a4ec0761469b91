// A log-store backend in memory: the reference implementation of the
// backend contract (backend.ts) for tests and for the protocol simulation.
// "Durable" here means "in this object": nothing survives the process. Every
// operation completes in one turn of the event loop, so a group commit is
// trivially one "sync" per call; the counters still say how many there were.

import type { LogBackend, LogEvent, LogLimits, LogListener, StoredSnapshot } from "./backend.ts";
import { DEFAULT_LOG_LIMITS } from "./backend.ts";
import type { Crc32c } from "./crc32c.ts";
import { concatBytes } from "../bytes.ts";
import {
  LOG_PROTOCOL_VERSION, logError,
  type AppendReply, type AppendRequest, type LogTail, type PromiseReply, type PromiseRequest, type PutSnapshotReply,
  type PutSnapshotRequest, type ReadReply, type ReadRequest, type SnapshotInfo, type StoreStatus, type TrimReply,
  type TrimRequest, type TruncateReply, type TruncateRequest,
} from "./protocol.ts";
import { systemClock, type Clock } from "./clock.ts";
import {
  StoreLease, isHeartbeat, checkAppendFrames, checkPromise, checkRead, checkSnapshotRequest, checkTrim, checkTruncate, checkWriteEpoch, isLsn,
} from "./rules.ts";

interface StoredRecord {
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

  constructor(options: MemoryBackendOptions) {
    this.region = options.region;
    this.crc32c = options.crc32c;
    this.limits = { ...DEFAULT_LOG_LIMITS, ...options.limits };
    this.lease = new StoreLease(options.clock ?? systemClock);
  }

  private tail(): LogTail {
    const last = this.records[this.records.length - 1];
    return last === undefined ? this.base : { lastLsn: last.lsn, lastEpoch: last.epoch };
  }

  private firstLsn(): number {
    return this.base.lastLsn + 1;
  }

  private emit(event: LogEvent): void {
    for (const l of [...this.listeners]) l(event);
  }

  async status(): Promise<StoreStatus> {
    const tail = this.tail();
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
      this.syncs++;
    }
    return { ok: true, promisedEpoch: this.promisedEpoch, firstLsn: this.firstLsn(), tail: this.tail() };
  }

  async append(request: AppendRequest): Promise<AppendReply> {
    const epochError = checkWriteEpoch(this.promisedEpoch, request.epoch);
    if (epochError !== null) return epochError;
    this.lease.renew();
    if (isHeartbeat(request.frames)) {
      this.emit({ type: "heartbeat", epoch: request.epoch });
      this.noteCommit(request.commitLsn);
      return { ok: true, lastLsn: this.tail().lastLsn, records: 0 };
    }
    const scan = checkAppendFrames(request.frames, request.epoch, this.tail(), this.crc32c, this.limits);
    if ("ok" in scan) return scan;
    for (const f of scan.frames) {
      this.records.push({ lsn: f.lsn, epoch: f.epoch, frame: request.frames.slice(f.offset, f.offset + f.bytes) });
    }
    this.syncs++;
    const lastLsn = this.tail().lastLsn;
    this.emit({ type: "appended", lastLsn });
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
    const rangeError = checkTruncate(request.afterLsn, this.firstLsn(), this.tail());
    if (rangeError !== null) return rangeError;
    const keep = request.afterLsn - this.base.lastLsn;
    const removed = this.records.length - keep;
    this.records.length = keep;
    this.syncs++;
    if (removed > 0) this.emit({ type: "truncated", afterLsn: request.afterLsn });
    return { ok: true, tail: this.tail(), removed };
  }

  async read(request: ReadRequest): Promise<ReadReply> {
    const tail = this.tail();
    const error = checkRead(request.fromLsn, this.firstLsn(), tail);
    if (error !== null) return error;
    const maxBytes = Math.min(Math.max(1, request.maxBytes), this.limits.readBytesMax);
    const parts: Uint8Array[] = [];
    let bytes = 0;
    for (let i = request.fromLsn - this.firstLsn(); i < this.records.length; i++) {
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
    this.syncs++;
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
    this.syncs++;
    this.emit({ type: "trimmed", firstLsn: this.firstLsn() });
    return { ok: true, firstLsn: this.firstLsn(), tail: this.tail(), segmentsRemoved: 0 };
  }

  watch(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
