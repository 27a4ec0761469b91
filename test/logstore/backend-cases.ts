// The log-store backend conformance suite: one list of cases that every
// LogBackend implementation must pass (runtime/log/backend.ts states the
// contract). A test file calls `backendConformance(label, harness)` once per
// implementation; the Durable Object backend will do the same in workerd.
//
// Cases use only the LogBackend interface and the frame codec. Where
// implementations may legitimately differ (a file backend trims whole
// segments, a memory backend single records) the assertion is the contract's
// bound, not one implementation's choice.
import { describe, expect, it } from "vitest";
import type { LogBackend, LogEvent } from "../../runtime/log/backend.ts";
import type { Crc32c } from "../../runtime/log/crc32c.ts";
import { decodeFrames, encodeFrames, type LogRecord } from "../../runtime/log/frame.ts";
import type { AppendReply, LogError } from "../../runtime/log/protocol.ts";
import { bytesEqual } from "../../runtime/bytes.ts";

export interface BackendHarness {
  crc32c: Crc32c;
  /**
   * A fresh, empty backend. `segmentBytes` is a hint for backends that roll
   * segments (cases that need several segments pass a small one).
   */
  open(options?: { segmentBytes?: number; snapshotsKept?: number }): Promise<LogBackend>;
}

const te = new TextEncoder();
const td = new TextDecoder();

function rec(lsn: number, epoch: number, text = `record ${lsn} of epoch ${epoch}`): LogRecord {
  return { lsn, epoch, payload: te.encode(text) };
}

function expectError(reply: { ok: boolean }, code: LogError["error"]): LogError {
  expect(reply.ok, JSON.stringify(reply)).toBe(false);
  const error = reply as LogError;
  expect(error.error).toBe(code);
  return error;
}

function expectOk<T extends { ok: boolean }>(reply: T): Extract<T, { ok: true }> {
  expect(reply.ok, JSON.stringify(reply)).toBe(true);
  return reply as Extract<T, { ok: true }>;
}

export function backendConformance(label: string, harness: BackendHarness): void {
  const { crc32c } = harness;
  const frames = (...records: LogRecord[]) => encodeFrames(records, crc32c);
  const range = (from: number, to: number, epoch: number, tag = "") =>
    Array.from({ length: to - from + 1 }, (_, i) => rec(from + i, epoch, `record ${from + i} of epoch ${epoch}${tag}`));

  /** Every record the backend returns from `from` on, decoded, reading in small pieces. */
  async function readAll(b: LogBackend, from = 1): Promise<Array<{ lsn: number; epoch: number; text: string }>> {
    const out: Array<{ lsn: number; epoch: number; text: string }> = [];
    let next = from;
    for (;;) {
      const r = expectOk(await b.read({ fromLsn: next, maxBytes: 300 }));
      if (r.records === 0) return out;
      const decoded = decodeFrames(r.frames, crc32c, { expectLsn: next });
      expect(decoded.fault).toBeUndefined();
      expect(decoded.records.length).toBe(r.records);
      for (const x of decoded.records) out.push({ lsn: x.lsn, epoch: x.epoch, text: td.decode(x.payload) });
      next += r.records;
    }
  }

  async function promised(epoch = 1, options?: { segmentBytes?: number; snapshotsKept?: number }): Promise<LogBackend> {
    const b = await harness.open(options);
    expectOk(await b.promise({ epoch, candidate: `primary-${epoch}` }));
    return b;
  }

  async function appendOk(b: LogBackend, epoch: number, records: LogRecord[]): Promise<AppendReply> {
    return expectOk(await b.append({ epoch, frames: frames(...records) }));
  }

  describe(`log backend conformance: ${label}`, () => {
    it("a new store is empty and has promised nothing", async () => {
      const b = await harness.open();
      const s = await b.status();
      expect(s).toMatchObject({ promisedEpoch: 0, firstLsn: 1, lastLsn: 0, lastEpoch: 0, snapshots: 0, newestSnapshotLsn: 0 });
      expect(s.region.length).toBeGreaterThan(0);
      expect(await b.listSnapshots()).toEqual([]);
      expect(await b.getSnapshot("latest")).toBeNull();
      expect(expectOk(await b.read({ fromLsn: 1, maxBytes: 1000 })).records).toBe(0);
      await b.close();
    });

    it("promises: only a higher epoch, or the same epoch to the same candidate again", async () => {
      const b = await harness.open();
      expectError(await b.promise({ epoch: 0, candidate: "a" }), "bad-request");
      expectError(await b.promise({ epoch: 1, candidate: "" }), "bad-request");
      const first = expectOk(await b.promise({ epoch: 3, candidate: "a" }));
      expect(first).toMatchObject({ promisedEpoch: 3, firstLsn: 1, tail: { lastLsn: 0, lastEpoch: 0 } });
      expectOk(await b.promise({ epoch: 3, candidate: "a" }));
      expect(expectError(await b.promise({ epoch: 3, candidate: "b" }), "epoch-not-newer").promisedEpoch).toBe(3);
      expectError(await b.promise({ epoch: 2, candidate: "c" }), "epoch-not-newer");
      expectOk(await b.promise({ epoch: 4, candidate: "b" }));
      expect(await b.status()).toMatchObject({ promisedEpoch: 4, promisedTo: "b" });
      await b.close();
    });

    it("appends need the promised epoch: not above it, not below it", async () => {
      const b = await harness.open();
      expectError(await b.append({ epoch: 1, frames: frames(rec(1, 1)) }), "not-promised");
      expectOk(await b.promise({ epoch: 2, candidate: "p" }));
      expectError(await b.append({ epoch: 1, frames: frames(rec(1, 1)) }), "stale-epoch");
      expectError(await b.append({ epoch: 3, frames: frames(rec(1, 3)) }), "not-promised");
      expect(expectOk(await b.append({ epoch: 2, frames: frames(rec(1, 2)) }))).toMatchObject({ lastLsn: 1, records: 1 });
      await b.close();
    });

    it("appended records read back with their LSN, epoch and payload", async () => {
      const b = await promised(1);
      await appendOk(b, 1, range(1, 3, 1));
      const reply = await appendOk(b, 1, range(4, 10, 1));
      expect(reply).toMatchObject({ lastLsn: 10, records: 7 });
      expect(await readAll(b)).toEqual(range(1, 10, 1).map((r) => ({ lsn: r.lsn, epoch: 1, text: td.decode(r.payload) })));
      expect((await readAll(b, 7)).map((r) => r.lsn)).toEqual([7, 8, 9, 10]);
      expect(await b.status()).toMatchObject({ firstLsn: 1, lastLsn: 10, lastEpoch: 1 });
      await b.close();
    });

    it("refuses an append that does not continue the log, with the tail to resynchronize", async () => {
      const b = await promised(1);
      await appendOk(b, 1, range(1, 3, 1));
      expect(expectError(await b.append({ epoch: 1, frames: frames(rec(5, 1)) }), "lsn-gap").tail).toEqual({ lastLsn: 3, lastEpoch: 1 });
      expectError(await b.append({ epoch: 1, frames: frames(rec(3, 1)) }), "lsn-gap");
      expect((await b.status()).lastLsn).toBe(3);
      await b.close();
    });

    it("refuses bad frames whole: bad checksum, gaps inside, epochs out of order or above the writer's", async () => {
      const b = await promised(2);
      await appendOk(b, 2, [rec(1, 2)]);
      const damaged = frames(rec(2, 2), rec(3, 2));
      damaged[damaged.length - 1]! ^= 0x40;
      expectError(await b.append({ epoch: 2, frames: damaged }), "bad-frame");
      expectError(await b.append({ epoch: 2, frames: frames(rec(2, 2), rec(4, 2)) }), "bad-frame");
      expectError(await b.append({ epoch: 2, frames: frames(rec(2, 1)) }), "bad-frame");
      expectError(await b.append({ epoch: 2, frames: frames(rec(2, 3)) }), "bad-frame");
      expectError(await b.append({ epoch: 2, frames: frames(rec(2, 2)).subarray(0, 10) }), "bad-frame");
      // No frames at all is a heartbeat, not an append: nothing is added.
      expect(expectOk(await b.append({ epoch: 2, frames: new Uint8Array(0) })).records).toBe(0);
      // Nothing of any refused append was kept.
      expect((await readAll(b)).map((r) => r.lsn)).toEqual([1]);
      await appendOk(b, 2, [rec(2, 2)]);
      await b.close();
    });

    it("fences: after a newer promise, every write of the older epoch is refused", async () => {
      const b = await promised(1);
      await appendOk(b, 1, range(1, 4, 1));
      const p2 = expectOk(await b.promise({ epoch: 2, candidate: "new primary" }));
      expect(p2.tail).toEqual({ lastLsn: 4, lastEpoch: 1 });
      expect(expectError(await b.append({ epoch: 1, frames: frames(rec(5, 1)) }), "stale-epoch").promisedEpoch).toBe(2);
      expectError(await b.truncate({ epoch: 1, afterLsn: 2 }), "stale-epoch");
      expectError(await b.putSnapshot({ epoch: 1, lsn: 2, recordEpoch: 1, data: te.encode("s") }), "stale-epoch");
      expectError(await b.trim({ epoch: 1, lsn: 2 }), "stale-epoch");
      // The new primary continues the log with records of its own epoch.
      await appendOk(b, 2, [rec(5, 2)]);
      expect((await readAll(b)).map((r) => [r.lsn, r.epoch])).toEqual([[1, 1], [2, 1], [3, 1], [4, 1], [5, 2]]);
      // Copying an older epoch's records under the new epoch is allowed (a new primary repairing a store).
      const c = await promised(1);
      await appendOk(c, 1, [rec(1, 1)]);
      expectOk(await c.promise({ epoch: 5, candidate: "repairer" }));
      await appendOk(c, 5, [rec(2, 1), rec(3, 4)]);
      expect((await c.status())).toMatchObject({ lastLsn: 3, lastEpoch: 4 });
      await b.close();
      await c.close();
    });

    it("truncates a suffix so a newer primary can overwrite it", async () => {
      const b = await promised(1);
      await appendOk(b, 1, range(1, 6, 1));
      expectOk(await b.promise({ epoch: 2, candidate: "p2" }));
      expectError(await b.truncate({ epoch: 2, afterLsn: 7 }), "beyond-end");
      const t = expectOk(await b.truncate({ epoch: 2, afterLsn: 3 }));
      expect(t).toMatchObject({ tail: { lastLsn: 3, lastEpoch: 1 }, removed: 3 });
      expect((await b.status())).toMatchObject({ lastLsn: 3, lastEpoch: 1 });
      expectError(await b.append({ epoch: 2, frames: frames(rec(5, 2)) }), "lsn-gap");
      await appendOk(b, 2, range(4, 5, 2, " (overwritten)"));
      expect(await readAll(b)).toEqual([
        ...range(1, 3, 1).map((r) => ({ lsn: r.lsn, epoch: 1, text: td.decode(r.payload) })),
        { lsn: 4, epoch: 2, text: "record 4 of epoch 2 (overwritten)" },
        { lsn: 5, epoch: 2, text: "record 5 of epoch 2 (overwritten)" },
      ]);
      // Truncating at the end removes nothing; truncating everything empties the log.
      expect(expectOk(await b.truncate({ epoch: 2, afterLsn: 5 })).removed).toBe(0);
      expect(expectOk(await b.truncate({ epoch: 2, afterLsn: 0 })).tail).toEqual({ lastLsn: 0, lastEpoch: 0 });
      expect(await readAll(b)).toEqual([]);
      await appendOk(b, 2, [rec(1, 2)]);
      await b.close();
    });

    it("a truncation that names the tail it expects removes nothing once the log has changed", async () => {
      // A truncation delayed in the network past its timeout arrives after the primary truncated
      // again and appended: it must not cut those appends (test/sim/late-truncate.test.ts).
      const b = await promised(1);
      await appendOk(b, 1, range(1, 6, 1));
      expectOk(await b.promise({ epoch: 2, candidate: "p2" }));
      expectOk(await b.truncate({ epoch: 2, afterLsn: 3, ifTail: { lastLsn: 6, lastEpoch: 1 } }));
      await appendOk(b, 2, range(4, 5, 2));
      const late = await b.truncate({ epoch: 2, afterLsn: 3, ifTail: { lastLsn: 6, lastEpoch: 1 } });
      expectError(late, "lsn-gap");
      expect(late.ok ? undefined : late.tail).toEqual({ lastLsn: 5, lastEpoch: 2 });
      expect((await b.status())).toMatchObject({ lastLsn: 5, lastEpoch: 2 });
      expectError(await b.truncate({ epoch: 2, afterLsn: 3, ifTail: { lastLsn: -1 } as never }), "bad-request");
      await b.close();
    });

    it("truncates across segments", async () => {
      const b = await promised(1, { segmentBytes: 4096 });
      const payload = "x".repeat(500);
      for (let lsn = 1; lsn <= 40; lsn++) await appendOk(b, 1, [rec(lsn, 1, `${lsn} ${payload}`)]);
      expectOk(await b.truncate({ epoch: 1, afterLsn: 9 }));
      expect((await readAll(b)).map((r) => r.lsn)).toEqual(range(1, 9, 1).map((r) => r.lsn));
      for (let lsn = 10; lsn <= 30; lsn++) await appendOk(b, 1, [rec(lsn, 1, `again ${lsn}`)]);
      const all = await readAll(b);
      expect(all.map((r) => r.lsn)).toEqual(range(1, 30, 1).map((r) => r.lsn));
      expect(all[9]!.text).toBe("again 10");
      expect(all[8]!.text).toBe(`9 ${payload}`);
      await b.close();
    });

    it("reads in bounded pieces, always at least one whole record", async () => {
      const b = await promised(1);
      await appendOk(b, 1, [rec(1, 1, "a".repeat(1000)), rec(2, 1, "b"), rec(3, 1, "c")]);
      const one = expectOk(await b.read({ fromLsn: 1, maxBytes: 10 }));
      expect(one.records).toBe(1);
      expect(td.decode(decodeFrames(one.frames, crc32c).records[0]!.payload)).toBe("a".repeat(1000));
      const rest = expectOk(await b.read({ fromLsn: 2, maxBytes: 1 << 20 }));
      expect(rest.records).toBe(2);
      expect(rest.tail).toEqual({ lastLsn: 3, lastEpoch: 1 });
      expect(expectOk(await b.read({ fromLsn: 4, maxBytes: 100 })).records).toBe(0);
      expect(expectOk(await b.read({ fromLsn: 1000, maxBytes: 100 })).records).toBe(0);
      expectError(await b.read({ fromLsn: 0, maxBytes: 100 }), "bad-request");
      await b.close();
    });

    it("tells watchers about durable appends, truncations and the commit point", async () => {
      const b = await promised(1);
      const events: LogEvent[] = [];
      const stop = b.watch((e) => events.push(e));
      await appendOk(b, 1, range(1, 2, 1));
      expectOk(await b.append({ epoch: 1, frames: frames(rec(3, 1)), commitLsn: 2 }));
      expectOk(await b.truncate({ epoch: 1, afterLsn: 1 }));
      stop();
      await appendOk(b, 1, [rec(2, 1)]);
      expect(events).toContainEqual({ type: "appended", lastLsn: 2 });
      expect(events).toContainEqual({ type: "appended", lastLsn: 3 });
      expect(events).toContainEqual({ type: "commit", lsn: 2 });
      expect(events[events.length - 1]).toEqual({ type: "truncated", afterLsn: 1 });
      expect((await b.status()).commitLsn).toBe(2);
      await b.close();
    });

    it("leases: while the promised primary's appends keep coming, no other candidate gets a newer epoch", async () => {
      const b = await harness.open();
      // A promise without a lease starts none.
      expectOk(await b.promise({ epoch: 1, candidate: "z" }));
      expect((await b.status()).leaseRemainingMs).toBe(0);
      // One with a lease starts it at once (before the primary's first append).
      expectOk(await b.promise({ epoch: 2, candidate: "a", leaseMs: 30_000 }));
      expect((await b.status()).leaseRemainingMs).toBeGreaterThan(0);
      const events: LogEvent[] = [];
      const stop = b.watch((e) => events.push(e));
      await appendOk(b, 2, range(1, 2, 2));
      // A heartbeat (an append without frames) renews the lease and carries the commit point.
      const beat = expectOk(await b.append({ epoch: 2, frames: new Uint8Array(0), commitLsn: 2 }));
      expect(beat).toEqual({ ok: true, lastLsn: 2, records: 0 });
      stop();
      expect(events).toContainEqual({ type: "heartbeat", epoch: 2 });
      expect(events).toContainEqual({ type: "commit", lsn: 2 });
      const remaining = (await b.status()).leaseRemainingMs!;
      expect(remaining).toBeGreaterThan(0);
      expect(remaining).toBeLessThanOrEqual(30_000);
      const refused = expectError(await b.promise({ epoch: 3, candidate: "b", leaseMs: 30_000 }), "lease-held");
      expect(refused.promisedEpoch).toBe(2);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(30_000);
      // Nothing changed: the primary of epoch 2 goes on.
      expect((await b.status()).promisedEpoch).toBe(2);
      await appendOk(b, 2, [rec(3, 2)]);
      // The holder itself may take a newer epoch at any time.
      expectOk(await b.promise({ epoch: 3, candidate: "a", leaseMs: 30_000 }));
      expectError(await b.append({ epoch: 2, frames: new Uint8Array(0) }), "stale-epoch");
      expectError(await b.promise({ epoch: 3, candidate: "x" }), "epoch-not-newer");
      await b.close();
    });

    it("leases: appends and heartbeats sent with renew: false are kept but leave the lease to run out", async () => {
      const b = await harness.open();
      expectOk(await b.promise({ epoch: 1, candidate: "a", leaseMs: 300 }));
      const lapses = Date.now() + 300;
      // Until well past the lease's end, only non-renewing appends and heartbeats come.
      let lsn = 1;
      while (Date.now() < lapses + 200) {
        expectOk(await b.append({ epoch: 1, frames: frames(rec(lsn, 1)), commitLsn: lsn - 1, renew: false }));
        expectOk(await b.append({ epoch: 1, frames: new Uint8Array(0), commitLsn: lsn, renew: false }));
        lsn++;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect((await b.status()).lastLsn).toBe(lsn - 1);
      expect((await b.status()).leaseRemainingMs).toBe(0);
      expectOk(await b.promise({ epoch: 2, candidate: "b" }));
      await b.close();
    });

    it("leases: once the appends stop for the lease's length, another candidate is promised", async () => {
      const b = await harness.open();
      expectOk(await b.promise({ epoch: 1, candidate: "a", leaseMs: 100 }));
      await appendOk(b, 1, range(1, 3, 1));
      expectOk(await b.append({ epoch: 1, frames: new Uint8Array(0), commitLsn: 3 }));
      const deadline = Date.now() + 10_000;
      while ((await b.status()).leaseRemainingMs! > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect((await b.status()).leaseRemainingMs).toBe(0);
      const granted = expectOk(await b.promise({ epoch: 2, candidate: "b" }));
      expect(granted.tail).toEqual({ lastLsn: 3, lastEpoch: 1 });
      // The old primary is fenced: its appends and heartbeats are refused and renew nothing.
      expectError(await b.append({ epoch: 1, frames: new Uint8Array(0) }), "stale-epoch");
      expect((await b.status()).leaseRemainingMs).toBe(0);
      // Out-of-range leases are refused.
      expectError(await b.promise({ epoch: 3, candidate: "c", leaseMs: -1 }), "bad-request");
      expectError(await b.promise({ epoch: 3, candidate: "c", leaseMs: 3_600_000 }), "bad-request");
      await b.close();
    });

    it("stores snapshots under the promised epoch, lists them newest first, keeps the newest few", async () => {
      const b = await promised(1, { snapshotsKept: 2 });
      await appendOk(b, 1, range(1, 10, 1));
      const data = (n: number) => Uint8Array.from({ length: 5000 + n }, (_, i) => (i * 31 + n) & 0xff);
      const put = expectOk(await b.putSnapshot({ epoch: 1, lsn: 4, recordEpoch: 1, data: data(4) }));
      expect(put.snapshot).toEqual({ lsn: 4, epoch: 1, bytes: 5004, crc32c: crc32c(data(4)) });
      expectOk(await b.putSnapshot({ epoch: 1, lsn: 8, recordEpoch: 1, data: data(8) }));
      expectOk(await b.putSnapshot({ epoch: 1, lsn: 6, recordEpoch: 1, data: data(6) }));
      expect((await b.listSnapshots()).map((s) => s.lsn)).toEqual([8, 6]);
      const latest = (await b.getSnapshot("latest"))!;
      expect(latest.info.lsn).toBe(8);
      expect([...latest.data]).toEqual([...data(8)]);
      expect([...(await b.getSnapshot(6))!.data]).toEqual([...data(6)]);
      expect(await b.getSnapshot(4)).toBeNull();
      expect(await b.status()).toMatchObject({ snapshots: 2, newestSnapshotLsn: 8 });
      expectError(await b.putSnapshot({ epoch: 2, lsn: 9, recordEpoch: 1, data: data(9) }), "not-promised");
      // An image of several MiB (a store checksums it a piece at a time) comes back whole, with the CRC of all of it.
      const large = Uint8Array.from({ length: 2_600_000 }, (_, i) => (i * 7 + (i >> 12)) & 0xff);
      expect(expectOk(await b.putSnapshot({ epoch: 1, lsn: 9, recordEpoch: 1, data: large })).snapshot.crc32c).toBe(crc32c(large));
      expect(bytesEqual((await b.getSnapshot(9))!.data, large)).toBe(true);
      expect((await b.listSnapshots()).map((s) => s.lsn)).toEqual([9, 8]);
      await b.close();
    });

    it("trims below a snapshot it holds, never without one", async () => {
      const b = await promised(1, { segmentBytes: 4096 });
      const payload = "y".repeat(400);
      for (let lsn = 1; lsn <= 60; lsn++) await appendOk(b, 1, [rec(lsn, 1, `${lsn} ${payload}`)]);
      expectError(await b.trim({ epoch: 1, lsn: 30 }), "no-snapshot");
      expectOk(await b.putSnapshot({ epoch: 1, lsn: 30, recordEpoch: 1, data: te.encode("state at 30") }));
      expectError(await b.trim({ epoch: 1, lsn: 31 }), "no-snapshot");
      const before = await b.status();
      const t = expectOk(await b.trim({ epoch: 1, lsn: 30 }));
      const after = await b.status();
      // Everything after the snapshot is still there; something before it is gone.
      expect(t.firstLsn).toBeGreaterThan(1);
      expect(t.firstLsn).toBeLessThanOrEqual(31);
      expect(after.firstLsn).toBe(t.firstLsn);
      expect(after.logBytes).toBeLessThan(before.logBytes);
      expect(after).toMatchObject({ lastLsn: 60, lastEpoch: 1 });
      expect((await readAll(b, t.firstLsn)).map((r) => r.lsn)).toEqual(range(t.firstLsn, 60, 1).map((r) => r.lsn));
      expect(expectError(await b.read({ fromLsn: t.firstLsn - 1, maxBytes: 100 }), "trimmed").firstLsn).toBe(t.firstLsn);
      expectError(await b.truncate({ epoch: 1, afterLsn: t.firstLsn - 2 }), "trimmed");
      await appendOk(b, 1, [rec(61, 1)]);
      await b.close();
    });

    it("trims past its end to restart from a snapshot (a store that fell behind)", async () => {
      const b = await promised(3);
      await appendOk(b, 3, range(1, 5, 1));
      expectOk(await b.putSnapshot({ epoch: 3, lsn: 100, recordEpoch: 2, data: te.encode("state at 100") }));
      expectOk(await b.putSnapshot({ epoch: 3, lsn: 50, recordEpoch: 2, data: te.encode("state at 50") }));
      expectError(await b.trim({ epoch: 3, lsn: 70 }), "no-snapshot");
      const t = expectOk(await b.trim({ epoch: 3, lsn: 100 }));
      expect(t).toMatchObject({ firstLsn: 101, tail: { lastLsn: 100, lastEpoch: 2 } });
      expect(await b.status()).toMatchObject({ firstLsn: 101, lastLsn: 100, lastEpoch: 2 });
      expectError(await b.append({ epoch: 3, frames: frames(rec(6, 3)) }), "lsn-gap");
      expectError(await b.append({ epoch: 3, frames: frames(rec(101, 1)) }), "bad-frame");
      await appendOk(b, 3, [rec(101, 3)]);
      expect((await readAll(b, 101)).map((r) => [r.lsn, r.epoch])).toEqual([[101, 3]]);
      await b.close();
    });

    it("answers many concurrent appends in order, each once", async () => {
      const b = await promised(1);
      const replies = await Promise.all(range(1, 50, 1).map((r) => b.append({ epoch: 1, frames: frames(r) })));
      expect(replies.map((r) => (r.ok ? r.lastLsn : r.error))).toEqual(range(1, 50, 1).map((r) => r.lsn));
      expect((await readAll(b)).length).toBe(50);
      await b.close();
    });
  });
}
