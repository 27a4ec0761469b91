// The store's side of a tail stream (docs/durability.md, "The tail stream"):
// the log from an LSN, then each record once durable, with the truncation,
// commit and heartbeat events a follower needs, in the order the protocol
// promises (a truncation before any record that replaces what it removed; a
// commit point after the records it may refer to). The service sends it on a
// WebSocket; the simulation (test/sim) sends it over its simulated network.
// One implementation, so the simulation drives the production logic.

import type { LogBackend, LogEvent } from "./backend.ts";
import { logError, type TailEvent } from "./protocol.ts";

/** Where a tail stream's messages go: a socket, or a simulated connection. */
export interface TailSink {
  /** Whether the connection is open (the pump stops once it is not). */
  open(): boolean;
  /** Sends a run of whole frames; false when the connection is gone. */
  sendFrames(frames: Uint8Array): boolean;
  sendEvent(event: TailEvent): void;
  /** Bytes queued and not sent yet (the pump waits while more than the limit are). */
  buffered(): number;
  close(code: number, reason: string): void;
}

export interface TailPumpOptions {
  /** Bytes of one read (a single larger frame is still sent whole). */
  readBytesMax: number;
  /** Bytes the sink may have queued before the pump waits. */
  bufferedBytesMax: number;
  /** Waits `ms` (a backpressure pause). */
  sleep: (ms: number) => Promise<void>;
  onError: (error: unknown) => void;
}

/** Streams the log from `from` to `sink`; returns the function that stops it. */
export function startTailPump(backend: LogBackend, from: number, sink: TailSink, options: TailPumpOptions): () => void {
  let stopped = false;
  const events: LogEvent[] = [];
  let wake: (() => void) | undefined;
  const unwatch = backend.watch((event) => {
    events.push(event);
    const w = wake;
    wake = undefined;
    w?.();
  });
  const stop = (): void => {
    stopped = true;
    unwatch();
    const w = wake;
    wake = undefined;
    w?.();
  };
  const pump = async (): Promise<void> => {
    if (!Number.isSafeInteger(from) || from < 1) {
      sink.sendEvent({ type: "error", ...logError("bad-request", "from must be an integer >= 1") });
      sink.close(1008, "bad request");
      return;
    }
    let cursor = from;
    let commitSent = 0;
    // The commit point the store heard before this tail opened: an idle
    // primary tells it no new one, and the reader must not wait for a write.
    let pendingCommit = (await backend.status()).commitLsn;
    let heartbeatEpoch = 0;
    while (!stopped && sink.open()) {
      // Changes first: a truncation below what was sent must reach the
      // reader before any record that replaces the truncated ones.
      let commit = 0;
      for (const event of events.splice(0)) {
        if (event.type === "truncated" && event.afterLsn < cursor - 1) {
          cursor = event.afterLsn + 1;
          sink.sendEvent({ type: "truncated", afterLsn: event.afterLsn });
        } else if (event.type === "commit") {
          commit = Math.max(commit, event.lsn);
        } else if (event.type === "heartbeat") {
          heartbeatEpoch = event.epoch;
        }
      }
      pendingCommit = Math.max(pendingCommit, commit);
      while (sink.buffered() > options.bufferedBytesMax && !stopped) await options.sleep(5);
      const result = await backend.read({ fromLsn: cursor, maxBytes: options.readBytesMax });
      if (stopped) return;
      if (!result.ok) {
        sink.sendEvent({ type: "error", ...result });
        sink.close(1011, result.error);
        return;
      }
      if (result.records > 0 && events.some((e) => e.type === "truncated")) continue; // re-read after the truncation
      if (result.records > 0) {
        if (!sink.sendFrames(result.frames)) return;
        cursor += result.records;
        continue;
      }
      // Caught up: now the commit point, after the records it may refer to.
      if (pendingCommit > commitSent) {
        commitSent = pendingCommit;
        sink.sendEvent({ type: "commit", lsn: commitSent });
      }
      if (heartbeatEpoch !== 0) {
        sink.sendEvent({ type: "heartbeat", epoch: heartbeatEpoch });
        heartbeatEpoch = 0;
      }
      if (events.length > 0) continue;
      await new Promise<void>((resolve) => { wake = resolve; });
    }
  };
  pump().catch((error: unknown) => {
    options.onError(error);
    if (sink.open()) sink.close(1011, "store error");
  });
  return stop;
}
