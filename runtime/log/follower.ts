// A follower of the log: what a read replica and a standby run. It tails the
// log from one store (the tail stream) and applies committed records to its
// engine, so that the engine holds the committed log up to `applied` and
// nothing that could still be lost. docs/durability.md ("Replicas and
// standbys") states the argument; this file is its mechanism.
//
// What counts as committed: the tail stream of a store carries that store's
// records and the commit LSN primaries told it (on appends and heartbeats).
// A store's records up to the commit LSN it was told are committed records:
// a primary tells a store its commit LSN only after aligning that store with
// its own log, and committed records are never truncated. That holds for the
// commit LSN *of that store*; another store may still hold a divergent
// uncommitted suffix below it. So the commit point used for applying is the
// one heard on the current tail, and a switch to another store forgets it
// (and the records received but not applied).
//
// Liveness: records, commit notices and heartbeats on the tail show that a
// primary is alive (`lastHeardAt`); when the tail says nothing for longer
// than `silenceMs`, the follower moves to the next store (the one it tails
// may be cut off from the primary).
//
// Trimming: a follower that falls behind the stores' trimmed log (its tail
// from `received + 1` ends with the "trimmed" error) reloads the newest
// snapshot in place (`reload`, the host's: Engine.replaceWithSnapshot) and
// tails on from its LSN; without a `reload`, or when that fails, it stops
// (onFatal).
//
// Expiry: the engine is put in follower mode (Engine.following): keys past
// their expiry are hidden from reads but kept until the primary's DEL comes
// with the log, so a lagging follower does not lose a key the primary
// extended in time. A standby promoted to primary leaves that mode.

import { systemClock, type Clock, type TimerHandle } from "./clock.ts";
import type { Crc32c } from "./crc32c.ts";
import { decodeFrames } from "./frame.ts";
import { decodeEffects } from "./payload.ts";
import { EPOCH_RECORD_COMMAND } from "./replicator.ts";
import type { TailEvent } from "./protocol.ts";
import type { Engine } from "../engine.ts";
import { lowerAscii } from "../bytes.ts";

/** What the follower needs of a store: its tail stream (LogStoreClient.tail provides it). */
export interface TailSource {
  readonly url: string;
  tail(fromLsn: number, handlers: {
    onFrames(frames: Uint8Array): void;
    onEvent?(event: TailEvent): void;
    onOpen?(): void;
    onClose?(code: number, reason: string): void;
    onError?(): void;
  }): { close(): void };
}

export interface FollowerOptions {
  stores: ReadonlyArray<{ name: string; api: TailSource }>;
  crc32c: Crc32c;
  engine: Engine;
  /** The engine holds the log up to here (a snapshot's LSN, or 0). */
  appliedLsn: number;
  /** Silence on a tail after which the follower tries the next store (ms): the primary's lease. */
  silenceMs: number;
  /** Records received but not yet committed are kept up to this many bytes; beyond, the tail is reopened later. */
  bufferBytesMax?: number;
  log?: (message: string) => void;
  /** What log lines start with ("replica", "standby"). */
  name?: string;
  /** The log cannot be followed from here (trimmed below `applied` and no snapshot to load, or an applied record was truncated). */
  onFatal?: (message: string) => void;
  /**
   * Loads the newest snapshot the stores hold into the engine (in place) if
   * its LSN is at least `atLeastLsn` and `stillWanted()` still says yes by
   * then; resolves with its LSN, or null when nothing was loaded. Called
   * when the log is trimmed past `applied` (so atLeastLsn is applied + 1: an
   * older image would take the engine back in time).
   */
  reload?: (atLeastLsn: number, stillWanted: () => boolean) => Promise<number | null>;
  clock?: Clock;
}

interface Pending {
  readonly lsn: number;
  readonly payload: Uint8Array;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 1000;
const EPOCH_COMMAND = EPOCH_RECORD_COMMAND.toLowerCase();

export class LogFollower {
  /** Every record up to here is applied to the engine (and committed). */
  applied: number;
  /** Last LSN received on the current tail (applied or waiting for its commit). */
  received: number;
  /** The commit LSN heard on the current tail. */
  tailCommit = 0;
  /** The highest commit LSN heard on any tail (for lag reports). */
  commitSeen = 0;
  /** Epoch of the primary last heard (heartbeats and records). */
  primaryEpoch = 0;
  /** Clock time of the last sign of a live primary on a tail. */
  lastHeardAt: number;
  /** Since when the engine has been behind the commit point it has seen (undefined: caught up). */
  private behindSince: number | undefined;
  linkUp = false;
  /** Records applied since start. */
  appliedRecords = 0;

  private readonly stores: FollowerOptions["stores"];
  private readonly crc32c: Crc32c;
  private readonly engine: Engine;
  private readonly silenceMs: number;
  private readonly bufferBytesMax: number;
  private readonly log: (message: string) => void;
  private readonly name: string;
  private readonly onFatal: (message: string) => void;
  private readonly reload: FollowerOptions["reload"];
  /** A snapshot is being loaded: no tail until it is. */
  private reloading = false;
  /** Snapshots loaded because the log was trimmed past us. */
  reloads = 0;
  private readonly clock: Clock;
  private pending: Pending[] = [];
  private pendingHead = 0;
  private pendingBytes = 0;
  private current = 0;
  private tail: { close(): void } | null = null;
  /** Bumped on every new tail: messages of an older one are ignored. */
  private generation = 0;
  private reconnectMs = RECONNECT_MIN_MS;
  private timer: TimerHandle | undefined;
  private watchdog: TimerHandle | undefined;
  private stopped = false;
  private lastSwitchAt = -Infinity;
  /** The silence was reported (once until the primary is heard again). */
  private silenceReported = false;

  constructor(options: FollowerOptions) {
    if (options.stores.length === 0) throw new RangeError("a follower needs at least one log store");
    this.stores = options.stores;
    this.crc32c = options.crc32c;
    this.engine = options.engine;
    this.applied = options.appliedLsn;
    this.received = options.appliedLsn;
    this.silenceMs = options.silenceMs;
    this.bufferBytesMax = options.bufferBytesMax ?? 64 * 1024 * 1024;
    this.log = options.log ?? (() => {});
    this.name = options.name ?? "replica";
    this.onFatal = options.onFatal ?? (() => {});
    this.reload = options.reload;
    this.clock = options.clock ?? systemClock;
    this.lastHeardAt = this.clock.now();
    this.engine.following = true;
  }

  /** The store tailed now. */
  get storeName(): string {
    return this.stores[this.current]!.name;
  }

  get storeUrl(): string {
    return this.stores[this.current]!.api.url;
  }

  /** Committed records seen but not applied yet. */
  get lagRecords(): number {
    return Math.max(0, this.commitSeen - this.applied);
  }

  /** How long the engine has been behind the commit point it has seen (ms; 0: caught up). */
  get lagMs(): number {
    return this.behindSince === undefined ? 0 : Math.max(0, Math.round(this.clock.now() - this.behindSince));
  }

  start(): void {
    this.open();
    const check = (): void => {
      if (this.stopped) return;
      const now = this.clock.now();
      if (now - this.lastHeardAt <= this.silenceMs || this.reloading) this.silenceReported = false;
      else if (now - this.lastSwitchAt > this.silenceMs && this.stores.length > 1) {
        if (!this.silenceReported) this.log(`${this.name}: nothing from the primary on ${this.storeName} for ${this.silenceMs} ms; trying the next log store`);
        this.silenceReported = true;
        this.switchStore();
      }
      this.watchdog = this.clock.setTimer(check, Math.max(10, Math.floor(this.silenceMs / 4)));
    };
    this.watchdog = this.clock.setTimer(check, Math.max(10, Math.floor(this.silenceMs / 4)));
  }

  /** Stops tailing; nothing is applied after this returns. */
  stop(): void {
    this.stopped = true;
    this.generation++;
    this.clock.clearTimer(this.timer);
    this.clock.clearTimer(this.watchdog);
    this.tail?.close();
    this.tail = null;
    this.linkUp = false;
  }

  private open(): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    const store = this.stores[this.current]!;
    const mine = () => generation === this.generation;
    this.tail = store.api.tail(this.received + 1, {
      onOpen: () => {
        if (!mine()) return;
        this.linkUp = true;
        this.reconnectMs = RECONNECT_MIN_MS;
        this.log(`${this.name}: tailing the log of ${store.name} from LSN ${this.received + 1}`);
      },
      onFrames: (frames) => { if (mine()) this.onFrames(frames); },
      onEvent: (event) => { if (mine()) this.onEvent(event); },
      onClose: () => { if (mine()) this.lost(`the tail stream of ${store.name} closed`); },
      onError: () => { if (mine()) this.lost(`the tail stream of ${store.name} failed`); },
    });
  }

  private lost(why: string): void {
    if (this.reloading) return;
    if (this.linkUp) this.log(`${this.name}: ${why}`);
    this.linkUp = false;
    this.tail?.close();
    this.tail = null;
    this.generation++;
    this.clock.clearTimer(this.timer);
    const delay = this.reconnectMs;
    this.reconnectMs = Math.min(RECONNECT_MAX_MS, this.reconnectMs * 2);
    this.timer = this.clock.setTimer(() => this.switchStore(), delay);
  }

  /** Tails the next store, from after what is applied: what was received from this one and not applied is dropped. */
  private switchStore(): void {
    if (this.stopped || this.reloading) return;
    this.lastSwitchAt = this.clock.now();
    this.tail?.close();
    this.tail = null;
    this.generation++;
    this.linkUp = false;
    this.current = (this.current + 1) % this.stores.length;
    this.dropPending();
    this.open();
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingHead = 0;
    this.pendingBytes = 0;
    this.received = this.applied;
    this.tailCommit = 0;
  }

  private onFrames(frames: Uint8Array): void {
    const { records, fault } = decodeFrames(frames, this.crc32c, { expectLsn: this.received + 1 });
    if (fault !== undefined) {
      this.lost(`a record from ${this.storeName} is damaged or out of order (${fault.message})`);
      return;
    }
    for (const r of records) {
      this.pending.push({ lsn: r.lsn, payload: r.payload });
      this.pendingBytes += r.payload.length;
      this.received = r.lsn;
      this.primaryEpoch = Math.max(this.primaryEpoch, r.epoch);
    }
    this.lastHeardAt = this.clock.now();
    this.applyCommitted();
    if (this.pendingBytes > this.bufferBytesMax) {
      // Far ahead of the commit point this store knows: start again later from what is applied.
      this.lost(`more than ${this.bufferBytesMax} bytes of records wait for their commit`);
    }
  }

  private onEvent(event: TailEvent): void {
    switch (event.type) {
      case "commit":
        this.tailCommit = Math.max(this.tailCommit, event.lsn);
        this.commitSeen = Math.max(this.commitSeen, event.lsn);
        this.lastHeardAt = this.clock.now();
        this.applyCommitted();
        return;
      case "heartbeat":
        this.primaryEpoch = Math.max(this.primaryEpoch, event.epoch);
        this.lastHeardAt = this.clock.now();
        return;
      case "truncated":
        if (event.afterLsn < this.applied) {
          this.fatal(`${this.storeName} truncated its log after LSN ${event.afterLsn}, below the ${this.applied} records applied`);
          return;
        }
        while (this.pending.length > this.pendingHead && this.pending[this.pending.length - 1]!.lsn > event.afterLsn) {
          this.pendingBytes -= this.pending.pop()!.payload.length;
        }
        this.received = Math.min(this.received, event.afterLsn);
        return;
      case "error":
        if (event.error === "trimmed") {
          if (this.reload === undefined) this.fatal(`the log is trimmed below LSN ${this.received + 1} on ${this.storeName}; restart to load the newest snapshot`);
          else void this.reloadSnapshot();
          return;
        }
        this.lost(`${this.storeName}: ${event.error}: ${event.message}`);
        return;
    }
  }

  /** The log is trimmed past what we applied: the newest snapshot replaces the engine's data, and the tail goes on after it. */
  private async reloadSnapshot(): Promise<void> {
    const store = this.storeName;
    const from = this.received + 1;
    this.tail?.close();
    this.tail = null;
    this.generation++;
    this.linkUp = false;
    this.clock.clearTimer(this.timer);
    this.reloading = true;
    this.log(`${this.name}: the log is trimmed below LSN ${from} on ${store}; loading the newest snapshot`);
    let lsn: number | null;
    try {
      lsn = await this.reload!(this.applied + 1, () => !this.stopped);
    } catch (error) {
      this.reloading = false;
      if (!this.stopped) this.fatal(`the log is trimmed below LSN ${from} and the newest snapshot could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.reloading = false;
    if (this.stopped) return;
    if (lsn === null) {
      this.fatal(`the log is trimmed below LSN ${from} and no store holds a snapshot after LSN ${this.applied}`);
      return;
    }
    this.applied = lsn;
    this.dropPending();
    this.commitSeen = Math.max(this.commitSeen, lsn);
    this.reloads++;
    this.lastHeardAt = this.clock.now();
    this.log(`${this.name}: loaded the snapshot at LSN ${lsn}; tailing the log after it`);
    this.open();
  }

  private fatal(message: string): void {
    this.log(`${this.name}: ${message}`);
    this.stop();
    this.onFatal(message);
  }

  /** Applies received records up to the commit point of this tail. */
  private applyCommitted(): void {
    const limit = Math.min(this.tailCommit, this.received);
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead]!.lsn <= limit) {
      const record = this.pending[this.pendingHead++]!;
      this.pendingBytes -= record.payload.length;
      this.applyPayload(record.payload);
      this.applied = record.lsn;
      this.appliedRecords++;
    }
    if (this.pendingHead === this.pending.length) {
      this.pending = [];
      this.pendingHead = 0;
    } else if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    if (this.applied >= this.commitSeen) this.behindSince = undefined;
    else this.behindSince ??= this.clock.now();
  }

  /** Applies one record's effects (the record that opens an epoch has none). */
  applyPayload(payload: Uint8Array): void {
    for (const effect of decodeEffects(payload)) {
      if (lowerAscii(effect.args[0]!) === EPOCH_COMMAND) continue;
      this.engine.apply(effect);
    }
  }

  /** Applies frames read from the log (a standby catching up after its election); they must follow `applied`. */
  applyFrames(frames: Uint8Array): void {
    const { records, fault } = decodeFrames(frames, this.crc32c, { expectLsn: this.applied + 1 });
    if (fault !== undefined) throw new Error(`catch-up: a record read back is damaged: ${fault.message}`);
    for (const r of records) {
      this.applyPayload(r.payload);
      this.applied = r.lsn;
      this.appliedRecords++;
    }
  }
}
