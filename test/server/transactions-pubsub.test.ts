// MULTI/EXEC/WATCH and pub/sub over the wire, compared byte for byte with a
// real redis-server driven the same way, plus the real clients' view.
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";
import { WirePair } from "../helpers/wire-diff.ts";

let server: RunningTrireme;
let pairs: WirePair[] = [];
beforeAll(async () => { server = await startTrireme(); });
afterAll(async () => { await server.stop(); });
beforeEach(async () => {
  for (const p of pairs) p.close();
  pairs = [];
  const admin = await pair();
  await admin.run("FLUSHALL");
});

async function pair(): Promise<WirePair> {
  const p = await WirePair.open(server.port, inject("oraclePort"));
  pairs.push(p);
  return p;
}

describe("transactions, as redis-server answers them", () => {
  it("queues, executes, and rejects misuse with Redis's errors", async () => {
    const a = await pair();
    for (const c of [
      ["EXEC"], ["DISCARD"], ["MULTI"], ["MULTI"], ["SET", "k", "1"], ["GET", "k"], ["EXEC"],
      ["MULTI"], ["SET", "k", "2"], ["DISCARD"], ["GET", "k"],
      ["MULTI"], ["SET", "k", "3"], ["NOSUCHCMD"], ["GET", "k", "extra"], ["EXEC"], ["GET", "k"],
      ["MULTI"], ["SET", "s", "x"], ["LPUSH", "s", "y"], ["GET", "s"], ["EXEC"],
      ["MULTI"], ["WATCH", "k"], ["EXEC"], ["UNWATCH"],
    ]) await a.run(...c);
  });

  it("aborts EXEC when a watched key changed, and not otherwise", async () => {
    const a = await pair();
    const b = await pair();
    await a.run("SET", "balance", "10");
    await a.run("WATCH", "balance");
    await b.run("INCR", "balance");
    await a.run("MULTI");
    await a.run("SET", "balance", "0");
    expect(await a.run("EXEC")).toBe("*-1\r\n");
    await a.run("GET", "balance");
    await a.run("WATCH", "balance", "other");
    await b.run("SET", "unrelated", "1");
    await a.run("MULTI");
    await a.run("INCRBY", "balance", "5");
    await a.run("EXEC");
    await a.run("WATCH", "gone");
    await b.run("SET", "gone", "x");
    await b.run("DEL", "gone");
    await a.run("MULTI");
    await a.run("GET", "gone");
    await a.run("EXEC");
    await a.run("WATCH", "flushed");
    await b.run("SET", "flushed", "1");
    await a.run("UNWATCH");
    await a.run("MULTI");
    await a.run("GET", "flushed");
    await a.run("EXEC");
  });
});

describe("pub/sub, as redis-server answers it", () => {
  it("delivers messages to channel and pattern subscribers in RESP2", async () => {
    const sub = await pair();
    const pub = await pair();
    await sub.run("SUBSCRIBE", "news", "sport");
    await sub.run("PSUBSCRIBE", "n*");
    await sub.run("GET", "k");
    await sub.run("PING");
    await sub.run("PING", "hi");
    await pub.run("PUBLISH", "news", "hello");
    await sub.nextPush();
    await sub.nextPush();
    await pub.run("PUBLISH", "nothing-here", "x");
    await sub.nextPush();
    await pub.run("PUBSUB", "NUMSUB", "news", "none");
    await pub.run("PUBSUB", "NUMPAT");
    await pub.run("PUBSUB", "CHANNELS", "s*");
    await sub.run("UNSUBSCRIBE", "news");
    await sub.run("PUNSUBSCRIBE");
    await sub.run("UNSUBSCRIBE");
    await sub.run("UNSUBSCRIBE");
    await sub.run("GET", "k");
  });

  it("pushes messages in RESP3 and lets a RESP3 subscriber run commands", async () => {
    const sub = await pair();
    const pub = await pair();
    // Client ids differ between the two servers, so HELLO's reply is not compared.
    await sub.trireme.send("HELLO", "3");
    await sub.redis.send("HELLO", "3");
    await sub.run("SUBSCRIBE", "c");
    await sub.run("SET", "k", "v");
    await pub.run("PUBLISH", "c", "m\u0000bin");
    await sub.nextPush();
    await sub.run("GET", "k");
  });
});

describe("real clients", () => {
  it("ioredis: transactions and pub/sub", async () => {
    const redis = new Redis({ port: server.port, host: "127.0.0.1", lazyConnect: true });
    const subscriber = new Redis({ port: server.port, host: "127.0.0.1", lazyConnect: true });
    await redis.connect();
    await subscriber.connect();
    const result = await redis.multi().set("a", "1").incr("a").get("a").exec();
    expect(result).toEqual([[null, "OK"], [null, 2], [null, "2"]]);
    const received = new Promise<[string, string]>((resolve) => subscriber.on("message", (ch, msg) => resolve([ch, msg])));
    await subscriber.subscribe("events");
    expect(await redis.publish("events", "started")).toBe(1);
    expect(await received).toEqual(["events", "started"]);
    redis.disconnect();
    subscriber.disconnect();
  });

  it("node-redis: WATCH aborts a transaction after a concurrent write", async () => {
    const client = createClient({ socket: { port: server.port, host: "127.0.0.1" } });
    const other = createClient({ socket: { port: server.port, host: "127.0.0.1" } });
    await client.connect();
    await other.connect();
    await client.set("stock", "5");
    await client.watch("stock");
    await other.decr("stock");
    await expect(client.multi().set("stock", "0").exec()).rejects.toThrow();
    expect(await client.get("stock")).toBe("4");
    await client.watch("stock");
    expect(await client.multi().decr("stock").exec()).toEqual([3]);
    await client.quit();
    await other.quit();
  });
});
