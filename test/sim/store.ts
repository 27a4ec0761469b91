// A simulated log store: the in-memory backend (runtime/log/memory-backend.ts,
// with the store rules of runtime/log/rules.ts that every backend shares)
// behind an InProcessStore (the store's side of requests and append streams,
// with the service's reply ordering), with a simulated disk: changes become
// durable at the next fsync, a random while later, and a crash keeps only what
// was synced plus a random prefix of what was written after it. A restart is
// a new backend over that image. The primary reaches a store through
// StoreClient, over the simulated network; a follower tails it through
// SimTailSource (the store's side is tail-pump.ts, as in the service).

import type { Crc32c } from "../../runtime/log/crc32c.ts";
import { MemoryLogBackend, type MemoryLogImage, type StoredRecord } from "../../runtime/log/memory-backend.ts";
import { InProcessStore } from "../../runtime/log/in-process-store.ts";
import { logError, type AppendReply, type AppendRequest, type LogError, type PromiseReply, type PromiseRequest,
  type PutSnapshotReply, type PutSnapshotRequest, type ReadReply, type ReadRequest, type SnapshotInfo, type StoreStatus,
  type ReleaseLeaseReply, type ReleaseLeaseRequest, type TrimReply, type TrimRequest, type TruncateReply,
  type TruncateRequest } from "../../runtime/log/protocol.ts";
import type { StoredSnapshot } from "../../runtime/log/backend.ts";
import type { AppendStreamApi, StoreApi } from "../../runtime/log/replicator.ts";
import type { TailSource } from "../../runtime/log/follower.ts";
import { startTailPump } from "../../runtime/log/tail-pump.ts";
import { DEFAULT_LOG_LIMITS } from "../../runtime/log/backend.ts";
import { scanFrames } from "../../runtime/log/frame.ts";
import { Incarnation, type World } from "./world.ts";
import { OrderedChannel, type Endpoint, type Network } from "./network.ts";

export interface DiskFaults {
  /** Time an fsync takes (ms). */
  syncMinMs: number;
  syncMaxMs: number;
  /** Share of fsyncs that are slow, taking up to slowSyncMaxMs. */
  slowSyncRate: number;
  slowSyncMaxMs: number;
  /** Unsynced records a crash may keep (a random number up to this). */
  unsyncedKeptMax: number;
}

export class SimStore implements Endpoint {
  readonly name: string;
  incarnation: Incarnation;
  backend: MemoryLogBackend;
  api: InProcessStore;
  up = true;
  /** Client ends of the append streams open to this store (they break when it crashes). */
  readonly streams = new Set<SimAppendStream>();
  /** Tail streams open to this store (they break when it crashes). */
  readonly tails = new Set<SimTailConnection>();
  /** How fast its clock runs (leases are measured with it). */
  readonly clockRate: number;
  private readonly world: World;
  private readonly crc32c: Crc32c;
  private readonly disk: DiskFaults;
  private syncWaiters: Array<() => void> = [];
  private flushScheduled = false;
  private image: MemoryLogImage | undefined;

  /**
   * Records this store dropped when it trimmed its log (kept across restarts):
   * the audit reads the whole log, and a trimmed prefix is gone from every
   * store. Only committed records are ever trimmed (below a snapshot).
   */
  readonly trimmed = new Map<number, StoredRecord>();

  /** A broken rule, to show the checks catch it: a crash also loses up to 3 acknowledged records (a lying fsync). */
  losesAcknowledgedRecords = false;

  /** A broken rule: its tail streams call every record sent committed, so followers apply what may be lost. */
  tailsClaimCommitted = false;

  /** The LSN of the last record in a run of frames (0: none). */
  lastLsnOf(frames: Uint8Array): number {
    return scanFrames(frames, this.crc32c).frames.at(-1)?.lsn ?? 0;
  }

  constructor(world: World, crc32c: Crc32c, name: string, disk: DiskFaults, clockRate = 1) {
    this.world = world;
    this.clockRate = clockRate;
    this.crc32c = crc32c;
    this.name = name;
    this.disk = disk;
    this.incarnation = new Incarnation(name);
    this.backend = this.newBackend(undefined);
    this.api = new InProcessStore(this.backend, `sim://${name}`);
  }

  private newBackend(image: MemoryLogImage | undefined): MemoryLogBackend {
    return new MemoryLogBackend({
      region: this.name, crc32c: this.crc32c, sync: () => this.sync(), clock: this.world.clockFor(this.incarnation, this.clockRate),
      ...(image === undefined ? {} : { image }),
    });
  }

  /** Group commit: every change written before the next flush is durable when it completes. */
  private sync(): Promise<void> {
    return new Promise((resolve) => {
      this.syncWaiters.push(resolve);
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      const random = this.world.random;
      const d = this.disk;
      const ms = random.chance(d.slowSyncRate) ? d.syncMaxMs + random.next() * d.slowSyncMaxMs
        : d.syncMinMs + random.next() * (d.syncMaxMs - d.syncMinMs);
      this.world.at(ms, this.incarnation, () => {
        this.flushScheduled = false;
        for (const resolve of this.syncWaiters.splice(0)) resolve();
      });
    });
  }

  /** Before a trim request runs: remembers the records it may drop, for the audit. */
  noteTrim(lsn: number): void {
    for (const record of this.backend.crashImage(Infinity).records) {
      if (record.lsn <= lsn && !this.trimmed.has(record.lsn)) this.trimmed.set(record.lsn, record);
    }
  }

  /** kill -9: what was not synced may be lost; every connection breaks. */
  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.incarnation.alive = false;
    let image = this.backend.crashImage(this.world.random.int(this.disk.unsyncedKeptMax + 1));
    if (this.losesAcknowledgedRecords) {
      image = { ...image, records: image.records.slice(0, Math.max(0, image.records.length - this.world.random.int(4))) };
    }
    this.image = image;
    this.api.setDown(true);
    for (const stream of [...this.streams]) stream.breakConnection("the store crashed");
    this.streams.clear();
    for (const tail of [...this.tails]) tail.breakConnection("the store crashed");
    this.tails.clear();
    this.syncWaiters = [];
    this.flushScheduled = false;
    const last = image.records[image.records.length - 1];
    this.world.trace(`${this.name}: CRASH (restarts with log end ${last?.lsn ?? image.base.lastLsn}, promised ${image.promisedEpoch})`);
  }

  restart(): void {
    if (this.up) return;
    this.incarnation = new Incarnation(this.name);
    this.backend = this.newBackend(this.image);
    this.api = new InProcessStore(this.backend, `sim://${this.name}`);
    this.up = true;
    this.world.trace(`${this.name}: restarted`);
  }
}

/**
 * The primary's StoreApi for one store, over the simulated network: each
 * call is a request message and a reply message; the store runs it with its
 * InProcessStore when the request arrives.
 */
export class StoreClient implements StoreApi {
  readonly url: string;
  private readonly world: World;
  private readonly net: Network;
  private readonly origin: Endpoint;
  private readonly store: SimStore;

  constructor(world: World, net: Network, origin: Endpoint, store: SimStore) {
    this.world = world;
    this.net = net;
    this.origin = origin;
    this.store = store;
    this.url = `sim://${store.name}`;
  }

  private call<T>(what: string, idempotent: boolean, run: (api: InProcessStore) => Promise<T>): Promise<T> {
    const origin = this.origin.incarnation;
    const store = this.store;
    return new Promise<T>((resolve, reject) => {
      this.net.sendRequest(origin.name, store.name, what, idempotent, (copy) => {
        if (!store.up) {
          this.net.send(store.name, origin.name, () => {
            if (origin.alive && !copy) reject(new Error(`connection refused by ${store.name}`));
          });
          return;
        }
        const at = store.incarnation;
        this.world.trace(`${store.name} <- ${origin.name}: ${what}${copy ? " (duplicate)" : ""}`);
        run(store.api).then(
          (value) => {
            if (!at.alive) return;
            this.net.send(store.name, origin.name, () => { if (origin.alive && !copy) resolve(value); });
          },
          (error: unknown) => {
            if (!at.alive) return;
            this.net.send(store.name, origin.name, () => { if (origin.alive && !copy) reject(error); });
          },
        );
      });
    });
  }

  status(): Promise<StoreStatus | LogError> {
    return this.call("status", true, (api) => api.status());
  }

  promise(request: PromiseRequest): Promise<PromiseReply> {
    return this.call(`promise ${request.epoch}`, true, (api) => api.promise(request));
  }

  truncate(request: TruncateRequest): Promise<TruncateReply> {
    return this.call(`truncate after ${request.afterLsn} (epoch ${request.epoch})`, false, (api) => api.truncate(request));
  }

  read(request: ReadRequest): Promise<ReadReply> {
    return this.call(`read from ${request.fromLsn}`, true, (api) => api.read(request));
  }

  releaseLease(request: ReleaseLeaseRequest): Promise<ReleaseLeaseReply> {
    return this.call(`release lease (epoch ${request.epoch})`, false, (api) => api.releaseLease(request));
  }

  trim(request: TrimRequest): Promise<TrimReply> {
    return this.call(`trim to ${request.lsn}`, false, (api) => {
      this.store.noteTrim(request.lsn);
      return api.trim(request);
    });
  }

  putSnapshot(request: PutSnapshotRequest): Promise<PutSnapshotReply> {
    return this.call(`snapshot ${request.lsn}`, false, (api) => api.putSnapshot(request));
  }

  listSnapshots(): Promise<SnapshotInfo[] | LogError> {
    return this.call("list snapshots", true, (api) => api.listSnapshots());
  }

  getSnapshot(lsn: number | "latest"): Promise<StoredSnapshot | null | LogError> {
    return this.call(`get snapshot ${lsn}`, true, (api) => api.getSnapshot(lsn));
  }

  async openAppendStream(): Promise<AppendStreamApi> {
    const store = this.store;
    const storeSide = await this.call("open append stream", false, async (api) => {
      const side = await api.openAppendStream();
      return { side, at: store.incarnation };
    });
    const stream = new SimAppendStream(this.world, this.net, this.origin.incarnation, store, storeSide.side, storeSide.at);
    if (!storeSide.at.alive) stream.breakConnection("the store crashed");
    else store.streams.add(stream);
    return stream;
  }
}

/** The primary's end of an append stream: ordered both ways until the connection breaks. */
export class SimAppendStream implements AppendStreamApi {
  onClose: (() => void) | undefined;
  private readonly world: World;
  private readonly net: Network;
  private readonly origin: Incarnation;
  private readonly store: SimStore;
  private readonly storeSide: AppendStreamApi;
  private readonly storeAt: Incarnation;
  private readonly forward: OrderedChannel;
  private readonly back: OrderedChannel;
  private readonly pending = new Map<number, (reply: AppendReply) => void>();
  private nextId = 1;
  private broken = false;

  constructor(world: World, net: Network, origin: Incarnation, store: SimStore, storeSide: AppendStreamApi, storeAt: Incarnation) {
    this.world = world;
    this.net = net;
    this.origin = origin;
    this.store = store;
    this.storeSide = storeSide;
    this.storeAt = storeAt;
    const tooLong = () => this.breakConnection("the path was cut too long");
    this.forward = new OrderedChannel(world, net, origin.name, store.name, tooLong);
    this.back = new OrderedChannel(world, net, store.name, origin.name, tooLong);
  }

  append(request: AppendRequest): Promise<AppendReply> {
    if (this.broken) return Promise.resolve(logError("io-error", "append stream is not open"));
    const id = this.nextId++;
    const promise = new Promise<AppendReply>((resolve) => this.pending.set(id, resolve));
    if (this.world.random.chance(this.net.faults.streamBreakRate)) {
      this.breakConnection("connection reset");
      return promise;
    }
    this.forward.send(() => {
      if (this.broken || !this.storeAt.alive) return;
      void this.storeSide.append(request).then((reply) => {
        if (this.broken || !this.storeAt.alive) return;
        this.back.send(() => {
          if (this.broken || !this.origin.alive) return;
          const settle = this.pending.get(id);
          this.pending.delete(id);
          settle?.(reply);
        });
      });
    });
    return promise;
  }

  /** The primary closes it (a WebSocket close: pending appends fail when the close completes). */
  close(): void {
    this.breakConnection("closed by the primary");
  }

  /** The connection is gone: nothing more crosses; each end learns it a moment later. */
  breakConnection(reason: string): void {
    if (this.broken) return;
    this.broken = true;
    this.forward.close();
    this.back.close();
    this.store.streams.delete(this);
    this.world.trace(`stream ${this.origin.name} -> ${this.store.name}: broken (${reason})`);
    this.world.at(this.net.delay(), this.storeAt, () => this.storeSide.close());
    this.world.at(this.net.delay(), this.origin, () => {
      for (const settle of this.pending.values()) settle(logError("io-error", "append stream closed before the reply"));
      this.pending.clear();
      this.onClose?.();
    });
  }
}

/**
 * A follower's way to a store's tail stream over the simulated network (what
 * LogStoreClient.tail is over a WebSocket): the request to open it, then the
 * store's messages in order (tail-pump.ts, the service's logic), until the
 * connection breaks (at random, a long cut, either end dying) or is closed.
 */
export class SimTailSource implements TailSource {
  readonly url: string;
  private readonly world: World;
  private readonly net: Network;
  private readonly origin: Endpoint;
  private readonly store: SimStore;

  constructor(world: World, net: Network, origin: Endpoint, store: SimStore) {
    this.world = world;
    this.net = net;
    this.origin = origin;
    this.store = store;
    this.url = `sim://${store.name}`;
  }

  tail(fromLsn: number, handlers: Parameters<TailSource["tail"]>[1]): { close(): void } {
    const connection = new SimTailConnection(this.world, this.net, this.origin.incarnation, this.store, handlers);
    connection.open(fromLsn);
    return { close: () => connection.breakConnection("closed by the follower") };
  }
}

export class SimTailConnection {
  private readonly world: World;
  private readonly net: Network;
  private readonly origin: Incarnation;
  private readonly store: SimStore;
  private readonly handlers: Parameters<TailSource["tail"]>[1];
  private readonly back: OrderedChannel;
  private stopPump: (() => void) | undefined;
  private broken = false;

  constructor(world: World, net: Network, origin: Incarnation, store: SimStore, handlers: Parameters<TailSource["tail"]>[1]) {
    this.world = world;
    this.net = net;
    this.origin = origin;
    this.store = store;
    this.handlers = handlers;
    this.back = new OrderedChannel(world, net, store.name, origin.name, () => this.breakConnection("the path was cut too long"));
  }

  open(fromLsn: number): void {
    const store = this.store;
    this.net.send(this.origin.name, store.name, () => {
      if (this.broken) return;
      if (!store.up) {
        this.net.send(store.name, this.origin.name, () => this.breakConnection(`connection refused by ${store.name}`));
        return;
      }
      const at = store.incarnation;
      store.tails.add(this);
      this.world.trace(`${store.name} <- ${this.origin.name}: tail from ${fromLsn}`);
      this.deliver(() => this.handlers.onOpen?.());
      const open = (): boolean => !this.broken && at.alive;
      this.stopPump = startTailPump(store.backend, fromLsn, {
        open,
        sendFrames: (frames) => {
          if (!open()) return false;
          if (this.world.random.chance(this.net.faults.streamBreakRate)) {
            this.breakConnection("connection reset");
            return false;
          }
          const copy = frames.slice();
          this.deliver(() => this.handlers.onFrames(copy));
          if (store.tailsClaimCommitted) {
            const lsn = store.lastLsnOf(copy);
            this.deliver(() => this.handlers.onEvent?.({ type: "commit", lsn }));
          }
          return true;
        },
        sendEvent: (event) => { if (open()) this.deliver(() => this.handlers.onEvent?.(event)); },
        buffered: () => 0,
        close: (_code, reason) => this.deliver(() => this.breakConnection(reason)),
      }, {
        readBytesMax: DEFAULT_LOG_LIMITS.readBytesMax,
        bufferedBytesMax: Infinity,
        sleep: () => Promise.resolve(),
        onError: (error) => this.world.trace(`${store.name}: tail error ${error instanceof Error ? error.message : String(error)}`),
      });
    });
  }

  /** A message from the store to the follower, in order. */
  private deliver(fn: () => void): void {
    this.back.send(() => {
      if (!this.broken && this.origin.alive) fn();
    });
  }

  /** The connection is gone: the pump stops, the follower hears of it a moment later. */
  breakConnection(reason: string): void {
    if (this.broken) return;
    this.broken = true;
    this.back.close();
    this.store.tails.delete(this);
    this.stopPump?.();
    this.world.trace(`tail ${this.store.name} -> ${this.origin.name}: broken (${reason})`);
    this.world.at(this.net.delay(), this.origin, () => this.handlers.onClose?.(1006, reason));
  }
}
