// The simulated network between primaries, stores and clients. Requests (a
// store's HTTP endpoints, a client's command) and their replies are separate
// messages with random delays, so they reorder freely; either can be lost
// (the caller then times out, not knowing whether the request ran), a
// request can be delayed past the caller's timeout and still run, and an
// idempotent request can arrive twice. An append stream is what WebSocket over
// TCP is: ordered and lossless in each direction until its connection breaks
// (at random, when a partition lasts, or when either end dies); then every
// append awaiting a reply fails at the primary, and nothing more crosses.
// Partitions cut pairs of nodes: a request is lost or held until the cut
// heals (TCP retransmits), streams wait and break if the cut lasts.

import type { World } from "./world.ts";
import { Incarnation } from "./world.ts";

export interface NetworkFaults {
  /** Usual one-way delay of a message (ms). */
  delayMinMs: number;
  delayMaxMs: number;
  /** Share of messages that are slow (congestion), taking up to slowMaxMs. */
  slowRate: number;
  slowMaxMs: number;
  /** Share of requests, and of replies, that are lost. */
  dropRate: number;
  /** Share of idempotent requests delivered a second time. */
  duplicateRate: number;
  /** Chance, per append message, that its stream's connection resets. */
  streamBreakRate: number;
  /** A stream whose path stays cut this long breaks (TCP gives up). */
  streamCutBreakMs: number;
}

export const QUIET_NETWORK: NetworkFaults = {
  delayMinMs: 0.05, delayMaxMs: 0.5, slowRate: 0, slowMaxMs: 0, dropRate: 0, duplicateRate: 0,
  streamBreakRate: 0, streamCutBreakMs: 1000,
};

/** How long a message on a cut path may be held before it is lost (TCP gives up), and how often it is retried. */
const HOLD_MS_MAX = 3000;
const RETRANSMIT_MS_MIN = 10;

export class Network {
  private readonly world: World;
  faults: NetworkFaults;
  /** Cut pairs ("a|b", names sorted) and since when. */
  private readonly cuts = new Map<string, number>();

  constructor(world: World, faults: NetworkFaults) {
    this.world = world;
    this.faults = faults;
  }

  private pair(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  cut(a: string, b: string): void {
    if (!this.cuts.has(this.pair(a, b))) this.cuts.set(this.pair(a, b), this.world.now);
    this.world.trace(`net: cut ${a} <-> ${b}`);
  }

  heal(a: string, b: string): void {
    if (this.cuts.delete(this.pair(a, b))) this.world.trace(`net: healed ${a} <-> ${b}`);
  }

  healAll(): void {
    this.cuts.clear();
  }

  isCut(a: string, b: string): boolean {
    return this.cuts.has(this.pair(a, b));
  }

  /** How long the path has been cut (0: it is not). */
  cutFor(a: string, b: string): number {
    const since = this.cuts.get(this.pair(a, b));
    return since === undefined ? 0 : this.world.now - since + 1e-9;
  }

  delay(): number {
    const f = this.faults;
    const random = this.world.random;
    if (f.slowRate > 0 && random.chance(f.slowRate)) return f.delayMaxMs + random.next() * f.slowMaxMs;
    return f.delayMinMs + random.next() * (f.delayMaxMs - f.delayMinMs);
  }

  /**
   * Sends one message: `deliver` runs at the receiver after a delay, unless
   * it is lost (at random). On a cut path a message is lost, or, as TCP
   * retransmits, held and delivered once the path heals (if that is soon
   * enough): long after its sender stopped waiting for it.
   */
  send(from: string, to: string, deliver: () => void, extraDelayMs = 0): void {
    if (this.world.random.chance(this.faults.dropRate)) return;
    const holdUntil = this.world.random.chance(0.5) ? this.world.now + HOLD_MS_MAX : -1;
    let backoff = RETRANSMIT_MS_MIN;
    const attempt = (): void => {
      if (!this.isCut(from, to)) {
        deliver();
        return;
      }
      // Retransmissions back off (TCP's RTO doubles), so a held message can arrive well after newer ones.
      if (this.world.now + backoff < holdUntil) this.world.at(backoff, null, attempt);
      backoff *= 2;
    };
    this.world.at(this.delay() + extraDelayMs, null, attempt);
  }

  /** Scripted tests delay chosen requests (by what they ask) with this. */
  requestDelay: ((from: string, to: string, what: string) => number) | undefined;

  /** An idempotent request may arrive twice. */
  sendRequest(from: string, to: string, what: string, idempotent: boolean, deliver: (copy: boolean) => void): void {
    this.send(from, to, () => deliver(false), this.requestDelay?.(from, to, what) ?? 0);
    if (idempotent && this.world.random.chance(this.faults.duplicateRate)) {
      this.world.at(this.delay(), null, () => this.send(from, to, () => deliver(true)));
    }
  }
}

/**
 * One direction of a stream connection: FIFO, each message after a delay
 * but never before the one sent ahead of it; held while the path is cut.
 */
export class OrderedChannel {
  private readonly world: World;
  private readonly net: Network;
  private readonly from: string;
  private readonly to: string;
  private readonly onCutTooLong: () => void;
  private readonly queue: Array<{ at: number; deliver: () => void }> = [];
  private lastAt = 0;
  private pumping = false;
  closed = false;

  constructor(world: World, net: Network, from: string, to: string, onCutTooLong: () => void) {
    this.world = world;
    this.net = net;
    this.from = from;
    this.to = to;
    this.onCutTooLong = onCutTooLong;
  }

  send(deliver: () => void): void {
    if (this.closed) return;
    const at = Math.max(this.lastAt, this.world.now + this.net.delay());
    this.lastAt = at;
    this.queue.push({ at, deliver });
    if (!this.pumping) this.pump();
  }

  private pump(): void {
    const head = this.queue[0];
    if (head === undefined || this.closed) {
      this.pumping = false;
      return;
    }
    this.pumping = true;
    this.world.at(head.at - this.world.now, null, () => {
      if (this.closed) return;
      if (this.net.isCut(this.from, this.to)) {
        if (this.net.cutFor(this.from, this.to) >= this.net.faults.streamCutBreakMs) {
          this.onCutTooLong();
          return;
        }
        this.world.at(5, null, () => {
          this.pumping = false;
          if (!this.closed) this.pump();
        });
        return;
      }
      this.queue.shift();
      head.deliver();
      this.pump();
    });
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }
}

/** A node that talks on the network: its name and its current incarnation. */
export interface Endpoint {
  readonly name: string;
  readonly incarnation: Incarnation;
}
