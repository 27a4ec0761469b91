// The rules every log-store backend applies, written once: epoch fencing,
// promises, and what a valid append is. Backends keep their own storage and
// call these with their current state, so the Node files, a Durable Object
// and the in-memory backend cannot disagree on the protocol.

import type { Crc32c } from "./crc32c.ts";
import { scanFrames, type FrameScan } from "./frame.ts";
import { logError, type LogError, type LogTail, type PromiseRequest } from "./protocol.ts";
import type { LogLimits } from "./backend.ts";

const EPOCH_MAX = 0xffff_ffff;

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
export function checkPromise(state: PromiseState, request: PromiseRequest): LogError | "grant" | "repeat" {
  if (!isEpoch(request.epoch) || request.epoch === 0) return logError("bad-request", "epoch must be an integer in 1..2^32-1");
  if (typeof request.candidate !== "string" || request.candidate.length === 0 || request.candidate.length > 256) {
    return logError("bad-request", "candidate must be a string of 1..256 characters");
  }
  if (request.epoch > state.promisedEpoch) return "grant";
  if (request.epoch === state.promisedEpoch && request.candidate === state.promisedTo) return "repeat";
  return logError("epoch-not-newer", `epoch ${request.epoch} is not above promised epoch ${state.promisedEpoch}`, {
    promisedEpoch: state.promisedEpoch,
  });
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

export function checkSnapshotRequest(lsn: unknown, recordEpoch: unknown, bytes: number, limits: LogLimits): LogError | null {
  if (!isLsn(lsn)) return logError("bad-request", "snapshot lsn must be a non-negative integer");
  if (!isEpoch(recordEpoch)) return logError("bad-request", "record epoch must be an integer in 0..2^32-1");
  if (bytes > limits.snapshotBytesMax) {
    return logError("too-large", `snapshot of ${bytes} bytes is above the limit of ${limits.snapshotBytesMax}`);
  }
  return null;
}
