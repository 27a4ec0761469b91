// Keys past their expiry on a replica: a real Redis master and replica
// (`--replicaof`) against a Trireme engine and a follower engine
// (Engine.following) that applies the engine's effect records, as a read
// replica applies the log. The masters expire keys only when read (Redis's
// active expiry is turned off with DEBUG SET-ACTIVE-EXPIRE 0; the engine's
// runs only when called), so both replicas hold keys that are logically
// expired. Their reads must answer alike: hidden from GET, EXISTS, TTL, TYPE,
// KEYS, SCAN..., yet counted by DBSIZE, until the master's DEL arrives.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../runtime/engine.ts";
import { encodeReply, parseValue, type RespValue } from "../../runtime/resp.ts";
import { text, toBytes } from "../../runtime/bytes.ts";
import { RespClient } from "../helpers/resp-client.ts";
import { startRedis, type RunningRedis } from "../helpers/redis-server.ts";
import { coreModule } from "../helpers/core-bytes.ts";

const servers: RunningRedis[] = [];
const clients: RespClient[] = [];

/** A redis-server on a random loopback port (retried if the port is taken). */
async function redisOnSomePort(extra: (port: number) => string[] = () => []): Promise<RunningRedis> {
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    try {
      const r = await startRedis(port, extra(port));
      servers.push(r);
      return r;
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

async function connect(port: number): Promise<RespClient> {
  const c = await RespClient.connect(port);
  clients.push(c);
  return c;
}

let master: RespClient;
let replica: RespClient;

beforeAll(async () => {
  // No delay before the full sync: the replica connects at once.
  const m = await redisOnSomePort(() => ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"]);
  const r = await redisOnSomePort(() => ["--replicaof", "127.0.0.1", String(m.port)]);
  master = await connect(m.port);
  replica = await connect(r.port);
  const deadline = Date.now() + 30_000;
  while (!text((await replica.send("INFO", "replication")).bytes).includes("master_link_status:up")) {
    if (Date.now() > deadline) throw new Error("the Redis replica did not connect to its master within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(text((await master.send("DEBUG", "SET-ACTIVE-EXPIRE", "0")).bytes)).toBe("+OK\r\n");
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of servers.reverse()) await s.stop();
});

function show(v: RespValue): unknown {
  switch (v.type) {
    case "bulk": return v.value === null ? null : text(v.value);
    case "array": return v.value === null ? null : v.value.map(show);
    case "integer": return Number(v.value);
    default: return v;
  }
}

/** A reply as plain values; KEYS and SCAN name keys in no fixed order, so theirs are sorted. */
function normalized(command: readonly string[], bytes: Uint8Array): unknown {
  const parsed = parseValue(bytes);
  if (parsed === "incomplete") throw new Error("an incomplete reply");
  const v = show(parsed.value);
  const name = command[0]!.toLowerCase();
  if (name === "keys") return (v as string[]).sort();
  if (name === "scan") return [(v as unknown[])[0], ((v as unknown[])[1] as string[]).sort()];
  return v;
}

describe("a replica's reads of keys past their expiry", () => {
  it("answer as a Redis 7 replica's, until the master's DEL arrives", async () => {
    const primary = await Engine.create(coreModule());
    const follower = await Engine.create(coreModule(), { following: true });
    primary.onEffect = (record) => follower.apply(record);
    const onPrimary = primary.newSession();
    const onFollower = follower.newSession();

    /** A write on both masters: the engine's first, so that its keys expire no later than Redis's. */
    const write = async (...args: string[]) => {
      primary.execute(onPrimary, args.map(toBytes));
      await master.send(...args);
    };
    await master.send("FLUSHALL");
    await write("SET", "k", "v", "PX", "200");
    await write("RPUSH", "l", "a", "b");
    await write("PEXPIRE", "l", "200");
    await write("HSET", "h", "f", "v");
    await write("PEXPIRE", "h", "200");
    await write("SADD", "s", "m");
    await write("PEXPIRE", "s", "200");
    await write("SET", "other", "o");
    expect(text((await master.send("WAIT", "1", "10000")).bytes)).toBe(":1\r\n");
    // Until the Redis replica's copies of all four have expired (the engine's expired first).
    // Not k alone: l, h and s expire a few round trips after it, and a read that fell
    // between the engine's expiry of one and Redis's would find them differ.
    const deadline = Date.now() + 10_000;
    for (const key of ["k", "l", "h", "s"]) {
      while (text((await replica.send("PTTL", key)).bytes) !== ":-2\r\n") {
        if (Date.now() > deadline) throw new Error(`${key} did not expire on the Redis replica within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    const reads = [
      ["GET", "k"], ["MGET", "k", "other"], ["STRLEN", "k"], ["GETRANGE", "k", "0", "-1"],
      ["EXISTS", "k", "l", "h", "s", "other"], ["TYPE", "k"], ["TYPE", "l"], ["TTL", "k"], ["PTTL", "h"],
      ["EXPIRETIME", "k"], ["PEXPIRETIME", "s"], ["TOUCH", "k", "other"], ["OBJECT", "ENCODING", "k"],
      ["LRANGE", "l", "0", "-1"], ["LLEN", "l"], ["LINDEX", "l", "0"], ["HGET", "h", "f"], ["HGETALL", "h"],
      ["HEXISTS", "h", "f"], ["SMEMBERS", "s"], ["SISMEMBER", "s", "m"], ["SCARD", "s"],
      ["KEYS", "*"], ["SCAN", "0"], ["SCAN", "0", "TYPE", "none"], ["SCAN", "0", "TYPE", "string"],
      ["SCAN", "0", "MATCH", "k*"], ["RANDOMKEY"], ["DBSIZE"],
    ];
    const compareAll = async () => {
      for (const command of reads) {
        const expected = normalized(command, (await replica.send(...command)).bytes);
        const actual = normalized(command, encodeReply(follower.execute(onFollower, command.map(toBytes)), 2));
        expect(actual, command.join(" ")).toEqual(expected);
      }
    };
    await compareAll();
    expect(text((await replica.send("DBSIZE")).bytes)).toBe(":5\r\n");
    expect(follower.stats.expiredKeys).toBe(0);

    // A read on each master deletes k there; the DEL comes to the replicas.
    await write("GET", "k");
    expect(text((await master.send("WAIT", "1", "10000")).bytes)).toBe(":1\r\n");
    await compareAll();
    expect(text((await replica.send("DBSIZE")).bytes)).toBe(":4\r\n");
  });
});
