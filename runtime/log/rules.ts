// The rules every log-store backend applies, written once: epoch fencing,
// promises, and what a valid append is. Backends keep their own storage and
// call these with their current state, so the Node files, a Durable Object
// and the in-memory backend cannot disagree on the protocol.

import type { Crc32c } from "./crc32c.ts";
import { scanFrames, type FrameScan } from "./frame.ts";
import { logError, type LogError, type LogTail, type PromiseRequest, type ReleaseLeaseRequest, type SnapshotInfo } from "./protocol.ts";
import type { LogLimits } from "./backend.ts";
import type { Clock } from "./clock.ts";

const EPOCH_MAX = 0xffff_ffff;
/** The longest lease a primary may ask a store to keep (ms). */
export const LEASE_MS_MAX = 60_000;

export interface PromiseState {
  readonly promisedEpoch: number;
  readonly promisedTo: string;
}

function isEpoch(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= EPOCH_MAX;
}

export function isLsn(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * A promise is granted for an epoch above the promised one, or again for the
 * same epoch and candidate (a retry); anything else is refused, so no two
 * primaries ever hold a promise of the same epoch from one store.
 */
export function checkPromise(state: PromiseState, request: PromiseRequest, lease?: StoreLease): LogError | "grant" | "repeat" {
  if (!isEpoch(request.epoch) || request.epoch === 0) return logError("bad-request", "epoch must be an integer in 1..2^32-1");
  if (typeof request.candidate !== "string" || request.candidate.length === 0 || request.candidate.length > 256) {
    return logError("bad-request", "candidate must be a string of 1..256 characters");
  }
  if (request.leaseMs !== undefined && !(Number.isInteger(request.leaseMs) && request.leaseMs >= 0 && request.leaseMs <= LEASE_MS_MAX)) {
    return logError("bad-request", `leaseMs must be an integer in 0..${LEASE_MS_MAX}`);
  }
  if (request.epoch > state.promisedEpoch) {
    const remaining = lease?.remainingMs(request.candidate) ?? 0;
    if (remaining > 0) {
      return logError("lease-held", `the lease of epoch ${state.promisedEpoch} (${state.promisedTo}) runs for another ${remaining} ms`, {
        promisedEpoch: state.promisedEpoch, retryAfterMs: remaining,
      });
    }
    return "grant";
  }
  if (request.epoch === state.promisedEpoch && request.candidate === state.promisedTo) return "repeat";
  return logError("epoch-not-newer", `epoch ${request.epoch} is not above promised epoch ${state.promisedEpoch}`, {
    promisedEpoch: state.promisedEpoch,
  });
}

/**
 * The lease a store keeps for the primary it promised its epoch to. The
 * promise starts it, and every append of that epoch the store receives
 * (heartbeats too) renews it: until = receive time + the lease the primary
 * asked for in its promise.
 * While it runs, the store promises no newer epoch to another candidate
 * (checkPromise: lease-held), so a primary that counts its lease from the
 * moment it *sent* an append a quorum acknowledged knows that no successor
 * can be elected before that count runs out (docs/durability.md, "Leases").
 *
 * The lease is kept in memory; a store that restarts cannot know whether a
 * lease was running, so it assumes one just started (`restored`). That is why
 * the lease length is persisted with the promise.
 */
export class StoreLease {
  private readonly clock: Clock;
  /** The candidate the lease is for (the promised one). */
  private holder = "";
  private leaseMs = 0;
  private until = 0;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** The store started with this promise on disk: a lease may have been running when it stopped. */
  restored(holder: string, leaseMs: number): void {
    this.holder = holder;
    this.leaseMs = leaseMs;
    this.until = leaseMs > 0 ? this.clock.now() + leaseMs : 0;
  }

  /**
   * A promise was granted: the lease starts now, so that another candidate
   * does not take the store back before the new primary's first append
   * (two candidates would otherwise depose each other in turn).
   */
  granted(request: PromiseRequest): void {
    if (request.candidate !== this.holder) this.until = 0;
    this.holder = request.candidate;
    this.leaseMs = request.leaseMs ?? 0;
    this.renew();
  }

  /** An append (or heartbeat) of the promised epoch arrived; one sent with renew: false leaves the lease as it is. */
  renew(request?: { readonly renew?: boolean }): void {
    if (request?.renew === false) return;
    if (this.leaseMs > 0) this.until = Math.max(this.until, this.clock.now() + this.leaseMs);
  }

  /** The holder gave its lease up (a clean shutdown): no one waits for it any more, and its appends no longer renew it. */
  release(): void {
    this.leaseMs = 0;
    this.until = 0;
  }

  /** The lease length the holder asked for (persisted with the promise). */
  get lengthMs(): number {
    return this.leaseMs;
  }

  /** How long the lease still keeps `candidate` (anyone but the holder; default anyone) from a promise. */
  remainingMs(candidate?: string): number {
    if (candidate !== undefined && candidate === this.holder) return 0;
    return Math.max(0, Math.ceil(this.until - this.clock.now()));
  }
}

/**
 * A release-lease request: an error, or whether it comes from the primary the
 * store promised (only that one's lease is released).
 */
export function checkReleaseLease(state: { promisedEpoch: number; promisedTo: string }, request: ReleaseLeaseRequest): LogError | boolean {
  const epochError = checkWriteEpoch(state.promisedEpoch, request.epoch);
  if (epochError !== null) return epochError;
  if (typeof request.candidate !== "string") return logError("bad-request", "candidate must be a string");
  return request.epoch === state.promisedEpoch && request.candidate === state.promisedTo;
}

/** An append without frames is a heartbeat: it renews the lease and carries the commit LSN. */
export function isHeartbeat(frames: Uint8Array): boolean {
  return frames.length === 0;
}

/** A write (append, truncate, snapshot, trim) is accepted only under the promised epoch. */
export function checkWriteEpoch(promisedEpoch: number, epoch: unknown): LogError | null {
  if (!isEpoch(epoch)) return logError("bad-request", "epoch must be an integer in 0..2^32-1");
  if (epoch < promisedEpoch) {
    return logError("stale-epoch", `epoch ${epoch} is below promised epoch ${promisedEpoch}`, { promisedEpoch });
  }
  if (epoch > promisedEpoch) {
    return logError("not-promised", `epoch ${epoch} has not been promised (promised: ${promisedEpoch})`, { promisedEpoch });
  }
  return null;
}

/**
 * Checks an append's frames against the log's tail: at least one frame, each
 * whole with a valid checksum, the first at tail.lastLsn + 1 and the rest
 * consecutive, epochs not decreasing from the tail's and none above the
 * writer's epoch. Returns the scan on success.
 */
export function checkAppendFrames(
  frames: Uint8Array, epoch: number, tail: LogTail, crc32c: Crc32c, limits: LogLimits,
): FrameScan | LogError {
  if (frames.length === 0) return logError("bad-request", "an append needs at least one frame");
  if (frames.length > limits.appendBytesMax) {
    return logError("too-large", `append of ${frames.length} bytes is above the limit of ${limits.appendBytesMax}`);
  }
  const scan = scanFrames(frames, crc32c, { frameBytesMax: limits.frameBytesMax });
  if (scan.fault !== undefined) return logError("bad-frame", scan.fault.message);
  const first = scan.frames[0]!;
  if (first.lsn !== tail.lastLsn + 1) {
    return logError("lsn-gap", `first record has LSN ${first.lsn}; the log ends at ${tail.lastLsn}`, { tail });
  }
  let previousEpoch = tail.lastEpoch;
  let previousLsn = tail.lastLsn;
  for (const f of scan.frames) {
    if (f.lsn !== previousLsn + 1) return logError("bad-frame", `LSN ${f.lsn} follows ${previousLsn}`);
    if (f.epoch < previousEpoch) return logError("bad-frame", `record ${f.lsn} has epoch ${f.epoch} after epoch ${previousEpoch}`);
    if (f.epoch > epoch) return logError("bad-frame", `record ${f.lsn} has epoch ${f.epoch}, above the writer's epoch ${epoch}`);
    previousEpoch = f.epoch;
    previousLsn = f.lsn;
  }
  return scan;
}

/**
 * Checks a truncation point against the log: firstLsn - 1 <= afterLsn <=
 * lastLsn, and, when the request names the tail it expects (ifTail), that
 * the log still ends there: a truncation that arrives late, after the
 * primary gave up on it and appended more, must not cut those records.
 */
export function checkTruncate(afterLsn: unknown, firstLsn: number, tail: LogTail, ifTail?: unknown): LogError | null {
  if (!isLsn(afterLsn)) return logError("bad-request", "afterLsn must be a non-negative integer");
  if (ifTail !== undefined) {
    const expected = ifTail as Partial<LogTail> | null;
    if (typeof expected !== "object" || expected === null || !isLsn(expected.lastLsn) || !isEpoch(expected.lastEpoch)) {
      return logError("bad-request", "ifTail must be {lastLsn, lastEpoch}");
    }
    if (expected.lastLsn !== tail.lastLsn || expected.lastEpoch !== tail.lastEpoch) {
      return logError("lsn-gap", `the log ends at ${tail.lastLsn} (epoch ${tail.lastEpoch}), not at ${expected.lastLsn} ` +
        `(epoch ${expected.lastEpoch}); nothing was removed`, { tail });
    }
  }
  if (afterLsn < firstLsn - 1) {
    return logError("trimmed", `records up to ${firstLsn - 1} are covered by a snapshot and cannot be truncated`, { firstLsn, tail });
  }
  if (afterLsn > tail.lastLsn) return logError("beyond-end", `the log ends at ${tail.lastLsn}`, { tail });
  return null;
}

/** Checks the LSN of a read: from firstLsn on (past the end is fine: nothing yet). */
export function checkRead(fromLsn: unknown, firstLsn: number, tail: LogTail): LogError | null {
  if (!isLsn(fromLsn) || fromLsn < 1) return logError("bad-request", "from must be an integer >= 1");
  if (fromLsn < firstLsn) {
    return logError("trimmed", `records before ${firstLsn} are trimmed; fetch a snapshot`, { firstLsn, tail });
  }
  return null;
}

/**
 * Checks a trim to `lsn` against the snapshots a store holds: one must cover
 * it (LSN >= lsn). A trim beyond the log's end restarts the log after a
 * snapshot at exactly `lsn` (how a store behind a trimmed log catches up):
 * that snapshot is returned as `reset`; otherwise records up to `lsn` may go.
 */
export function checkTrim(lsn: unknown, snapshots: readonly SnapshotInfo[], tail: LogTail): LogError | { reset: SnapshotInfo | null } {
  if (!isLsn(lsn)) return logError("bad-request", "lsn must be a non-negative integer");
  if (!snapshots.some((s) => s.lsn >= lsn)) return logError("no-snapshot", `no snapshot covers LSN ${lsn}`);
  if (lsn <= tail.lastLsn) return { reset: null };
  const exact = snapshots.find((s) => s.lsn === lsn);
  if (exact === undefined) {
    return logError("no-snapshot", `trimming past the log's end (${tail.lastLsn}) needs a snapshot at exactly LSN ${lsn}`);
  }
  return { reset: exact };
}

export function checkSnapshotRequest(lsn: unknown, recordEpoch: unknown, bytes: number, limits: LogLimits): LogError | null {
  if (!isLsn(lsn)) return logError("bad-request", "snapshot lsn must be a non-negative integer");
  if (!isEpoch(recordEpoch)) return logError("bad-request", "record epoch must be an integer in 0..2^32-1");
  if (bytes > limits.snapshotBytesMax) {
    return logError("too-large", `snapshot of ${bytes} bytes is above the limit of ${limits.snapshotBytesMax}`);
  }
  return null;
}
