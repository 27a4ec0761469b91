// The log-store protocol: the shapes of requests, replies and stream
// messages, shared by every store host (Node, Durable Object), by clients and
// by the primary. docs/durability.md explains the rules; this file is their
// types and the few constants both sides must agree on.
//
// Requests are HTTP under /v1 with JSON bodies (or raw frames for appends and
// snapshot bytes); the append stream and the tail stream are WebSockets.
// Every request, the WebSocket upgrades included, carries a bearer token:
//   Authorization: Bearer <token>
// or, where a client cannot set headers on a WebSocket (browsers), the
// subprotocol `base64url.bearer.trireme.<base64url(token)>` offered after
// LOG_WS_SUBPROTOCOL.
//
// LSNs and epochs are JSON numbers. LSNs start at 1; 0 means "before the first
// record". Epoch 0 is never promised: a store that has promised nothing
// reports promisedEpoch 0.

import { writeU32 } from "../bytes.ts";

export const LOG_PROTOCOL_VERSION = 1;
/** Path prefix of every endpoint. */
export const LOG_PATH_PREFIX = "/v1";
/** WebSocket subprotocol a client offers first. */
export const LOG_WS_SUBPROTOCOL = "trireme-log.v1";
/** Prefix of the subprotocol that carries the token, followed by base64url(token). */
export const LOG_WS_TOKEN_PROTOCOL_PREFIX = "base64url.bearer.trireme.";

/** The end of a log: its last record's LSN and epoch (0 and 0 for an empty log that never had records). */
export interface LogTail {
  readonly lastLsn: number;
  readonly lastEpoch: number;
}

/** What a store says about itself (GET /v1/status). */
export interface StoreStatus extends LogTail {
  readonly protocol: number;
  readonly region: string;
  /** The highest epoch this store has promised (0: none). */
  readonly promisedEpoch: number;
  /** Who it was promised to (the candidate string of the promise). */
  readonly promisedTo: string;
  /** LSN of the first record the store still holds; lastLsn + 1 when it holds none. */
  readonly firstLsn: number;
  /** The highest commit LSN a primary has told this store about (a hint for tailing replicas; not durable). */
  readonly commitLsn: number;
  /** Bytes of log held (segment files or rows), headers included. */
  readonly logBytes: number;
  readonly segments: number;
  readonly snapshots: number;
  /** LSN of the newest snapshot, 0 when there is none. */
  readonly newestSnapshotLsn: number;
  /** What recovery on start found, if it cut anything. */
  readonly recovery: RecoveryReport | null;
  /**
   * How long this store will still refuse to promise a newer epoch to
   * another candidate: the lease of the primary it promised (0: none held).
   * A candidate checks it before asking, so as not to disturb a live primary.
   */
  readonly leaseRemainingMs?: number;
  /** Counters since the store started (backends that keep them): how appends were grouped into syncs. */
  readonly io?: StoreIoCounters;
}

/** Since the store started: each flush made every append waiting for it durable with its syncs. */
export interface StoreIoCounters {
  readonly appends: number;
  readonly records: number;
  readonly flushes: number;
  readonly fileSyncs: number;
}

/** A torn or corrupt tail cut when the store started. */
export interface RecoveryReport {
  /** Where the cut happened (a segment file name or a backend's own name for it). */
  readonly segment: string;
  /** Byte offset in that segment where the last valid record ends. */
  readonly validEndOffset: number;
  readonly bytesCut: number;
  /** LSN of the last valid record kept. */
  readonly lastValidLsn: number;
  readonly reason: string;
}

export type LogErrorCode =
  /** A promise asked for an epoch not above the one already promised (to someone else). */
  | "epoch-not-newer"
  /** A write carried an epoch below the promised one: its primary has been deposed. */
  | "stale-epoch"
  /** A write carried an epoch above the promised one: promise it first. */
  | "not-promised"
  /** The first appended record is not the one after the log's last record. */
  | "lsn-gap"
  /** A frame failed its checksum or bounds, or records are not consecutive, or epochs go backwards. */
  | "bad-frame"
  /** A truncate or read below the first record still held (covered by a snapshot). */
  | "trimmed"
  /** A truncate beyond the log's end. */
  | "beyond-end"
  /** A trim with no snapshot covering it. */
  | "no-snapshot"
  | "not-found"
  | "too-large"
  | "bad-request"
  | "unauthorized"
  /** The store failed to write (disk full, I/O error); nothing of the request was acknowledged. */
  | "io-error"
  /** A promise asked while the promised primary's lease runs: ask again after retryAfterMs. */
  | "lease-held";

export interface LogError {
  readonly ok: false;
  readonly error: LogErrorCode;
  readonly message: string;
  /** The store's promised epoch, with epoch errors. */
  readonly promisedEpoch?: number;
  /** The store's durable log end, with LSN errors, so the writer can resynchronize. */
  readonly tail?: LogTail;
  readonly firstLsn?: number;
  /** With lease-held: how long the lease still runs (ms). */
  readonly retryAfterMs?: number;
}

/** HTTP status of each error code. */
export const LOG_ERROR_STATUS: Readonly<Record<LogErrorCode, number>> = {
  "epoch-not-newer": 409,
  "stale-epoch": 409,
  "not-promised": 409,
  "lsn-gap": 409,
  "bad-frame": 400,
  "trimmed": 410,
  "beyond-end": 409,
  "no-snapshot": 409,
  "not-found": 404,
  "too-large": 413,
  "bad-request": 400,
  "unauthorized": 401,
  "io-error": 500,
  "lease-held": 409,
};

export function logError(error: LogErrorCode, message: string, extra: Omit<LogError, "ok" | "error" | "message"> = {}): LogError {
  return { ok: false, error, message, ...extra };
}

// ---- requests and replies ---------------------------------------------------

/** POST /v1/promise */
export interface PromiseRequest {
  readonly epoch: number;
  /** Names the primary asking (any string; a retry with the same epoch and candidate is answered again). */
  readonly candidate: string;
  /**
   * The primary's lease (ms, 0..LEASE_MS_MAX; absent: 0). From each append
   * (or heartbeat) of this epoch it receives, the store refuses to promise a
   * newer epoch to another candidate for this long (rules.ts, StoreLease).
   */
  readonly leaseMs?: number;
}
export type PromiseReply =
  | { readonly ok: true; readonly promisedEpoch: number; readonly firstLsn: number; readonly tail: LogTail }
  | LogError;

/**
 * POST /v1/append?epoch=E&commit=C, body: frames (application/octet-stream). Also the append stream.
 * No frames at all is a heartbeat: it renews the primary's lease and carries
 * its commit LSN to tailing readers; the reply is {lastLsn: durable end, records: 0}.
 */
export interface AppendRequest {
  readonly epoch: number;
  /** Concatenated frames (none: a heartbeat); the first must carry the LSN after the log's last. */
  readonly frames: Uint8Array;
  /** The primary's commit LSN, relayed to tailing replicas (0: unknown). */
  readonly commitLsn?: number;
  /**
   * false: the append does not renew the primary's lease on the store. A
   * primary whose lease lapsed sends such appends until a quorum answers, so
   * that a store only it still reaches is freed for a successor
   * (docs/durability.md, "Leases"). Default true.
   */
  readonly renew?: boolean;
}
export type AppendReply =
  | { readonly ok: true; readonly lastLsn: number; readonly records: number }
  | LogError;

/** POST /v1/truncate */
export interface TruncateRequest {
  readonly epoch: number;
  /** Records with an LSN above this are removed. */
  readonly afterLsn: number;
  /**
   * Only if the log still ends here (the tail the primary aligned against);
   * otherwise "lsn-gap" and nothing is removed. A truncation held up in the
   * network past its timeout must not cut records appended since.
   */
  readonly ifTail?: LogTail;
}
export type TruncateReply = { readonly ok: true; readonly tail: LogTail; readonly removed: number } | LogError;

/** GET /v1/records?from=N&max_bytes=M: frames, with these headers. */
export const HEADER_FIRST_LSN = "x-trireme-first-lsn";
export const HEADER_LAST_LSN = "x-trireme-last-lsn";
export const HEADER_LAST_EPOCH = "x-trireme-last-epoch";
export const HEADER_SNAPSHOT_LSN = "x-trireme-snapshot-lsn";
export const HEADER_SNAPSHOT_EPOCH = "x-trireme-snapshot-epoch";
export const HEADER_SNAPSHOT_CRC32C = "x-trireme-snapshot-crc32c";

export interface ReadRequest {
  /** First LSN wanted. */
  readonly fromLsn: number;
  /** Stop adding frames past this many bytes (at least one frame is returned if any exists). */
  readonly maxBytes: number;
}
export type ReadReply =
  | {
    readonly ok: true;
    /** Whole frames from fromLsn on (empty when fromLsn is past the end). */
    readonly frames: Uint8Array;
    readonly records: number;
    readonly firstLsn: number;
    readonly tail: LogTail;
  }
  | LogError;

/** A snapshot as listed (GET /v1/snapshots, newest first). */
export interface SnapshotInfo {
  /** The state covers every record up to and including this LSN. */
  readonly lsn: number;
  /** Epoch of the record at `lsn` (0 when lsn is 0), so a log restarted from the snapshot knows its tail. */
  readonly epoch: number;
  readonly bytes: number;
  readonly crc32c: number;
}

/** PUT /v1/snapshots/:lsn?epoch=E&record_epoch=X, body: the snapshot's bytes. */
export interface PutSnapshotRequest {
  /** The writer's epoch (fenced like an append). */
  readonly epoch: number;
  readonly lsn: number;
  /** Epoch of the record at lsn. */
  readonly recordEpoch: number;
  readonly data: Uint8Array;
}
export type PutSnapshotReply = { readonly ok: true; readonly snapshot: SnapshotInfo } | LogError;

/**
 * POST /v1/release-lease: the promised primary gives its lease up as it shuts
 * down cleanly, so that its successor (or its own restart) need not wait for
 * it. `released` is false when the store promised someone else since.
 */
export interface ReleaseLeaseRequest {
  readonly epoch: number;
  readonly candidate: string;
}
export type ReleaseLeaseReply = { readonly ok: true; readonly released: boolean } | LogError;

/** POST /v1/trim */
export interface TrimRequest {
  readonly epoch: number;
  /** Records up to this LSN are no longer needed: a snapshot with lsn >= this must be held. */
  readonly lsn: number;
}
export type TrimReply = { readonly ok: true; readonly firstLsn: number; readonly tail: LogTail; readonly segmentsRemoved: number } | LogError;

// ---- streams ----------------------------------------------------------------

/**
 * The append stream (GET /v1/append, WebSocket). The client sends binary
 * messages, each an append: this 24-byte envelope, then whole frames.
 *
 *    0     4            8        12               20       24
 *   +-----+------------+--------+----------------+--------+---------+
 *   | tag | request id | epoch  |  commit lsn    | flags  | frames  |
 *   | u32 |    u32     |  u32   |      u64       |  u32   |  ...    |
 *   +-----+------------+--------+----------------+--------+---------+
 *
 * tag is APPEND_TAG; flags bit 0 (APPEND_FLAG_NO_RENEW) is renew: false,
 * the other bits are zero. The store answers each with one text message,
 * AppendStreamReply, in the order the appends arrived; an ack means every
 * record of that append is durable.
 */
export const APPEND_ENVELOPE_BYTES = 24;
export const APPEND_TAG = 0x31474f4c; // "LOG1" little-endian
export const APPEND_FLAG_NO_RENEW = 1;

export type AppendStreamReply =
  | { readonly type: "ack"; readonly id: number; readonly lastLsn: number; readonly records: number }
  | ({ readonly type: "error"; readonly id: number } & LogError);

/**
 * The tail stream (GET /v1/tail?from=N, WebSocket). The store sends binary
 * messages of whole frames in LSN order, starting at N, first what it holds
 * and then each record as it becomes durable; and text messages, TailEvent.
 * A "truncated" event means records after afterLsn that were sent are gone
 * (a newer primary overwrote them): drop them; the stream goes on from
 * afterLsn + 1. "heartbeat" says the primary is alive (it sends one when
 * idle, every third of its lease). "error" ends the stream (for instance "trimmed": N is below
 * the first record held; fetch a snapshot and tail from after it).
 */
export type TailEvent =
  | { readonly type: "truncated"; readonly afterLsn: number }
  | { readonly type: "commit"; readonly lsn: number }
  /** The primary of `epoch` sent a heartbeat (an empty append): it is alive. */
  | { readonly type: "heartbeat"; readonly epoch: number }
  | ({ readonly type: "error" } & LogError);

/** Encodes an append envelope followed by the frames. */
export function encodeAppendMessage(id: number, request: AppendRequest): Uint8Array {
  const out = new Uint8Array(appendMessageBytes(request));
  writeAppendMessage(out, 0, id, request);
  return out;
}

/** Bytes of the append message of `request`. */
export function appendMessageBytes(request: AppendRequest): number {
  return APPEND_ENVELOPE_BYTES + request.frames.length;
}

/** Writes the append message of `request` at `at` in `out`, which has room for appendMessageBytes(request). */
export function writeAppendMessage(out: Uint8Array, at: number, id: number, request: AppendRequest): void {
  const commit = request.commitLsn ?? 0;
  writeU32(out, at, APPEND_TAG);
  writeU32(out, at + 4, id >>> 0);
  writeU32(out, at + 8, request.epoch);
  writeU32(out, at + 12, commit % 0x1_0000_0000);
  writeU32(out, at + 16, Math.floor(commit / 0x1_0000_0000));
  writeU32(out, at + 20, request.renew === false ? APPEND_FLAG_NO_RENEW : 0);
  out.set(request.frames, at + APPEND_ENVELOPE_BYTES);
}

/** Decodes an append message; null when it is not one. The frames are a view. */
export function decodeAppendMessage(message: Uint8Array): { id: number; request: AppendRequest } | null {
  if (message.length < APPEND_ENVELOPE_BYTES) return null;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  if (view.getUint32(0, true) !== APPEND_TAG) return null;
  const commitLsn = view.getUint32(16, true) * 0x1_0000_0000 + view.getUint32(12, true);
  const frames = message.subarray(APPEND_ENVELOPE_BYTES);
  const epoch = view.getUint32(8, true);
  const noRenew = (view.getUint32(20, true) & APPEND_FLAG_NO_RENEW) !== 0;
  return { id: view.getUint32(4, true), request: noRenew ? { epoch, commitLsn, frames, renew: false } : { epoch, commitLsn, frames } };
}

/** base64url without padding, for the token subprotocol. */
export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  try {
    const raw = atob(padded);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}
