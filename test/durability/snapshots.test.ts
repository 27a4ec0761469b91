// Scheduled snapshots and trimming with real processes: a primary that
// snapshots every few seconds under a write load (`save 1 1`), stores with
// small segments that delete the files a snapshot every connected store
// holds covers; a store killed while the others trim past its end; the
// primary killed and restarted without it (so no memory holds the records
// the store missed); the store back and caught up by a snapshot; then the
// primary killed and restarted on a quorum that includes that store. Every
// acknowledged write is checked against the recorded history.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Cluster, Conn, WriteLoad, eventually, persistenceInfo, readStoreLog, setsIn, sleep, text, valuesOf } from "./cluster.ts";
import { CORE_WASM_PATH } from "../helpers/core-bytes.ts";
import { FaultProxy } from "../helpers/fault-proxy.ts";
import type { StoreStatus } from "../../runtime/log/protocol.ts";
import type { RespValue } from "../../runtime/resp.ts";

let cluster: Cluster | null = null;

afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

function segmentFiles(c: Cluster, i: number): string[] {
  return readdirSync(join(c.stores[i]!.dir, "log")).filter((f) => f.endsWith(".seg")).sort();
}

async function status(c: Cluster, i: number): Promise<StoreStatus> {
  const s = await c.client(i).status();
  if ("ok" in s) throw new Error(`${s.error}: ${s.message}`);
  return s;
}

/** Keys whose value in the server is not what the history allows: acknowledged writes must be there, others may be. */
async function historyMismatches(port: number, load: WriteLoad): Promise<string[]> {
  const conn = await Conn.connect(port);
  const wrong: string[] = [];
  const keys = [...load.acked.keys(), ...load.unknown.keys(), ...load.failed.keys()];
  for (const [k, got] of await valuesOf(conn, keys)) {
    const acked = load.acked.get(k);
    if (acked !== undefined && got !== acked) wrong.push(`${k}: acknowledged ${acked}, found ${got}`);
    const maybe = load.unknown.get(k) ?? load.failed.get(k);
    if (acked === undefined && got !== null && got !== maybe) wrong.push(`${k}: never written as ${got}`);
  }
  conn.close();
  return wrong;
}

describe("scheduled snapshots and trimming", () => {
  it("deletes covered segments, catches up a store that missed a trim by snapshot, and loses no acknowledged write", async () => {
    cluster = await Cluster.start(3, ["--segment-bytes", "16kb"]);
    const c = cluster;
    let primary = await c.startPrimary(["--save", "1 1", "--durability-timeout", "5000"]);
    const load = new WriteLoad(primary.port, 4);
    const conn = await Conn.connect(primary.port);

    // Snapshots are taken on the schedule, and the stores delete the segments they cover.
    expect(await eventually(async () => Number((await persistenceInfo(conn)).get("rdb_saves")) >= 2, 30_000, 200)).toBe(true);
    expect(await eventually(async () => {
      for (const i of [0, 1, 2]) if ((await status(c, i)).firstLsn === 1) return false;
      return true;
    }, 30_000, 200)).toBe(true);
    for (const i of [0, 1, 2]) {
      const s = await status(c, i);
      const files = segmentFiles(c, i);
      expect(Number(files[0]!.replace(".seg", "")) + 1, `store ${i}'s first segment`).toBe(s.firstLsn);
      expect(s.newestSnapshotLsn).toBeGreaterThanOrEqual(s.firstLsn - 1);
    }
    const info = await persistenceInfo(conn);
    expect(info.get("rdb_last_bgsave_status")).toBe("ok");
    expect(Number(info.get("rdb_last_snapshot_lsn"))).toBeGreaterThan(0);

    // Store 2 goes away; the others take more writes and snapshots, and trim past its end
    // (with a margin for the appends in flight when it was killed).
    const stoppedAt = (await status(c, 2)).lastLsn + 50;
    await c.kill9Store(2);
    const behind = await eventually(async () => {
      const s0 = await status(c, 0);
      const s1 = await status(c, 1);
      return s0.firstLsn > stoppedAt + 1 && s1.firstLsn > stoppedAt + 1;
    }, 40_000, 200);
    expect(behind).toBe(true);

    // The primary is killed during the load and restarted on stores 0 and 1; it writes and snapshots on.
    await c.kill9Primary();
    await load.stop();
    conn.close();
    expect(load.failed.size, load.errors.slice(0, 3).join("\n")).toBe(0);
    primary = await c.startPrimary(["--save", "1 1", "--durability-timeout", "5000"]);
    expect(await eventually(async () => /recovery: restored the snapshot at LSN \d+/.test(primary.output()), 5000)).toBe(true);
    const load2 = new WriteLoad(primary.port, 4, "x");
    const conn2 = await Conn.connect(primary.port);
    expect(await eventually(async () => Number((await persistenceInfo(conn2)).get("rdb_saves")) >= 1, 30_000, 200)).toBe(true);

    // Store 2 comes back: nobody holds the records after its end any more, so the
    // primary gives it a snapshot and then the log after it.
    await c.startStore(2);
    const caughtUp = await eventually(async () => /ended at LSN \d+, before the records the other stores still hold; gave it the snapshot/.test(primary.output()), 30_000, 200);
    expect(caughtUp, primary.output().split("\n").slice(-15).join("\n")).toBe(true);
    await sleep(1000);
    await load2.stop();
    expect(load2.failed.size, load2.errors.slice(0, 3).join("\n")).toBe(0);
    const lastLsn = Number((await persistenceInfo(conn2)).get("log_last_lsn"));
    expect(await eventually(async () => (await status(c, 2)).lastLsn === lastLsn, 10_000)).toBe(true);
    const s2 = await status(c, 2);
    expect(s2.firstLsn).toBeGreaterThan(stoppedAt + 1);
    expect(s2.newestSnapshotLsn).toBeGreaterThanOrEqual(s2.firstLsn - 1);
    conn2.close();

    // The primary is killed again; the next one has store 0 down, so its quorum is store 1 and the caught-up store 2.
    await c.kill9Primary();
    await c.kill9Store(0);
    primary = await c.startPrimary(["--durability-timeout", "5000"]);
    expect(await eventually(async () => /recovery: restored the snapshot at LSN \d+/.test(primary.output()), 5000)).toBe(true);
    expect(await historyMismatches(primary.port, load)).toEqual([]);
    expect(await historyMismatches(primary.port, load2)).toEqual([]);
    expect(load.acked.size).toBeGreaterThan(100);
    expect(load2.acked.size).toBeGreaterThan(100);
    // Store 2 holds the log after its snapshot: the same records as store 1 where both hold it.
    const from = Math.max((await status(c, 1)).firstLsn, (await status(c, 2)).firstLsn);
    const log1 = await readStoreLog(c.client(1), from);
    const log2 = await readStoreLog(c.client(2), from);
    expect(log2.map((r) => `${r.lsn}/${r.epoch}`)).toEqual(log1.map((r) => `${r.lsn}/${r.epoch}`));
    expect(setsIn(log2)).toEqual(setsIn(log1));
  });

  it("after an upgrade to another core build, a primary recovers from the old build's snapshot though the log before it is trimmed", async () => {
    cluster = await Cluster.start(3, ["--segment-bytes", "16kb"]);
    const c = cluster;
    let primary = await c.startPrimary(["--save", ""]);
    let conn = await Conn.connect(primary.port);
    for (let i = 0; i < 500; i++) expect(text(await conn.send("SET", `s:${i}`, `value ${i}`))).toBe("OK");
    await conn.send("RPUSH", "list", "a", "b", "c");
    await conn.send("HSET", "hash", "f", "v", "g", "w");
    await conn.send("SADD", "set", "x", "y", "z");
    await conn.send("ZADD", "zset", "1.5", "a", "-2", "b", "0.1", "c");
    await conn.send("SET", "ttl", "x", "PX", "3600000");
    await conn.send("SELECT", "3");
    await conn.send("SET", "in-db-3", "yes");
    await conn.send("SELECT", "0");
    expect(text(await conn.send("SAVE"))).toBe("OK");
    for (let i = 0; i < 50; i++) expect(text(await conn.send("SET", `after:${i}`, String(i)))).toBe("OK");
    // The stores delete the segments the snapshot covers: replaying from LSN 1 is impossible from here on.
    expect(await eventually(async () => {
      for (const i of [0, 1, 2]) if ((await status(c, i)).firstLsn === 1) return false;
      return true;
    }, 30_000, 200)).toBe(true);
    // Reads whose replies do not depend on hash-table order (a new build seeds its tables afresh, as a Redis restart does).
    const reads: string[][] = [
      ["GET", "s:0"], ["GET", "s:499"], ["LRANGE", "list", "0", "-1"], ["HMGET", "hash", "f", "g", "h"], ["SMISMEMBER", "set", "x", "y", "z", "w"],
      ["ZRANGE", "zset", "0", "-1", "WITHSCORES"], ["GET", "after:49"], ["DBSIZE"],
    ];
    const show = (v: RespValue) => JSON.stringify(v, (_k, x: unknown) =>
      typeof x === "bigint" ? String(x) : x instanceof Uint8Array ? Buffer.from(x).toString() : x);
    const before = await Promise.all(reads.map(async (r) => show(await conn.send(...r))));
    conn.close();
    await c.kill9Primary();

    // The same code with another build hash: its memory layout counts as different, so it must not read the image as memory.
    const dir = mkdtempSync(join(tmpdir(), "trireme-other-core-"));
    const otherCore = join(dir, "other.wasm");
    const wasm = readFileSync(CORE_WASM_PATH);
    wasm[wasm.length - 1]! ^= 0xff;
    writeFileSync(otherCore, wasm);
    try {
      primary = await c.startPrimary(["--core-wasm", otherCore]);
      expect(await eventually(async () => /recovery: restored the snapshot at LSN \d+ \(\d+ bytes\), taken by another core build: rebuilt/.test(primary.output()), 5000),
        primary.output()).toBe(true);
      conn = await Conn.connect(primary.port);
      expect(await Promise.all(reads.map(async (r) => show(await conn.send(...r))))).toEqual(before);
      const pttl = Number(text(await conn.send("PTTL", "ttl")));
      expect(pttl).toBeGreaterThan(3_000_000);
      expect(pttl).toBeLessThanOrEqual(3_600_000);
      await conn.send("SELECT", "3");
      expect(text(await conn.send("GET", "in-db-3"))).toBe("yes");
      conn.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a replica cut off while the stores trimmed past it loads the newest snapshot in place and follows on", async () => {
    cluster = await Cluster.start(3, ["--segment-bytes", "16kb"]);
    const c = cluster;
    const primary = await c.startPrimary(["--save", ""]);
    const conn = await Conn.connect(primary.port);
    const expected = new Map<string, string>();
    const set = async (k: string, v: string) => {
      expect(text(await conn.send("SET", k, v))).toBe("OK");
      expected.set(k, v);
    };
    for (let i = 0; i < 100; i++) await set(`a:${i}`, `v${i}`);
    const proxies = await Promise.all(c.stores.map((s) => FaultProxy.start(s.port)));
    try {
      const replica = await c.startFollower("replica", [], proxies.map((p) => p.url));
      const rconn = await Conn.connect(replica.port);
      expect(await eventually(async () => text(await rconn.send("GET", "a:99")) === "v99", 15_000)).toBe(true);
      const appliedBefore = Number((await persistenceInfo(rconn, "replication")).get("replica_applied_lsn"));

      // Cut off, it falls behind: the primary writes on and snapshots, and the stores delete the log it would need.
      for (const p of proxies) p.refuse();
      for (let i = 0; i < 600; i++) await set(`b:${i}`, `w${i}`);
      await set("a:0", "changed");
      expect(text(await conn.send("SAVE"))).toBe("OK");
      expect(await eventually(async () => {
        for (const i of [0, 1, 2]) if ((await status(c, i)).firstLsn <= appliedBefore + 1) return false;
        return true;
      }, 30_000, 200)).toBe(true);
      for (let i = 0; i < 20; i++) await set(`c:${i}`, `x${i}`);
      // It still answers reads of what it had, meanwhile.
      expect(text(await rconn.send("GET", "a:0"))).toBe("v0");

      for (const p of proxies) p.heal();
      expect(await eventually(async () => /replica: loaded the snapshot at LSN \d+; tailing the log after it/.test(replica.output()), 20_000),
        replica.output()).toBe(true);
      expect(await eventually(async () => text(await rconn.send("GET", "c:19")) === "x19", 15_000), replica.output()).toBe(true);
      const values = await valuesOf(rconn, [...expected.keys()]);
      for (const [k, v] of expected) expect(values.get(k), k).toBe(v);
      const info = await persistenceInfo(rconn, "replication");
      expect(info.get("replica_snapshot_reloads")).toBe("1");
      expect(replica.process.exitCode).toBe(null);
      // Writes are still refused: it is a replica.
      expect(text(await rconn.send("SET", "x", "1"))).toMatch(/^READONLY/);
      rconn.close();
    } finally {
      conn.close();
      for (const p of proxies) await p.close();
    }
  });
});
