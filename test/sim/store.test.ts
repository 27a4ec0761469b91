// The simulated store's disk (the memory backend with a sync function): an
// append is acknowledged only after the fsync that covers it; reads, status
// and promise replies show only synced records; a crash keeps what was synced
// and at most a prefix of what was written after it.
import { describe, expect, it } from "vitest";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { encodeFrames } from "../../runtime/log/frame.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { World } from "./world.ts";
import { SimStore } from "./store.ts";

const crc32c = await loadCrc32c(coreModule());
const frames = (from: number, to: number, epoch: number) => encodeFrames(
  Array.from({ length: to - from + 1 }, (_, i) => ({ lsn: from + i, epoch, payload: new TextEncoder().encode(`r${from + i}`) })), crc32c);

describe("a simulated store's disk", () => {
  it("acknowledges at the fsync, shows only synced records, and a crash keeps the synced ones", async () => {
    const world = new World(7);
    const disk = { syncMinMs: 10, syncMaxMs: 10, slowSyncRate: 0, slowSyncMaxMs: 0, unsyncedKeptMax: 0 };
    const store = new SimStore(world, crc32c, "s", disk);
    const settled = <T>(p: Promise<T>) => {
      const box: { value?: T } = {};
      void p.then((v) => { box.value = v; });
      return box;
    };
    const promise = settled(store.backend.promise({ epoch: 1, candidate: "p" }));
    await world.run(world.now + 20, () => promise.value !== undefined);
    expect(promise.value?.ok).toBe(true);

    const first = settled(store.backend.append({ epoch: 1, frames: frames(1, 3, 1) }));
    await world.run(world.now + 5);
    expect(first.value).toBeUndefined(); // written, not yet synced: not acknowledged
    const status = settled(store.backend.status());
    await world.run(world.now + 1);
    expect(status.value).toMatchObject({ lastLsn: 0 }); // and not shown
    await world.run(world.now + 10, () => first.value !== undefined);
    expect(first.value).toMatchObject({ ok: true, lastLsn: 3 });

    // Written but not synced when the store crashes: lost (unsyncedKeptMax 0).
    void store.backend.append({ epoch: 1, frames: frames(4, 5, 1) });
    await world.run(world.now + 1);
    store.crash();
    store.restart();
    const after = settled(store.backend.status());
    await world.run(world.now + 1, () => after.value !== undefined);
    expect(after.value).toMatchObject({ lastLsn: 3, lastEpoch: 1, promisedEpoch: 1 });
  });

  it("a crash may keep a prefix of the unsynced records, never more than was written", async () => {
    const world = new World(8);
    const disk = { syncMinMs: 1000, syncMaxMs: 1000, slowSyncRate: 0, slowSyncMaxMs: 0, unsyncedKeptMax: 10 };
    const kept = new Set<number>();
    for (let run = 0; run < 30; run++) {
      // Every fsync takes a second: the promise is synced after it, the appends never are.
      const slow = new SimStore(world, crc32c, `s${run}`, disk);
      void slow.backend.promise({ epoch: 1, candidate: "p" });
      await world.run(world.now + 1500);
      void slow.backend.append({ epoch: 1, frames: frames(1, 4, 1) });
      await world.run(world.now + 1);
      slow.crash();
      slow.restart();
      const status = await slow.backend.status();
      expect(status.lastLsn).toBeLessThanOrEqual(4);
      kept.add(status.lastLsn);
    }
    // Sometimes none, sometimes some, sometimes all of them survive.
    expect(kept.has(0)).toBe(true);
    expect(kept.has(4)).toBe(true);
    expect(kept.size).toBeGreaterThan(2);
  });
});
