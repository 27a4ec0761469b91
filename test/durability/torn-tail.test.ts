// A store's last segment damaged on disk while the store is down (killed with
// kill -9 during a write load), seen end to end through the primary: on
// restart the store finds the damage by checksum, cuts the log at the last
// valid record and reports it (a log line and status().recovery); the
// primary finds the store's shorter tail, re-sends what it lacks, and no
// acknowledged write is lost. test/logstore/ tests the store alone.
import { readFileSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  Cluster, Conn, WriteLoad, eventually, persistenceInfo, readStoreLog, setsIn, sleep, valuesOf,
} from "./cluster.ts";

const SEGMENT_HEADER_BYTES = 32;
const FRAME_PREFIX_BYTES = 8;
const FRAME_HEADER_BYTES = 20;

let cluster: Cluster | null = null;

afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

function lastSegment(storeDir: string): string {
  const names = readdirSync(join(storeDir, "log")).filter((f) => f.endsWith(".seg")).sort();
  return join(storeDir, "log", names[names.length - 1]!);
}

interface FramePlace { offset: number; bytes: number; lsn: number }

/**
 * Where each frame of a segment file sits, read with nothing but the frame
 * lengths, up to the zeros a store's last segment is extended by ahead of its
 * appends (a length of 0).
 */
function framesOf(path: string): FramePlace[] {
  const data = readFileSync(path);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: FramePlace[] = [];
  for (let at = SEGMENT_HEADER_BYTES; at + FRAME_HEADER_BYTES <= data.length;) {
    const length = view.getUint32(at, true);
    if (length === 0) break;
    const bytes = FRAME_PREFIX_BYTES + length;
    if (at + bytes > data.length) break;
    out.push({ offset: at, bytes, lsn: Number(view.getBigUint64(at + 8, true)) });
    at += bytes;
  }
  return out;
}

type Damage = (path: string, frames: FramePlace[]) => { firstDamagedLsn: number; reason: RegExp };

const damages: Array<[string, Damage]> = [
  ["its last frame cut in half", (path, frames) => {
    const last = frames[frames.length - 1]!;
    truncateSync(path, last.offset + Math.floor(last.bytes / 2));
    return { firstDamagedLsn: last.lsn, reason: /^torn: / };
  }],
  ["bytes flipped in its last frame", (path, frames) => {
    const last = frames[frames.length - 1]!;
    const data = readFileSync(path);
    for (let i = last.offset + FRAME_HEADER_BYTES; i < last.offset + last.bytes; i += 3) data[i] = data[i]! ^ 0x5a;
    writeFileSync(path, data);
    return { firstDamagedLsn: last.lsn, reason: /^checksum: / };
  }],
  ["bytes flipped in a frame 25 records before its end (the acknowledged records after it are cut too)", (path, frames) => {
    const victim = frames[frames.length - 25]!;
    const data = readFileSync(path);
    data[victim.offset + FRAME_HEADER_BYTES] = data[victim.offset + FRAME_HEADER_BYTES]! ^ 0xff;
    writeFileSync(path, data);
    return { firstDamagedLsn: victim.lsn, reason: /^checksum: / };
  }],
];

describe("a torn or corrupt segment tail, through the primary", () => {
  it.each(damages)("a store restarted with %s is cut, reports it, and is refilled by the primary", async (_name, damage) => {
    cluster = await Cluster.start(3);
    const primary = await cluster.startPrimary(["--durability-timeout", "5000"]);
    const load = new WriteLoad(primary.port, 4);
    // Enough records for the last segment to hold well over 25 frames.
    expect(await eventually(async () => load.acked.size >= 300, 30_000)).toBe(true);
    await cluster.kill9Store(0);
    const path = lastSegment(cluster.stores[0]!.dir);
    const frames = framesOf(path);
    expect(frames.length).toBeGreaterThan(25);
    const lastLsnOnDisk = frames[frames.length - 1]!.lsn;
    const { firstDamagedLsn, reason } = damage(path, frames);
    const ackedWhileDown = load.acked.size;
    await sleep(300);
    await cluster.startStore(0);

    // The store found the damage by checksum, cut it, and says so.
    const lastValid = firstDamagedLsn - 1;
    const status = await cluster.client(0).status();
    expect("recovery" in status && status.recovery).toMatchObject({ lastValidLsn: lastValid });
    expect("recovery" in status && status.recovery!.reason).toMatch(reason);
    expect(cluster.stores[0]!.proc!.output()).toMatch(
      new RegExp(`recovery: cut \\d+ bytes of torn or corrupt tail from \\S+ at offset \\d+ \\(last valid record ${lastValid}; `));
    // The primary found the shorter tail and streams to the store from there.
    expect(await eventually(async () => new RegExp(`store \\S+ connected at LSN ${lastValid} `).test(primary.output()), 15_000)).toBe(true);
    // Writes went on meanwhile, then the load stops.
    expect(await eventually(async () => load.acked.size > ackedWhileDown + 100, 30_000)).toBe(true);
    await load.stop();
    expect(load.failed.size, load.errors.slice(0, 3).join("\n")).toBe(0);

    // The store caught up: it holds the log the others hold, the cut records included.
    const conn = await Conn.connect(primary.port);
    const logEnd = Number((await persistenceInfo(conn)).get("log_last_lsn"));
    expect(logEnd).toBeGreaterThan(lastLsnOnDisk);
    expect(await eventually(async () => {
      const s = await cluster!.client(0).status();
      return "lastLsn" in s && s.lastLsn === logEnd;
    }, 15_000)).toBe(true);
    const logs = await Promise.all([0, 1, 2].map((i) => readStoreLog(cluster!.client(i))));
    const lsnEpochs = (records: typeof logs[0]) => records.map((r) => `${r.lsn}/${r.epoch}`);
    expect(lsnEpochs(logs[0]!)).toEqual(lsnEpochs(logs[1]!));
    expect(lsnEpochs(logs[0]!)).toEqual(lsnEpochs(logs[2]!));
    // Every acknowledged write is in the repaired store's log and in the server.
    const repaired = setsIn(logs[0]!);
    for (const [k, v] of load.acked) expect(repaired.get(k), k).toBe(v);
    const values = await valuesOf(conn, [...load.acked.keys()]);
    for (const [k, v] of load.acked) expect(values.get(k), k).toBe(v);
    // And no write that nobody made: every SET in the log is one the load sent.
    for (const [k, v] of repaired) {
      if (k.startsWith("w")) expect(load.acked.get(k) ?? load.unknown.get(k), k).toBe(v);
    }
    conn.close();
  });
});
