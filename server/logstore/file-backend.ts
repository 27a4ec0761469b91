// The Node log-store backend: append-only segment files (files.ts) with
// group commit.
//
// Writes and reads of file data are synchronous system calls (they go to the
// page cache and take microseconds), so every change of the log's state
// happens within one turn of the event loop and needs no locking. The
// segments' fdatasync is synchronous too: a store's process or thread has
// nothing else to do while its log syncs (appends that arrive meanwhile wait
// in the sockets or the port and join the next flush), and skipping libuv's thread pool saves two thread
// wake-ups per sync, a quarter of a store's CPU per durable write at -P 1
// (docs/BENCHMARKS.md). A sync is shared: an append writes its frames,
// then waits for the next flush; a flush syncs every segment written since
// the previous one (and the folder, when files were created or deleted) and
// then answers every append that was waiting for it. While a flush runs, new
// appends pile up for the next one, so under load each fsync makes a whole
// batch of appends durable: durability costs a round trip and an fsync per
// batch, not per record. The flush starts on the next turn of the event loop
// (setImmediate) so that appends already read from the sockets join it.
//
// Two tails are tracked: `written` (what the files hold, what appends are
// checked against) and `durable` (what a completed flush covered, the only
// part reads, tails and status expose). A truncation lowers both at once.
//
// Order of deletions, so that a crash at any point leaves a valid log:
// truncation deletes whole segments newest first and then cuts the last one
// (a crash leaves a prefix of the old log); trimming deletes oldest first (a
// crash leaves a suffix); a reset (trim past the end) first creates its new
// segment with FLAG_RESET and then deletes the old ones, and recovery finishes
// that deletion. A segment rolls only after the one before it is synced, so
// every segment but the last is complete.
//
// Recovery on start reads every segment's header and scans the last segment
// frame by frame. A torn or corrupt tail (a frame cut short, a bad checksum,
// an LSN out of sequence) is cut at the end of the last valid record, the cut
// is synced, and it is reported (status().recovery). A last segment whose
// header is incomplete (a crash while rolling) is deleted. Older segments are
// verified by checksum as they are read.
//
// An fsync that fails leaves the file's state unknown (the kernel may have
// dropped the dirty pages), so the backend stops: it answers every write
// with "io-error" and calls onFatal; the host exits and recovery runs again.

import * as fs from "node:fs";
import { join } from "node:path";
import type { LogBackend, LogEvent, LogLimits, LogListener, StoredSnapshot } from "../../runtime/log/backend.ts";
import { DEFAULT_LOG_LIMITS } from "../../runtime/log/backend.ts";
import type { Crc32c } from "../../runtime/log/crc32c.ts";
import { scanFrames, FRAME_PREFIX_BYTES } from "../../runtime/log/frame.ts";
import {
  LOG_PROTOCOL_VERSION, logError,
  type AppendReply, type AppendRequest, type LogError, type LogTail, type PromiseReply, type PromiseRequest,
  type PutSnapshotReply, type PutSnapshotRequest, type ReadReply, type ReadRequest, type RecoveryReport,
  type SnapshotInfo, type StoreStatus, type TrimReply, type TrimRequest, type TruncateReply, type TruncateRequest,
  type ReleaseLeaseReply, type ReleaseLeaseRequest,
} from "../../runtime/log/protocol.ts";
import { systemClock } from "../../runtime/log/clock.ts";
import {
  StoreLease, isHeartbeat, checkAppendFrames, checkReleaseLease, checkPromise, checkRead, checkSnapshotRequest, checkTrim, checkTruncate, checkWriteEpoch, isLsn,
} from "../../runtime/log/rules.ts";
import {
  FLAG_RESET, SEGMENT_HEADER_BYTES, SNAPSHOT_HEADER_BYTES, decodeSegmentHeader, decodeSnapshotHeader,
  encodeSegmentHeader, encodeSnapshotHeader, fsyncDir, fsyncDirSync, parseNumberedName, readSync,
  segmentName, snapshotName, writeAllSync, writeFileAtomic,
} from "./files.ts";

export interface FileBackendOptions {
  region: string;
  /** The data folder (created if missing). */
  dir: string;
  crc32c: Crc32c;
  /** A segment rolls once it holds this many bytes (default 64 MiB). */
  segmentBytes?: number;
  limits?: Partial<LogLimits>;
  /** Called when an fsync fails: the backend refuses writes from then on. */
  onFatal?: (error: unknown) => void;
  /** Awaited at the start of every flush, before its fsyncs (tests hold flushes open with it). */
  beforeFlush?: () => Promise<void>;
}

/** What the backend has done, for tests and INFO-like reporting. */
export interface FileBackendCounters {
  /** Flushes completed: each made every append waiting for it durable. */
  flushes: number;
  /** fdatasync calls on segment files (rolls included). */
  fileSyncs: number;
  /** fsync calls on the log folder. */
  dirSyncs: number;
  /** Appends acknowledged. */
  appendsAcked: number;
  /** Records acknowledged. */
  recordsAcked: number;
}

interface Segment {
  readonly base: number;
  readonly baseEpoch: number;
  readonly name: string;
  readonly path: string;
  readonly fd: number;
  /** Bytes of log in the file, header included (the write position of the last segment). */
  size: number;
  /**
   * The file's length: the last segment's runs up to SPACE_AHEAD_BYTES past
   * `size` (zeros, never written), every other segment's is `size`.
   */
  allocated: number;
  /** Sparse index: LSNs and offsets of some frames, ascending; null until the segment is scanned. */
  indexLsn: number[] | null;
  indexOffset: number[];
}

/** Index one frame per this many bytes: a lookup then reads at most this much to find a record. */
const INDEX_SPACING_BYTES = 64 * 1024;
/** Bytes read per system call when scanning a segment. */
const READ_CHUNK_BYTES = 1024 * 1024;
/**
 * The last segment's file is extended this far past what it holds, a MiB at a
 * time, so that an fdatasync seldom has a new file length to persist: an
 * 800-byte append and fdatasync takes about 110 µs here instead of 165 (and
 * 195 instead of 260 with three stores at once; docs/BENCHMARKS.md). Recovery
 * reads the zeros after the last frame as never written, not as a torn tail.
 */
const SPACE_AHEAD_BYTES = 1024 * 1024;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** A snapshot's checksum is computed this much per turn of the event loop (about a millisecond). */
const SNAPSHOT_CRC_PIECE_BYTES = 1024 * 1024;

export class CorruptLogError extends Error {
  override name = "CorruptLogError";
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class FileLogBackend implements LogBackend {
  readonly region: string;
  readonly dir: string;
  readonly counters: FileBackendCounters = { flushes: 0, fileSyncs: 0, dirSyncs: 0, appendsAcked: 0, recordsAcked: 0 };
  /** What recovery cut on start, if anything. */
  recovery: RecoveryReport | null = null;
  /** Notes from recovery that are not cuts (leftover files removed). */
  readonly recoveryNotes: string[] = [];

  private readonly crc32c: Crc32c;
  private readonly limits: LogLimits;
  private readonly segmentBytes: number;
  private readonly logDir: string;
  private readonly snapshotDir: string;
  private readonly onFatal: (error: unknown) => void;
  private readonly beforeFlush: (() => Promise<void>) | undefined;

  private segments: Segment[] = [];
  private written: LogTail = { lastLsn: 0, lastEpoch: 0 };
  private durable: LogTail = { lastLsn: 0, lastEpoch: 0 };
  private promisedEpoch = 0;
  private promisedTo = "";
  private promiseWrites: Promise<void> = Promise.resolve();
  private commitLsn = 0;
  private snapshots: SnapshotInfo[] = [];
  private readonly listeners = new Set<LogListener>();
  private readonly lease = new StoreLease(systemClock);

  // Group commit state.
  private readonly dirty = new Set<Segment>();
  private dirDirty = false;
  private waiting: Waiter[] = [];
  private flushing = false;
  private flushScheduled = false;
  /** Lowest truncation point since the running flush began (it cannot count records above it as durable). */
  private truncatedDuringFlush: LogTail | null = null;
  /** fds of deleted segments, closed once no flush can be using them. */
  private closeLater: number[] = [];
  private failed: unknown = null;
  private closed = false;

  private constructor(options: FileBackendOptions) {
    this.region = options.region;
    this.dir = options.dir;
    this.crc32c = options.crc32c;
    this.limits = { ...DEFAULT_LOG_LIMITS, ...options.limits };
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.logDir = join(options.dir, "log");
    this.snapshotDir = join(options.dir, "snapshots");
    this.onFatal = options.onFatal ?? (() => {});
    this.beforeFlush = options.beforeFlush;
  }

  /** Opens (or creates) the store in `options.dir` and runs recovery. */
  static async open(options: FileBackendOptions): Promise<FileLogBackend> {
    const backend = new FileLogBackend(options);
    backend.recover();
    return backend;
  }

  // ---- recovery ---------------------------------------------------------------

  private recover(): void {
    fs.mkdirSync(this.logDir, { recursive: true });
    fs.mkdirSync(this.snapshotDir, { recursive: true });
    this.loadPromise();
    this.loadSnapshots();
    let changedDir = false;

    const names = fs.readdirSync(this.logDir).sort();
    const found: Array<{ name: string; base: number }> = [];
    for (const name of names) {
      const base = parseNumberedName(name, ".seg");
      if (base === null) {
        if (name.includes(".tmp-")) {
          fs.unlinkSync(join(this.logDir, name));
          changedDir = true;
        }
        continue;
      }
      found.push({ name, base });
    }
    found.sort((a, b) => a.base - b.base);

    // Headers; a last segment with an incomplete header is a roll cut short.
    const segments: Segment[] = [];
    for (let i = 0; i < found.length; i++) {
      const { name, base } = found[i]!;
      const path = join(this.logDir, name);
      const fd = fs.openSync(path, "r+");
      const size = fs.fstatSync(fd).size;
      const header = decodeSegmentHeader(readSync(fd, SEGMENT_HEADER_BYTES, 0), this.crc32c);
      if (header === null || header.base !== base) {
        fs.closeSync(fd);
        if (i === found.length - 1) {
          fs.unlinkSync(path);
          changedDir = true;
          this.recoveryNotes.push(`deleted ${name}: its header was incomplete (a crash while starting a segment)`);
          continue;
        }
        throw new CorruptLogError(`segment ${name} has a damaged header and is not the last segment`);
      }
      segments.push({
        base, baseEpoch: header.baseEpoch, name, path, fd, size, allocated: size, indexLsn: null, indexOffset: [],
      });
      if ((header.flags & FLAG_RESET) !== 0) {
        // A reset: everything before this segment is obsolete (a crash may have left some).
        for (const old of segments.splice(0, segments.length - 1)) {
          fs.closeSync(old.fd);
          fs.unlinkSync(old.path);
          changedDir = true;
          this.recoveryNotes.push(`deleted ${old.name}: superseded by the reset segment ${name}`);
        }
      }
    }
    this.segments = segments;
    if (segments.length === 0) {
      this.createSegment(0, 0, 0);
      fs.fdatasyncSync(this.active().fd);
      changedDir = true;
    } else {
      this.recoverLastSegment();
    }
    if (changedDir) fsyncDirSync(this.logDir);
    this.dirty.clear();
    this.dirDirty = false;
    this.durable = this.written;
  }

  /**
   * Scans the last segment, cuts a torn or corrupt tail, and sets the written
   * tail. Zeros after the last frame are space extended ahead of the appends
   * (SPACE_AHEAD_BYTES), never written: cut, not reported. Anything else there
   * is a torn or corrupt tail: cut and reported.
   */
  private recoverLastSegment(): void {
    const segment = this.active();
    const { tail, validEnd, fault } = this.scanSegment(segment, true);
    if (fault !== undefined) {
      const dataEnd = nonZeroEnd(segment.fd, validEnd, segment.size);
      fs.ftruncateSync(segment.fd, validEnd);
      fs.fdatasyncSync(segment.fd);
      segment.size = segment.allocated = validEnd;
      if (dataEnd > validEnd) {
        this.recovery = {
          segment: segment.name,
          validEndOffset: validEnd,
          bytesCut: dataEnd - validEnd,
          lastValidLsn: tail.lastLsn,
          reason: `${fault.kind}: ${fault.message}`,
        };
      }
    }
    this.written = tail;
  }

  private loadPromise(): void {
    const path = join(this.dir, "promise");
    let text: string;
    try {
      text = fs.readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    const parsed = JSON.parse(text) as { epoch: number; candidate: string; leaseMs?: number; crc32c: number };
    const record = parsed.leaseMs === undefined
      ? { epoch: parsed.epoch, candidate: parsed.candidate }
      : { epoch: parsed.epoch, candidate: parsed.candidate, leaseMs: parsed.leaseMs };
    const check = this.crc32c(new TextEncoder().encode(JSON.stringify(record)));
    if (check !== parsed.crc32c) throw new CorruptLogError(`${path} fails its checksum`);
    this.promisedEpoch = parsed.epoch;
    this.promisedTo = parsed.candidate;
    // A lease may have been running when the store stopped: keep it from now.
    this.lease.restored(parsed.candidate, parsed.leaseMs ?? 0);
  }

  private loadSnapshots(): void {
    const list: SnapshotInfo[] = [];
    for (const name of fs.readdirSync(this.snapshotDir)) {
      const path = join(this.snapshotDir, name);
      if (name.includes(".tmp-")) {
        fs.unlinkSync(path);
        continue;
      }
      const lsn = parseNumberedName(name, ".snap");
      if (lsn === null) continue;
      const fd = fs.openSync(path, "r");
      try {
        const header = decodeSnapshotHeader(readSync(fd, SNAPSHOT_HEADER_BYTES, 0), this.crc32c);
        const size = fs.fstatSync(fd).size;
        if (header === null || header.lsn !== lsn || size !== SNAPSHOT_HEADER_BYTES + header.bytes) {
          this.recoveryNotes.push(`ignored snapshot ${name}: damaged header or size`);
          continue;
        }
        list.push({ lsn: header.lsn, epoch: header.epoch, bytes: header.bytes, crc32c: header.crc32c });
      } finally {
        fs.closeSync(fd);
      }
    }
    this.snapshots = list.sort((a, b) => b.lsn - a.lsn);
  }

  // ---- segments -----------------------------------------------------------------

  private active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** LSN of the last record in segment i (its base when it holds none). */
  private segmentLastLsn(i: number): number {
    const next = this.segments[i + 1];
    if (next !== undefined) return next.base;
    return this.written.lastLsn;
  }

  private createSegment(base: number, baseEpoch: number, flags: number): Segment {
    const name = segmentName(base);
    const path = join(this.logDir, name);
    const fd = fs.openSync(path, "w+");
    writeAllSync(fd, encodeSegmentHeader({ base, baseEpoch, flags }, this.crc32c), 0);
    const segment: Segment = {
      base, baseEpoch, name, path, fd, size: SEGMENT_HEADER_BYTES, allocated: SEGMENT_HEADER_BYTES, indexLsn: [], indexOffset: [],
    };
    this.segments.push(segment);
    this.dirty.add(segment);
    this.dirDirty = true;
    return segment;
  }

  private removeSegment(segment: Segment): void {
    fs.unlinkSync(segment.path);
    this.dirty.delete(segment);
    this.dirDirty = true;
    if (this.flushing) this.closeLater.push(segment.fd);
    else fs.closeSync(segment.fd);
  }

  /**
   * Reads a segment from `start` (a frame boundary holding record `startLsn`)
   * and calls `visit` with each frame: its bytes (a view valid only during the
   * call), LSN, epoch and offset. `visit` returns false to stop. Stops at the
   * first bad frame and returns where and why; a segment other than the one
   * being recovered treats that as corruption.
   */
  private walk(
    segment: Segment, start: number, startLsn: number, startEpoch: number,
    visit: (frame: Uint8Array, lsn: number, epoch: number, offset: number) => boolean,
  ): { end: number; lastLsn: number; lastEpoch: number; fault: { kind: string; message: string } | undefined } {
    let offset = start;
    let expectLsn = startLsn;
    let minEpoch = startEpoch;
    let lastLsn = startLsn - 1;
    let lastEpoch = startEpoch;
    let chunkBytes = READ_CHUNK_BYTES;
    while (offset < segment.size) {
      const chunk = readSync(segment.fd, Math.min(chunkBytes, segment.size - offset), offset);
      const scan = scanFrames(chunk, this.crc32c, { frameBytesMax: this.limits.frameBytesMax, expectLsn, minEpoch });
      // Plain Uint8Array views: a Buffer's subarray costs several times more, once per frame.
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      for (const f of scan.frames) {
        lastLsn = f.lsn;
        lastEpoch = f.epoch;
        if (!visit(bytes.subarray(f.offset, f.offset + f.bytes), f.lsn, f.epoch, offset + f.offset)) {
          return { end: offset + f.offset + f.bytes, lastLsn, lastEpoch, fault: undefined };
        }
      }
      offset += scan.validEnd;
      expectLsn = lastLsn + 1;
      minEpoch = lastEpoch;
      if (scan.fault === undefined) continue;
      const atFileEnd = offset + (chunk.length - scan.validEnd) >= segment.size;
      if (scan.fault.kind === "torn" && !atFileEnd) {
        // The chunk ended inside a frame: read again from it, big enough for the whole frame.
        if (scan.validEnd === 0) {
          const need = chunk.length >= 4 ? chunk.readUInt32LE(0) + FRAME_PREFIX_BYTES : FRAME_PREFIX_BYTES;
          chunkBytes = Math.max(chunkBytes, need);
        }
        continue;
      }
      return { end: offset, lastLsn, lastEpoch, fault: { kind: scan.fault.kind, message: scan.fault.message } };
    }
    return { end: offset, lastLsn, lastEpoch, fault: undefined };
  }

  /** Scans a whole segment, building its sparse index; for the last segment on recovery, a fault is a tail to cut. */
  private scanSegment(segment: Segment, recovering: boolean): {
    tail: LogTail; validEnd: number; fault: { kind: string; message: string } | undefined;
  } {
    const indexLsn: number[] = [];
    const indexOffset: number[] = [];
    let lastIndexed = -INDEX_SPACING_BYTES;
    const result = this.walk(segment, SEGMENT_HEADER_BYTES, segment.base + 1, segment.baseEpoch, (_frame, lsn, _epoch, offset) => {
      if (offset - lastIndexed >= INDEX_SPACING_BYTES) {
        indexLsn.push(lsn);
        indexOffset.push(offset);
        lastIndexed = offset;
      }
      return true;
    });
    if (result.fault !== undefined && !recovering) {
      throw new CorruptLogError(`segment ${segment.name} is damaged at offset ${result.end}: ${result.fault.message}`);
    }
    segment.indexLsn = indexLsn;
    segment.indexOffset = indexOffset;
    const tail = result.lastLsn >= segment.base + 1
      ? { lastLsn: result.lastLsn, lastEpoch: result.lastEpoch }
      : { lastLsn: segment.base, lastEpoch: segment.baseEpoch };
    return { tail, validEnd: result.end, fault: result.fault };
  }

  /** Where to start reading segment `segment` to reach record `lsn`: an indexed frame at or before it. */
  private seek(segment: Segment, lsn: number): { offset: number; lsn: number; epoch: number } {
    if (segment.indexLsn === null) this.scanSegment(segment, false);
    const lsns = segment.indexLsn!;
    let lo = 0;
    let hi = lsns.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (lsns[mid]! <= lsn) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    // The epoch of the indexed frame's predecessor is not known; 0 disables
    // nothing that matters here (epochs only need to be non-decreasing).
    if (found < 0) return { offset: SEGMENT_HEADER_BYTES, lsn: segment.base + 1, epoch: segment.baseEpoch };
    return { offset: segment.indexOffset[found]!, lsn: lsns[found]!, epoch: 0 };
  }

  private noteIndex(segment: Segment, lsn: number, offset: number): void {
    if (segment.indexLsn === null) return;
    const lastOffset = segment.indexOffset[segment.indexOffset.length - 1];
    if (lastOffset === undefined || offset - lastOffset >= INDEX_SPACING_BYTES) {
      segment.indexLsn.push(lsn);
      segment.indexOffset.push(offset);
    }
  }

  /** Index of the segment holding record `lsn` (base < lsn <= its last). */
  private segmentOf(lsn: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid]!.base < lsn) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  // ---- group commit ---------------------------------------------------------------

  /** Resolves when everything written so far is durable. */
  private sync(): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.flushing && !this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          void this.flush();
        });
      }
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.waiting.length > 0 && this.failed === null) {
        const batch = this.waiting.splice(0);
        const segments = [...this.dirty];
        this.dirty.clear();
        const dir = this.dirDirty;
        this.dirDirty = false;
        const covered = this.written;
        this.truncatedDuringFlush = null;
        try {
          if (this.beforeFlush !== undefined) await this.beforeFlush();
          for (const s of segments) {
            fs.fdatasyncSync(s.fd);
            this.counters.fileSyncs++;
          }
          if (dir) {
            await fsyncDir(this.logDir);
            this.counters.dirSyncs++;
          }
        } catch (error) {
          this.fail(error);
          for (const w of batch) w.reject(error);
          break;
        }
        this.counters.flushes++;
        const truncated = this.truncatedDuringFlush as LogTail | null;
        const now = truncated !== null && truncated.lastLsn < covered.lastLsn ? truncated : covered;
        const grew = now.lastLsn > this.durable.lastLsn;
        if (now.lastLsn >= this.durable.lastLsn) this.durable = now;
        for (const w of batch) w.resolve();
        if (grew) this.emit({ type: "appended", lastLsn: this.durable.lastLsn });
      }
    } finally {
      this.flushing = false;
      for (const fd of this.closeLater.splice(0)) fs.closeSync(fd);
      if (this.failed !== null) {
        for (const w of this.waiting.splice(0)) w.reject(this.failed);
      }
    }
  }

  private fail(error: unknown): void {
    if (this.failed !== null) return;
    this.failed = error;
    this.onFatal(error);
  }

  private failedError(): LogError | null {
    if (this.failed === null && !this.closed) return null;
    return logError("io-error", this.closed ? "the store is closed" : `the store stopped after a failed fsync: ${String(this.failed)}`);
  }

  private emit(event: LogEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // A listener's failure is its own; the log goes on.
      }
    }
  }

  // ---- the backend contract ---------------------------------------------------------

  async status(): Promise<StoreStatus> {
    if (this.closed) throw new Error("the store is closed");
    let logBytes = 0;
    for (const s of this.segments) logBytes += s.size;
    return {
      protocol: LOG_PROTOCOL_VERSION,
      region: this.region,
      promisedEpoch: this.promisedEpoch,
      promisedTo: this.promisedTo,
      firstLsn: this.segments[0]!.base + 1,
      lastLsn: this.durable.lastLsn,
      lastEpoch: this.durable.lastEpoch,
      commitLsn: this.commitLsn,
      logBytes,
      segments: this.segments.length,
      snapshots: this.snapshots.length,
      newestSnapshotLsn: this.snapshots[0]?.lsn ?? 0,
      recovery: this.recovery,
      leaseRemainingMs: this.lease.remainingMs(),
      io: {
        appends: this.counters.appendsAcked, records: this.counters.recordsAcked,
        flushes: this.counters.flushes, fileSyncs: this.counters.fileSyncs,
      },
    };
  }

  /** Queues the promise file's new content (with the lease length a restart restores). */
  private persistPromise(epoch: number, candidate: string, leaseMs: number): void {
    const record = leaseMs === 0 ? { epoch, candidate } : { epoch, candidate, leaseMs };
    const crc32c = this.crc32c(new TextEncoder().encode(JSON.stringify(record)));
    const text = JSON.stringify({ ...record, crc32c });
    // Promises are persisted one after another, so the file ends with the newest.
    this.promiseWrites = this.promiseWrites.then(() =>
      writeFileAtomic(join(this.dir, "promise"), [new TextEncoder().encode(text)]));
  }

  async releaseLease(request: ReleaseLeaseRequest): Promise<ReleaseLeaseReply> {
    const stopped = this.failedError();
    if (stopped !== null) return stopped;
    const verdict = checkReleaseLease({ promisedEpoch: this.promisedEpoch, promisedTo: this.promisedTo }, request);
    if (typeof verdict !== "boolean") return verdict;
    if (!verdict) return { ok: true, released: false };
    this.lease.release();
    // Persisted without a lease length, so that a restart of this store does not restore it.
    this.persistPromise(this.promisedEpoch, this.promisedTo, 0);
    try {
      await this.promiseWrites;
    } catch (error) {
      this.fail(error);
      return logError("io-error", `could not persist the promise: ${String(error)}`);
    }
    return { ok: true, released: true };
  }

  async promise(request: PromiseRequest): Promise<PromiseReply> {
    const stopped = this.failedError();
    if (stopped !== null) return stopped;
    const verdict = checkPromise({ promisedEpoch: this.promisedEpoch, promisedTo: this.promisedTo }, request, this.lease);
    if (typeof verdict !== "string") return verdict;
    if (verdict === "grant") {
      // Fence at once: from here on no append of an older epoch is written.
      this.promisedEpoch = request.epoch;
      this.promisedTo = request.candidate;
      this.lease.granted(request);
      this.persistPromise(request.epoch, request.candidate, request.leaseMs ?? 0);
    }
    try {
      await this.promiseWrites;
      // Records written before the promise are part of the tail it reports: make them durable first.
      await this.sync();
    } catch (error) {
      this.fail(error);
      return logError("io-error", `could not persist the promise: ${String(error)}`);
    }
    return { ok: true, promisedEpoch: this.promisedEpoch, firstLsn: this.segments[0]!.base + 1, tail: this.durable };
  }

  async append(request: AppendRequest): Promise<AppendReply> {
    const stopped = this.failedError();
    if (stopped !== null) return stopped;
    const epochError = checkWriteEpoch(this.promisedEpoch, request.epoch);
    if (epochError !== null) return epochError;
    this.lease.renew(request);
    if (isHeartbeat(request.frames)) {
      this.emit({ type: "heartbeat", epoch: request.epoch });
      this.noteCommit(request.commitLsn);
      return { ok: true, lastLsn: this.durable.lastLsn, records: 0 };
    }
    const scan = checkAppendFrames(request.frames, request.epoch, this.written, this.crc32c, this.limits);
    if ("ok" in scan) return scan;

    let segment = this.active();
    if (segment.size >= this.segmentBytes && this.written.lastLsn > segment.base) segment = this.roll();
    const position = segment.size;
    try {
      const end = position + request.frames.length;
      if (end > segment.allocated) {
        fs.ftruncateSync(segment.fd, end + SPACE_AHEAD_BYTES);
        segment.allocated = end + SPACE_AHEAD_BYTES;
      }
      writeAllSync(segment.fd, request.frames, position);
    } catch (error) {
      // Nothing of this append counts: cut whatever part of it reached the file.
      try {
        fs.ftruncateSync(segment.fd, position);
        segment.allocated = position;
      } catch (cutError) {
        this.fail(cutError);
      }
      return logError("io-error", `write failed: ${String(error)}`);
    }
    segment.size = position + request.frames.length;
    for (const f of scan.frames) this.noteIndex(segment, f.lsn, position + f.offset);
    const last = scan.frames[scan.frames.length - 1]!;
    this.written = { lastLsn: last.lsn, lastEpoch: last.epoch };
    this.dirty.add(segment);
    const commitLsn = request.commitLsn;
    try {
      await this.sync();
    } catch (error) {
      return logError("io-error", `fsync failed: ${String(error)}`);
    }
    this.counters.appendsAcked++;
    this.counters.recordsAcked += scan.frames.length;
    this.noteCommit(commitLsn);
    return { ok: true, lastLsn: last.lsn, records: scan.frames.length };
  }

  private noteCommit(commitLsn: number | undefined): void {
    if (commitLsn !== undefined && isLsn(commitLsn) && commitLsn > this.commitLsn) {
      this.commitLsn = commitLsn;
      this.emit({ type: "commit", lsn: commitLsn });
    }
  }

  /** Starts a new segment after syncing the current one, so that only the last segment can ever be incomplete. */
  private roll(): Segment {
    const old = this.active();
    this.shrink(old);
    fs.fdatasyncSync(old.fd);
    this.counters.fileSyncs++;
    return this.createSegment(this.written.lastLsn, this.written.lastEpoch, 0);
  }

  /** Gives back the space extended ahead of a segment's log (before it stops being the last, or on close). */
  private shrink(segment: Segment): void {
    if (segment.allocated === segment.size) return;
    fs.ftruncateSync(segment.fd, segment.size);
    segment.allocated = segment.size;
  }

  async truncate(request: TruncateRequest): Promise<TruncateReply> {
    const stopped = this.failedError();
    if (stopped !== null) return stopped;
    const epochError = checkWriteEpoch(this.promisedEpoch, request.epoch);
    if (epochError !== null) return epochError;
    const rangeError = checkTruncate(request.afterLsn, this.segments[0]!.base + 1, this.written, request.ifTail);
    if (rangeError !== null) return rangeError;
    const after = request.afterLsn;
    const removed = this.written.lastLsn - after;
    if (removed > 0) {
      // Newest first, so that a crash leaves a prefix of the old log.
      while (this.segments.length > 1 && this.active().base >= after) this.removeSegment(this.segments.pop()!);
      const segment = this.active();
      let end = SEGMENT_HEADER_BYTES;
      let tail: LogTail = { lastLsn: segment.base, lastEpoch: segment.baseEpoch };
      if (after > segment.base) {
        const from = this.seek(segment, after);
        const found = this.walk(segment, from.offset, from.lsn, from.epoch, (frame, lsn, epoch, offset) => {
          if (lsn < after) return true;
          end = offset + frame.length;
          tail = { lastLsn: lsn, lastEpoch: epoch };
          return false;
        });
        if (tail.lastLsn !== after) throw new CorruptLogError(`record ${after} not found in ${segment.name}: ${found.fault?.message ?? "missing"}`);
      }
      fs.ftruncateSync(segment.fd, end);
      segment.size = segment.allocated = end;
      if (segment.indexLsn !== null) {
        let keep = segment.indexLsn.length;
        while (keep > 0 && segment.indexLsn[keep - 1]! > after) keep--;
        segment.indexLsn.length = keep;
        segment.indexOffset.length = keep;
      }
      this.dirty.add(segment);
      this.written = tail;
      if (this.durable.lastLsn > after) this.durable = tail;
      if (this.flushing && (this.truncatedDuringFlush === null || tail.lastLsn < this.truncatedDuringFlush.lastLsn)) {
        this.truncatedDuringFlush = tail;
      }
    }
    try {
      await this.sync();
    } catch (error) {
      return logError("io-error", `fsync failed: ${String(error)}`);
    }
    if (removed > 0) this.emit({ type: "truncated", afterLsn: after });
    return { ok: true, tail: this.durable, removed };
  }

  async read(request: ReadRequest): Promise<ReadReply> {
    const stopped = this.closed ? this.failedError() : null;
    if (stopped !== null) return stopped;
    const firstLsn = this.segments[0]!.base + 1;
    const tail = this.durable;
    const error = checkRead(request.fromLsn, firstLsn, tail);
    if (error !== null) return error;
    const budget = Math.min(Math.max(1, request.maxBytes), this.limits.readBytesMax);
    // Runs of consecutive frames, as views of the chunks walk read (each a
    // buffer of its own, never reused), copied once at the end.
    const parts: Uint8Array[] = [];
    let bytes = 0;
    let records = 0;
    let next = request.fromLsn;
    for (let i = this.segmentOf(next); i < this.segments.length && next <= tail.lastLsn; i++) {
      const segment = this.segments[i]!;
      if (this.segmentLastLsn(i) < next) continue;
      const from = this.seek(segment, next);
      let full = false;
      const walked = this.walk(segment, from.offset, from.lsn, from.epoch, (frame, lsn) => {
        if (lsn < next) return true;
        if (lsn > tail.lastLsn || (records > 0 && bytes + frame.length > budget)) {
          full = true;
          return false;
        }
        const run = parts[parts.length - 1];
        if (run !== undefined && run.buffer === frame.buffer && run.byteOffset + run.length === frame.byteOffset) {
          parts[parts.length - 1] = new Uint8Array(run.buffer, run.byteOffset, run.length + frame.length);
        } else {
          parts.push(frame);
        }
        bytes += frame.length;
        records++;
        next = lsn + 1;
        return true;
      });
      if (walked.fault !== undefined && next <= tail.lastLsn) {
        throw new CorruptLogError(`segment ${segment.name} is damaged at offset ${walked.end}: ${walked.fault.message}`);
      }
      if (full) break;
    }
    return { ok: true, frames: Buffer.concat(parts), records, firstLsn, tail };
  }

  async putSnapshot(request: PutSnapshotRequest): Promise<PutSnapshotReply> {
    const stopped = this.failedError();
    if (stopped !== null) return stopped;
    const epochError = checkWriteEpoch(this.promisedEpoch, request.epoch);
    if (epochError !== null) return epochError;
    const error = checkSnapshotRequest(request.lsn, request.recordEpoch, request.data.length, this.limits);
    if (error !== null) return error;
    const info: SnapshotInfo = {
      lsn: request.lsn, epoch: request.recordEpoch, bytes: request.data.length, crc32c: await this.checksumInPieces(request.data),
    };
    const header = encodeSnapshotHeader({ lsn: info.lsn, epoch: info.epoch, crc32c: info.crc32c, bytes: info.bytes }, this.crc32c);
    try {
      await writeFileAtomic(join(this.snapshotDir, snapshotName(info.lsn)), [header, request.data]);
    } catch (writeError) {
      return logError("io-error", `could not store the snapshot: ${String(writeError)}`);
    }
    this.snapshots = [info, ...this.snapshots.filter((s) => s.lsn !== info.lsn)].sort((a, b) => b.lsn - a.lsn);
    const dropped = this.snapshots.splice(this.limits.snapshotsKept);
    if (dropped.length > 0) {
      for (const s of dropped) fs.rmSync(join(this.snapshotDir, snapshotName(s.lsn)), { force: true });
      await fsyncDir(this.snapshotDir);
    }
    return { ok: true, snapshot: info };
  }

  /**
   * The CRC32C of a snapshot image a piece per turn of the event loop: in one
   * go, 128 MiB held this store's appends for about 85 ms, and with every
   * store checksumming the same image at once, every durable write waited.
   */
  private async checksumInPieces(data: Uint8Array): Promise<number> {
    let crc = 0;
    for (let at = 0; at < data.length; at += SNAPSHOT_CRC_PIECE_BYTES) {
      if (at > 0) await new Promise((resolve) => setImmediate(resolve));
      crc = this.crc32c(data.subarray(at, Math.min(data.length, at + SNAPSHOT_CRC_PIECE_BYTES)), crc);
    }
    return crc;
  }

  async listSnapshots(): Promise<SnapshotInfo[]> {
    return [...this.snapshots];
  }

  async getSnapshot(lsn: number | "latest"): Promise<StoredSnapshot | null> {
    const info = lsn === "latest" ? this.snapshots[0] : this.snapshots.find((s) => s.lsn === lsn);
    if (info === undefined) return null;
    const file = await fs.promises.readFile(join(this.snapshotDir, snapshotName(info.lsn)));
    const data = file.subarray(SNAPSHOT_HEADER_BYTES);
    if (data.length !== info.bytes || this.crc32c(data) !== info.crc32c) {
      throw new CorruptLogError(`snapshot ${info.lsn} fails its checksum`);
    }
    return { info, data };
  }

  async trim(request: TrimRequest): Promise<TrimReply> {
    const stopped = this.failedError();
    if (stopped !== null) return stopped;
    const epochError = checkWriteEpoch(this.promisedEpoch, request.epoch);
    if (epochError !== null) return epochError;
    const lsn = request.lsn;
    const verdict = checkTrim(lsn, this.snapshots, this.written);
    if ("ok" in verdict) return verdict;
    let removed = 0;
    const exact = verdict.reset;
    if (exact !== null) {
      // A reset: the new segment first (marked), then the old ones go.
      const old = this.segments.splice(0);
      this.createSegment(exact.lsn, exact.epoch, FLAG_RESET);
      this.written = { lastLsn: exact.lsn, lastEpoch: exact.epoch };
      try {
        await this.sync();
      } catch (error) {
        return logError("io-error", `fsync failed: ${String(error)}`);
      }
      for (const s of old) this.removeSegment(s);
      removed = old.length;
      this.durable = this.written;
    } else {
      // Oldest first, so that a crash leaves a suffix of the log.
      while (this.segments.length > 1 && this.segments[1]!.base <= lsn) {
        this.removeSegment(this.segments.shift()!);
        removed++;
      }
    }
    try {
      await this.sync();
    } catch (error) {
      return logError("io-error", `fsync failed: ${String(error)}`);
    }
    const firstLsn = this.segments[0]!.base + 1;
    this.emit({ type: "trimmed", firstLsn });
    return { ok: true, firstLsn, tail: this.durable, segmentsRemoved: removed };
  }

  watch(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for pending flushes, then closes every file. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.failed === null) {
      await this.sync().catch(() => {});
      // A store stopped cleanly leaves files that hold exactly its log.
      const last = this.segments[this.segments.length - 1];
      try {
        if (last !== undefined && last.allocated !== last.size) {
          this.shrink(last);
          fs.fdatasyncSync(last.fd);
        }
      } catch {
        // Recovery cuts the zeros on the next start all the same.
      }
    }
    this.closed = true;
    this.listeners.clear();
    for (const s of this.segments) fs.closeSync(s.fd);
    this.segments = [];
  }
}

/** The end of the last byte that is not zero in fd's [from, to) (from when all are zero). */
function nonZeroEnd(fd: number, from: number, to: number): number {
  let end = from;
  for (let at = from; at < to; at += READ_CHUNK_BYTES) {
    const chunk = readSync(fd, Math.min(READ_CHUNK_BYTES, to - at), at);
    for (let i = chunk.length - 1; i >= 0; i--) {
      if (chunk[i] !== 0) {
        end = at + i + 1;
        break;
      }
    }
  }
  return end;
}
