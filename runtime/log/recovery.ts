// Recovery: the engine's state from the log. The newest snapshot a store of
// ours holds (covering records up to its LSN, all committed when it was
// stored), then every record after it, applied in order through
// Engine.apply. The records after a snapshot include those the previous
// primary wrote but had not committed when it stopped, if the election
// adopted them; the record that opens each epoch carries no effect and is
// skipped.

import type { Engine } from "../engine.ts";
import { decodeFrames } from "./frame.ts";
import { decodeEffects } from "./payload.ts";
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

/** Rebuilds the engine from the replicator's log, which must be elected (start() resolved). */
export async function recoverEngine(replicator: Replicator, options: RecoveryOptions): Promise<RecoveryResult> {
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const started = now();
  let engine: Engine | undefined;
  let snapshotLsn = 0;
  let snapshotBytes = 0;
  const snapshot = await replicator.newestSnapshot();
  if (snapshot !== null) {
    try {
      engine = await options.restore(snapshot.data);
      snapshotLsn = snapshot.info.lsn;
      snapshotBytes = snapshot.data.length;
      log(`recovery: restored the snapshot at LSN ${snapshotLsn} (${snapshot.data.length} bytes) in ${now() - started} ms`);
    } catch (error) {
      log(`recovery: the snapshot at LSN ${snapshot.info.lsn} cannot be restored (${error instanceof Error ? error.message : String(error)}); replaying the whole log`);
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
  let lastReport = now();
  const every = options.progressEveryMs ?? 1000;
  try {
    if (total > 0) {
      await replicator.readLog(snapshotLsn + 1, end, (frames) => {
        replayedBytes += frames.length;
        const { records, fault } = decodeFrames(frames, options.crc32c);
        if (fault !== undefined) throw new Error(`recovery: a record read back is damaged: ${fault.message}`);
        for (const record of records) {
          for (const effect of decodeEffects(record.payload)) {
            if (lowerAscii(effect.args[0]!) === EPOCH_COMMAND) continue;
            engine!.apply(effect);
            effects++;
          }
          replayed++;
        }
        if (now() - lastReport >= every) {
          lastReport = now();
          log(`recovery: replayed ${replayed} of ${total} records (${Math.floor((replayed * 100) / total)}%)`);
        }
      });
    }
  } finally {
    engine.onEffect = previousOnEffect;
  }
  const ms = now() - started;
  log(`recovery: ${snapshotLsn > 0 ? `snapshot at LSN ${snapshotLsn} + ` : ""}${replayed} record(s) replayed in ${ms} ms; log ends at LSN ${end}`);
  return { engine, snapshotLsn, snapshotBytes, replayed, replayedBytes, effects, ms };
}
