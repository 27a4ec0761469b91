// The storage backend of a log store: what a host implements so that the
// protocol service (service.ts) can serve it. The Node host keeps segment
// files (server/logstore/file-backend.ts); a Durable Object keeps SQLite rows;
// memory-backend.ts keeps arrays (tests, simulation). One conformance suite
// (test/logstore/backend-cases.ts) runs against every implementation.
//
// The contract, which docs/durability.md states as the protocol:
//
// - A backend holds one log: records with consecutive LSNs between firstLsn
//   and lastLsn, whose epochs never decrease, and a promised epoch.
// - Every mutation carries an epoch and is refused unless it equals the
//   promised one ("stale-epoch" below it, "not-promised" above it). promise()
//   raises the promised epoch; it refuses an epoch that is not higher, unless
//   it repeats the current promise to the same candidate. From the moment a
//   promise is accepted no write of an older epoch is accepted, and the tail
//   it replies with includes every record it ever acknowledged to anyone.
// - A reply of ok means durable: the append, truncation, promise, snapshot or
//   trim survives a crash of the host right after it. Appends are group
//   committed: a backend makes many concurrent appends durable with one sync.
// - read() and watch() expose only durable records, so nothing a reader saw
//   disappears in a crash (only through an explicit truncation by a newer
//   primary, which watchers are told about).
// - Nothing a backend returns has failed its checksum: a corrupt record is an
//   error, never data.

import type {
  AppendReply, AppendRequest, PromiseReply, PromiseRequest, PutSnapshotReply, PutSnapshotRequest,
  ReadReply, ReadRequest, ReleaseLeaseReply, ReleaseLeaseRequest, SnapshotInfo, StoreStatus, TrimReply, TrimRequest, TruncateReply, TruncateRequest,
} from "./protocol.ts";

/** What changed in a log, for tail streams. Emitted after the change is durable. */
export type LogEvent =
  | { readonly type: "appended"; readonly lastLsn: number }
  | { readonly type: "truncated"; readonly afterLsn: number }
  | { readonly type: "commit"; readonly lsn: number }
  | { readonly type: "trimmed"; readonly firstLsn: number }
  /** An empty append (a heartbeat) of the promised epoch arrived. */
  | { readonly type: "heartbeat"; readonly epoch: number };

export type LogListener = (event: LogEvent) => void;

export interface StoredSnapshot {
  readonly info: SnapshotInfo;
  readonly data: Uint8Array;
}

export interface LogBackend {
  readonly region: string;
  status(): Promise<StoreStatus>;
  promise(request: PromiseRequest): Promise<PromiseReply>;
  append(request: AppendRequest): Promise<AppendReply>;
  truncate(request: TruncateRequest): Promise<TruncateReply>;
  read(request: ReadRequest): Promise<ReadReply>;
  putSnapshot(request: PutSnapshotRequest): Promise<PutSnapshotReply>;
  /** Newest (highest LSN) first. */
  listSnapshots(): Promise<SnapshotInfo[]>;
  /** A snapshot by its LSN, or the newest; null when there is none. Its checksum has been verified. */
  getSnapshot(lsn: number | "latest"): Promise<StoredSnapshot | null>;
  trim(request: TrimRequest): Promise<TrimReply>;
  /** The promised primary gives its lease up (clean shutdown); persisted, so a restart of the store does not bring it back. */
  releaseLease(request: ReleaseLeaseRequest): Promise<ReleaseLeaseReply>;
  /** Calls `listener` on every durable change until the returned function is called. */
  watch(listener: LogListener): () => void;
  close(): Promise<void>;
}

/** Bounds every backend applies. */
export interface LogLimits {
  /** Largest frame (header and payload), bytes. */
  frameBytesMax: number;
  /** Largest append (all its frames), bytes. */
  appendBytesMax: number;
  /** Largest read reply, bytes (a single larger frame is still returned whole). */
  readBytesMax: number;
  /** Largest snapshot, bytes. */
  snapshotBytesMax: number;
  /** Snapshots kept; older ones are deleted when a newer one is stored. */
  snapshotsKept: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = {
  frameBytesMax: 64 * 1024 * 1024,
  appendBytesMax: 64 * 1024 * 1024,
  readBytesMax: 4 * 1024 * 1024,
  snapshotBytesMax: 1024 * 1024 * 1024,
  snapshotsKept: 3,
};
