// The segment-file backend beyond the shared contract: group commit counted
// in fsyncs, what survives a reopen, and recovery from torn and corrupt
// tails, torn segment headers and interrupted resets.
import { appendFileSync, closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import { decodeFrames, encodeFrames, type LogRecord } from "../../runtime/log/frame.ts";
import type { LogBackend } from "../../runtime/log/backend.ts";
import { FileLogBackend, type FileBackendOptions } from "../../server/logstore/file-backend.ts";
import { FLAG_RESET, encodeSegmentHeader, segmentName } from "../../server/logstore/files.ts";
import { coreModule } from "../helpers/core-bytes.ts";

const crc32c = await loadCrc32c(coreModule());
const root = mkdtempSync(join(tmpdir(), "trireme-filestore-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const te = new TextEncoder();
const td = new TextDecoder();

function rec(lsn: number, epoch = 1, text = `value ${lsn}`): LogRecord {
  return { lsn, epoch, payload: te.encode(text) };
}

function freshDir(): string {
  return join(root, `store-${++n}`);
}

function open(dir: string, extra: Partial<FileBackendOptions> = {}): Promise<FileLogBackend> {
  return FileLogBackend.open({ region: "test", dir, crc32c, ...extra });
}

async function appendRange(b: LogBackend, from: number, to: number, epoch = 1): Promise<void> {
  for (let lsn = from; lsn <= to; lsn++) {
    const reply = await b.append({ epoch, frames: encodeFrames([rec(lsn, epoch)], crc32c) });
    expect(reply.ok, JSON.stringify(reply)).toBe(true);
  }
}

async function readTexts(b: LogBackend, from = 1): Promise<string[]> {
  const out: string[] = [];
  let next = from;
  for (;;) {
    const r = await b.read({ fromLsn: next, maxBytes: 1 << 20 });
    if (!r.ok) throw new Error(r.message);
    if (r.records === 0) return out;
    const d = decodeFrames(r.frames, crc32c, { expectLsn: next });
    expect(d.fault).toBeUndefined();
    for (const x of d.records) out.push(td.decode(x.payload));
    next += r.records;
  }
}

const expectedTexts = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `value ${from + i}`);

function lastSegmentPath(dir: string): string {
  const names = readdirSync(join(dir, "log")).filter((f) => f.endsWith(".seg")).sort();
  return join(dir, "log", names[names.length - 1]!);
}

/** A gate the test opens by hand: each flush waits at it until released. */
function flushGate() {
  const waiting: Array<() => void> = [];
  let armed = false;
  return {
    arm() { armed = true; },
    hook: (): Promise<void> => (armed ? new Promise<void>((resolve) => waiting.push(resolve)) : Promise.resolve()),
    get held() { return waiting.length; },
    releaseOne() { waiting.shift()!(); },
    disarm() { armed = false; for (const w of waiting.splice(0)) w(); },
  };
}

const ticks = async (count = 5) => { for (let i = 0; i < count; i++) await new Promise((r) => setImmediate(r)); };

describe("group commit", () => {
  it("appends that arrive during an fsync share the next one: 100 acknowledged appends, 2 fsyncs", async () => {
    const gate = flushGate();
    const b = await open(freshDir(), { beforeFlush: gate.hook });
    expect((await b.promise({ epoch: 1, candidate: "p" })).ok).toBe(true);
    const before = { ...b.counters };
    gate.arm();

    const acked: number[] = [];
    const first = b.append({ epoch: 1, frames: encodeFrames([rec(1)], crc32c) }).then((r) => { if (r.ok) acked.push(r.lastLsn); });
    await ticks();
    expect(gate.held).toBe(1); // the first flush has started and is held before its fsync
    const rest = Array.from({ length: 99 }, (_, i) =>
      b.append({ epoch: 1, frames: encodeFrames([rec(i + 2)], crc32c) }).then((r) => { if (r.ok) acked.push(r.lastLsn); }));
    await ticks();
    expect(acked).toEqual([]); // nothing is acknowledged before its fsync

    gate.releaseOne();
    await first;
    await ticks();
    expect(acked).toEqual([1]);
    expect(gate.held).toBe(1); // the second flush holds all 99 others
    gate.releaseOne();
    await Promise.all(rest);

    expect(acked).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(b.counters.appendsAcked - before.appendsAcked).toBe(100);
    expect(b.counters.flushes - before.flushes).toBe(2);
    expect(b.counters.fileSyncs - before.fileSyncs).toBe(2);
    gate.disarm();
    await b.close();
  });

  it("a burst of 200 appends in one turn costs at most 2 fsyncs", async () => {
    const b = await open(freshDir());
    await b.promise({ epoch: 1, candidate: "p" });
    const before = { ...b.counters };
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      b.append({ epoch: 1, frames: encodeFrames([rec(i + 1)], crc32c) })));
    expect(replies.every((r) => r.ok)).toBe(true);
    expect(b.counters.appendsAcked - before.appendsAcked).toBe(200);
    expect(b.counters.fileSyncs - before.fileSyncs).toBeLessThanOrEqual(2);
    expect(b.counters.fileSyncs - before.fileSyncs).toBeGreaterThanOrEqual(1);
    // status() reports the same counts to operators.
    const io = (await b.status()).io!;
    expect(io.appends).toBe(b.counters.appendsAcked);
    expect(io.records).toBe(b.counters.recordsAcked);
    expect(io.fileSyncs).toBe(b.counters.fileSyncs);
    expect(io.flushes).toBe(b.counters.flushes);
    expect(io.records).toBeGreaterThanOrEqual(200);
    await b.close();
  });

  it("a failed fsync stops the store: the append and every later write fail, and the host is told", async () => {
    let failing = false;
    const fatal: unknown[] = [];
    const b = await open(freshDir(), {
      beforeFlush: async () => { if (failing) throw new Error("EIO: simulated"); },
      onFatal: (e) => fatal.push(e),
    });
    await b.promise({ epoch: 1, candidate: "p" });
    await appendRange(b, 1, 2);
    failing = true;
    const reply = await b.append({ epoch: 1, frames: encodeFrames([rec(3)], crc32c) });
    expect(reply.ok).toBe(false);
    expect(!reply.ok && reply.error).toBe("io-error");
    expect(fatal.length).toBe(1);
    failing = false;
    const later = await b.append({ epoch: 1, frames: encodeFrames([rec(3)], crc32c) });
    expect(!later.ok && later.error).toBe("io-error");
    expect((await b.promise({ epoch: 2, candidate: "q" })).ok).toBe(false);
    await b.close();
  });
});

describe("what survives a reopen", () => {
  it("the promise, the records, the commit-free tail and the snapshots", async () => {
    const dir = freshDir();
    const a = await open(dir);
    await a.promise({ epoch: 7, candidate: "primary-x" });
    await appendRange(a, 1, 20, 7);
    await a.putSnapshot({ epoch: 7, lsn: 10, recordEpoch: 7, data: te.encode("snapshot ten") });
    await a.close();

    const b = await open(dir);
    expect(await b.status()).toMatchObject({ promisedEpoch: 7, promisedTo: "primary-x", lastLsn: 20, lastEpoch: 7, recovery: null });
    expect((await b.append({ epoch: 6, frames: encodeFrames([rec(21, 6)], crc32c) })).ok).toBe(false);
    expect((await b.promise({ epoch: 7, candidate: "someone else" })).ok).toBe(false);
    expect(td.decode((await b.getSnapshot("latest"))!.data)).toBe("snapshot ten");
    expect((await readTexts(b)).length).toBe(20);
    await b.close();
  });

  it("many segments, read across their boundaries after a reopen", async () => {
    const dir = freshDir();
    const a = await open(dir, { segmentBytes: 4096 });
    await a.promise({ epoch: 1, candidate: "p" });
    await appendRange(a, 1, 300);
    const segments = (await a.status()).segments;
    expect(segments).toBeGreaterThan(2);
    await a.close();
    const b = await open(dir, { segmentBytes: 4096 });
    expect(await b.status()).toMatchObject({ segments, lastLsn: 300, recovery: null });
    expect(await readTexts(b)).toEqual(expectedTexts(1, 300));
    expect(await readTexts(b, 123)).toEqual(expectedTexts(123, 300));
    await appendRange(b, 301, 310);
    expect(await readTexts(b, 295)).toEqual(expectedTexts(295, 310));
    await b.close();
  });

  it("segments roll at their size bound, and a trim deletes the files a snapshot covers, oldest first", async () => {
    const dir = freshDir();
    const segmentFiles = () => readdirSync(join(dir, "log")).filter((f) => f.endsWith(".seg")).sort();
    const a = await open(dir, { segmentBytes: 4096 });
    await a.promise({ epoch: 1, candidate: "p" });
    await appendRange(a, 1, 600);
    const before = segmentFiles();
    expect(before.length).toBeGreaterThan(3);
    // Each segment but the last stops at the first append that reaches the bound: under it plus one frame.
    const frameBytes = encodeFrames([rec(600)], crc32c).length;
    for (const name of before.slice(0, -1)) expect(statSync(join(dir, "log", name)).size).toBeLessThan(4096 + frameBytes);
    expect((await a.putSnapshot({ epoch: 1, lsn: 300, recordEpoch: 1, data: te.encode("state at 300") })).ok).toBe(true);
    const t = await a.trim({ epoch: 1, lsn: 300 });
    if (!t.ok) throw new Error(t.message);
    const after = segmentFiles();
    // Whole segments whose records are all at or below 300 are gone from the disk; the one holding 301 stays.
    expect(t.segmentsRemoved).toBe(before.length - after.length);
    expect(t.segmentsRemoved).toBeGreaterThan(0);
    expect(after).toEqual(before.slice(before.length - after.length));
    expect(t.firstLsn).toBeLessThanOrEqual(301);
    expect(Number(after[0]!.replace(".seg", "")) + 1).toBe(t.firstLsn);
    await a.close();
    // A reopen starts from what the trim left.
    const b = await open(dir, { segmentBytes: 4096 });
    expect(await b.status()).toMatchObject({ firstLsn: t.firstLsn, lastLsn: 600, segments: after.length, recovery: null });
    expect(await readTexts(b, t.firstLsn)).toEqual(expectedTexts(t.firstLsn, 600));
    await b.close();
  });
});

describe("recovery cuts a torn or corrupt tail at the last valid record", () => {
  async function storeWith(records: number, segmentBytes?: number): Promise<string> {
    const dir = freshDir();
    const a = await open(dir, segmentBytes === undefined ? {} : { segmentBytes });
    await a.promise({ epoch: 1, candidate: "p" });
    await appendRange(a, 1, records);
    await a.close();
    return dir;
  }

  it("half a frame at the end (a torn write)", async () => {
    const dir = await storeWith(10);
    const path = lastSegmentPath(dir);
    const sizeBefore = statSync(path).size;
    const frame = encodeFrames([rec(11, 1, "this record was being written when the power went")], crc32c);
    appendFileSync(path, frame.subarray(0, 23));

    const b = await open(dir);
    const s = await b.status();
    expect(s.lastLsn).toBe(10);
    expect(s.recovery).toMatchObject({ validEndOffset: sizeBefore, bytesCut: 23, lastValidLsn: 10 });
    expect(s.recovery!.reason).toMatch(/^torn/);
    expect(statSync(path).size).toBe(sizeBefore);
    expect(await readTexts(b)).toEqual(expectedTexts(1, 10));
    // The log goes on from the last valid record, and the new record reads back whole.
    await appendRange(b, 11, 12);
    expect(await readTexts(b, 10)).toEqual(expectedTexts(10, 12));
    await b.close();
    const c = await open(dir);
    expect((await c.status()).recovery).toBeNull();
    await c.close();
  });

  it("garbage after the last record", async () => {
    const dir = await storeWith(5);
    const path = lastSegmentPath(dir);
    const sizeBefore = statSync(path).size;
    appendFileSync(path, Buffer.from("\x30\x00\x00\x00garbage garbage garbage garbage garbage garbage!!", "latin1"));
    const b = await open(dir);
    const s = await b.status();
    expect(s).toMatchObject({ lastLsn: 5 });
    expect(s.recovery!.validEndOffset).toBe(sizeBefore);
    expect(await readTexts(b)).toEqual(expectedTexts(1, 5));
    await b.close();
  });

  it("a last record whose bytes were damaged fails its checksum and is cut, not replayed", async () => {
    const dir = await storeWith(8);
    const path = lastSegmentPath(dir);
    const bytes = readFileSync(path);
    bytes[bytes.length - 2]! ^= 0x20; // inside the payload of record 8
    writeFileSync(path, bytes);
    const b = await open(dir);
    const s = await b.status();
    expect(s.lastLsn).toBe(7);
    expect(s.recovery).toMatchObject({ lastValidLsn: 7 });
    expect(s.recovery!.reason).toMatch(/^checksum/);
    expect(await readTexts(b)).toEqual(expectedTexts(1, 7));
    // The primary re-sends record 8; the store takes it.
    await appendRange(b, 8, 8);
    expect(await readTexts(b, 8)).toEqual(["value 8"]);
    await b.close();
  });

  it("a torn tail in the last of many segments", async () => {
    const dir = await storeWith(200, 4096);
    appendFileSync(lastSegmentPath(dir), new Uint8Array([0x55, 0x00, 0x00]));
    const b = await open(dir, { segmentBytes: 4096 });
    expect(await b.status()).toMatchObject({ lastLsn: 200 });
    expect((await b.status()).recovery).not.toBeNull();
    expect(await readTexts(b)).toEqual(expectedTexts(1, 200));
    await b.close();
  });

  it("a last segment whose header was never completely written is deleted", async () => {
    const dir = await storeWith(6);
    const torn = join(dir, "log", segmentName(6));
    writeFileSync(torn, Buffer.from("TRLOGSG1\x06\x00", "latin1"));
    const b = await open(dir);
    expect(await b.status()).toMatchObject({ lastLsn: 6, segments: 1 });
    expect(b.recoveryNotes.join("\n")).toMatch(/header was incomplete/);
    expect(readdirSync(join(dir, "log")).filter((f) => f.endsWith(".seg")).length).toBe(1);
    await appendRange(b, 7, 7);
    await b.close();
  });

  it("finishes a reset (a restart from a snapshot) that a crash interrupted", async () => {
    const dir = await storeWith(5);
    // The reset segment was created and synced; the crash came before the old segment was deleted.
    writeFileSync(join(dir, "log", segmentName(100)), encodeSegmentHeader({ base: 100, baseEpoch: 3, flags: FLAG_RESET }, crc32c));
    const b = await open(dir);
    expect(await b.status()).toMatchObject({ firstLsn: 101, lastLsn: 100, lastEpoch: 3, segments: 1 });
    expect(b.recoveryNotes.join("\n")).toMatch(/superseded by the reset segment/);
    await b.close();
  });
});

describe("space extended ahead of the appends", () => {
  it("a crash leaves zeros after the log: cut on open without a report; a torn frame among them is reported; a clean close leaves none", async () => {
    const dir = freshDir();
    const a = await open(dir);
    await a.promise({ epoch: 1, candidate: "p" });
    await appendRange(a, 1, 10);
    const path = lastSegmentPath(dir);
    const logEnd = (await a.status()).logBytes;
    // Not closed, as after a crash: the file runs past the log, in zeros.
    expect(statSync(path).size).toBeGreaterThan(logEnd);
    const b = await open(dir);
    expect(await b.status()).toMatchObject({ lastLsn: 10, recovery: null });
    expect(statSync(path).size).toBe(logEnd);
    expect(await readTexts(b)).toEqual(expectedTexts(1, 10));

    // A frame half written where the log ends, inside that space, as a power cut leaves it.
    await appendRange(b, 11, 12);
    const end = (await b.status()).logBytes;
    const frame = encodeFrames([rec(13, 1, "x".repeat(40))], crc32c);
    const torn = frame.subarray(0, frame.length - 10);
    const fd = openSync(path, "r+");
    writeSync(fd, torn, 0, torn.length, end);
    closeSync(fd);
    expect(statSync(path).size).toBeGreaterThan(end + torn.length);
    const c = await open(dir);
    const s = await c.status();
    expect(s.lastLsn).toBe(12);
    expect(s.recovery).toMatchObject({ validEndOffset: end, bytesCut: torn.length, lastValidLsn: 12 });
    expect(await readTexts(c)).toEqual(expectedTexts(1, 12));

    // Closed cleanly, the file holds exactly the log.
    await appendRange(c, 13, 20);
    const closedEnd = (await c.status()).logBytes;
    await c.close();
    expect(statSync(path).size).toBe(closedEnd);
    // a and b stand for crashed stores: never closed (a close gives back the space past its
    // own log, which would cut what c wrote since).
  });
});

describe("leases across a restart", () => {
  it("a restarted store assumes the promised primary's lease just started: it cannot know it had lapsed", async () => {
    const dir = freshDir();
    let b = await open(dir);
    expect((await b.promise({ epoch: 1, candidate: "a", leaseMs: 30_000 })).ok).toBe(true);
    await appendRange(b, 1, 2);
    await b.close();
    b = await open(dir);
    expect((await b.status()).leaseRemainingMs).toBeGreaterThan(0);
    const refused = await b.promise({ epoch: 2, candidate: "b" });
    expect(refused.ok ? "granted" : refused.error).toBe("lease-held");
    // The holder is not held back by its own lease.
    expect((await b.promise({ epoch: 2, candidate: "a", leaseMs: 30_000 })).ok).toBe(true);
    await b.close();
    // A promise without a lease (older primaries) restores none.
    const plain = freshDir();
    b = await open(plain);
    expect((await b.promise({ epoch: 1, candidate: "a" })).ok).toBe(true);
    await b.close();
    b = await open(plain);
    expect((await b.status()).leaseRemainingMs).toBe(0);
    expect((await b.promise({ epoch: 2, candidate: "b" })).ok).toBe(true);
    await b.close();
  });

  it("a lease the primary released (a clean shutdown) stays released across a restart; appends no longer renew it", async () => {
    const dir = freshDir();
    let b = await open(dir);
    expect((await b.promise({ epoch: 1, candidate: "a", leaseMs: 30_000 })).ok).toBe(true);
    await appendRange(b, 1, 2);
    expect(await b.releaseLease({ epoch: 1, candidate: "b" })).toEqual({ ok: true, released: false });
    expect((await b.status()).leaseRemainingMs).toBeGreaterThan(0);
    expect(await b.releaseLease({ epoch: 1, candidate: "a" })).toEqual({ ok: true, released: true });
    expect((await b.status()).leaseRemainingMs).toBe(0);
    await appendRange(b, 3, 3);
    expect((await b.status()).leaseRemainingMs).toBe(0);
    await b.close();
    b = await open(dir);
    expect((await b.status()).leaseRemainingMs).toBe(0);
    expect(await b.status()).toMatchObject({ promisedEpoch: 1, lastLsn: 3 });
    expect((await b.promise({ epoch: 2, candidate: "b" })).ok).toBe(true);
    await b.close();
  });
});
