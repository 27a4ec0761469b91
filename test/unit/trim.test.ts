// Trimming the log below snapshots, and catching up a store that was away
// while the others trimmed (docs/durability.md, rule 8), through the
// replicator (runtime/log/replicator.ts) over three in-memory log stores.
import { afterEach, describe, expect, it } from "vitest";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { MemoryLogBackend } from "../../runtime/log/memory-backend.ts";
import { InProcessStore } from "../../runtime/log/in-process-store.ts";
import { Replicator } from "../../runtime/log/replicator.ts";
import { decodeFrames } from "../../runtime/log/frame.ts";
import { decodeEffects } from "../../runtime/log/payload.ts";
import type { LogLimits } from "../../runtime/log/backend.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { seed } from "../helpers/log-seed.ts";

const crc32c = await loadCrc32c(coreModule());
const te = new TextEncoder();
const td = new TextDecoder();
const replicators: Replicator[] = [];

afterEach(async () => {
  for (const r of replicators.splice(0)) await r.close();
});

function store(region: string, limits: Partial<LogLimits> = {}): InProcessStore {
  return new InProcessStore(new MemoryLogBackend({ region, crc32c, limits }));
}

/** A replicator that keeps no committed record in memory, so a store that lags must be served by another store. */
function replicator(ss: InProcessStore[]): Replicator {
  const r = new Replicator({
    stores: ss.map((s) => ({ name: s.backend.region, api: s })),
    crc32c,
    candidate: `primary-${replicators.length + 1}`,
    quorum: 2,
    commitTimeoutMs: 500,
    requestTimeoutMs: 500,
    windowBytesMax: 1,
  });
  replicators.push(r);
  return r;
}

async function writeCommitted(r: Replicator, keys: string[]): Promise<number> {
  let lsn = 0;
  for (const key of keys) {
    r.addEffect({ db: 0, args: [te.encode("SET"), te.encode(key), te.encode("v")] });
    lsn = r.seal();
  }
  if (!(await r.waitCommitted(lsn, 2000))) throw new Error(`LSN ${lsn} did not commit`);
  return lsn;
}

const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** A store's records as LSNs and the keys they set, read from its first record. */
async function logOf(s: InProcessStore): Promise<{ firstLsn: number; lsns: number[]; keys: string[] }> {
  const status = await s.backend.status();
  const read = await s.backend.read({ fromLsn: status.firstLsn, maxBytes: 64 * 1024 * 1024 });
  if (!read.ok) throw new Error(read.message);
  const { records } = decodeFrames(read.frames, crc32c);
  const setKeys: string[] = [];
  for (const r of records) for (const e of decodeEffects(r.payload)) if (td.decode(e.args[0]) === "SET") setKeys.push(td.decode(e.args[1]));
  return { firstLsn: status.firstLsn, lsns: records.map((r) => r.lsn), keys: setKeys };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const until = async (check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

const allHold = (ss: InProcessStore[], lsn: number) => async () => {
  for (const s of ss) if ((await s.backend.status()).lastLsn < lsn) return false;
  return true;
};

describe("trimming", () => {
  it("trims only up to the newest snapshot that every connected store holds", async () => {
    // Store c refuses snapshots above 8 bytes: it holds the small snapshot only.
    const ss = [store("a"), store("b"), store("c", { snapshotBytesMax: 8 })];
    const r = replicator(ss);
    await r.start();
    const first = await writeCommitted(r, keys("x", 10));
    await until(allHold(ss, first));
    expect(await r.saveSnapshot(first, te.encode("small"))).toMatchObject({ ok: true, stores: 3 });
    await r.trimLogs();
    for (const s of ss) expect((await logOf(s)).firstLsn).toBe(first + 1);

    const second = await writeCommitted(r, keys("y", 10));
    await until(allHold(ss, second));
    expect(await r.saveSnapshot(second, te.encode("a larger image"))).toMatchObject({ ok: true, stores: 2 });
    expect(await r.trimLogs()).toBe(first);
    // c does not hold the newer snapshot, so no store drops what only it covers.
    for (const s of ss) expect(await logOf(s)).toMatchObject({ firstLsn: first + 1, lsns: range(first + 1, second) });

    // With fewer than a quorum connected, nothing is trimmed.
    ss[1]!.setDown(true);
    ss[2]!.setDown(true);
    await until(() => r.stores().filter((s) => s.state === "streaming").length === 1);
    expect(await r.trimLogs()).toBe(0);
    expect((await logOf(ss[0]!)).firstLsn).toBe(first + 1);

    // A store that is down does not hold the others back.
    ss[1]!.setDown(false);
    await until(() => r.stores()[1]!.state === "streaming");
    expect(await r.trimLogs()).toBe(second);
    for (const s of ss.slice(0, 2)) expect((await logOf(s)).firstLsn).toBe(second + 1);
    expect((await logOf(ss[2]!)).firstLsn).toBe(first + 1);
  });

  it("never trims a store below a snapshot it holds itself, nor past what is committed", async () => {
    const ss = [store("a"), store("b"), store("c")];
    const r = replicator(ss);
    await r.start();
    const lsn = await writeCommitted(r, keys("x", 5));
    await until(allHold(ss, lsn));
    // No snapshot yet: nothing to trim to.
    expect(await r.trimLogs()).toBe(0);
    for (const s of ss) expect((await logOf(s)).firstLsn).toBe(1);
    // A store refuses a trim that no snapshot of its own covers (the rule every backend shares).
    const refused = await ss[0]!.backend.trim({ epoch: r.epoch, lsn });
    expect(refused).toMatchObject({ ok: false, error: "no-snapshot" });
  });

  it("catches up a store that was away while the others trimmed: snapshot first, then the log after it", async () => {
    const ss = [store("a"), store("b"), store("c")];
    const r = replicator(ss);
    await r.start();
    const before = await writeCommitted(r, keys("old", 20));
    await until(allHold(ss, before));
    ss[2]!.setDown(true);
    const snapshotLsn = await writeCommitted(r, keys("mid", 20));
    expect(await r.saveSnapshot(snapshotLsn, te.encode("state at the snapshot"))).toMatchObject({ ok: true, stores: 2 });
    await until(async () => (await logOf(ss[0]!)).firstLsn === snapshotLsn + 1 && (await logOf(ss[1]!)).firstLsn === snapshotLsn + 1);
    const last = await writeCommitted(r, keys("new", 20));
    // c's log ends at `before`; a and b hold nothing before snapshotLsn + 1.
    expect((await ss[2]!.backend.status()).lastLsn).toBe(before);

    ss[2]!.setDown(false);
    await until(allHold(ss, last));
    const c = await logOf(ss[2]!);
    expect(c.firstLsn).toBe(snapshotLsn + 1);
    expect(c.lsns).toEqual(range(snapshotLsn + 1, last));
    expect(c.keys).toEqual(keys("new", 20));
    const snapshot = await ss[2]!.backend.getSnapshot("latest");
    expect(snapshot?.info.lsn).toBe(snapshotLsn);
    expect(td.decode(snapshot!.data)).toBe("state at the snapshot");
    // It takes part in commits again.
    ss[0]!.setDown(true);
    const after = await writeCommitted(r, ["after"]);
    expect((await logOf(ss[2]!)).lsns.at(-1)).toBe(after);
  });

  it("a store that comes back with records the log does not have loses them, then is caught up by snapshot", async () => {
    const ss = [store("a"), store("b"), store("c")];
    // Epoch 1 wrote k0..k4 everywhere, then lost0 and lost1 to c only (never committed).
    for (const s of ss) await seed(s, 1, keys("k", 5), crc32c);
    await seed(ss[2]!, 1, ["lost0", "lost1"], crc32c);
    ss[2]!.setDown(true);
    const r = replicator(ss);
    await r.start();
    const snapshotLsn = await writeCommitted(r, keys("n", 30));
    expect((await r.saveSnapshot(snapshotLsn, te.encode("image"))).ok).toBe(true);
    await until(async () => (await logOf(ss[0]!)).firstLsn === snapshotLsn + 1 && (await logOf(ss[1]!)).firstLsn === snapshotLsn + 1);
    const last = await writeCommitted(r, ["after"]);
    ss[2]!.setDown(false);
    await until(allHold(ss, last));
    const c = await logOf(ss[2]!);
    expect(c).toEqual({ firstLsn: snapshotLsn + 1, lsns: range(snapshotLsn + 1, last), keys: ["after"] });
    expect((await ss[2]!.backend.status()).newestSnapshotLsn).toBe(snapshotLsn);
  });

  it("a new primary recovers from the snapshot and the log after it, with a caught-up store in its quorum", async () => {
    const ss = [store("a"), store("b"), store("c")];
    const first = replicator(ss);
    await first.start();
    ss[2]!.setDown(true);
    const snapshotLsn = await writeCommitted(first, keys("k", 30));
    expect((await first.saveSnapshot(snapshotLsn, te.encode("image"))).ok).toBe(true);
    await until(async () => (await logOf(ss[1]!)).firstLsn === snapshotLsn + 1);
    const last = await writeCommitted(first, keys("tail", 5));
    await first.close();

    // The next primary has only b (trimmed) and c (far behind): it adopts b's log and gives c the snapshot.
    ss[0]!.setDown(true);
    ss[2]!.setDown(false);
    const second = replicator(ss);
    await second.start();
    expect(second.lastLsn).toBe(last + 1);
    const snapshot = await second.newestSnapshot();
    expect(snapshot?.info.lsn).toBe(snapshotLsn);
    const replayed: number[] = [];
    await second.readLog(snapshotLsn + 1, second.lastLsn, (frames) => {
      for (const record of decodeFrames(frames, crc32c).records) replayed.push(record.lsn);
    });
    expect(replayed).toEqual(range(snapshotLsn + 1, last + 1));
    expect(await logOf(ss[2]!)).toMatchObject({ firstLsn: snapshotLsn + 1, lsns: range(snapshotLsn + 1, last + 1) });
  });

  it("a snapshot on a store whose own record at its LSN is another epoch's does not make that record part of the log", async () => {
    const ss = [store("a"), store("b"), store("c")];
    const [a, b, c] = ss as [InProcessStore, InProcessStore, InProcessStore];
    // Epoch 1 wrote k0..k4 everywhere, then "lost" to c only (never committed), at LSN 6.
    for (const s of ss) await seed(s, 1, keys("k", 5), crc32c);
    await seed(c, 1, ["lost"], crc32c);
    // The primary of epoch 2 opens its epoch at LSN 6 without c, snapshots there, and a and b trim.
    c.setDown(true);
    const r = replicator(ss);
    await r.start();
    expect(r.lastLsn).toBe(6);
    expect((await r.saveSnapshot(6, te.encode("image"))).ok).toBe(true);
    await until(async () => (await logOf(a)).firstLsn === 7 && (await logOf(b)).firstLsn === 7);
    // The snapshot also reaches c before c is aligned (a primary stores one on every store that
    // takes it, as saveSnapshot does while a store is still being connected).
    expect((await c.backend.promise({ epoch: 2, candidate: "primary-1" })).ok).toBe(true);
    expect((await c.backend.putSnapshot({ epoch: 2, lsn: 6, recordEpoch: 2, data: te.encode("image") })).ok).toBe(true);
    const last = await writeCommitted(r, keys("n", 3));
    c.setDown(false);
    await until(allHold(ss, last));
    // c's record at 6 was epoch 1's: it is cut, and c now holds the log of epoch 2 after the snapshot.
    const onC = await logOf(c);
    expect(onC.keys).not.toContain("lost");
    expect(onC).toEqual({ firstLsn: 7, lsns: range(7, last), keys: keys("n", 3) });
  });

  it("a store that missed a trim keeps its records when its record at another store's snapshot is that snapshot's", async () => {
    const ss = [store("a"), store("b"), store("c")];
    const [a, b, c] = ss as [InProcessStore, InProcessStore, InProcessStore];
    const first = replicator(ss);
    await first.start();
    const snapshotLsn = await writeCommitted(first, keys("k", 10));
    await until(allHold(ss, snapshotLsn));
    // c is away for the snapshot and the trim; a and b trim, then commit more.
    c.setDown(true);
    expect((await first.saveSnapshot(snapshotLsn, te.encode("image"))).ok).toBe(true);
    await until(async () => (await logOf(a)).firstLsn === snapshotLsn + 1 && (await logOf(b)).firstLsn === snapshotLsn + 1);
    const last = await writeCommitted(first, keys("tail", 3));
    await first.close();

    // The next primary has b (trimmed) and c (untrimmed, no snapshot): c's record at the
    // snapshot's LSN is the snapshot's, so c agrees up to it and keeps its log.
    a.setDown(true);
    c.setDown(false);
    const second = replicator(ss);
    await second.start();
    expect(second.lastLsn).toBe(last + 1);
    expect(await logOf(c)).toEqual({ firstLsn: 1, lsns: range(1, last + 1), keys: [...keys("k", 10), ...keys("tail", 3)] });
  });
});
