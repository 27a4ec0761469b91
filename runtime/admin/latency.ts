// Latency monitoring (Redis's latency.c) and per-command statistics.
//
// The latency monitor keeps, per event ("command", "fast-command"), a ring of
// the last 160 samples of one per second at most (a later sample in the same
// second keeps the larger latency), and the largest latency ever seen. A
// sample is taken only when latency-monitor-threshold is set and the event
// took at least that many milliseconds.
//
// Command statistics count calls, time and failures per command (INFO
// commandstats) and keep a latency histogram per command in power-of-two
// buckets of nanoseconds from 1024 ns up, which LATENCY HISTOGRAM reports as
// cumulative counts, as Redis does with its HDR histograms.

const LATENCY_TS_LEN = 160;

interface LatencySeries {
  /** Where the next sample goes. */
  idx: number;
  max: number;
  times: Int32Array;
  latencies: Uint32Array;
}

export class LatencyMonitor {
  /** latency-monitor-threshold, milliseconds; 0 disables the monitor. */
  thresholdMs = 0;
  private readonly events = new Map<string, LatencySeries>();

  addSampleIfNeeded(event: string, latencyMs: number, nowMs: number): void {
    if (this.thresholdMs > 0 && latencyMs >= this.thresholdMs) this.addSample(event, latencyMs, nowMs);
  }

  addSample(event: string, latencyMs: number, nowMs: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = { idx: 0, max: 0, times: new Int32Array(LATENCY_TS_LEN), latencies: new Uint32Array(LATENCY_TS_LEN) };
      this.events.set(event, ts);
    }
    const now = Math.floor(nowMs / 1000);
    const latency = Math.floor(latencyMs);
    if (latency > ts.max) ts.max = latency;
    const prev = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    if (ts.times[prev] === now) {
      if (latency > ts.latencies[prev]!) ts.latencies[prev] = latency;
      return;
    }
    ts.times[ts.idx] = now;
    ts.latencies[ts.idx] = latency;
    ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
  }

  /** LATENCY LATEST: [event, time of the last sample, its latency, the largest latency]. */
  latest(): Array<[string, number, number, number]> {
    const out: Array<[string, number, number, number]> = [];
    for (const [event, ts] of this.events) {
      const last = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
      out.push([event, ts.times[last]!, ts.latencies[last]!, ts.max]);
    }
    return out;
  }

  /** LATENCY HISTORY event: [time, latency] pairs, oldest first. */
  history(event: string): Array<[number, number]> {
    const ts = this.events.get(event);
    if (ts === undefined) return [];
    const out: Array<[number, number]> = [];
    for (let j = 0; j < LATENCY_TS_LEN; j++) {
      const i = (ts.idx + j) % LATENCY_TS_LEN;
      if (ts.times[i] === 0) continue;
      out.push([ts.times[i]!, ts.latencies[i]!]);
    }
    return out;
  }

  /** LATENCY RESET [event ...]: how many events were reset. */
  reset(events: readonly string[]): number {
    if (events.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const e of events) if (this.events.delete(e)) n++;
    return n;
  }

  get eventCount(): number {
    return this.events.size;
  }
}

/** Histogram buckets: bucket k holds durations up to 1024 * 2^k ns. 40 buckets reach past 15 days. */
const HISTOGRAM_BUCKETS = 40;

export interface CommandStat {
  calls: number;
  micros: number;
  rejectedCalls: number;
  failedCalls: number;
  histogram: Float64Array;
}

export class CommandStats {
  private readonly stats = new Map<string, CommandStat>();

  private stat(name: string): CommandStat {
    let s = this.stats.get(name);
    if (s === undefined) {
      s = { calls: 0, micros: 0, rejectedCalls: 0, failedCalls: 0, histogram: new Float64Array(HISTOGRAM_BUCKETS) };
      this.stats.set(name, s);
    }
    return s;
  }

  /** A command ran: its full name ("config|get"), its duration, and whether it replied with an error. */
  record(name: string, durationMicros: number, failed: boolean): void {
    const s = this.stat(name);
    s.calls++;
    s.micros += durationMicros;
    if (failed) s.failedCalls++;
    // The first bucket whose bound (1024 * 2^k ns) is at least the duration.
    const ns = durationMicros * 1000;
    const k = ns <= 1024 ? 0 : Math.min(HISTOGRAM_BUCKETS - 1, Math.ceil(Math.log2(ns / 1024)));
    s.histogram[k]!++;
  }

  /** A command was refused before it ran (unknown subcommand, wrong arity...). */
  reject(name: string): void {
    this.stat(name).rejectedCalls++;
  }

  get(name: string): CommandStat | undefined {
    return this.stats.get(name);
  }

  entries(): IterableIterator<[string, CommandStat]> {
    return this.stats.entries();
  }

  /** LATENCY HISTOGRAM's buckets: [upper bound in µs, cumulative calls], where the count grows. */
  cumulativeHistogram(name: string): Array<[number, number]> {
    const s = this.stats.get(name);
    if (s === undefined) return [];
    const out: Array<[number, number]> = [];
    let cumulative = 0;
    for (let k = 0; k < HISTOGRAM_BUCKETS; k++) {
      const n = s.histogram[k]!;
      if (n === 0) continue;
      cumulative += n;
      out.push([Math.floor((1024 * 2 ** k) / 1000), cumulative]);
    }
    return out;
  }

  reset(): void {
    this.stats.clear();
  }
}
