// A log store in a worker thread (server/logstore/thread.ts), the way a
// primary runs its local stores: the protocol over a MessagePort answers as
// the store's own HTTP port does, pipelined appends come back in order and
// durable, fencing holds, a snapshot survives the trip, and a thread that
// dies is started again on the same port with every acknowledged record.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LogStoreClient } from "../../runtime/log/client.ts";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { decodeFrames, encodeFrames, type LogRecord } from "../../runtime/log/frame.ts";
import type { AppendReply, LogError, StoreStatus } from "../../runtime/log/protocol.ts";
import type { StoreApi } from "../../runtime/log/replicator.ts";
import { AppendRing, startStoreThread, type StoreThread } from "../../server/logstore/thread.ts";
import { coreModule } from "../helpers/core-bytes.ts";

const crc32c = await loadCrc32c(coreModule());
const TOKEN = "thread-token";
const root = mkdtempSync(join(tmpdir(), "trireme-store-thread-"));
const threads: StoreThread[] = [];
afterAll(async () => {
  for (const t of threads) await t.close();
  rmSync(root, { recursive: true, force: true });
});
const te = new TextEncoder();
const td = new TextDecoder();
let n = 0;

async function start(dir = join(root, `store-${++n}`)): Promise<{ thread: StoreThread; dir: string; lines: string[] }> {
  const lines: string[] = [];
  const thread = await startStoreThread({ region: `thread-${n}`, dir, port: 0, host: "127.0.0.1", token: TOKEN }, (l) => lines.push(l));
  threads.push(thread);
  return { thread, dir, lines };
}

function record(lsn: number, epoch: number): LogRecord {
  return { lsn, epoch, payload: te.encode(`record ${lsn} of epoch ${epoch}`) };
}

async function readAll(api: Pick<StoreApi, "read">): Promise<string[]> {
  const out: string[] = [];
  let next = 1;
  for (;;) {
    const r = await api.read({ fromLsn: next, maxBytes: 64 * 1024 });
    if (!r.ok) throw new Error(r.message);
    if (r.records === 0) return out;
    const decoded = decodeFrames(r.frames, crc32c, { expectLsn: next });
    expect(decoded.fault).toBeUndefined();
    out.push(...decoded.records.map((x) => td.decode(x.payload)));
    next += r.records;
  }
}

async function eventually<T>(f: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the append ring", () => {
  it("never places an append over one not answered yet, whatever the sizes and however many are in flight", () => {
    const ring = new AppendRing();
    const size = ring.bytes.length;
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const inFlight: Array<{ id: number; at: number; length: number }> = [];
    let placed = 0;
    let fallback = 0;
    // Never fully drained (one to eight in flight), as under a steady load.
    for (let id = 1; id <= 50_000; id++) {
      // Mostly up to a quarter of the ring, so that it is often nearly full; now and then up to all of it.
      const length = 24 + (random(10) === 0 ? random(size) : random(size / 4));
      const at = ring.place(id, length);
      if (at >= 0) {
        placed++;
        expect(at + length).toBeLessThanOrEqual(size);
        for (const other of inFlight) {
          if (other.at >= 0 && at < other.at + other.length && other.at < at + length) expect.fail(`append ${id} overlaps ${other.id}`);
        }
      } else {
        fallback++;
      }
      inFlight.push({ id, at, length });
      while (inFlight.length > 1 + random(8)) ring.release(inFlight.shift()!.id);
    }
    expect(ring.place(50_001, size + 1)).toBe(-1);
    // Most go through the ring; the large ones and those that find it full go as buffers.
    expect(placed).toBeGreaterThan(25_000);
    expect(fallback).toBeGreaterThan(0);
  });
});

describe("a log store in a worker thread", () => {
  it("answers the protocol over its port as its HTTP port does, appends pipelined and in order", async () => {
    const { thread, lines } = await start();
    expect(lines.some((l) => l.includes(`log store thread-${n} ready on ${thread.url}`))).toBe(true);
    const { api } = thread;
    const promised = await api.promise({ epoch: 2, candidate: "test" });
    expect(promised.ok).toBe(true);
    const stream = await api.openAppendStream();
    // 50 appends of 2 records each, all in flight at once: each reply is its own, in order.
    const replies: Array<Promise<AppendReply>> = [];
    for (let i = 0; i < 50; i++) {
      replies.push(stream.append({ epoch: 2, frames: encodeFrames([record(2 * i + 1, 2), record(2 * i + 2, 2)], crc32c), commitLsn: 2 * i }));
    }
    const settled = await Promise.all(replies);
    settled.forEach((r, i) => expect(r).toEqual({ ok: true, lastLsn: 2 * i + 2, records: 2 }));

    const expected = Array.from({ length: 100 }, (_, i) => `record ${i + 1} of epoch 2`);
    expect(await readAll(api)).toEqual(expected);
    // The same store over HTTP, as a replica or an operator sees it.
    const http = new LogStoreClient(thread.url, TOKEN);
    expect(await readAll(http)).toEqual(expected);
    const status = await api.status() as StoreStatus;
    expect(status).toMatchObject({ region: `thread-${n}`, promisedEpoch: 2, lastLsn: 100, lastEpoch: 2, commitLsn: 98 });
    expect(status.io?.records).toBe(100);
    expect(await http.status()).toMatchObject({ promisedEpoch: 2, lastLsn: 100 });

    // Fencing: a newer epoch promised over HTTP refuses the old primary's next append on the port.
    expect((await http.promise({ epoch: 3, candidate: "successor" })).ok).toBe(true);
    const stale = await stream.append({ epoch: 2, frames: encodeFrames([record(101, 2)], crc32c) });
    expect((stale as LogError).error).toBe("stale-epoch");
    expect(await readAll(api)).toHaveLength(100);

    // A snapshot goes over the port and comes back whole.
    const image = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) & 0xff);
    const put = await api.putSnapshot({ epoch: 3, lsn: 100, recordEpoch: 2, data: image });
    expect(put.ok).toBe(true);
    const got = await api.getSnapshot("latest");
    expect(got !== null && !("ok" in got)).toBe(true);
    // (Buffer.equals: a deep toEqual of 3 MB takes seconds.)
    expect(Buffer.from((got as { data: Uint8Array }).data).equals(image)).toBe(true);
    expect(await api.listSnapshots()).toEqual([expect.objectContaining({ lsn: 100, epoch: 2, bytes: image.length })]);
    stream.close();
  });

  it("appends that go round the shared ring many times, and ones too large for it, arrive whole and in order", async () => {
    const { thread } = await start();
    const { api } = thread;
    expect((await api.promise({ epoch: 1, candidate: "test" })).ok).toBe(true);
    const stream = await api.openAppendStream();
    // Sizes from a few bytes to 60 KB, 8 in flight at a time: about 9 MB in all through a 1 MB ring;
    // two records of 1.5 MB, larger than the ring, go as buffers of their own among them.
    const text = (lsn: number): string => `record ${lsn} ` + String.fromCharCode(97 + (lsn % 26)).repeat(lsn === 100 || lsn === 101 ? 1_500_000 : (lsn * 7919) % 60_000);
    const expected: string[] = [];
    let lsn = 0;
    while (lsn < 300) {
      const wave: Array<Promise<AppendReply>> = [];
      for (let k = 0; k < 8 && lsn < 300; k++) {
        lsn++;
        expected.push(text(lsn));
        wave.push(stream.append({ epoch: 1, frames: encodeFrames([{ lsn, epoch: 1, payload: te.encode(text(lsn)) }], crc32c) }));
      }
      const first = lsn - wave.length + 1;
      expect(await Promise.all(wave)).toEqual(wave.map((_, i) => ({ ok: true, lastLsn: first + i, records: 1 })));
    }
    const stored = await readAll(api);
    expect(stored.length).toBe(300);
    for (let i = 0; i < 300; i++) if (stored[i] !== expected[i]) expect.fail(`record ${i + 1} differs`);
    stream.close();
  });

  it("a thread that dies fails what was in flight, is started again on the same port, and keeps every acknowledged record", async () => {
    const { thread } = await start();
    const { api } = thread;
    expect((await api.promise({ epoch: 1, candidate: "test" })).ok).toBe(true);
    const stream = await api.openAppendStream();
    let closed = false;
    stream.onClose = () => { closed = true; };
    const acked: number[] = [];
    for (let lsn = 1; lsn <= 20; lsn++) {
      const reply = await stream.append({ epoch: 1, frames: encodeFrames([record(lsn, 1)], crc32c) });
      if (reply.ok) acked.push(lsn);
    }
    expect(acked).toHaveLength(20);

    await thread.terminate();
    expect(await eventually(async () => (closed ? true : undefined), 5000)).toBe(true);
    expect((await stream.append({ epoch: 1, frames: encodeFrames([record(21, 1)], crc32c) })).ok).toBe(false);
    await expect(api.status()).rejects.toThrow(/not running/);

    // Started again after a second, on the same port: the HTTP address stays valid.
    const status = await eventually(async () => await api.status() as StoreStatus, 10_000);
    expect(status).toMatchObject({ promisedEpoch: 1, lastLsn: 20 });
    expect(await readAll(api)).toEqual(acked.map((lsn) => `record ${lsn} of epoch 1`));
    expect(await readAll(new LogStoreClient(thread.url, TOKEN))).toHaveLength(20);
    const again = await api.openAppendStream();
    expect(await again.append({ epoch: 1, frames: encodeFrames([record(21, 1)], crc32c) })).toEqual({ ok: true, lastLsn: 21, records: 1 });
    again.close();
  });

  it("refuses a data folder another store of the process holds, and frees it on close", async () => {
    const { thread, dir } = await start();
    await expect(startStoreThread({ region: "second", dir, port: 0, host: "127.0.0.1", token: TOKEN }, () => {}))
      .rejects.toThrow(/in use by another log store of this process/);
    await thread.close();
    const next = await startStoreThread({ region: "second", dir, port: 0, host: "127.0.0.1", token: TOKEN }, () => {});
    threads.push(next);
    expect(await next.api.status()).toMatchObject({ region: "second" });
  });
});
