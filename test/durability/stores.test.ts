// A durable primary over three real log-store processes on loopback, with
// stores paused (SIGSTOP), killed (kill -9) and restarted under it:
// acknowledgements come only once two stores hold a write, reads of a key
// with a pending write wait for it, a lost store does not stop writes and
// catches up when it returns, and with two stores lost writes fail with
// -NOTDURABLE after the timeout and resume when one returns. Every test
// checks the final state against the acknowledged history.
import { afterEach, describe, expect, it } from "vitest";
import {
  Cluster, Conn, WriteLoad, eventually, persistenceInfo, readStoreLog, setsIn, sleep, text, valuesOf, within,
} from "./cluster.ts";
import { freePortGuess } from "../helpers/trireme-server.ts";
import type { RespValue } from "../../runtime/resp.ts";

const TIMEOUT_MS = 1500;
let cluster: Cluster | null = null;

afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

async function startCluster(timeoutMs = TIMEOUT_MS, extra: string[] = []): Promise<{ cluster: Cluster; port: number }> {
  cluster = await Cluster.start(3);
  const primary = await cluster.startPrimary(["--durability-timeout", String(timeoutMs), ...extra]);
  return { cluster, port: primary.port };
}

/** Checks every acknowledged write against the server's state. */
async function expectAcknowledged(port: number, acked: Map<string, string>): Promise<void> {
  const conn = await Conn.connect(port);
  const values = await valuesOf(conn, [...acked.keys()]);
  for (const [k, v] of acked) expect(values.get(k), `acknowledged ${k}`).toBe(v);
  conn.close();
}

describe("durable primary over three log stores", () => {
  it("acknowledges a write only once two stores hold it, and holds reads of keys with pending writes", async () => {
    const { cluster, port } = await startCluster(10_000);
    const a = await Conn.connect(port);
    const b = await Conn.connect(port);
    const c = await Conn.connect(port);
    expect(text(await a.send("SET", "committed", "old"))).toBe("OK");
    // With two stores answering, a write is acknowledged, and both hold it then.
    cluster.pauseStore(2);
    expect(text(await a.send("SET", "k1", "v1"))).toBe("OK");
    for (const i of [0, 1]) expect(setsIn(await readStoreLog(cluster.client(i))).get("k1")).toBe("v1");
    // With one, it waits: no reply, and neither a read of that key nor
    // anything after it on the same connection is answered.
    cluster.pauseStore(1);
    const write = a.send("SET", "k2", "v2");
    const later = a.send("PING");
    await sleep(100);
    const read = b.send("GET", "k2");
    const afterRead = b.send("ECHO", "after");
    // Reads of keys with nothing pending are answered at once.
    expect(await within(c.send("GET", "committed").then(text), 500)).toBe("old");
    expect(await within(write, 400)).toBe("timed out");
    expect(await within(read, 100)).toBe("timed out");
    expect(await within(later, 10)).toBe("timed out");
    expect(await within(afterRead, 10)).toBe("timed out");
    // The write has reached store 0 (and only store 0 can have it durably).
    expect(setsIn(await readStoreLog(cluster.client(0))).get("k2")).toBe("v2");
    // A second store comes back: the write commits, then the replies go in order.
    cluster.resumeStore(1);
    const order: string[] = [];
    await Promise.all([
      write.then((r) => order.push(`a:${text(r)}`)),
      later.then((r) => order.push(`a:${text(r)}`)),
      read.then((r) => order.push(`b:${text(r)}`)),
      afterRead.then((r) => order.push(`b:${text(r)}`)),
    ]);
    expect(order.filter((x) => x.startsWith("a:"))).toEqual(["a:OK", "a:PONG"]);
    expect(order.filter((x) => x.startsWith("b:"))).toEqual(["b:v2", "b:after"]);
    // Store 1 holds it now (it was acknowledged by two stores).
    expect(setsIn(await readStoreLog(cluster.client(1))).get("k2")).toBe("v2");
    // A MULTI/EXEC is one record: its writes are in one log record.
    expect(text(await a.send("MULTI"))).toBe("OK");
    await a.send("SET", "t:a", "1");
    await a.send("SET", "t:b", "1");
    const exec = await a.send("EXEC");
    expect(exec.type).toBe("array");
    const log = await readStoreLog(cluster.client(0));
    const tx = log.filter((r) => r.effects.some((e) => new TextDecoder().decode(e.args[1]) === "t:a"));
    expect(tx).toHaveLength(1);
    expect(tx[0]!.effects.map((e) => new TextDecoder().decode(e.args[1]))).toEqual(["t:a", "t:b"]);
    cluster.resumeStore(2);
    for (const conn of [a, b, c]) conn.close();
    await expectAcknowledged(port, new Map([["committed", "old"], ["k1", "v1"], ["k2", "v2"], ["t:a", "1"], ["t:b", "1"]]));
  });

  it("keeps writing when one store is killed, and the restarted store catches up", async () => {
    const { cluster, port } = await startCluster();
    const load = new WriteLoad(port, 4);
    await sleep(700);
    await cluster.kill9Store(0);
    const killedAt = Date.now();
    await sleep(1200);
    // Writes continue on the two stores left.
    const acksWithoutStore = load.acksSince(killedAt + 100);
    expect(acksWithoutStore).toBeGreaterThan(20);
    await cluster.startStore(0);
    await sleep(800);
    await load.stop();
    expect(load.failed.size, load.errors.slice(0, 3).join("\n")).toBe(0);
    const conn = await Conn.connect(port);
    // The restarted store catches up: it holds exactly the log the others hold.
    const info = await persistenceInfo(conn);
    const lastLsn = Number(info.get("log_last_lsn"));
    const caughtUp = await eventually(async () => {
      const s = await cluster.client(0).status();
      return "lastLsn" in s && s.lastLsn === lastLsn;
    }, 10_000);
    expect(caughtUp).toBe(true);
    const logs = await Promise.all([0, 1, 2].map((i) => readStoreLog(cluster.client(i))));
    const lsnEpochs = (records: typeof logs[0]) => records.map((r) => `${r.lsn}/${r.epoch}`);
    expect(lsnEpochs(logs[0]!)).toEqual(lsnEpochs(logs[1]!));
    expect(setsIn(logs[0]!)).toEqual(setsIn(logs[1]!));
    // Every acknowledged write is in the server and in the restarted store's log.
    await expectAcknowledged(port, load.acked);
    const stored = setsIn(logs[0]!);
    for (const [k, v] of load.acked) expect(stored.get(k), k).toBe(v);
    expect(Number((await persistenceInfo(conn)).get("log_stores_connected"))).toBe(3);
    conn.close();
  });

  it("fails writes with NOTDURABLE after the timeout when two stores are killed, refuses reads once its lease lapses, and resumes", async () => {
    const httpPort = freePortGuess();
    const { cluster, port } = await startCluster(TIMEOUT_MS, ["--http-port", String(httpPort)]);
    const http = async (command: string[]): Promise<{ result?: unknown; error?: string }> => {
      const response = await fetch(`http://127.0.0.1:${httpPort}/`, { method: "POST", body: JSON.stringify(command) });
      return await response.json() as { result?: unknown; error?: string };
    };
    expect(await http(["SET", "via-http", "1"])).toEqual({ result: "OK" });
    const load = new WriteLoad(port, 3);
    await sleep(600);
    await Promise.all([cluster.kill9Store(1), cluster.kill9Store(2)]);
    await sleep(TIMEOUT_MS + 800);
    await load.stop();
    expect(load.acked.size).toBeGreaterThan(10);
    expect(load.failed.size).toBeGreaterThan(0);
    expect(load.errors.every((e) => e.startsWith("NOTDURABLE"))).toBe(true);
    const conn = await Conn.connect(port);
    // A new write fails at once (nothing was written), with the documented error.
    const started = Date.now();
    const refused = text(await conn.send("SET", "during", "outage"));
    expect(refused).toMatch(/^NOTDURABLE writes are refused/);
    expect(Date.now() - started).toBeLessThan(500);
    // (That it was not written is checked once the stores are back: reads wait for them.)
    // A MULTI/EXEC with a write is refused whole.
    await conn.send("MULTI");
    await conn.send("SET", "during2", "x");
    expect(text(await conn.send("EXEC"))).toMatch(/^NOTDURABLE/);
    // Reads of committed data are refused too: no quorum has heard from this primary
    // within its lease, so a newer primary could be serving (docs/durability.md, "Leases").
    const [someKey, someValue] = [...load.acked][0]!;
    expect(text(await conn.send("GET", someKey))).toMatch(/^NOTDURABLE this primary could not renew its lease/);
    expect(text(await conn.send("PING"))).toBe("PONG");
    // The HTTP API says the same.
    expect((await http(["SET", "via-http", "2"])).error).toMatch(/^NOTDURABLE writes are refused/);
    expect((await http(["GET", "via-http"])).error).toMatch(/^NOTDURABLE/);
    // A store comes back: writes resume.
    await cluster.startStore(1);
    const resumed = await eventually(async () => text(await conn.send("SET", "after", "outage")) === "OK", 10_000, 200);
    expect(resumed).toBe(true);
    expect(text(await conn.send("GET", "after"))).toBe("outage");
    expect(text(await conn.send("GET", someKey))).toBe(someValue);
    expect(await http(["GET", "via-http"])).toEqual({ result: "1" });
    expect(text(await conn.send("GET", "during"))).toBe(null);
    expect(await http(["SET", "via-http", "3"])).toEqual({ result: "OK" });
    // No acknowledged write was lost.
    await expectAcknowledged(port, load.acked);
    conn.close();
  });

  it("runs a pipelined run of native commands as one record whose replies leave together, each failing with NOTDURABLE when it cannot commit", async () => {
    const { cluster, port } = await startCluster();
    const conn = await Conn.connect(port);
    // One chunk: writes and reads the core runs itself, one it does not (TYPE), then more writes.
    const replies = await conn.pipeline([
      ["SET", "p:a", "1"], ["INCR", "p:n"], ["ZADD", "p:z", "1", "m"], ["GET", "p:a"], ["TYPE", "p:a"], ["SET", "p:b", "2"], ["INCR", "p:n"],
    ]);
    expect(replies.map(text)).toEqual(["OK", "1", "1", "1", "string", "OK", "2"]);
    // In the log, the writes before TYPE are one record and those after it a later one.
    const decoder = new TextDecoder();
    let log: Awaited<ReturnType<typeof readStoreLog>> = [];
    const lsnsOf = (key: string) => log.filter((r) => r.effects.some((e) => decoder.decode(e.args[1]) === key)).map((r) => r.lsn);
    expect(await eventually(async () => {
      log = await readStoreLog(cluster.client(0));
      return lsnsOf("p:b").length > 0;
    }, 10_000)).toBe(true);
    const [first] = lsnsOf("p:a");
    const [second] = lsnsOf("p:b");
    expect(lsnsOf("p:z")).toEqual([first]);
    expect(lsnsOf("p:n")).toEqual([first, second]);
    expect(second).toBeGreaterThan(first!);
    // Without a quorum the run cannot commit: every one of its replies is an error, none is lost.
    await Promise.all([cluster.kill9Store(1), cluster.kill9Store(2)]);
    const failing = await within(conn.pipeline([["SET", "q:a", "1"], ["INCR", "q:n"], ["SET", "q:b", "2"]]), 20_000);
    expect(failing).not.toBe("timed out");
    for (const r of failing as RespValue[]) expect(text(r)).toMatch(/^NOTDURABLE/);
    expect(text(await conn.send("PING"))).toBe("PONG");
    await cluster.startStore(1);
    expect(await eventually(async () => text(await conn.send("SET", "after", "outage")) === "OK", 10_000, 200)).toBe(true);
    expect((await conn.pipeline([["GET", "p:a"], ["GET", "p:b"], ["GET", "p:n"], ["ZSCORE", "p:z", "m"]])).map(text)).toEqual(["1", "2", "2", "1"]);
    conn.close();
  });
});
