// Recovery: the engine's state from the log. The newest snapshot a store of
// ours holds (covering records up to its LSN, all committed when it was
// stored), then every record after it, applied in order through
// Engine.apply. The records after a snapshot include those the previous
// primary wrote but had not committed when it stopped, if the election
// adopted them; the record that opens each epoch carries no effect and is
// skipped.

import type { Engine } from "../engine.ts";
import { framePayload } from "./frame.ts";
import { scanEffects } from "./payload.ts";
import { RespWriter } from "../resp.ts";
import { EPOCH_RECORD_COMMAND, type Replicator } from "./replicator.ts";
import type { Crc32c } from "./crc32c.ts";
import { lowerAscii } from "../bytes.ts";

export interface RecoveryOptions {
  crc32c: Crc32c;
  /** A fresh engine (no snapshot). */
  fresh(): Promise<Engine>;
  /** An engine restored from an image; throws (SnapshotError) when the image cannot be restored. */
  restore(image: Uint8Array): Promise<Engine>;
  log?: (message: string) => void;
  /** Progress lines at most this often (ms); default 1000. */
  progressEveryMs?: number;
  now?: () => number;
}

export interface RecoveryResult {
  engine: Engine;
  /** LSN of the snapshot started from (0: none). */
  snapshotLsn: number;
  /** Its size (bytes; 0: none). */
  snapshotBytes: number;
  /** Records replayed after it. */
  replayed: number;
  /** Their bytes (frames): the log a next snapshot would make unnecessary. */
  replayedBytes: number;
  /** Effects applied. */
  effects: number;
  ms: number;
}

const EPOCH_COMMAND = EPOCH_RECORD_COMMAND.toLowerCase();
/** Bytes of commands handed to the engine per call when replaying. */
const REPLAY_RUN_BYTES = 1 << 20;

const arrayHeaders: Uint8Array[] = [];
/** `*n\r\n` */
function arrayHeader(n: number): Uint8Array {
  return arrayHeaders[n] ??= new TextEncoder().encode(`*${n}\r\n`);
}

/** Rebuilds the engine from the replicator's log, which must be elected (start() resolved). */
export async function recoverEngine(replicator: Replicator, options: RecoveryOptions): Promise<RecoveryResult> {
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const started = now();
  let engine: Engine | undefined;
  let snapshotLsn = 0;
  let snapshotBytes = 0;
  let unrestorable = "";
  const snapshot = await replicator.newestSnapshot();
  if (snapshot !== null) {
    try {
      engine = await options.restore(snapshot.data);
      snapshotLsn = snapshot.info.lsn;
      snapshotBytes = snapshot.data.length;
      const how = engine.rebuiltFromOtherBuild ? ", taken by another core build: rebuilt from the dump of the core it carries," : "";
      log(`recovery: restored the snapshot at LSN ${snapshotLsn} (${snapshot.data.length} bytes)${how} in ${now() - started} ms`);
    } catch (error) {
      unrestorable = `the snapshot at LSN ${snapshot.info.lsn} cannot be restored (${error instanceof Error ? error.message : String(error)})`;
      log(`recovery: ${unrestorable}; replaying the whole log`);
    }
  }
  engine ??= await options.fresh();
  const end = replicator.lastLsn;
  const total = end - snapshotLsn;
  const previousOnEffect = engine.onEffect;
  engine.onEffect = undefined;
  let replayed = 0;
  let replayedBytes = 0;
  let effects = 0;
  const pending = new RespWriter(REPLAY_RUN_BYTES + 64 * 1024);
  let pendingDb = 0;
  const runPending = (): void => {
    if (pending.length === 0) return;
    const input = pending.takeView();
    const result = engine!.applyResp(pendingDb, input);
    if (result.consumed !== input.length) throw new Error(`recovery: a log record holds a command the engine could not parse`);
  };
  let lastReport = now();
  const every = options.progressEveryMs ?? 1000;
  try {
    if (total > 0) {
      // readLog verified every frame (checksum, LSN order) of the batch it
      // hands over. Its effects run as RESP through the batched executor, a
      // run of one database's commands per call (apply() one at a time is
      // several times slower).
      await replicator.readLog(snapshotLsn + 1, end, (frames, _first, _count, scanned) => {
        replayedBytes += frames.length;
        for (const frame of scanned) {
          effects += scanEffects(framePayload(frames, frame), (effect) => {
            if (effect.name.length === EPOCH_COMMAND.length && lowerAscii(effect.name) === EPOCH_COMMAND) {
              effects--;
              return;
            }
            if (effect.db !== pendingDb || pending.length >= REPLAY_RUN_BYTES) runPending();
            pendingDb = effect.db;
            pending.raw(arrayHeader(effect.argc));
            pending.raw(effect.args);
          });
          replayed++;
        }
        runPending();
        if (now() - lastReport >= every) {
          lastReport = now();
          log(`recovery: replayed ${replayed} of ${total} records (${Math.floor((replayed * 100) / total)}%)`);
        }
      });
    }
  } catch (error) {
    // Without the snapshot, a log trimmed up to it cannot be replayed: say both.
    if (unrestorable !== "") throw new Error(`recovery: ${unrestorable}, and the whole log cannot be replayed: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  } finally {
    engine.onEffect = previousOnEffect;
  }
  const ms = now() - started;
  log(`recovery: ${snapshotLsn > 0 ? `snapshot at LSN ${snapshotLsn} + ` : ""}${replayed} record(s) replayed in ${ms} ms; log ends at LSN ${end}`);
  return { engine, snapshotLsn, snapshotBytes, replayed, replayedBytes, effects, ms };
}
