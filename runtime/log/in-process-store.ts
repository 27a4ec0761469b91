// A log store in the same process: the replicator's StoreApi over any
// LogBackend, with a switch that makes the store unreachable (every request
// fails, open append streams close). Tests use it over the memory backend to
// drive the replicator through elections and failures without processes;
// a simulation can do the same with its own clock and faults.

import type { LogBackend, StoredSnapshot } from "./backend.ts";
import {
  logError,
  type AppendReply, type AppendRequest, type LogError, type PromiseReply, type PromiseRequest, type PutSnapshotReply,
  type PutSnapshotRequest, type ReadReply, type ReadRequest, type SnapshotInfo, type StoreStatus, type TruncateReply,
  type TruncateRequest, type TrimReply, type TrimRequest, type ReleaseLeaseReply, type ReleaseLeaseRequest,
} from "./protocol.ts";
import type { AppendStreamApi, StoreApi } from "./replicator.ts";
import { OrderedAppends } from "./append-order.ts";

export class InProcessStore implements StoreApi {
  readonly url: string;
  readonly backend: LogBackend;
  private isDown = false;
  private readonly streams = new Set<InProcessStream>();

  constructor(backend: LogBackend, url = `memory://${backend.region}`) {
    this.backend = backend;
    this.url = url;
  }

  get down(): boolean {
    return this.isDown;
  }

  /** Makes the store unreachable (true) or reachable again (false). */
  setDown(down: boolean): void {
    this.isDown = down;
    if (down) for (const s of [...this.streams]) s.close();
  }

  private call<T>(f: () => Promise<T>): Promise<T> {
    if (this.isDown) return Promise.reject(new Error(`${this.url} is down`));
    return f();
  }

  status(): Promise<StoreStatus | LogError> {
    return this.call(() => this.backend.status());
  }

  promise(request: PromiseRequest): Promise<PromiseReply> {
    return this.call(() => this.backend.promise(request));
  }

  truncate(request: TruncateRequest): Promise<TruncateReply> {
    return this.call(() => this.backend.truncate(request));
  }

  read(request: ReadRequest): Promise<ReadReply> {
    return this.call(() => this.backend.read(request));
  }

  putSnapshot(request: PutSnapshotRequest): Promise<PutSnapshotReply> {
    return this.call(() => this.backend.putSnapshot(request));
  }

  listSnapshots(): Promise<SnapshotInfo[] | LogError> {
    return this.call(() => this.backend.listSnapshots());
  }

  getSnapshot(lsn: number | "latest"): Promise<StoredSnapshot | null | LogError> {
    return this.call(() => this.backend.getSnapshot(lsn));
  }

  trim(request: TrimRequest): Promise<TrimReply> {
    return this.call(() => this.backend.trim(request));
  }

  releaseLease(request: ReleaseLeaseRequest): Promise<ReleaseLeaseReply> {
    return this.call(() => this.backend.releaseLease(request));
  }

  openAppendStream(): Promise<AppendStreamApi> {
    return this.call(async () => {
      const stream = new InProcessStream(this.backend, () => this.streams.delete(stream));
      this.streams.add(stream);
      return stream;
    });
  }
}

/** Appends in order, replies in order (the service's OrderedAppends), until closed. */
class InProcessStream implements AppendStreamApi {
  onClose: (() => void) | undefined;
  private closed = false;
  private readonly pending = new Set<(reply: AppendReply) => void>();
  private readonly appends: OrderedAppends;
  private readonly forget: () => void;

  constructor(backend: LogBackend, forget: () => void) {
    this.appends = new OrderedAppends(backend, () => {});
    this.forget = forget;
  }

  append(request: AppendRequest): Promise<AppendReply> {
    if (this.closed) return Promise.resolve(logError("io-error", "append stream is not open"));
    return new Promise((resolve) => {
      this.pending.add(resolve);
      this.appends.append({ ...request, frames: request.frames.slice() }, (reply) => {
        if (!this.pending.delete(resolve)) return;
        resolve(reply);
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.forget();
    for (const settle of this.pending) settle(logError("io-error", "append stream closed before the reply"));
    this.pending.clear();
    queueMicrotask(() => this.onClose?.());
  }
}
