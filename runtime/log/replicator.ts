// The primary's side of the log: it turns the engine's effect records into
// log records, appends them to the log stores, and decides what is committed.
// docs/durability.md ("The primary") states the protocol and why no
// committed write is lost; this file is that protocol. It is platform-neutral:
// it talks to the stores through StoreApi (LogStoreClient over fetch and
// WebSocket, or anything that speaks the same protocol) and uses only timers.
//
//   const rep = new Replicator({ stores, crc32c, candidate, quorum: 2, commitTimeoutMs: 5000 });
//   await rep.start();                   // election: epoch, adopt, align, epoch record committed
//   engine.onEffect = (e) => rep.addEffect(e);
//   ... run a command ...
//   const lsn = rep.seal();              // the command's effects become one record (0: none)
//   rep.onCommit((commitLsn) => ...);    // release replies waiting for LSNs <= commitLsn
//
// Records. The effects of one command (of one EXEC, with everything the
// engine did meanwhile: expired and evicted keys, blocked clients served) are
// one record: `addEffect` encodes each into the open record and `seal` gives
// it the next LSN. Sealed records go into a window (an in-memory run of
// frames) and are sent to every streaming store once per turn of the event
// loop, as one append message: appends are pipelined (never a round trip per
// command) and the stores group-commit whatever arrived meanwhile. At most
// two appends per store are unacknowledged; what is sealed meanwhile goes in
// the next one (APPENDS_IN_FLIGHT_MAX).
//
// Commit. A store's acknowledgement of an append says its log is durable up
// to `lastLsn`; the store holds our log (we aligned it before streaming), so
// `acked` is a prefix of our log. The commit LSN is the quorum-th highest
// `acked`: every record up to it is durable on a quorum under our epoch.
//
// Stores that fail or fall behind. Any error on a store's stream (a closed
// socket, an io-error, an lsn-gap) drops that store's link; it is reconnected
// in the background (status, promise if needed, alignment, then streaming
// from where its durable log ends), with records from the window or, when the
// window no longer has them, read from a store that does. While a quorum
// streams, nothing waits for the others.
//
// Stall. When the oldest uncommitted record has waited `commitTimeoutMs`
// (fewer than a quorum of stores answer), the replicator is "stalled": its
// listeners fail what waits for uncommitted records and refuse new writes
// (the host does that, see gate.ts); the records stay in the window and keep
// being offered to the stores, and once they are all committed it serves
// again. A store that has promised a higher epoch fences us: "fenced" is final.

import { systemClock, sleepOn, type Clock, type TimerHandle } from "./clock.ts";
import type { Crc32c } from "./crc32c.ts";
import { encodeFrame, scanFrames, type FrameInfo } from "./frame.ts";
import { PayloadBuilder } from "./payload.ts";
import type { EffectRecord } from "../effects.ts";
import type { StoredSnapshot } from "./backend.ts";
import {
  logError,
  type AppendReply, type AppendRequest, type LogError, type LogTail, type PromiseReply, type PromiseRequest,
  type PutSnapshotReply, type PutSnapshotRequest, type ReadReply, type ReadRequest, type SnapshotInfo,
  type StoreStatus, type TruncateReply, type TruncateRequest, type TrimReply, type TrimRequest, type ReleaseLeaseReply, type ReleaseLeaseRequest,
} from "./protocol.ts";

/** What the replicator needs of one log store (LogStoreClient provides it). */
export interface StoreApi {
  readonly url: string;
  status(): Promise<StoreStatus | LogError>;
  promise(request: PromiseRequest): Promise<PromiseReply>;
  truncate(request: TruncateRequest): Promise<TruncateReply>;
  read(request: ReadRequest): Promise<ReadReply>;
  putSnapshot(request: PutSnapshotRequest): Promise<PutSnapshotReply>;
  listSnapshots(): Promise<SnapshotInfo[] | LogError>;
  getSnapshot(lsn: number | "latest"): Promise<StoredSnapshot | null | LogError>;
  openAppendStream(): Promise<AppendStreamApi>;
  trim(request: TrimRequest): Promise<TrimReply>;
  releaseLease(request: ReleaseLeaseRequest): Promise<ReleaseLeaseReply>;
}

export interface AppendStreamApi {
  append(request: AppendRequest): Promise<AppendReply>;
  close(): void;
  onClose: (() => void) | undefined;
}

export type ReplicatorState =
  /** Taking an epoch and aligning the stores; nothing is served. */
  | "electing"
  /** Writes commit. */
  | "serving"
  /** Fewer than a quorum answered within the timeout: writes are refused until the backlog commits. */
  | "stalled"
  /** A store promised a newer epoch to another primary: this one must stop. */
  | "fenced";

export interface ReplicatorOptions {
  /** The stores, in a fixed order; each named for reports. */
  stores: ReadonlyArray<{ name: string; api: StoreApi }>;
  crc32c: Crc32c;
  /** Names this primary in promises (unique per process start). */
  candidate: string;
  /** Acknowledgements that commit a record (2 of 3; 1 for a single store). */
  quorum: number;
  /** How long a record may wait for its quorum before the replicator stalls (ms). */
  commitTimeoutMs: number;
  /** Bound of one request to a store (ms). Default 5000. */
  requestTimeoutMs?: number;
  /** Bytes of committed records kept in memory for stores that lag (default 64 MiB). */
  windowBytesMax?: number;
  log?: (message: string) => void;
  /** Time and timers (the simulation's clock in test/sim; the system's by default). */
  clock?: Clock;
  /**
   * The primary's lease (ms; 0 or absent: none). The stores refuse a newer
   * epoch to anyone else for this long after each of our appends they
   * receive; we count it from the send time of appends a quorum acknowledged,
   * less LEASE_DRIFT_MARGIN, and show data only while it runs (leaseHeld).
   * Heartbeats (empty appends) every third of it keep it running when idle.
   */
  leaseMs?: number;
}

/** The command of the record that opens an epoch (replay skips it). */
export const EPOCH_RECORD_COMMAND = "TRIREME.EPOCH";

const BATCH_BYTES_MAX = 4 * 1024 * 1024;
/** An open record left for the turn's end (sealAtTurnEnd) is sealed at once from this size on. */
const RECORD_BYTES_SOON = 128 * 1024;
const INFLIGHT_BYTES_MAX = 32 * 1024 * 1024;
/**
 * Appends a store may have unacknowledged. Records sealed meanwhile wait in
 * the window and leave as one message when an ack comes back: a store would
 * have put them in its next fsync anyway, so this costs no latency, and the
 * messages (and acks) follow the stores' fsyncs rather than the event loop's
 * turns (about 20% less CPU per durable write in the stores at -P 1). Two,
 * not one, so that a store on a slower network still has the next batch
 * when its fsync ends.
 */
const APPENDS_IN_FLIGHT_MAX = 2;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 1000;
/**
 * The share of the lease the primary does not count on: the stores measure
 * the lease with their own clocks, which may run up to this much faster than
 * ours (real clocks differ by parts per million; this is the margin).
 */
export const LEASE_DRIFT_MARGIN = 0.05;
/** After the commit LSN advances, tails hear of it within this (ms), by a heartbeat if no append carries it. */
const COMMIT_NOTICE_MS = 20;
/** Heartbeats when no lease is kept: only to carry the commit LSN to tails (ms). */
const HEARTBEAT_WITHOUT_LEASE_MS = 1000;
const NO_FRAMES = new Uint8Array(0);

interface WindowRecord {
  readonly lsn: number;
  readonly frame: Uint8Array;
  /** When it was sealed (stall detection). */
  readonly at: number;
}

type LinkState = "down" | "syncing" | "streaming";

class StoreLink {
  readonly name: string;
  readonly api: StoreApi;
  state: LinkState = "down";
  stream: AppendStreamApi | null = null;
  /** Our log is durable on this store up to here (under our epoch). */
  acked = 0;
  /** Last LSN sent on the current stream. */
  sent = 0;
  inflightBytes = 0;
  inflightAppends = 0;
  pumping = false;
  /** Bumped on every reset: callbacks of an older connection are ignored. */
  generation = 0;
  retryMs = RETRY_MIN_MS;
  retryTimer: TimerHandle | undefined;
  lastError = "";
  /** The store's promised epoch, as last seen. */
  promisedEpoch = 0;
  /** The store's first record (records before it are trimmed), as last seen. */
  firstLsn = 1;
  /** The newest snapshot the store is known to hold (0: none). */
  snapshotLsn = 0;
  /** Send time of the latest append (or heartbeat) of our epoch this store acknowledged: our lease there runs from it. */
  leaseSentAt = -Infinity;
  /** Send time of the latest append that did not renew the lease (renew: false) this store acknowledged. */
  probeAckedAt = -Infinity;
  /** When we last sent it anything, and the commit LSN we last told it. */
  lastSentAt = -Infinity;
  commitSent = 0;

  constructor(name: string, api: StoreApi) {
    this.name = name;
    this.api = api;
  }
}

/** A store's state, for INFO. */
export interface StoreReport {
  readonly name: string;
  readonly url: string;
  readonly state: LinkState;
  readonly acked: number;
  readonly lastError: string;
}

const encoder = new TextEncoder();

export class Replicator {
  readonly quorum: number;
  readonly candidate: string;
  private readonly crc32c: Crc32c;
  private readonly links: StoreLink[];
  /** quorumth's scratch, one slot per link. */
  private readonly quorumScratch: number[];
  private readonly commitTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly windowBytesMax: number;
  private readonly log: (message: string) => void;
  private readonly clock: Clock;

  state: ReplicatorState = "electing";
  /** Our epoch (0 before the election). */
  epoch = 0;
  /** LSN of the last record of the log (sealed, whether or not committed). */
  lastLsn = 0;
  /** Every record up to here is durable on a quorum. */
  commitLsn = 0;
  /**
   * LSN of the record that opens our epoch, once sealed (Infinity before).
   * Nothing counts as committed below it until it is: a quorum of copies of
   * an earlier epoch's records proves nothing by itself, since a later
   * election may adopt a log whose last epoch is higher and cut them (Raft's
   * "figure 8"); a quorum holding our epoch's first record does.
   */
  epochStartLsn = Infinity;
  /** Why it is stalled or fenced. */
  reason = "";
  /** Bytes of every record sealed by this primary (the log's growth, for snapshot-log-bytes). */
  sealedBytes = 0;

  /** The payload of the open record, effect by effect; sealing frames it. */
  private readonly open = new PayloadBuilder();
  private window: WindowRecord[] = [];
  private windowHead = 0;
  private windowBytes = 0;
  /** Epochs of our log from `runsFrom` on: [first LSN, epoch] pairs, ascending. */
  private runs: Array<[number, number]> = [];
  private runsFrom = 1;
  private flushScheduled = false;
  /** The last batch windowFrames concatenated (records of one LSN range never change). */
  private lastBatch: { from: number; frames: Uint8Array; records: number } | null = null;
  private stallTimer: TimerHandle | undefined;
  private waiters: Array<{ lsn: number; resolve: (ok: boolean) => void }> = [];
  private readonly commitListeners: Array<(commitLsn: number) => void> = [];
  private readonly stateListeners: Array<(state: ReplicatorState) => void> = [];
  private closed = false;
  private triedEpoch = 0;
  private electionFenced = false;
  /** A trimLogs() is under way. */
  private trimming = false;
  readonly leaseMs: number;
  /** Our lease runs until here (clock time); reads are answered only before it. */
  leaseExpiresAt = -Infinity;
  private leaseLapsed = false;
  /**
   * Whether our appends renew the lease on the stores. Not from the moment the
   * lease lapses until a quorum has acknowledged an append sent since
   * (`probeFrom`): a store only we still reach (a partition) must not be
   * held for us while a quorum elects a successor.
   */
  private renewing = true;
  private probeFrom = 0;
  /** The lease was given up (a clean shutdown): it is never held again. */
  private leaseReleased = false;
  private leaseTimer: TimerHandle | undefined;
  private leaseStallTimer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private commitNoticeTimer: TimerHandle | undefined;
  private readonly leaseListeners: Array<(held: boolean) => void> = [];
  private leaseWaiters: Array<(held: boolean) => void> = [];
  /** How long the election should wait before its next attempt (a lease that is still running), ms. */
  private electionRetryMs = 0;

  constructor(options: ReplicatorOptions) {
    if (options.stores.length === 0) throw new RangeError("the replicator needs at least one log store");
    if (options.quorum < 1 || options.quorum > options.stores.length) throw new RangeError("quorum out of range");
    this.quorum = options.quorum;
    this.candidate = options.candidate;
    this.crc32c = options.crc32c;
    this.links = options.stores.map((s) => new StoreLink(s.name, s.api));
    this.quorumScratch = this.links.map(() => 0);
    this.commitTimeoutMs = options.commitTimeoutMs;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.windowBytesMax = options.windowBytesMax ?? 64 * 1024 * 1024;
    this.log = options.log ?? (() => {});
    this.clock = options.clock ?? systemClock;
    this.leaseMs = options.leaseMs ?? 0;
  }

  // ---- listeners ----------------------------------------------------------

  /** Called whenever the commit LSN advances. */
  onCommit(listener: (commitLsn: number) => void): void {
    this.commitListeners.push(listener);
  }

  /** Called when the state changes (serving, stalled, fenced). */
  onStateChange(listener: (state: ReplicatorState) => void): void {
    this.stateListeners.push(listener);
  }

  /** Called when our lease lapses (false) and when it is renewed after lapsing (true). */
  onLease(listener: (held: boolean) => void): void {
    this.leaseListeners.push(listener);
  }

  /**
   * Whether this primary may answer with data now: it serves and its lease
   * runs, so no other primary can have been elected (docs/durability.md,
   * "Leases"). Without a lease configured: whenever it serves.
   */
  leaseHeld(): boolean {
    if (this.state !== "serving" && this.state !== "stalled") return false;
    return this.leaseMs === 0 || this.clock.now() < this.leaseExpiresAt;
  }

  /** How long our lease still runs (ms; 0: lapsed, or none kept). */
  leaseRemainingMs(): number {
    if (this.leaseMs === 0 || !this.leaseHeld()) return 0;
    return Math.max(0, Math.floor(this.leaseExpiresAt - this.clock.now()));
  }

  /** Resolves true once the lease is held, false if it is not within `timeoutMs` (or we are fenced). */
  waitLease(timeoutMs: number): Promise<boolean> {
    if (this.leaseHeld()) return Promise.resolve(true);
    if (this.state === "fenced" || this.state === "stalled") return Promise.resolve(false);
    return new Promise((resolve) => {
      let settled = false;
      const settle = (held: boolean): void => {
        if (settled) return;
        settled = true;
        this.leaseWaiters = this.leaseWaiters.filter((w) => w !== settle);
        resolve(held);
      };
      this.leaseWaiters.push(settle);
      this.clock.setTimer(() => settle(this.leaseHeld()), timeoutMs);
    });
  }

  /** Resolves true once `lsn` is committed, false if it fails first (stall, fence, `timeoutMs`). */
  waitCommitted(lsn: number, timeoutMs?: number): Promise<boolean> {
    if (lsn <= this.commitLsn) return Promise.resolve(true);
    if (this.state === "stalled" || this.state === "fenced") return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = { lsn, resolve };
      this.waiters.push(waiter);
      if (timeoutMs !== undefined) {
        this.clock.setTimer(() => {
          const i = this.waiters.indexOf(waiter);
          if (i < 0) return;
          this.waiters.splice(i, 1);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  // ---- records --------------------------------------------------------------

  /** Adds one effect record to the open log record. */
  addEffect(effect: EffectRecord): void {
    this.open.addEffect(effect);
  }

  /** Adds the `count` effects of a core effect region (payload.ts) to the open log record. */
  addEffectRegion(region: Uint8Array, count: number): void {
    this.open.addEncoded(region, count);
  }

  /** LSN the open record will get when sealed; the last LSN when nothing is open. */
  currentLsn(): number {
    return this.open.count > 0 ? this.lastLsn + 1 : this.lastLsn;
  }

  /** Makes the open effects one record with the next LSN and returns it; 0 when nothing is open. */
  seal(): number {
    if (this.open.count === 0) return 0;
    const lsn = this.lastLsn + 1;
    const frame = encodeFrame(lsn, this.epoch, this.open.bytes(), this.crc32c);
    this.open.clear();
    this.lastLsn = lsn;
    this.sealedBytes += frame.length;
    this.noteEpoch(lsn, this.epoch);
    this.window.push({ lsn, frame, at: this.clock.now() });
    this.windowBytes += frame.length;
    this.scheduleFlush();
    this.armStallTimer();
    return lsn;
  }

  private noteEpoch(lsn: number, epoch: number): void {
    const last = this.runs[this.runs.length - 1];
    if (last === undefined || last[1] !== epoch) this.runs.push([lsn, epoch]);
  }

  private get windowFirst(): number {
    const head = this.window[this.windowHead];
    return head === undefined ? this.lastLsn + 1 : head.lsn;
  }

  /**
   * Seals the open record at the end of this turn of the event loop, before
   * the appends leave (unless a seal comes first), or now once it holds
   * RECORD_BYTES_SOON: native runs of one turn share a record
   * (CommitGate.afterNativeRun).
   */
  sealAtTurnEnd(): void {
    if (this.open.length >= RECORD_BYTES_SOON) this.seal();
    else this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.clock.schedule(() => {
      // A record left open by native runs; after close it is never sent, and nothing waits for it.
      if (this.open.count > 0 && !this.closed) this.seal();
      this.flushScheduled = false;
      for (const link of this.links) void this.pump(link);
    });
  }

  /** Sends a streaming store the records it has not been sent, within its in-flight bound. */
  private async pump(link: StoreLink): Promise<void> {
    if (link.pumping || link.state !== "streaming") return;
    link.pumping = true;
    const generation = link.generation;
    try {
      while (link.generation === generation && link.state === "streaming" && link.sent < this.lastLsn
        && link.inflightBytes < INFLIGHT_BYTES_MAX && link.inflightAppends < APPENDS_IN_FLIGHT_MAX) {
        const from = link.sent + 1;
        let batch: { frames: Uint8Array; records: number } | null;
        if (from >= this.windowFirst) batch = this.windowFrames(from);
        else batch = await this.remoteFrames(from, link);
        if (link.generation !== generation || link.state !== "streaming") return;
        if (batch === null) {
          this.dropLink(link, `no store holds records from ${from} to copy`);
          return;
        }
        if (from !== link.sent + 1) continue; // raced with another sender; recompute
        link.sent = from + batch.records - 1;
        link.inflightBytes += batch.frames.length;
        link.inflightAppends++;
        const bytes = batch.frames.length;
        const stream = link.stream!;
        const sentAt = this.clock.now();
        link.lastSentAt = sentAt;
        link.commitSent = this.commitLsn;
        const renew = this.renewing;
        void stream.append(this.appendRequest(batch.frames, renew)).then((reply) => {
          this.onAppendReply(link, generation, reply, bytes, sentAt, renew);
        });
      }
    } finally {
      link.pumping = false;
    }
  }

  /** Frames of the window from `from`, up to the batch bound (at least one record). */
  private windowFrames(from: number): { frames: Uint8Array; records: number } {
    const start = this.windowHead + (from - this.windowFirst);
    let end = start;
    let bytes = 0;
    while (end < this.window.length && (end === start || bytes + this.window[end]!.frame.length <= BATCH_BYTES_MAX)) {
      bytes += this.window[end]!.frame.length;
      end++;
    }
    if (end - start === 1) return { frames: this.window[start]!.frame, records: 1 };
    // The stores usually stand at the same LSN: the first one's batch serves the others.
    const last = this.lastBatch;
    if (last !== null && last.from === from && last.records === end - start) return last;
    const frames = new Uint8Array(bytes);
    let at = 0;
    for (let i = start; i < end; i++) {
      frames.set(this.window[i]!.frame, at);
      at += this.window[i]!.frame.length;
    }
    this.lastBatch = { from, frames, records: end - start };
    return this.lastBatch;
  }

  /** Frames of our log from `from`, read from a store that holds them. */
  private async remoteFrames(from: number, target: StoreLink): Promise<{ frames: Uint8Array; records: number } | null> {
    const sources = this.links.filter((l) => l !== target && l.acked >= from);
    if (target.acked >= from) sources.push(target);
    for (const source of sources) {
      const reply = await this.timed(source.api.read({ fromLsn: from, maxBytes: BATCH_BYTES_MAX }));
      if (!reply.ok || reply.records === 0) continue;
      const scan = scanFrames(reply.frames, this.crc32c, { expectLsn: from });
      // Only the part the source acknowledged to us is surely our log.
      const limit = Math.min(source.acked, this.lastLsn);
      const frames = scan.frames.filter((f) => f.lsn <= limit);
      if (frames.length === 0) continue;
      const last = frames[frames.length - 1]!;
      return { frames: reply.frames.subarray(0, last.offset + last.bytes), records: frames.length };
    }
    return null;
  }

  /** An empty append: renews our lease on the store and tells its tails our commit LSN. */
  private heartbeat(link: StoreLink): void {
    const stream = link.stream;
    if (link.state !== "streaming" || stream === null) return;
    const generation = link.generation;
    const sentAt = this.clock.now();
    link.lastSentAt = sentAt;
    link.commitSent = this.commitLsn;
    const renew = this.renewing;
    void stream.append(this.appendRequest(NO_FRAMES, renew)).then((reply) => {
      this.onAppendReply(link, generation, reply, 0, sentAt, renew);
    });
  }

  private appendRequest(frames: Uint8Array, renew: boolean): AppendRequest {
    return renew ? { epoch: this.epoch, frames, commitLsn: this.commitLsn } : { epoch: this.epoch, frames, commitLsn: this.commitLsn, renew: false };
  }

  private onAppendReply(link: StoreLink, generation: number, reply: AppendReply, bytes: number, sentAt: number, renewed: boolean): void {
    if (link.generation !== generation) return;
    link.inflightBytes -= bytes;
    link.inflightAppends--;
    if (reply.ok) {
      if (reply.records > 0 && reply.lastLsn > link.acked) link.acked = Math.min(reply.lastLsn, this.lastLsn);
      link.retryMs = RETRY_MIN_MS;
      if (!renewed) {
        if (sentAt > link.probeAckedAt) link.probeAckedAt = sentAt;
        this.checkQuorumAnswers();
      } else if (sentAt > link.leaseSentAt) {
        link.leaseSentAt = sentAt;
        this.updateLease();
      }
      this.updateCommit();
      void this.pump(link);
      return;
    }
    if (reply.error === "stale-epoch") {
      this.fence(`log store ${link.name} promised epoch ${reply.promisedEpoch ?? "?"} to another primary (ours: ${this.epoch})`);
      return;
    }
    this.dropLink(link, `${reply.error}: ${reply.message}`);
  }

  private updateCommit(): void {
    const quorumAck = Math.min(this.quorumth((l) => l.acked), this.lastLsn);
    if (quorumAck > this.commitLsn && quorumAck >= this.epochStartLsn) {
      this.commitLsn = quorumAck;
      this.trimWindow();
      if (this.waiters.length > 0) {
        const ready = this.waiters.filter((w) => w.lsn <= quorumAck);
        if (ready.length > 0) {
          this.waiters = this.waiters.filter((w) => w.lsn > quorumAck);
          for (const w of ready) w.resolve(true);
        }
      }
      for (const listener of this.commitListeners) listener(quorumAck);
      this.armCommitNotice();
      if (this.state === "stalled" && this.commitLsn >= this.lastLsn && this.leaseHeld()) {
        this.log(`log: every record is committed again (commit LSN ${this.commitLsn}); accepting writes`);
        this.setState("serving", "");
      }
    }
    // The stall timer stays armed when everything is committed: checkStall
    // then finds nothing waiting (or re-arms for the oldest record's age),
    // where clearing it here and arming it at the next seal cost a timer
    // each time the log caught up, nearly every record at -P 1.
  }

  /**
   * The quorum-th highest of a value over the links: what a quorum of stores
   * has reached. Called on every acknowledgement, so it sorts in place in a
   * scratch array rather than allocating.
   */
  private quorumth(value: (link: StoreLink) => number): number {
    const values = this.quorumScratch;
    for (let i = 0; i < this.links.length; i++) {
      const v = value(this.links[i]!);
      let j = i;
      for (; j > 0 && values[j - 1]! < v; j--) values[j] = values[j - 1]!;
      values[j] = v;
    }
    return values[this.quorum - 1]!;
  }

  /** Drops window records every store has, and committed ones beyond the memory bound. */
  private trimWindow(): void {
    let minAcked = Infinity;
    for (const l of this.links) minAcked = Math.min(minAcked, l.acked);
    while (this.windowHead < this.window.length) {
      const head = this.window[this.windowHead]!;
      const everywhere = head.lsn <= minAcked;
      const overBudget = this.windowBytes > this.windowBytesMax && head.lsn <= this.commitLsn;
      if (!everywhere && !overBudget) break;
      this.windowBytes -= head.frame.length;
      this.windowHead++;
    }
    if (this.windowHead > 1024 && this.windowHead * 2 > this.window.length) {
      this.window = this.window.slice(this.windowHead);
      this.windowHead = 0;
    }
  }

  // ---- lease and heartbeats ------------------------------------------------------

  /**
   * Our lease runs from the quorum-th latest send time among the appends the
   * stores acknowledged: each of those stores refuses a newer epoch to
   * another candidate until at least that time + leaseMs by its clock.
   */
  private updateLease(): void {
    if (this.leaseMs === 0 || this.leaseReleased) return;
    const expires = this.quorumth((l) => l.leaseSentAt) + this.leaseMs * (1 - LEASE_DRIFT_MARGIN);
    if (expires <= this.leaseExpiresAt) return;
    this.leaseExpiresAt = expires;
    // An armed timer is earlier still: checkLease looks again then (re-arming per acknowledgement cost a timer insert each).
    this.leaseTimer ??= this.clock.setTimer(() => this.checkLease(), Math.max(0, expires - this.clock.now()));
    if (!this.leaseLapsed || !this.leaseHeld()) return;
    this.leaseLapsed = false;
    this.clock.clearTimer(this.leaseStallTimer);
    this.leaseStallTimer = undefined;
    this.log("log: lease renewed; answering reads again");
    for (const w of [...this.leaseWaiters]) w(true);
    for (const listener of this.leaseListeners) listener(true);
    if (this.state === "stalled" && this.commitLsn >= this.lastLsn) {
      this.log(`log: every record is committed again (commit LSN ${this.commitLsn}); accepting writes`);
      this.setState("serving", "");
    }
  }

  /** While our appends do not renew the lease: once a quorum acknowledged one sent since it lapsed, they renew it again. */
  private checkQuorumAnswers(): void {
    if (this.renewing) return;
    const answered = this.links.filter((l) => l.probeAckedAt >= this.probeFrom).length;
    if (answered < this.quorum) return;
    this.renewing = true;
    this.log(`log: ${answered} log stores answer again; appends renew the lease`);
    for (const link of this.links) this.heartbeat(link);
  }

  private checkLease(): void {
    this.leaseTimer = undefined;
    if (this.leaseLapsed || (this.state !== "serving" && this.state !== "stalled")) return;
    if (this.leaseHeld()) {
      // Timers may fire a little early (whole milliseconds): look again when it really ends.
      this.leaseTimer = this.clock.setTimer(() => this.checkLease(), Math.max(1, Math.ceil(this.leaseExpiresAt - this.clock.now())));
      return;
    }
    this.leaseLapsed = true;
    this.renewing = false;
    this.probeFrom = this.clock.now();
    this.log(`log: lease lapsed: fewer than ${this.quorum} log stores acknowledged an append or heartbeat within ${this.leaseMs} ms; ` +
      `reads wait until it is renewed, and appends do not renew it until ${this.quorum} stores answer`);
    for (const listener of this.leaseListeners) listener(false);
    this.leaseStallTimer = this.clock.setTimer(() => {
      this.leaseStallTimer = undefined;
      if (this.leaseLapsed && this.state === "serving") {
        this.stall(`the lease was not renewed for ${this.commitTimeoutMs} ms after it lapsed (fewer than ${this.quorum} log stores answer)`);
      }
    }, this.commitTimeoutMs);
  }

  /** Every third of the lease, a heartbeat to each store we sent nothing to meanwhile. */
  private startHeartbeats(): void {
    const every = this.leaseMs > 0 ? Math.max(1, Math.floor(this.leaseMs / 3)) : HEARTBEAT_WITHOUT_LEASE_MS;
    const tick = (): void => {
      this.heartbeatTimer = undefined;
      if (this.closed || (this.state !== "serving" && this.state !== "stalled")) return;
      const now = this.clock.now();
      for (const link of this.links) {
        if (link.state === "streaming" && link.sent >= this.lastLsn && now - link.lastSentAt >= every / 2) this.heartbeat(link);
      }
      this.heartbeatTimer = this.clock.setTimer(tick, every);
    };
    this.clock.clearTimer(this.heartbeatTimer);
    this.heartbeatTimer = this.clock.setTimer(tick, every);
  }

  /** Tails learn a new commit LSN soon: from the next append, or a heartbeat when none follows. */
  private armCommitNotice(): void {
    if (this.commitNoticeTimer !== undefined) return;
    this.commitNoticeTimer = this.clock.setTimer(() => {
      this.commitNoticeTimer = undefined;
      for (const link of this.links) {
        if (link.state === "streaming" && link.sent >= this.lastLsn && link.commitSent < this.commitLsn) this.heartbeat(link);
      }
    }, COMMIT_NOTICE_MS);
  }

  private stopTimers(): void {
    for (const t of [this.leaseTimer, this.leaseStallTimer, this.heartbeatTimer, this.commitNoticeTimer]) this.clock.clearTimer(t);
    this.leaseTimer = this.leaseStallTimer = this.heartbeatTimer = this.commitNoticeTimer = undefined;
  }

  // ---- stall and fence --------------------------------------------------------

  private armStallTimer(): void {
    if (this.stallTimer !== undefined || this.state !== "serving") return;
    this.stallTimer = this.clock.setTimer(() => this.checkStall(), this.commitTimeoutMs);
  }

  private checkStall(): void {
    this.stallTimer = undefined;
    if (this.state !== "serving" || this.commitLsn >= this.lastLsn) return;
    const oldest = this.window[this.windowHead + (this.commitLsn + 1 - this.windowFirst)];
    const age = oldest === undefined ? this.commitTimeoutMs : this.clock.now() - oldest.at;
    if (age < this.commitTimeoutMs) {
      this.stallTimer = this.clock.setTimer(() => this.checkStall(), this.commitTimeoutMs - age);
      return;
    }
    const up = this.links.filter((l) => l.state === "streaming").length;
    this.stall(`records after LSN ${this.commitLsn} were not acknowledged by ${this.quorum} log stores within ` +
      `${this.commitTimeoutMs} ms (${up} of ${this.links.length} connected)`);
  }

  private stall(reason: string): void {
    this.log(`log: NOT DURABLE: ${reason}; refusing writes until they commit`);
    this.setState("stalled", reason);
    this.failWaiters();
    if (!this.leaseHeld()) for (const w of [...this.leaseWaiters]) w(false);
  }

  private fence(reason: string): void {
    if (this.state === "fenced") return;
    if (this.state === "electing") {
      this.electionFenced = true;
      return;
    }
    this.log(`log: FENCED: ${reason}; this primary stops serving`);
    this.setState("fenced", reason);
    this.stopTimers();
    for (const w of [...this.leaseWaiters]) w(false);
    this.failWaiters();
    for (const link of this.links) this.resetLink(link);
  }

  private failWaiters(): void {
    const failed = this.waiters.filter((w) => w.lsn > this.commitLsn);
    this.waiters = this.waiters.filter((w) => w.lsn <= this.commitLsn);
    for (const w of failed) w.resolve(false);
  }

  private setState(state: ReplicatorState, reason: string): void {
    this.state = state;
    this.reason = reason;
    for (const listener of this.stateListeners) listener(state);
  }

  // ---- links ------------------------------------------------------------------

  private timed<T>(promise: Promise<T>, ms = this.requestTimeoutMs): Promise<T | LogError> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(() => resolve(logError("io-error", `no answer within ${ms} ms`)), ms);
      promise.then(
        (value) => { this.clock.clearTimer(timer); resolve(value); },
        (error: unknown) => { this.clock.clearTimer(timer); resolve(logError("io-error", error instanceof Error ? error.message : String(error))); },
      );
    });
  }

  private resetLink(link: StoreLink): void {
    link.generation++;
    link.state = "down";
    const stream = link.stream;
    link.stream = null;
    if (stream !== null) {
      stream.onClose = undefined;
      try { stream.close(); } catch { /* already closed */ }
    }
    link.inflightBytes = 0;
    link.inflightAppends = 0;
    link.sent = link.acked;
    this.clock.clearTimer(link.retryTimer);
    link.retryTimer = undefined;
  }

  /** The link failed: reset it and reconnect after a backoff. */
  private dropLink(link: StoreLink, error: string): void {
    if (link.state === "streaming") this.log(`log: store ${link.name} disconnected: ${error}`);
    link.lastError = error;
    this.resetLink(link);
    this.scheduleReconnect(link);
  }

  private scheduleReconnect(link: StoreLink): void {
    if (this.closed || this.state === "fenced" || this.state === "electing") return;
    this.clock.clearTimer(link.retryTimer);
    const delay = link.retryMs;
    link.retryMs = Math.min(RETRY_MAX_MS, link.retryMs * 2);
    link.retryTimer = this.clock.setTimer(() => {
      link.retryTimer = undefined;
      void this.connect(link);
    }, delay);
  }

  /**
   * Brings a store into our epoch and our log, then streams to it: status;
   * promise our epoch if it has not; find where its log stops agreeing with
   * ours and truncate the rest; open the append stream and send it what it
   * lacks. Returns whether it is streaming.
   */
  private async connect(link: StoreLink): Promise<boolean> {
    if (link.state !== "down" || this.closed) return link.state === "streaming";
    link.state = "syncing";
    const generation = ++link.generation;
    const fail = (error: string): boolean => {
      if (link.generation !== generation) return false;
      link.lastError = error;
      link.state = "down";
      this.scheduleReconnect(link);
      return false;
    };
    const status = await this.timed(link.api.status());
    if (link.generation !== generation) return false;
    if ("ok" in status) return fail(`${status.error}: ${status.message}`);
    link.promisedEpoch = status.promisedEpoch;
    let tail: LogTail = { lastLsn: status.lastLsn, lastEpoch: status.lastEpoch };
    let firstLsn = status.firstLsn;
    if (status.promisedEpoch > this.epoch || (status.promisedEpoch === this.epoch && status.promisedTo !== this.candidate)) {
      this.fence(`log store ${link.name} promised epoch ${status.promisedEpoch} to ${status.promisedTo} (ours: ${this.epoch})`);
      return fail(`promised epoch ${status.promisedEpoch} to another primary`);
    }
    if (status.promisedEpoch < this.epoch) {
      const promised = await this.timed(link.api.promise({ epoch: this.epoch, candidate: this.candidate }));
      if (link.generation !== generation) return false;
      if (!promised.ok) {
        if (promised.error === "epoch-not-newer") this.fence(`log store ${link.name} refused epoch ${this.epoch}: ${promised.message}`);
        return fail(`${promised.error}: ${promised.message}`);
      }
      link.promisedEpoch = this.epoch;
      tail = promised.tail;
      firstLsn = promised.firstLsn;
    }
    link.firstLsn = firstLsn;
    link.snapshotLsn = status.newestSnapshotLsn;
    let agreed: number;
    try {
      agreed = await this.commonPrefix(link, tail, firstLsn);
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
    if (link.generation !== generation) return false;
    if (agreed < tail.lastLsn) {
      // Only if its log still ends where we saw it: a truncation delayed past its timeout
      // must not cut what we append after reconnecting (test/sim/late-truncate.test.ts).
      const cut = await this.timed(link.api.truncate({ epoch: this.epoch, afterLsn: agreed, ifTail: tail }));
      if (link.generation !== generation) return false;
      if (!cut.ok) {
        if (cut.error === "stale-epoch") this.fence(`log store ${link.name}: ${cut.message}`);
        return fail(`truncate: ${cut.error}: ${cut.message}`);
      }
      this.log(`log: store ${link.name}: removed ${cut.removed} record(s) after ${agreed} that are not in the log of epoch ${this.epoch}`);
    }
    if (agreed < this.lastLsn && !this.canSupply(agreed + 1, link)) {
      const caughtUp = await this.catchUpBySnapshot(link, agreed);
      if (link.generation !== generation) return false;
      if (typeof caughtUp === "string") return fail(caughtUp);
      agreed = caughtUp;
    }
    const stream = await this.timed(link.api.openAppendStream());
    if (link.generation !== generation) {
      if (!("ok" in stream)) stream.close();
      return false;
    }
    if ("ok" in stream) return fail(`append stream: ${stream.message}`);
    link.stream = stream;
    stream.onClose = () => {
      if (link.generation === generation) this.dropLink(link, "append stream closed");
    };
    link.acked = agreed;
    link.sent = agreed;
    link.state = "streaming";
    link.lastError = "";
    if (this.state !== "electing") this.log(`log: store ${link.name} connected at LSN ${agreed} (log end ${this.lastLsn})`);
    this.updateCommit();
    void this.pump(link);
    return true;
  }

  /** Epoch of our record `lsn` (from memory, or read from a store that holds it). */
  private async epochAt(lsn: number): Promise<number> {
    if (lsn === 0) return 0;
    if (lsn > this.lastLsn) throw new Error(`LSN ${lsn} is beyond the log's end ${this.lastLsn}`);
    if (lsn >= this.runsFrom && this.runs.length > 0 && lsn >= this.runs[0]![0]) {
      let epoch = this.runs[0]![1];
      for (const [from, e] of this.runs) {
        if (from > lsn) break;
        epoch = e;
      }
      return epoch;
    }
    for (const source of this.links.filter((l) => l.acked >= lsn)) {
      const epoch = await this.storeEpochAt(source, lsn);
      if (epoch !== null) return epoch;
    }
    throw new Error(`no store could be read for the epoch of record ${lsn}`);
  }

  /** Epoch of a store's record `lsn`; null when it cannot be read. */
  private async storeEpochAt(link: StoreLink, lsn: number): Promise<number | null> {
    const reply = await this.timed(link.api.read({ fromLsn: lsn, maxBytes: 1 }));
    if (!reply.ok || reply.records === 0) return null;
    const scan = scanFrames(reply.frames, this.crc32c);
    const first = scan.frames[0];
    return first !== undefined && first.lsn === lsn ? first.epoch : null;
  }

  /**
   * The longest prefix of a store's log that is also ours. Two logs that
   * hold a record of the same LSN and epoch agree up to it (one primary per
   * epoch writes each LSN once, and aligns a store before it appends to it),
   * so agreement is monotone and a binary search over LSNs finds its end.
   */
  private async commonPrefix(link: StoreLink, tail: LogTail, firstLsn: number): Promise<number> {
    if (tail.lastLsn === 0) return 0;
    const known = this.epochsKnownFrom(link);
    if (tail.lastLsn <= this.lastLsn && tail.lastLsn >= known && (await this.epochAt(tail.lastLsn)) === tail.lastEpoch) return tail.lastLsn;
    let lo = Math.max(0, firstLsn - 1); // records below firstLsn are covered by a snapshot of committed state
    let hi = Math.min(tail.lastLsn, this.lastLsn);
    // Where ours cannot be read, the store's record at a snapshot's LSN may still show
    // that it agrees: without this, a primary cut a store's whole log although the store
    // held the committed snapshot, and a later election could adopt a shorter log from a
    // store that had missed the last committed records (the simulation, seed 40015637).
    if (lo < known - 1) lo = Math.max(lo, Math.min(hi, await this.agreedAtSnapshot(link, tail)));
    if (lo < known - 1) {
      // Our records before `known` are trimmed everywhere, so agreement there
      // cannot be checked: the store agrees up to its first record (a
      // committed snapshot's LSN) and, if it agrees at `known`, up to there.
      if (hi < known) return lo;
      const theirs = await this.storeEpochAt(link, known);
      if (theirs === null) throw new Error(`could not read record ${known}`);
      if (theirs !== (await this.epochAt(known))) return lo;
      lo = known;
    }
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const theirs = await this.storeEpochAt(link, mid);
      if (theirs === null) throw new Error(`could not read record ${mid}`);
      if (theirs === (await this.epochAt(mid))) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The newest LSN at which a store's own record is one a snapshot covers
   * (the same LSN and epoch), of the snapshots held by the store and by the
   * other stores that promised our epoch; 0 if none. Such a snapshot was
   * stored by us or by a primary of an earlier epoch, at a committed LSN, so
   * its record is in our log, and by log matching the store agrees with ours
   * up to it. The epochs must be compared: a snapshot may reach a store not
   * yet aligned with the log, whose record at that LSN is another epoch's
   * (the simulation, seed 40018188).
   */
  private async agreedAtSnapshot(link: StoreLink, tail: LogTail): Promise<number> {
    const covered = new Map<number, number>();
    for (const source of this.links) {
      if (source !== link && source.promisedEpoch !== this.epoch) continue;
      const list = await this.timed(source.api.listSnapshots());
      if (!Array.isArray(list)) continue;
      for (const s of list) if (s.lsn > 0 && s.lsn >= link.firstLsn && s.lsn <= tail.lastLsn) covered.set(s.lsn, s.epoch);
    }
    for (const lsn of [...covered.keys()].sort((a, b) => b - a)) {
      if ((await this.storeEpochAt(link, lsn)) === covered.get(lsn)) return lsn;
    }
    return 0;
  }

  // ---- election ---------------------------------------------------------------

  /**
   * Takes the next epoch from a quorum, adopts the most advanced log of that
   * quorum (by last record's epoch, then LSN), aligns every reachable store
   * with it, and commits a record of the new epoch; resolves once that record
   * is on a quorum. Retries until it succeeds.
   */
  async start(): Promise<void> {
    let lastReport = "";
    for (let attempt = 1; !this.closed; attempt++) {
      const result = await this.electOnce();
      if (result === "ok") return;
      if (result !== lastReport) this.log(`log: ${result}; retrying`);
      lastReport = result;
      // A running lease: ask again once it has lapsed (it may be renewed meanwhile; then again).
      const pause = this.electionRetryMs > 0 ? this.electionRetryMs : Math.min(RETRY_MAX_MS, RETRY_MIN_MS * attempt);
      this.electionRetryMs = 0;
      await sleepOn(this.clock, pause + Math.floor(this.clock.random() * 100));
    }
    throw new Error("the replicator was closed");
  }

  private async electOnce(): Promise<string> {
    this.state = "electing";
    this.electionFenced = false;
    for (const link of this.links) this.resetLink(link);
    const statuses = await Promise.all(this.links.map((l) => this.timed(l.api.status())));
    const reachable: StoreLink[] = [];
    let highest = this.triedEpoch;
    /** Remaining lease of each reachable store that would refuse us (another primary's). */
    const leases: number[] = [];
    let leaseEpoch = 0;
    statuses.forEach((s, i) => {
      const link = this.links[i]!;
      if ("ok" in s) {
        link.lastError = `${s.error}: ${s.message}`;
        return;
      }
      reachable.push(link);
      highest = Math.max(highest, s.promisedEpoch);
      if ((s.leaseRemainingMs ?? 0) > 0 && s.promisedTo !== this.candidate) {
        leases.push(s.leaseRemainingMs!);
        leaseEpoch = Math.max(leaseEpoch, s.promisedEpoch);
      }
    });
    if (reachable.length < this.quorum) {
      const down = this.links.filter((l) => !reachable.includes(l)).map((l) => `${l.name} (${l.lastError})`);
      return `waiting for log stores: ${reachable.length} of ${this.links.length} reachable, ${this.quorum} needed; down: ${down.join(", ")}`;
    }
    // Ask only when a quorum is free of another primary's lease: a promise
    // from a minority would fence a live primary without electing us.
    if (reachable.length - leases.length < this.quorum) {
      leases.sort((a, b) => a - b);
      // Look again after a quarter lease at most: a primary that died is replaced soon after its lease ends.
      this.electionRetryMs = Math.min(leases[this.quorum - (reachable.length - leases.length) - 1]!, Math.max(RETRY_MIN_MS, this.leaseMs / 4));
      return `the primary of epoch ${leaseEpoch} holds its lease on ${leases.length} log store(s); waiting for it to lapse`;
    }
    const epoch = highest + 1;
    this.triedEpoch = epoch;
    const leaseMs = this.leaseMs;
    const replies = await Promise.all(reachable.map((l) => this.timed(l.api.promise({ epoch, candidate: this.candidate, leaseMs }))));
    const granted: Array<{ link: StoreLink; tail: LogTail }> = [];
    const held: number[] = [];
    replies.forEach((r, i) => {
      if (r.ok) {
        reachable[i]!.firstLsn = r.firstLsn;
        reachable[i]!.promisedEpoch = epoch;
        granted.push({ link: reachable[i]!, tail: r.tail });
      } else {
        if (r.promisedEpoch !== undefined) this.triedEpoch = Math.max(this.triedEpoch, r.promisedEpoch);
        if (r.error === "lease-held") held.push(r.retryAfterMs ?? RETRY_MAX_MS);
      }
    });
    if (granted.length < this.quorum) {
      if (held.length > 0) {
        this.electionRetryMs = Math.min(Math.max(...held), 60_000);
        return `the primary of epoch ${highest} holds its lease on ${held.length} log store(s); waiting for it to lapse`;
      }
      return `only ${granted.length} log store(s) promised epoch ${epoch}`;
    }
    let best = granted[0]!;
    for (const g of granted) {
      if (g.tail.lastEpoch > best.tail.lastEpoch || (g.tail.lastEpoch === best.tail.lastEpoch && g.tail.lastLsn > best.tail.lastLsn)) best = g;
    }
    // Adopt the best log: it is ours now, held by `best` (the window starts after it).
    this.epoch = epoch;
    this.lastLsn = best.tail.lastLsn;
    this.commitLsn = 0;
    this.epochStartLsn = Infinity;
    this.window = [];
    this.windowHead = 0;
    this.windowBytes = 0;
    this.lastBatch = null;
    this.open.clear();
    this.leaseExpiresAt = -Infinity;
    this.leaseLapsed = false;
    this.renewing = true;
    for (const link of this.links) {
      link.leaseSentAt = -Infinity;
      link.probeAckedAt = -Infinity;
      link.commitSent = 0;
    }
    this.runs = best.tail.lastLsn > 0 ? [[best.tail.lastLsn, best.tail.lastEpoch]] : [];
    this.runsFrom = best.tail.lastLsn > 0 ? best.tail.lastLsn : 1;
    for (const link of this.links) link.acked = 0;
    best.link.acked = best.tail.lastLsn;
    // Only stores that answered: one that did not would cost another request
    // timeout here; it is reconnected in the background once we serve.
    const connected = await Promise.all(this.links.map((l) => reachable.includes(l) ? this.connect(l) : Promise.resolve(false)));
    if (this.electionFenced) return "a log store promised a newer epoch to another primary";
    const streaming = connected.filter((c) => c).length;
    if (streaming < this.quorum) return `only ${streaming} log store(s) could be aligned with the log of epoch ${epoch}`;
    this.addEffect({ db: 0, args: [encoder.encode(EPOCH_RECORD_COMMAND), encoder.encode(String(epoch)), encoder.encode(this.candidate)] });
    const marker = this.seal();
    this.epochStartLsn = marker;
    // Acks of the copies may already cover it: count them now.
    this.updateCommit();
    const committed = await this.waitCommitted(marker, this.commitTimeoutMs);
    if (this.electionFenced) return "a log store promised a newer epoch to another primary";
    if (!committed) return `the record opening epoch ${epoch} was not acknowledged by ${this.quorum} stores within ${this.commitTimeoutMs} ms`;
    this.setState("serving", "");
    this.startHeartbeats();
    // Stores that were unreachable keep trying in the background.
    for (const link of this.links) if (link.state === "down") this.scheduleReconnect(link);
    const adopted = best.tail.lastLsn;
    this.log(`log: epoch ${epoch} on ${streaming} of ${this.links.length} stores; adopted the log of ${best.link.name} ` +
      `(${adopted} record(s), last epoch ${best.tail.lastEpoch})`);
    return "ok";
  }

  // ---- reading the log and snapshots --------------------------------------------

  /**
   * Reads our committed log from `from` to `to` (inclusive) from a store that
   * holds it, handing each batch of frames (verified, consecutive) to
   * `onBatch`, with where each frame sits in it. The next batch is read
   * while `onBatch` works on this one (recovery applies as fast as stores
   * serve). The epochs read are remembered, so aligning a store later needs
   * no reads in that range.
   */
  async readLog(from: number, to: number,
    onBatch: (frames: Uint8Array, first: number, count: number, scanned: readonly FrameInfo[]) => void | Promise<void>): Promise<void> {
    let next = from;
    const readRuns: Array<[number, number]> = [];
    let reading: Promise<{ frames: Uint8Array; scanned: FrameInfo[] } | null> | null = from <= to ? this.readBatch(from, to) : null;
    while (next <= to) {
      const batch = await reading!;
      if (batch === null) throw new Error(`no log store could serve records ${next}..${to}`);
      const { frames, scanned } = batch;
      const after = next + scanned.length;
      reading = after <= to ? this.readBatch(after, to) : null;
      for (const f of scanned) {
        const last = readRuns[readRuns.length - 1];
        if (last === undefined || last[1] !== f.epoch) readRuns.push([f.lsn, f.epoch]);
      }
      await onBatch(frames, next, scanned.length, scanned);
      next = after;
    }
    if (readRuns.length > 0 && from < this.runsFrom && to + 1 >= this.runsFrom) {
      for (const run of this.runs) {
        const last = readRuns[readRuns.length - 1]!;
        if (run[0] > to && last[1] !== run[1]) readRuns.push(run);
      }
      this.runs = readRuns;
      this.runsFrom = from;
    }
  }

  /** One batch of our committed log from `next` (at most to `to`), verified, from the first store that serves it; null: none did. */
  private async readBatch(next: number, to: number): Promise<{ frames: Uint8Array; scanned: FrameInfo[] } | null> {
    for (const source of this.links.filter((l) => l.acked >= to)) {
      const reply = await this.timed(source.api.read({ fromLsn: next, maxBytes: BATCH_BYTES_MAX }), Math.max(this.requestTimeoutMs, 30_000));
      if (!reply.ok || reply.records === 0) continue;
      const scan = scanFrames(reply.frames, this.crc32c, { expectLsn: next });
      const scanned = scan.frames.filter((f) => f.lsn <= to);
      if (scanned.length === 0) continue;
      const last = scanned[scanned.length - 1]!;
      return { frames: reply.frames.subarray(0, last.offset + last.bytes), scanned };
    }
    return null;
  }

  /** The newest snapshot held by a store of ours at or below the log's end, or null. */
  async newestSnapshot(): Promise<StoredSnapshot | null> {
    const candidates: Array<{ link: StoreLink; info: SnapshotInfo }> = [];
    for (const link of this.links.filter((l) => l.state === "streaming")) {
      const list = await this.timed(link.api.listSnapshots());
      if (!Array.isArray(list)) continue;
      for (const info of list) if (info.lsn <= this.lastLsn && info.lsn <= link.acked) candidates.push({ link, info });
    }
    candidates.sort((a, b) => b.info.lsn - a.info.lsn);
    for (const { link, info } of candidates) {
      const snapshot = await this.timed(link.api.getSnapshot(info.lsn), Math.max(this.requestTimeoutMs, 60_000));
      if (snapshot !== null && !("ok" in snapshot)) return snapshot;
    }
    return null;
  }

  /**
   * Stores a snapshot of the state up to `lsn` on the stores, once `lsn` is
   * committed (a snapshot never holds a write that could still be lost).
   * Resolves with the number of stores that hold it; it counts as saved at a
   * quorum.
   */
  async saveSnapshot(lsn: number, image: Uint8Array): Promise<{ ok: boolean; stores: number; error: string }> {
    if (!(await this.waitCommitted(lsn, this.commitTimeoutMs))) {
      return { ok: false, stores: 0, error: `the log up to ${lsn} is not committed` };
    }
    let recordEpoch: number;
    try {
      recordEpoch = await this.epochAt(lsn);
    } catch (error) {
      return { ok: false, stores: 0, error: String(error) };
    }
    // One store at a time, connected ones first: storing an image keeps a
    // store busy (its appends' fsyncs wait behind it) while the others commit.
    const order = [...this.links].sort((a, b) => Number(b.state === "streaming") - Number(a.state === "streaming"));
    let stored = 0;
    const errors: string[] = [];
    for (const l of order) {
      const reply = await this.timed(l.api.putSnapshot({ epoch: this.epoch, lsn, recordEpoch, data: image }), Math.max(this.requestTimeoutMs, 60_000));
      if (reply.ok) {
        stored++;
        l.snapshotLsn = Math.max(l.snapshotLsn, lsn);
      } else {
        errors.push(`${l.name}: ${reply.message}`);
      }
    }
    if (stored >= this.quorum) void this.trimLogs();
    return { ok: stored >= this.quorum, stores: stored, error: errors.join("; ") };
  }

  // ---- trimming and catching up by snapshot (rule 8) ---------------------------

  /**
   * The lowest LSN from which every epoch of our log up to its end can still
   * be learnt: from memory, or from stores other than `target` that hold our
   * records (each from its first record up to what it acknowledged), joined
   * without a gap. Before it, our records are trimmed where we can read.
   */
  private epochsKnownFrom(target: StoreLink): number {
    let known = this.runs.length > 0 ? Math.max(this.runsFrom, this.runs[0]![0]) : this.lastLsn + 1;
    for (let extended = true; extended;) {
      extended = false;
      for (const l of this.links) {
        if (l !== target && l.firstLsn < known && l.acked >= known - 1 && l.acked >= l.firstLsn) {
          known = l.firstLsn;
          extended = true;
        }
      }
    }
    return known;
  }

  /** Whether our records from `from` on can be sent to `target`: from the window or a store that holds them. */
  private canSupply(from: number, target: StoreLink): boolean {
    if (from >= this.windowFirst) return true;
    return this.links.some((l) => l !== target && l.acked >= from && l.firstLsn <= from);
  }

  /**
   * Rule 8: a store whose log ends before the first record any store still
   * holds (it was away while they trimmed) gets a snapshot after its end that
   * another store holds, then `trim` at exactly that LSN, which restarts its
   * log after the snapshot; the records after it are streamed as usual.
   * Returns the LSN its log now ends at, or why it could not be done.
   */
  private async catchUpBySnapshot(link: StoreLink, agreed: number): Promise<number | string> {
    const candidates: Array<{ source: StoreLink; info: SnapshotInfo }> = [];
    for (const source of this.links) {
      if (source === link) continue;
      const list = await this.timed(source.api.listSnapshots());
      if (!Array.isArray(list)) continue;
      for (const info of list) {
        if (info.lsn > agreed && info.lsn <= this.lastLsn && (info.lsn === this.lastLsn || this.canSupply(info.lsn + 1, link))) {
          candidates.push({ source, info });
        }
      }
    }
    candidates.sort((a, b) => b.info.lsn - a.info.lsn);
    const long = Math.max(this.requestTimeoutMs, 60_000);
    for (const { source, info } of candidates) {
      const snapshot = await this.timed(source.api.getSnapshot(info.lsn), long);
      if (snapshot === null || "ok" in snapshot) continue;
      const put = await this.timed(link.api.putSnapshot({ epoch: this.epoch, lsn: info.lsn, recordEpoch: info.epoch, data: snapshot.data }), long);
      if (!put.ok) return `snapshot for catching up: ${put.error}: ${put.message}`;
      link.snapshotLsn = Math.max(link.snapshotLsn, info.lsn);
      const reset = await this.timed(link.api.trim({ epoch: this.epoch, lsn: info.lsn }));
      if (!reset.ok) return `trim for catching up: ${reset.error}: ${reset.message}`;
      link.firstLsn = reset.firstLsn;
      this.log(`log: store ${link.name} ended at LSN ${agreed}, before the records the other stores still hold; ` +
        `gave it the snapshot at LSN ${info.lsn} from ${source.name}`);
      return reset.tail.lastLsn;
    }
    return `its log ends at LSN ${agreed}, before the records the other stores hold, and no snapshot after it could be read`;
  }

  /**
   * Tells the stores how far they may trim: to the newest snapshot that every
   * streaming store holds (at least a quorum must stream), within what each
   * has acknowledged and what is committed. A store that is down is not
   * waited for, so that its absence cannot make the logs grow without bound;
   * if the others trim past its end, it catches up by snapshot when it is
   * back (catchUpBySnapshot). Resolves with the trim point (0: none).
   */
  async trimLogs(): Promise<number> {
    if (this.trimming || (this.state !== "serving" && this.state !== "stalled")) return 0;
    const streaming = this.links.filter((l) => l.state === "streaming");
    if (streaming.length < this.quorum) return 0;
    let point = this.commitLsn;
    for (const l of streaming) point = Math.min(point, l.snapshotLsn, l.acked);
    if (point <= 0) return 0;
    this.trimming = true;
    try {
      await Promise.all(streaming.filter((l) => l.firstLsn <= point).map(async (l) => {
        const reply = await this.timed(l.api.trim({ epoch: this.epoch, lsn: point }));
        if (reply.ok) {
          l.firstLsn = reply.firstLsn;
          if (reply.segmentsRemoved > 0) this.log(`log: store ${l.name} trimmed ${reply.segmentsRemoved} segment(s) up to the snapshot at LSN ${point}`);
        } else if (reply.error === "stale-epoch") {
          this.fence(`log store ${l.name}: ${reply.message}`);
        } else {
          this.log(`log: store ${l.name} could not trim to LSN ${point}: ${reply.error}: ${reply.message}`);
        }
      }));
    } finally {
      this.trimming = false;
    }
    return point;
  }

  // ---- reports ------------------------------------------------------------------

  stores(): StoreReport[] {
    return this.links.map((l) => ({ name: l.name, url: l.api.url, state: l.state, acked: l.acked, lastError: l.lastError }));
  }

  /**
   * A clean shutdown gives the lease up: this primary stops showing data
   * first, then tells the stores, so that a successor (or this server,
   * restarted) need not wait the lease out. Stores that do not answer within
   * `timeoutMs` keep it until it lapses. Resolves with how many released it.
   */
  async releaseLease(timeoutMs = 1000): Promise<number> {
    if (this.leaseMs === 0 || this.epoch === 0 || this.state === "fenced" || this.state === "electing") return 0;
    this.leaseReleased = true;
    this.leaseExpiresAt = -Infinity;
    const request = { epoch: this.epoch, candidate: this.candidate };
    const replies = await Promise.all(this.links.map((l) => this.timed(l.api.releaseLease(request), timeoutMs)));
    return replies.filter((r) => r.ok && r.released).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimer(this.stallTimer);
    this.stopTimers();
    for (const link of this.links) this.resetLink(link);
  }
}

