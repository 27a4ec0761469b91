// Time for the log's protocol code. Production passes nothing and gets the
// system's clock and timers; the deterministic simulation (test/sim) passes a
// simulated one, so the same replicator and store code runs under a clock it
// controls and a seed replays exactly.

export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds; only differences matter (monotonic: leases are measured with it). */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle | undefined): void;
  /** Runs `fn` soon, after the current turn (a macrotask, so I/O callbacks interleave). */
  schedule(fn: () => void): void;
  /** Random number in [0, 1) for backoff jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => { if (handle !== undefined) clearTimeout(handle as ReturnType<typeof setTimeout>); },
  schedule: typeof globalThis.setImmediate === "function"
    ? (fn) => { globalThis.setImmediate(fn); }
    : (fn) => { setTimeout(fn, 0); },
  random: () => Math.random(),
};

/** Resolves after `ms` of the clock's time. */
export function sleepOn(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => { clock.setTimer(resolve, ms); });
}
