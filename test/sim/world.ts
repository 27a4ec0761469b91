// The simulated world: one seeded PRNG, a simulated clock, and an event queue
// ordered by (time, sequence). Everything the protocol code does with time
// (the replicator's timers, its backoff jitter) goes through a Clock from
// here, and every message and disk sync is an event, so one seed fixes the
// whole run. After each event the world lets the promise continuations it
// caused run to completion (a real setImmediate: by then Node has drained
// every microtask) before it takes the next event; no real timer or I/O
// decides anything.

import type { Clock, TimerHandle } from "../../runtime/log/clock.ts";

/** sfc32 seeded through splitmix32: small, fast, and the same on every platform. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A number in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/**
 * One run of a process (a store or a primary between its start and its
 * crash). Events and messages belong to an incarnation; once it is dead they
 * are dropped, as a killed process's timers and sockets are.
 */
export class Incarnation {
  readonly name: string;
  alive = true;

  constructor(name: string) {
    this.name = name;
  }
}

interface SimEvent {
  readonly at: number;
  readonly seq: number;
  readonly owner: Incarnation | null;
  readonly run: () => void;
  cancelled: boolean;
}

/** The simulated clock starts here (a plausible Unix time in ms, so the engine's expiry arithmetic is ordinary). */
const TIME_ORIGIN_MS = 1_800_000_000_000;
/** Lines of trace kept (the end of the run is what explains a failure). */
const TRACE_LINES_MAX = 20_000;
/** Events one run may process: a run that exceeds it is a bug (a busy loop in simulated time). */
const EVENTS_MAX = 2_000_000;

export class World {
  readonly random: Prng;
  /** Simulated milliseconds since the start. */
  now = 0;
  /** Events processed; also the tick that orders client operations in the history. */
  steps = 0;
  private seq = 0;
  private heap: SimEvent[] = [];
  private externals = 0;
  private readonly traceLines: string[] = [];
  private traceDropped = 0;
  /** Print trace lines as they happen (SIM_SEED replays). */
  verbose = false;

  constructor(seed: number) {
    this.random = new Prng(seed);
  }

  /** Runs `fn` after `ms` of simulated time, unless `owner` has died by then. */
  at(ms: number, owner: Incarnation | null, fn: () => void): SimEvent {
    const event: SimEvent = { at: this.now + Math.max(0, ms), seq: this.seq++, owner, run: fn, cancelled: false };
    this.push(event);
    return event;
  }

  /**
   * A Clock for the protocol code of one incarnation: its timers die with it.
   * `rate` is how fast it runs against simulated time (1.02: 2% fast), as a
   * real monotonic clock drifts; only leases care.
   */
  clockFor(owner: Incarnation, rate = 1): Clock {
    return {
      now: () => TIME_ORIGIN_MS + this.now * rate,
      setTimer: (fn, ms) => this.at(ms / rate, owner, fn),
      clearTimer: (handle: TimerHandle | undefined) => {
        if (handle !== undefined) (handle as SimEvent).cancelled = true;
      },
      schedule: (fn) => { this.at(0, owner, fn); },
      random: () => this.random.next(),
    };
  }

  /** Unix time in ms, for the engine's clock. */
  unixMs(): number {
    return TIME_ORIGIN_MS + this.now;
  }

  /**
   * Real asynchronous work (instantiating a Wasm engine): the world takes no
   * further event until it has finished, so when it finishes cannot matter.
   */
  external<T>(work: Promise<T>): Promise<T> {
    this.externals++;
    return work.finally(() => { this.externals--; });
  }

  trace(line: string): void {
    const text = `${this.now.toFixed(3).padStart(10)} ${line}`;
    if (this.verbose) console.log(text);
    this.traceLines.push(text);
    if (this.traceLines.length > TRACE_LINES_MAX) {
      this.traceLines.splice(0, this.traceLines.length - TRACE_LINES_MAX);
      this.traceDropped++;
    }
  }

  traceText(): string {
    return (this.traceDropped > 0 ? "(earlier lines dropped)\n" : "") + this.traceLines.join("\n");
  }

  /** Processes events in order until `until` (simulated ms) or until `done()` holds after an event. */
  async run(until: number, done: () => boolean = () => false): Promise<void> {
    await this.settle();
    while (this.heap.length > 0 && !done()) {
      const next = this.heap[0]!;
      if (next.at > until) break;
      this.pop();
      if (next.cancelled || (next.owner !== null && !next.owner.alive)) continue;
      if (++this.steps > EVENTS_MAX) throw new Error(`more than ${EVENTS_MAX} events: the simulation does not settle`);
      this.now = next.at;
      next.run();
      await this.settle();
    }
    if (!done() && until !== Infinity) this.now = Math.max(this.now, until);
  }

  /** Lets every continuation of the last event run, and any external work finish. */
  private async settle(): Promise<void> {
    do await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.externals > 0);
  }

  // ---- a binary heap on (at, seq) ----

  private less(x: SimEvent, y: SimEvent): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  private push(event: SimEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): SimEvent {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && this.less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}
