// Writing an older primary's records straight into an in-process store, for
// replicator tests that start from diverging logs.
import type { Crc32c } from "../../runtime/log/crc32c.ts";
import type { InProcessStore } from "../../runtime/log/in-process-store.ts";
import { encodeFrames } from "../../runtime/log/frame.ts";
import { encodeEffects } from "../../runtime/log/payload.ts";

const te = new TextEncoder();

/** Writes records of `epoch` (a SET of each key) at the end of a store's log, as a primary of that epoch would. */
export async function seed(s: InProcessStore, epoch: number, keys: readonly string[], crc32c: Crc32c): Promise<void> {
  const promised = await s.backend.promise({ epoch, candidate: `old-${epoch}` });
  if (!promised.ok) throw new Error(promised.message);
  let lsn = promised.tail.lastLsn;
  const frames = encodeFrames(keys.map((k) => ({
    lsn: ++lsn, epoch, payload: encodeEffects([{ db: 0, args: [te.encode("SET"), te.encode(k), te.encode("x")] }]),
  })), crc32c);
  const appended = await s.backend.append({ epoch, frames });
  if (!appended.ok) throw new Error(appended.message);
}
