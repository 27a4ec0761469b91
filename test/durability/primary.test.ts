// The primary killed with kill -9 during a write load and started again on
// the same log: every acknowledged write is there, and writes whose outcome
// the client never learned are told apart (they may or may not be there, but
// a transaction is there whole or not at all, and a counter is at its last
// acknowledged value or one more). Also: recovery from a snapshot stored by
// SAVE plus the log after it, and the newcomer's default (three local log
// stores under --dir, started by the server itself) surviving kill -9.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Cluster, Conn, ConnectionLost, WriteLoad, eventually, persistenceInfo, readStoreLog, setsIn, sleep, text } from "./cluster.ts";
import { startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";

let cluster: Cluster | null = null;
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await cluster?.close();
  cluster = null;
  for (const f of cleanups.splice(0)) await f();
});

type Outcome = "acked" | "failed" | "unknown";

/** Counters: each connection increments its own, recording every outcome. */
async function counterLoad(port: number, name: string, running: () => boolean): Promise<{ acked: number; outcomes: Outcome[] }> {
  const conn = await Conn.connect(port);
  const outcomes: Outcome[] = [];
  let acked = 0;
  while (running()) {
    try {
      const reply = await conn.send("INCR", name);
      if (reply.type === "integer") {
        acked = Number(reply.value);
        outcomes.push("acked");
        expect(acked).toBe(outcomes.length); // sequential: the n-th INCR answers n
      } else outcomes.push("failed");
    } catch (error) {
      if (!(error instanceof ConnectionLost)) throw error;
      outcomes.push("unknown");
      break;
    }
  }
  conn.close();
  return { acked, outcomes };
}

/** Transactions: MULTI; SET tx:i:a i; SET tx:i:b i; EXEC. */
async function transactionLoad(port: number, running: () => boolean): Promise<Map<number, Outcome>> {
  const conn = await Conn.connect(port);
  const outcomes = new Map<number, Outcome>();
  for (let i = 0; running(); i++) {
    try {
      await conn.send("MULTI");
      await conn.send("SET", `tx:${i}:a`, String(i));
      await conn.send("SET", `tx:${i}:b`, String(i));
      const exec = await conn.send("EXEC");
      outcomes.set(i, exec.type === "array" ? "acked" : "failed");
    } catch (error) {
      if (!(error instanceof ConnectionLost)) throw error;
      outcomes.set(i, "unknown");
      break;
    }
  }
  conn.close();
  return outcomes;
}

async function get(conn: Conn, key: string): Promise<string | null> {
  return text(await conn.send("GET", key));
}

describe("the primary killed and restarted", () => {
  it("recovers every acknowledged write after kill -9 during a write load", async () => {
    cluster = await Cluster.start(3);
    let primary = await cluster.startPrimary();
    let running = true;
    const sets = new WriteLoad(primary.port, 3);
    const counters = [0, 1].map((c) => counterLoad(primary.port, `ctr:${c}`, () => running));
    const txs = transactionLoad(primary.port, () => running);
    await sleep(1500);
    await cluster.kill9Primary();
    running = false;
    await sets.stop();
    const counted = await Promise.all(counters);
    const transactions = await txs;
    expect(sets.acked.size).toBeGreaterThan(100);
    expect(sets.failed.size).toBe(0);

    primary = await cluster.startPrimary();
    const conn = await Conn.connect(primary.port);
    // Every acknowledged SET is there with its value.
    for (const [key, value] of sets.acked) expect(await get(conn, key), key).toBe(value);
    // A SET whose reply never came may or may not be there; if it is, it is whole.
    for (const [key, value] of sets.unknown) expect([null, value]).toContain(await get(conn, key));
    // Each counter is at its last acknowledged value, or one more if the last INCR's outcome is unknown.
    for (const [c, { acked, outcomes }] of counted.entries()) {
      expect(acked).toBeGreaterThan(10);
      const value = Number(await get(conn, `ctr:${c}`));
      const unknown = outcomes[outcomes.length - 1] === "unknown";
      expect(unknown ? [acked, acked + 1] : [acked]).toContain(value);
    }
    // Transactions: acknowledged ones whole; an unknown one whole or absent.
    expect([...transactions.values()].filter((o) => o === "acked").length).toBeGreaterThan(10);
    for (const [i, outcome] of transactions) {
      const a = await get(conn, `tx:${i}:a`);
      const b = await get(conn, `tx:${i}:b`);
      expect(a, `tx ${i}`).toBe(b);
      if (outcome === "acked") expect(a).toBe(String(i));
      else expect([null, String(i)]).toContain(a);
    }
    // The new primary took a newer epoch and serves writes.
    const info = await persistenceInfo(conn);
    expect(Number(info.get("log_epoch"))).toBe(2);
    expect(text(await conn.send("SET", "after", "restart"))).toBe("OK");
    conn.close();
  });

  it("cuts a suffix that only one store got and the next primary did not adopt", async () => {
    cluster = await Cluster.start(3);
    let primary = await cluster.startPrimary();
    let conn = await Conn.connect(primary.port);
    for (let i = 0; i < 20; i++) expect(text(await conn.send("SET", `ok:${i}`, String(i)))).toBe("OK");
    // Stores 1 and 2 die: the next writes reach store 0 alone and are never acknowledged.
    await Promise.all([cluster.kill9Store(1), cluster.kill9Store(2)]);
    // (Sent back to back, they may arrive as one run of writes and be one record: docs/durability.md.)
    const lonely = [0, 1, 2, 3, 4].map((i) => conn.send("SET", `lonely:${i}`, String(i)).then(text, () => "lost"));
    expect(await eventually(async () => {
      const sets = setsIn(await readStoreLog(cluster!.client(0)));
      return [0, 1, 2, 3, 4].every((i) => sets.has(`lonely:${i}`));
    }, 5000)).toBe(true);
    const store0 = await cluster.client(0).status();
    // Records after the 20 acknowledged writes and the epoch record: store 0's alone.
    const lonelyRecords = "lastLsn" in store0 ? store0.lastLsn - 21 : -1;
    expect(lonelyRecords).toBeGreaterThanOrEqual(1);
    // The primary and store 0 die; the other two come back and a new primary takes them.
    await cluster.kill9Primary();
    expect(await Promise.all(lonely)).toEqual(["lost", "lost", "lost", "lost", "lost"]);
    await cluster.kill9Store(0);
    await Promise.all([cluster.startStore(1), cluster.startStore(2)]);
    primary = await cluster.startPrimary();
    conn = await Conn.connect(primary.port);
    for (let i = 0; i < 20; i++) expect(text(await conn.send("SET", `new:${i}`, String(i)))).toBe("OK");
    // Store 0 returns with records of epoch 1 where the log now has others: they are cut
    // and it takes the log of the new epoch.
    await cluster.startStore(0);
    const caughtUp = await eventually(async () => {
      const [s0, s1] = await Promise.all([cluster!.client(0).status(), cluster!.client(1).status()]);
      return "lastLsn" in s0 && "lastLsn" in s1 && s0.lastLsn === s1.lastLsn && s0.lastEpoch === 2;
    }, 10_000);
    expect(caughtUp).toBe(true);
    expect("lastLsn" in store0 && store0.lastEpoch).toBe(1);
    expect(primary.output()).toMatch(new RegExp(`store \\S+: removed ${lonelyRecords} record\\(s\\) after 21 that are not in the log of epoch 2`));
    const [log0, log1] = await Promise.all([readStoreLog(cluster.client(0)), readStoreLog(cluster.client(1))]);
    expect(log0.map((r) => `${r.lsn}/${r.epoch}`)).toEqual(log1.map((r) => `${r.lsn}/${r.epoch}`));
    const sets = setsIn(log0);
    for (let i = 0; i < 5; i++) expect(sets.has(`lonely:${i}`)).toBe(false);
    // The server agrees: acknowledged writes there, the unacknowledged ones gone.
    for (let i = 0; i < 20; i++) {
      expect(await get(conn, `ok:${i}`)).toBe(String(i));
      expect(await get(conn, `new:${i}`)).toBe(String(i));
    }
    for (let i = 0; i < 5; i++) expect(await get(conn, `lonely:${i}`)).toBe(null);
    conn.close();
  });

  it("recovers from a snapshot saved on the stores plus the log after it; LASTSAVE and INFO tell", async () => {
    cluster = await Cluster.start(3);
    let primary = await cluster.startPrimary();
    let conn = await Conn.connect(primary.port);
    for (let i = 0; i < 200; i++) await conn.send("SET", `before:${i}`, String(i));
    const beforeSave = Math.floor(Date.now() / 1000);
    expect(text(await conn.send("SAVE"))).toBe("OK");
    const lastsave = Number(text(await conn.send("LASTSAVE")));
    expect(lastsave).toBeGreaterThanOrEqual(beforeSave);
    let info = await persistenceInfo(conn);
    expect(info.get("durability")).toBe("quorum");
    expect(info.get("rdb_changes_since_last_save")).toBe("0");
    const snapshotLsn = Number(info.get("rdb_last_snapshot_lsn"));
    expect(snapshotLsn).toBe(Number(info.get("log_last_lsn")));
    // Every store holds it.
    for (let i = 0; i < 3; i++) {
      const list = await cluster.client(i).listSnapshots();
      expect(Array.isArray(list) && list[0]!.lsn).toBe(snapshotLsn);
    }
    for (let i = 0; i < 50; i++) await conn.send("SET", `after:${i}`, String(i));
    await conn.send("DEL", "before:0");
    expect(Number((await persistenceInfo(conn)).get("rdb_changes_since_last_save"))).toBe(51);
    expect(text(await conn.send("BGSAVE"))).toBe("Background saving started");
    expect(await eventually(async () => (await persistenceInfo(conn)).get("rdb_changes_since_last_save") === "0", 10_000)).toBe(true);
    await conn.send("SET", "tail", "x");
    conn.close();
    await cluster.kill9Primary();

    primary = await cluster.startPrimary();
    expect(primary.output()).toMatch(/recovery: restored the snapshot at LSN \d+/);
    expect(primary.output()).toMatch(/recovery: snapshot at LSN \d+ \+ 2 record\(s\) replayed/);
    conn = await Conn.connect(primary.port);
    expect(await get(conn, "before:0")).toBe(null);
    expect(await get(conn, "before:199")).toBe("199");
    expect(await get(conn, "after:49")).toBe("49");
    expect(await get(conn, "tail")).toBe("x");
    expect(Number(text(await conn.send("DBSIZE")))).toBe(199 + 50 + 1);
    info = await persistenceInfo(conn);
    expect(Number(info.get("rdb_last_snapshot_lsn"))).toBeGreaterThan(snapshotLsn);
    conn.close();
  });

  it("with no configuration, starts three local log stores under --dir and survives kill -9", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trireme-local-stores-"));
    let primary: RunningTrireme | null = null;
    cleanups.push(async () => {
      primary?.process.kill("SIGKILL");
      await sleep(300);
      rmSync(dir, { recursive: true, force: true });
    });
    primary = await startTrireme(["--durability", "quorum", "--dir", dir]);
    // The banner is printed right after the port opens: its line may arrive a moment after the connection.
    const banner = /durability: quorum — a write is acknowledged once 2 of 3 log stores have it on disk/;
    expect(await eventually(async () => banner.test(primary!.output()), 5000)).toBe(true);
    let conn = await Conn.connect(primary.port);
    const acked = new Map<string, string>();
    for (let i = 0; i < 100; i++) {
      if (text(await conn.send("SET", `k${i}`, `v${i}`)) === "OK") acked.set(`k${i}`, `v${i}`);
    }
    expect(acked.size).toBe(100);
    const info = await persistenceInfo(conn);
    expect(info.get("log_stores_connected")).toBe("3");
    expect(info.get("log_store0")).toMatch(/^name=local-a,/);
    conn.close();
    const gone = new Promise((r) => primary!.process.once("exit", r));
    primary.process.kill("SIGKILL");
    await gone;
    // The local stores end with it and the next start takes their folders over.
    primary = await startTrireme(["--durability", "quorum", "--dir", dir]);
    conn = await Conn.connect(primary.port);
    for (const [k, v] of acked) expect(await get(conn, k)).toBe(v);
    conn.close();
    await primary.stop();
    primary = null;
  });
});
