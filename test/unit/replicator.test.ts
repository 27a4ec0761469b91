// The replicator (runtime/log/replicator.ts) over three in-memory log stores
// in this process: commit at two acknowledgements, stall and recovery when
// stores go away and come back, elections that adopt the most advanced log
// by (last epoch, LSN) and cut what disagrees with it, and fencing by a
// newer primary. The real processes are exercised in test/durability.
import { afterEach, describe, expect, it } from "vitest";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { MemoryLogBackend } from "../../runtime/log/memory-backend.ts";
import { InProcessStore } from "../../runtime/log/in-process-store.ts";
import { Replicator, type ReplicatorOptions } from "../../runtime/log/replicator.ts";
import { decodeFrames } from "../../runtime/log/frame.ts";
import { decodeEffects } from "../../runtime/log/payload.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { seed } from "../helpers/log-seed.ts";
import type { Clock, TimerHandle } from "../../runtime/log/clock.ts";

const crc32c = await loadCrc32c(coreModule());
const te = new TextEncoder();
const td = new TextDecoder();
const replicators: Replicator[] = [];

afterEach(async () => {
  for (const r of replicators.splice(0)) await r.close();
});

function stores(n = 3): InProcessStore[] {
  return Array.from({ length: n }, (_, i) => new InProcessStore(new MemoryLogBackend({ region: `m${i}`, crc32c })));
}

function replicator(ss: InProcessStore[], options: Partial<ReplicatorOptions> = {}): Replicator {
  const r = new Replicator({
    stores: ss.map((s) => ({ name: s.backend.region, api: s })),
    crc32c,
    candidate: `primary-${replicators.length + 1}`,
    quorum: Math.floor(ss.length / 2) + 1,
    commitTimeoutMs: 200,
    requestTimeoutMs: 200,
    ...options,
  });
  replicators.push(r);
  return r;
}

function write(r: Replicator, key: string, value: string): number {
  r.addEffect({ db: 0, args: [te.encode("SET"), te.encode(key), te.encode(value)] });
  return r.seal();
}

/** A store's log as "lsn/epoch" strings, and its SET keys. */
async function logOf(s: InProcessStore): Promise<{ shape: string[]; keys: string[] }> {
  const read = await s.backend.read({ fromLsn: 1, maxBytes: 64 * 1024 * 1024 });
  if (!read.ok) throw new Error(read.message);
  const { records } = decodeFrames(read.frames, crc32c);
  const keys: string[] = [];
  for (const r of records) for (const e of decodeEffects(r.payload)) if (td.decode(e.args[0]) === "SET") keys.push(td.decode(e.args[1]));
  return { shape: records.map((r) => `${r.lsn}/${r.epoch}`), keys };
}

/** A promise of `epoch` by a store that the primary of that epoch then wrote nothing to. */
async function promiseOnly(s: InProcessStore, epoch: number): Promise<void> {
  const promised = await s.backend.promise({ epoch, candidate: `old-${epoch}` });
  if (!promised.ok) throw new Error(promised.message);
}

const until = async (check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("replicator", () => {
  it("commits a record once two of three stores hold it, and not before", async () => {
    const ss = stores();
    const r = replicator(ss);
    await r.start();
    expect(r.state).toBe("serving");
    expect(r.epoch).toBe(1);
    expect(r.commitLsn).toBe(1); // the record that opens epoch 1
    ss[2]!.setDown(true);
    const lsn = write(r, "a", "1");
    expect(lsn).toBe(2);
    expect(r.commitLsn).toBe(1); // nothing is committed synchronously
    expect(await r.waitCommitted(lsn, 1000)).toBe(true);
    for (const i of [0, 1]) expect((await logOf(ss[i]!)).keys).toContain("a");
    // With one store left, nothing commits, and after the timeout the replicator stalls.
    ss[1]!.setDown(true);
    const lost = write(r, "b", "2");
    expect(await r.waitCommitted(lost, 100)).toBe(false);
    await until(() => r.state === "stalled");
    expect(r.commitLsn).toBe(lsn);
    expect((await logOf(ss[0]!)).keys).toContain("b"); // on one store: not committed
    // A store returns: it is caught up, the record commits, and writes are served again.
    ss[2]!.setDown(false);
    await until(() => r.state === "serving");
    expect(r.commitLsn).toBe(lost);
    expect((await logOf(ss[2]!)).keys).toEqual(["a", "b"]);
  });

  it("groups many sealed records into few appends and keeps LSNs consecutive", async () => {
    const ss = stores();
    const r = replicator(ss);
    await r.start();
    let last = 0;
    for (let i = 0; i < 500; i++) last = write(r, `k${i}`, "v");
    expect(await r.waitCommitted(last, 2000)).toBe(true);
    await until(async () => (await logOf(ss[2]!)).shape.length === 501);
    const log = await logOf(ss[0]!);
    expect(log.shape).toEqual(Array.from({ length: 501 }, (_, i) => `${i + 1}/1`));
    expect(log.keys).toEqual(Array.from({ length: 500 }, (_, i) => `k${i}`));
    // One append per turn of the event loop, not one per record.
    expect((ss[0]!.backend as MemoryLogBackend).syncs).toBeLessThan(20);
  });

  it("adopts the log with the newest last epoch over a longer older one, and cuts what disagrees", async () => {
    const ss = stores();
    // Epoch 1 wrote k1..k2 everywhere; its primary then wrote k3, k4 to store 0 only.
    for (const s of ss) await seed(s, 1, ["k1", "k2"], crc32c);
    await seed(ss[0]!, 1, ["k3", "k4"], crc32c);
    // Epoch 2 (promised by stores 1 and 2) wrote j3 to store 1 only.
    await seed(ss[1]!, 2, ["j3"], crc32c);
    await promiseOnly(ss[2]!, 2);
    const r = replicator(ss);
    await r.start();
    expect(r.epoch).toBe(3);
    for (const s of ss) {
      await until(async () => (await logOf(s)).shape.length === 4);
      expect(await logOf(s)).toEqual({ shape: ["1/1", "2/1", "3/2", "4/3"], keys: ["k1", "k2", "j3"] });
    }
  });

  it("with the newest log unreachable, adopts the most advanced of the quorum and cuts the other later", async () => {
    const ss = stores();
    for (const s of ss) await seed(s, 1, ["k1", "k2"], crc32c);
    await seed(ss[0]!, 1, ["k3", "k4"], crc32c);
    await seed(ss[1]!, 2, ["j3"], crc32c);
    await promiseOnly(ss[2]!, 2);
    ss[1]!.setDown(true);
    const r = replicator(ss);
    await r.start();
    // Stores 0 and 2: store 0's k3, k4 are adopted (they were never acknowledged
    // by a quorum, but nothing newer was either) and copied to store 2.
    expect(await logOf(ss[2]!)).toEqual({ shape: ["1/1", "2/1", "3/1", "4/1", "5/3"], keys: ["k1", "k2", "k3", "k4"] });
    const last = write(r, "n", "1");
    expect(await r.waitCommitted(last, 1000)).toBe(true);
    // Store 1 returns holding (3, epoch 2), which this log does not have: cut and replaced.
    ss[1]!.setDown(false);
    await until(async () => (await logOf(ss[1]!)).shape.length === 6);
    expect(await logOf(ss[1]!)).toEqual({ shape: ["1/1", "2/1", "3/1", "4/1", "5/3", "6/3"], keys: ["k1", "k2", "k3", "k4", "n"] });
  });

  it("does not lose a record that a later primary committed by its epoch record (Raft's figure 8)", async () => {
    const ss = stores();
    for (const s of ss) await seed(s, 1, ["k1"], crc32c);
    // Epoch 2 (promised by stores 0 and 1) wrote x at LSN 2 to store 0 only;
    // epoch 3 (promised by stores 1 and 2) wrote y at LSN 2 to store 2 only.
    await seed(ss[0]!, 2, ["x"], crc32c);
    await promiseOnly(ss[1]!, 2);
    await seed(ss[2]!, 3, ["y"], crc32c);
    await promiseOnly(ss[1]!, 3);
    // Epoch 4 with stores 0 and 1 adopts x (store 2 is away) and commits its epoch record.
    ss[2]!.setDown(true);
    const p4 = replicator(ss);
    await p4.start();
    expect(p4.epoch).toBe(4);
    expect((await logOf(ss[1]!)).keys).toEqual(["k1", "x"]);
    await p4.close();
    // Epoch 5 with stores 1 and 2: store 2's (2, epoch 3) must not win over (3, epoch 4).
    ss[2]!.setDown(false);
    ss[0]!.setDown(true);
    const p5 = replicator(ss);
    await p5.start();
    expect(p5.epoch).toBe(5);
    expect(await logOf(ss[2]!)).toEqual({ shape: ["1/1", "2/2", "3/4", "4/5"], keys: ["k1", "x"] });
  });

  it("is fenced when another primary takes a newer epoch on the same stores", async () => {
    const ss = stores();
    const first = replicator(ss);
    await first.start();
    const committed = write(first, "a", "1");
    expect(await first.waitCommitted(committed, 1000)).toBe(true);
    const second = replicator(ss);
    await second.start();
    expect(second.epoch).toBe(2);
    const fenced = write(first, "b", "2");
    expect(await first.waitCommitted(fenced, 1000)).toBe(false);
    await until(() => first.state === "fenced");
    // The new primary's log has the committed write and not the fenced one.
    expect((await logOf(ss[0]!)).keys).toEqual(["a"]);
  });
});

/** A clock the test moves by hand; timers fire only in advance(). */
class ManualClock implements Clock {
  private t = 0;
  private nextId = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number { return this.t; }
  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = ++this.nextId;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimer(handle: TimerHandle | undefined): void { this.timers.delete(handle as number); }
  schedule(fn: () => void): void { setImmediate(fn); }
  random(): number { return 0; }
  /** Moves time forward by `ms`, firing due timers in order and letting I/O callbacks run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

/** Three memory stores on one clock, and a separate view of them per primary (so one can be cut off alone). */
function shared(clock: Clock) {
  const backends = [0, 1, 2].map((i) => new MemoryLogBackend({ region: `m${i}`, crc32c, clock }));
  return { backends, view: () => backends.map((b) => new InProcessStore(b)) };
}

describe("leases", () => {
  it("a second primary is elected only after the first one's lease has run out on its clock", async () => {
    const clock = new ManualClock();
    const { view } = shared(clock);
    const firstStores = view();
    const first = replicator(firstStores, { clock, leaseMs: 1000, commitTimeoutMs: 5000 });
    await first.start();
    expect(first.leaseHeld()).toBe(true);
    const second = replicator(view(), { clock, leaseMs: 1000, commitTimeoutMs: 5000 });
    const elected = second.start();
    // The first primary's heartbeats keep its lease running: the second waits.
    for (let i = 0; i < 10; i++) await clock.advance(100);
    expect(second.state).toBe("electing");
    expect(second.epoch).toBe(0);
    expect(first.leaseHeld()).toBe(true);
    expect(first.state).toBe("serving");
    // The first primary is cut off from every store: its lease lapses, then the second is elected.
    for (const s of firstStores) s.setDown(true);
    let electedAt = -1;
    void elected.then(() => { electedAt = clock.now(); });
    for (let i = 0; i < 100 && electedAt < 0; i++) {
      await clock.advance(25);
      // Never both: the old primary stops answering reads before the new one is elected.
      expect(first.leaseHeld() && second.state === "serving").toBe(false);
    }
    expect(electedAt).toBeGreaterThan(0);
    expect(second.epoch).toBe(2);
    expect(first.leaseExpiresAt).toBeLessThanOrEqual(electedAt);
    expect(first.leaseHeld()).toBe(false);
    // Back in touch, the first primary is fenced.
    for (const s of firstStores) s.setDown(false);
    write(first, "late", "x");
    for (let i = 0; i < 40 && first.state !== "fenced"; i++) await clock.advance(50);
    expect(first.state).toBe("fenced");
  });

  it("a primary that shuts down cleanly releases its lease: the next one is elected without waiting it out", async () => {
    const clock = new ManualClock();
    const { backends, view } = shared(clock);
    const first = replicator(view(), { clock, leaseMs: 60_000, commitTimeoutMs: 5000 });
    await first.start();
    expect(first.leaseHeld()).toBe(true);
    expect(await first.releaseLease()).toBe(3);
    // It shows no data from here on, even as its heartbeats keep being acknowledged.
    expect(first.leaseHeld()).toBe(false);
    await clock.advance(100);
    expect(first.leaseHeld()).toBe(false);
    for (const b of backends) expect((await b.status()).leaseRemainingMs).toBe(0);
    await first.close();
    // A lease of a minute, yet the successor is elected within a few retries.
    const second = replicator(view(), { clock, leaseMs: 60_000, commitTimeoutMs: 5000 });
    let elected = false;
    void second.start().then(() => { elected = true; });
    for (let i = 0; i < 40 && !elected; i++) await clock.advance(50);
    expect(elected).toBe(true);
    expect(second.epoch).toBe(2);
    // Only the holder can release: the old primary's request now changes nothing.
    expect(await backends[0]!.releaseLease({ epoch: 1, candidate: first.candidate })).toMatchObject({ ok: false, error: "stale-epoch" });
    expect(await backends[0]!.releaseLease({ epoch: 2, candidate: "someone-else" })).toEqual({ ok: true, released: false });
    expect((await backends[0]!.status()).leaseRemainingMs).toBeGreaterThan(0);
    await second.close();
  });

  it("two candidates waiting for a dead primary's lease: one is elected, the other keeps waiting and deposes no one", async () => {
    const clock = new ManualClock();
    const { backends, view } = shared(clock);
    const firstStores = view();
    const first = replicator(firstStores, { clock, leaseMs: 1000, commitTimeoutMs: 5000 });
    await first.start();
    write(first, "k", "v");
    await clock.advance(10);
    const b = replicator(view(), { clock, leaseMs: 1000, commitTimeoutMs: 5000 });
    const c = replicator(view(), { clock, leaseMs: 1000, commitTimeoutMs: 5000 });
    void b.start();
    void c.start();
    await clock.advance(200);
    for (const s of firstStores) s.setDown(true); // the first primary dies
    for (let i = 0; i < 200 && b.state !== "serving" && c.state !== "serving"; i++) await clock.advance(25);
    const [winner, loser] = b.state === "serving" ? [b, c] : [c, b];
    expect(winner.state).toBe("serving");
    // For many leases after, the winner serves and holds its lease; the loser waits.
    for (let i = 0; i < 40; i++) {
      await clock.advance(250);
      expect(winner.state).toBe("serving");
      expect(winner.leaseHeld()).toBe(true);
      expect(loser.state).toBe("electing");
    }
    for (const backend of backends) expect((await backend.status()).promisedEpoch).toBe(winner.epoch);
    const lsn = write(winner, "after", "1");
    await clock.advance(10);
    expect(winner.commitLsn).toBe(lsn);
  });

  it("an idle primary's heartbeats renew its lease and tell the stores its commit LSN", async () => {
    const clock = new ManualClock();
    const { backends, view } = shared(clock);
    const r = replicator(view(), { clock, leaseMs: 900 });
    await r.start();
    const lsn = write(r, "k", "v");
    await clock.advance(1);
    expect(r.commitLsn).toBe(lsn);
    await clock.advance(50);
    for (const b of backends) expect((await b.status()).commitLsn).toBe(lsn);
    // Nothing written for many leases: still held, by heartbeats alone.
    await clock.advance(5000);
    expect(r.leaseHeld()).toBe(true);
    for (const b of backends) expect((await b.status()).leaseRemainingMs).toBeGreaterThan(0);
  });

  it("when no quorum renews it, the lease lapses (reads wait), the primary stalls after the timeout, and recovers", async () => {
    await lapseAndRecover(new ManualClock());
  });

  it("notices the lapse even when its timers fire a little early, as Node's may", async () => {
    await lapseAndRecover(new EarlyClock());
  });
});

/** Timers fire half a millisecond before they are due (Node counts from a cached loop time). */
class EarlyClock extends ManualClock {
  override setTimer(fn: () => void, ms: number): TimerHandle {
    return super.setTimer(fn, Math.max(0, ms - 0.5));
  }
}

async function lapseAndRecover(clock: ManualClock): Promise<void> {
  {
    const { view } = shared(clock);
    const stores = view();
    const r = replicator(stores, { clock, leaseMs: 600, commitTimeoutMs: 1000 });
    const changes: boolean[] = [];
    r.onLease((held) => changes.push(held));
    await r.start();
    stores[1]!.setDown(true);
    stores[2]!.setDown(true);
    await clock.advance(700);
    expect(r.leaseHeld()).toBe(false);
    const waiting = r.waitLease(5000);
    expect(changes).toEqual([false]);
    expect(r.state).toBe("serving");
    await clock.advance(1100);
    expect(r.state).toBe("stalled");
    expect(await waiting).toBe(false);
    stores[1]!.setDown(false);
    for (let i = 0; i < 40 && r.state !== "serving"; i++) await clock.advance(100);
    expect(r.state).toBe("serving");
    expect(r.leaseHeld()).toBe(true);
    expect(changes).toEqual([false, true]);
  }
}
