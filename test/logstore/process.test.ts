// The real log-store process (`trireme logstore`) over HTTP and WebSocket on
// loopback: authentication, fencing, the tail stream, kill -9 during appends
// (every acknowledged append is there after a restart), and a torn tail cut
// and reported on restart.
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LogStoreClient, type AppendStream } from "../../runtime/log/client.ts";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { decodeFrames, encodeFrames, type LogRecord } from "../../runtime/log/frame.ts";
import { decodeEffects, encodeEffects } from "../../runtime/log/payload.ts";
import {
  LOG_WS_SUBPROTOCOL, LOG_WS_TOKEN_PROTOCOL_PREFIX, base64url, type LogError, type StoreStatus, type TailEvent,
} from "../../runtime/log/protocol.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { startLogStoreProcess, type RunningLogStoreProcess } from "../helpers/logstore-process.ts";

const crc32c = await loadCrc32c(coreModule());
const TOKEN = "s3cret-token";
const root = mkdtempSync(join(tmpdir(), "trireme-logstore-proc-"));
const running: RunningLogStoreProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.kill9();
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const te = new TextEncoder();
const td = new TextDecoder();

async function start(dir = join(root, `store-${++n}`)): Promise<{ store: RunningLogStoreProcess; client: LogStoreClient; dir: string }> {
  const store = await startLogStoreProcess({ dir, token: TOKEN, region: `region-${n}` });
  running.push(store);
  return { store, client: new LogStoreClient(store.url, TOKEN), dir };
}

/** A record whose payload is one SET effect, so the test can check what comes back. */
function setRecord(lsn: number, epoch: number, value: string): LogRecord {
  return { lsn, epoch, payload: encodeEffects([{ db: 0, args: [te.encode("SET"), te.encode(`key:${lsn}`), te.encode(value)] }]) };
}

function valueOf(record: LogRecord): string {
  const [effect] = decodeEffects(record.payload);
  expect(td.decode(effect!.args[1])).toBe(`key:${record.lsn}`);
  return td.decode(effect!.args[2]);
}

async function readAll(client: LogStoreClient, from = 1): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  let next = from;
  for (;;) {
    const r = await client.read({ fromLsn: next, maxBytes: 256 * 1024 });
    if (!r.ok) throw new Error(r.message);
    if (r.records === 0) return out;
    const decoded = decodeFrames(r.frames, crc32c, { expectLsn: next });
    expect(decoded.fault).toBeUndefined();
    out.push(...decoded.records.map((x) => ({ ...x, payload: x.payload.slice() })));
    next += r.records;
  }
}

function lastSegment(dir: string): string {
  const names = readdirSync(join(dir, "log")).filter((f) => f.endsWith(".seg")).sort();
  return join(dir, "log", names[names.length - 1]!);
}

describe("authentication", () => {
  it("refuses requests and WebSocket upgrades without the right bearer token, and they change nothing", async () => {
    const { store, client } = await start();
    const none = await fetch(`${store.url}/v1/status`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await fetch(`${store.url}/v1/status`, { headers: { authorization: "Bearer not-the-token" } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as LogError).error).toBe("unauthorized");

    const promise = await fetch(`${store.url}/v1/promise`, {
      method: "POST", headers: { authorization: "Bearer nope", "content-type": "application/json" },
      body: JSON.stringify({ epoch: 9, candidate: "intruder" }),
    });
    expect(promise.status).toBe(401);
    const status = (await client.status()) as StoreStatus;
    expect(status.promisedEpoch).toBe(0);

    for (const path of ["/v1/append", "/v1/tail?from=1"]) {
      const ws = new WebSocket(`${store.url.replace("http", "ws")}${path}`, [
        LOG_WS_SUBPROTOCOL, LOG_WS_TOKEN_PROTOCOL_PREFIX + base64url(te.encode("wrong")),
      ]);
      const outcome = await new Promise<string>((resolve) => {
        ws.addEventListener("open", () => resolve("open"));
        ws.addEventListener("error", () => resolve("refused"));
      });
      expect(outcome, path).toBe("refused");
    }
    // The right token in the subprotocol opens the stream.
    const stream = await client.openAppendStream();
    expect(stream.open).toBe(true);
    stream.close();
  });
});

describe("leases over the wire", () => {
  it("appends and heartbeats sent with renew: false, on the stream and over HTTP, leave the lease to run out", async () => {
    const { client } = await start();
    expect(await client.promise({ epoch: 1, candidate: "A", leaseMs: 400 })).toMatchObject({ ok: true });
    const stream = await client.openAppendStream();
    const until = Date.now() + 700;
    let lsn = 1;
    while (Date.now() < until) {
      expect(await stream.append({ epoch: 1, frames: encodeFrames([setRecord(lsn, 1, `v${lsn}`)], crc32c), renew: false })).toMatchObject({ ok: true, lastLsn: lsn });
      lsn++;
      expect(await client.append({ epoch: 1, frames: encodeFrames([setRecord(lsn, 1, `v${lsn}`)], crc32c), renew: false })).toMatchObject({ ok: true, lastLsn: lsn });
      lsn++;
      expect(await stream.append({ epoch: 1, frames: new Uint8Array(0), renew: false })).toMatchObject({ ok: true });
      await new Promise((r) => setTimeout(r, 25));
    }
    const status = await client.status();
    expect(status).toMatchObject({ lastLsn: lsn - 1, leaseRemainingMs: 0 });
    // Renewing appends keep it, as before.
    expect(await stream.append({ epoch: 1, frames: new Uint8Array(0) })).toMatchObject({ ok: true });
    const renewed = await client.status();
    expect("leaseRemainingMs" in renewed && renewed.leaseRemainingMs).toBeGreaterThan(0);
    stream.close();
  });
});

describe("fencing over the wire", () => {
  it("after a newer promise the old primary's appends are refused; the new primary truncates and overwrites", async () => {
    const { client } = await start();
    const a = new LogStoreClient(client.url, TOKEN);
    const b = new LogStoreClient(client.url, TOKEN);
    expect(await a.promise({ epoch: 1, candidate: "A" })).toMatchObject({ ok: true, promisedEpoch: 1 });
    const streamA = await a.openAppendStream();
    for (let lsn = 1; lsn <= 5; lsn++) {
      expect(await streamA.append({ epoch: 1, frames: encodeFrames([setRecord(lsn, 1, `A${lsn}`)], crc32c) })).toMatchObject({ ok: true, lastLsn: lsn });
    }
    const tailEvents: TailEvent[] = [];
    const tailValues: string[] = [];
    const tail = a.tail(1, {
      onFrames: (f) => { for (const r of decodeFrames(f, crc32c).records) tailValues.push(`${r.lsn}=${valueOf(r)}`); },
      onEvent: (e) => { tailEvents.push(e); if (e.type === "truncated") tailValues.push(`truncated after ${e.afterLsn}`); },
    });

    const promised = await b.promise({ epoch: 2, candidate: "B" });
    expect(promised).toMatchObject({ ok: true, promisedEpoch: 2, tail: { lastLsn: 5, lastEpoch: 1 } });
    const refused = await streamA.append({ epoch: 1, frames: encodeFrames([setRecord(6, 1, "A6")], crc32c) });
    expect(refused).toMatchObject({ ok: false, error: "stale-epoch", promisedEpoch: 2 });
    expect(await a.promise({ epoch: 2, candidate: "A" })).toMatchObject({ ok: false, error: "epoch-not-newer" });

    await expect.poll(() => tailValues.length).toBe(5);
    expect(await b.truncate({ epoch: 2, afterLsn: 3 })).toMatchObject({ ok: true, removed: 2, tail: { lastLsn: 3, lastEpoch: 1 } });
    expect(await b.append({ epoch: 2, frames: encodeFrames([setRecord(4, 2, "B4")], crc32c) })).toMatchObject({ ok: true, lastLsn: 4 });
    // The same truncation arriving late names the tail it was decided on: refused, nothing removed.
    expect(await b.truncate({ epoch: 2, afterLsn: 3, ifTail: { lastLsn: 5, lastEpoch: 1 } }))
      .toMatchObject({ ok: false, error: "lsn-gap", tail: { lastLsn: 4, lastEpoch: 2 } });
    expect((await readAll(b)).map((r) => `${r.lsn}=${valueOf(r)}@${r.epoch}`)).toEqual(["1=A1@1", "2=A2@1", "3=A3@1", "4=B4@2"]);

    // The tail saw the old records, the truncation, then the new record, in that order.
    await expect.poll(() => tailValues.length).toBe(7);
    expect(tailValues).toEqual(["1=A1", "2=A2", "3=A3", "4=A4", "5=A5", "truncated after 3", "4=B4"]);
    tail.close();
    streamA.close();
  });
});

describe("the tail stream", () => {
  it("sends what the store holds from an LSN, then each record once durable, then the commit point", async () => {
    const { client } = await start();
    await client.promise({ epoch: 1, candidate: "p" });
    const stream = await client.openAppendStream();
    for (let lsn = 1; lsn <= 3; lsn++) await stream.append({ epoch: 1, frames: encodeFrames([setRecord(lsn, 1, `v${lsn}`)], crc32c) });
    const seen: string[] = [];
    let opened = false;
    const tail = client.tail(2, {
      onOpen: () => { opened = true; },
      onFrames: (f) => { for (const r of decodeFrames(f, crc32c).records) seen.push(`${r.lsn}=${valueOf(r)}`); },
      onEvent: (e) => seen.push(JSON.stringify(e)),
    });
    await expect.poll(() => opened).toBe(true);
    await expect.poll(() => seen.length).toBe(2);
    await stream.append({ epoch: 1, frames: encodeFrames([setRecord(4, 1, "v4"), setRecord(5, 1, "v5")], crc32c), commitLsn: 4 });
    await expect.poll(() => seen.length).toBe(5);
    expect(seen).toEqual(["2=v2", "3=v3", "4=v4", "5=v5", JSON.stringify({ type: "commit", lsn: 4 })]);
    tail.close();
    stream.close();
  });

  it("a tail opened after the primary went idle still gets the commit point the store heard", async () => {
    const { client } = await start();
    await client.promise({ epoch: 1, candidate: "p" });
    const stream = await client.openAppendStream();
    for (let lsn = 1; lsn <= 3; lsn++) await stream.append({ epoch: 1, frames: encodeFrames([setRecord(lsn, 1, `v${lsn}`)], crc32c), commitLsn: lsn - 1 });
    expect(await stream.append({ epoch: 1, frames: new Uint8Array(0), commitLsn: 3 })).toMatchObject({ ok: true });
    // Nothing more is written: the new tail must not wait for the next commit to hear this one.
    const seen: string[] = [];
    const tail = client.tail(1, {
      onFrames: (f) => { for (const r of decodeFrames(f, crc32c).records) seen.push(`${r.lsn}=${valueOf(r)}`); },
      onEvent: (e) => seen.push(JSON.stringify(e)),
    });
    await expect.poll(() => seen.length).toBe(4);
    expect(seen).toEqual(["1=v1", "2=v2", "3=v3", JSON.stringify({ type: "commit", lsn: 3 })]);
    tail.close();
    stream.close();
  });

  it("a tail from below the first record held ends with 'trimmed'", async () => {
    const { client } = await start();
    await client.promise({ epoch: 1, candidate: "p" });
    await client.append({ epoch: 1, frames: encodeFrames([setRecord(1, 1, "x")], crc32c) });
    await client.putSnapshot({ epoch: 1, lsn: 10, recordEpoch: 1, data: te.encode("state") });
    expect(await client.trim({ epoch: 1, lsn: 10 })).toMatchObject({ ok: true, firstLsn: 11 });
    const events: TailEvent[] = [];
    let closed = false;
    client.tail(1, { onFrames: () => {}, onEvent: (e) => events.push(e), onClose: () => { closed = true; } });
    await expect.poll(() => closed).toBe(true);
    expect(events).toEqual([expect.objectContaining({ type: "error", error: "trimmed", firstLsn: 11 })]);
    expect(await client.listSnapshots()).toEqual([{ lsn: 10, epoch: 1, bytes: 5, crc32c: crc32c(te.encode("state")) }]);
    const snapshot = await client.getSnapshot("latest");
    expect(snapshot).not.toBeNull();
    expect(td.decode((snapshot as { data: Uint8Array }).data)).toBe("state");
  });

  it("a snapshot image in shared memory goes over HTTP as its bytes (fetch would send such a view as text)", async () => {
    const { client } = await start();
    await client.promise({ epoch: 1, candidate: "p" });
    await client.append({ epoch: 1, frames: encodeFrames([setRecord(1, 1, "x")], crc32c) });
    const image = new Uint8Array(new SharedArrayBuffer(3000));
    for (let i = 0; i < image.length; i++) image[i] = (i * 13) & 0xff;
    expect(await client.putSnapshot({ epoch: 1, lsn: 1, recordEpoch: 1, data: image })).toMatchObject({ ok: true, snapshot: { bytes: 3000, crc32c: crc32c(image) } });
    const stored = await client.getSnapshot(1);
    expect([...(stored as { data: Uint8Array }).data]).toEqual([...image]);
  });
});

describe("crashes", () => {
  it("kill -9 during pipelined appends: after a restart every acknowledged append is there, unchanged", async () => {
    const { store, client, dir } = await start();
    await client.promise({ epoch: 1, candidate: "p" });
    const stream: AppendStream = await client.openAppendStream();
    const sent = new Map<number, string>();
    const acked = new Set<number>();
    let nextLsn = 1;
    let inFlight = 0;
    let stopped = false;
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);

    const pump = () => {
      while (!stopped && inFlight < 32) {
        const count = 1 + Math.floor(random() * 8);
        const records: LogRecord[] = [];
        for (let i = 0; i < count; i++) {
          const lsn = nextLsn++;
          const value = `value-${lsn}-${"z".repeat(Math.floor(random() * 200))}`;
          sent.set(lsn, value);
          records.push(setRecord(lsn, 1, value));
        }
        inFlight++;
        void stream.append({ epoch: 1, frames: encodeFrames(records, crc32c) }).then((reply) => {
          inFlight--;
          if (reply.ok) {
            for (const r of records) acked.add(r.lsn);
            pump();
          }
        });
      }
    };
    pump();
    await expect.poll(() => acked.size, { timeout: 20_000, interval: 20 }).toBeGreaterThan(2000);
    stopped = true; // no new appends; those in flight stay in flight
    expect(inFlight).toBeGreaterThan(0); // the kill lands in the middle of the stream
    await store.kill9();
    // Every append still in flight is answered: an ack the store sent before it died, or a closed stream.
    await expect.poll(() => inFlight).toBe(0);
    const ackedAtKill = new Set(acked);

    const restarted = await start(dir);
    const records = await readAll(restarted.client);
    const present = new Map(records.map((r) => [r.lsn, valueOf(r)]));
    const maxAcked = Math.max(...ackedAtKill);
    expect(records.length).toBeGreaterThanOrEqual(maxAcked);
    for (const lsn of ackedAtKill) expect(present.get(lsn), `acknowledged record ${lsn}`).toBe(sent.get(lsn));
    // Records past the last acknowledgement may be there (written, not yet acknowledged), but only as sent.
    for (const [lsn, value] of present) expect(value, `record ${lsn}`).toBe(sent.get(lsn));
    // The log continues under a new primary from exactly where it ends.
    const status = (await restarted.client.status()) as StoreStatus;
    expect(status.lastLsn).toBe(records.length);
    expect(await restarted.client.promise({ epoch: 2, candidate: "q" })).toMatchObject({ ok: true, tail: { lastLsn: records.length } });
    expect(await restarted.client.append({ epoch: 2, frames: encodeFrames([setRecord(records.length + 1, 2, "after")], crc32c) }))
      .toMatchObject({ ok: true });
    await restarted.store.stop();
  });

  it("a torn tail left by a crash is detected by checksum, cut, reported, and never served", async () => {
    const { store, client, dir } = await start();
    await client.promise({ epoch: 1, candidate: "p" });
    for (let lsn = 1; lsn <= 20; lsn += 4) {
      const batch = [0, 1, 2, 3].map((i) => setRecord(lsn + i, 1, `v${lsn + i}`));
      expect(await client.append({ epoch: 1, frames: encodeFrames(batch, crc32c) })).toMatchObject({ ok: true });
    }
    await store.kill9();
    // What a power cut can leave: half of the next frame, then garbage.
    const next = encodeFrames([setRecord(21, 1, "half-written record that must never be replayed")], crc32c);
    appendFileSync(lastSegment(dir), next.subarray(0, Math.floor(next.length / 2)));
    appendFileSync(lastSegment(dir), Buffer.from("\xff\xfe garbage", "latin1"));

    const restarted = await start(dir);
    expect(restarted.store.output()).toMatch(/recovery: cut \d+ bytes of torn or corrupt tail .* \(last valid record 20;/);
    const status = (await restarted.client.status()) as StoreStatus;
    expect(status.lastLsn).toBe(20);
    expect(status.recovery).toMatchObject({ lastValidLsn: 20 });
    const values = (await readAll(restarted.client)).map(valueOf);
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `v${i + 1}`));
    // The promise survived the crash: epoch 1 is still the writer, and record 21 can be written again.
    expect(status.promisedEpoch).toBe(1);
    expect(await restarted.client.append({ epoch: 1, frames: encodeFrames([setRecord(21, 1, "v21")], crc32c) }))
      .toMatchObject({ ok: true, lastLsn: 21 });
    expect((await readAll(restarted.client, 21)).map(valueOf)).toEqual(["v21"]);
    await restarted.store.stop();
  });
});
