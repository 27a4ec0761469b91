// Keyspace notifications (notify-keyspace-events), compared with redis-server:
// the same commands run against an engine (through runtime/client.ts, as
// the server runs them) and against a real redis-server with the same
// setting, each with a subscriber on '__key*__:*'; the messages each
// subscriber receives must be the same bytes, in the same order. Then the
// real server process with real clients: ioredis sees events, expiry by the
// server's own timer, and RESP3 pushes on the writing connection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Redis } from "ioredis";
import { Engine } from "../../runtime/engine.ts";
import { Client, BLOCKED, NO_REPLY } from "../../runtime/client.ts";
import { encodeReply, parseValue } from "../../runtime/resp.ts";
import { formatNotifyFlags, parseNotifyFlags } from "../../runtime/notify.ts";
import { text, toBytes, utf8 } from "../../runtime/bytes.ts";
import type { Reply } from "../../runtime/reply.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { RespClient } from "../helpers/resp-client.ts";
import { startRedis, type RunningRedis } from "../helpers/redis-server.ts";
import { startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";
import { WirePair } from "../helpers/wire-diff.ts";
import { commandSequence, hashCommand, keyCommand, setCommand, type Command } from "../helpers/command-generators.ts";

// This file changes notify-keyspace-events, so it has its own oracle rather
// than the project's shared one (other files' subscribers would see events).
let oracle: RunningRedis;
beforeAll(async () => { oracle = await startRedis(20000 + Math.floor(Math.random() * 12000)); });
afterAll(async () => { await oracle.stop(); });

/** An engine with two connections (a subscriber and a writer) and the same pair on redis-server. */
class EventDiff {
  engine!: Engine;
  private sub!: Client;
  private cmd!: Client;
  private events: string[] = [];
  private delivered: Array<(r: Reply) => void> = [];
  private oracleSub!: RespClient;
  private oracleCmd!: RespClient;
  readonly log: string[] = [];

  static async open(flags: string): Promise<EventDiff> {
    const d = new EventDiff();
    d.engine = await Engine.create(coreModule(), { notifyKeyspaceEvents: flags });
    d.sub = new Client(d.engine, { deliver: (r) => d.events.push(latin1(encodeReply(r, 2))), resumed: () => {} });
    d.cmd = new Client(d.engine, { deliver: (r) => d.delivered.shift()?.(r), resumed: () => {} });
    d.oracleSub = await RespClient.connect(oracle.port);
    d.oracleCmd = await RespClient.connect(oracle.port);
    await d.oracleCmd.send("FLUSHALL");
    await d.oracleCmd.send("CONFIG", "SET", "notify-keyspace-events", flags);
    await d.oracleSub.send("PSUBSCRIBE", "__key*__:*");
    d.sub.execute([utf8("PSUBSCRIBE"), utf8("__key*__:*")]);
    d.events.length = 0;
    return d;
  }

  /** What the engine's writer connection answers (waiting out a blocking command). */
  private async execute(args: Uint8Array[]): Promise<string> {
    const outcome = this.cmd.execute(args);
    if (outcome === NO_REPLY) return "";
    if (outcome === BLOCKED) return latin1(encodeReply(await new Promise<Reply>((r) => this.delivered.push(r)), 2));
    return latin1(encodeReply(outcome, 2));
  }

  /** Everything the oracle's subscriber received until the PING sent now comes back. */
  private async oracleEvents(): Promise<string[]> {
    const out: string[] = [];
    let reply = await this.oracleSub.send("PING");
    while (!latin1(reply.bytes).startsWith("*2\r\n$4\r\npong")) {
      out.push(latin1(reply.bytes));
      reply = await this.oracleSub.next();
    }
    return out;
  }

  /** Runs a command on both sides; the replies and the events it caused must match. */
  async run(...command: string[]): Promise<void> {
    const args = command.map(toBytes);
    this.log.push(command.map((a) => JSON.stringify(a)).join(" "));
    const expected = latin1((await this.oracleCmd.send(...args)).bytes);
    const actual = await this.execute(args);
    const expectedEvents = await this.oracleEvents();
    const actualEvents = this.events.splice(0);
    const context = `after ${this.log.slice(-12).join("\n  ")}`;
    expect(actual, `reply, ${context}`).toBe(expected);
    expect(actualEvents.map(readable), `events, ${context}`).toEqual(expectedEvents.map(readable));
  }

  async runAll(commands: readonly Command[]): Promise<void> {
    for (const c of commands) await this.run(...c);
  }

  close(): void {
    this.oracleSub.close();
    this.oracleCmd.close();
  }
}

/** A pub/sub message as "channel message" (the bytes are compared through it: it keeps every byte). */
function readable(resp: string): string {
  const parsed = parseValue(Buffer.from(resp, "latin1"));
  if (parsed === "incomplete" || parsed.value.type !== "array" || parsed.value.value === null) return resp;
  return parsed.value.value.map((v) => (v.type === "bulk" && v.value !== null ? latin1(v.value) : JSON.stringify(v))).slice(1).join(" ");
}

/** Bytes as a string one character per byte, so that comparing strings compares bytes. */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
}

/** Commands that between them make every event Redis 7.0 has for the families the engine has. */
const SCRIPT: Command[] = [
  // strings
  ["SET", "s", "1"], ["SET", "s", "2", "EX", "100"], ["SET", "s", "3", "NX"], ["SET", "s", "3", "XX", "GET"],
  ["SETNX", "s2", "x"], ["SETNX", "s2", "y"], ["SETEX", "s3", "10", "v"], ["PSETEX", "s3", "10000", "v"],
  ["GETSET", "s", "4"], ["MSET", "m1", "a", "m2", "b"], ["MSETNX", "m1", "a", "m3", "c"], ["MSETNX", "m4", "a", "m5", "c"],
  ["APPEND", "s", "x"], ["APPEND", "new", "y"], ["SETRANGE", "s", "1", "zz"], ["SETRANGE", "s", "1", ""], ["SETRANGE", "nokey", "0", ""],
  ["INCR", "n"], ["DECR", "n"], ["INCRBY", "n", "5"], ["DECRBY", "n", "2"], ["INCRBYFLOAT", "n", "1.5"], ["INCR", "s"],
  ["SETBIT", "bits", "7", "1"], ["SETBIT", "bits", "7", "1"], ["BITOP", "OR", "dest", "bits", "s"], ["BITOP", "AND", "dest", "none1", "none2"],
  ["GETEX", "s", "PX", "100000"], ["GETEX", "s", "PERSIST"], ["GETEX", "s", "PERSIST"], ["GETEX", "s", "EXAT", "1"],
  ["GETDEL", "m1"], ["GETDEL", "m1"], ["GET", "missing"], ["MGET", "m2", "nope", "m2"],
  ["PFADD", "h", "a", "b"], ["PFADD", "h", "a"], ["PFMERGE", "h2", "h"], ["PFCOUNT", "h", "nohll"],
  // keys
  ["DEL", "m2", "nope", "m3"], ["UNLINK", "m4"], ["EXPIRE", "m5", "100"], ["EXPIRE", "m5", "100", "NX"], ["PERSIST", "m5"],
  ["PEXPIREAT", "m5", "1"], ["EXPIRE", "none", "5"], ["SET", "r", "v"], ["RENAME", "r", "r2"], ["SET", "r3", "x"], ["RENAME", "r2", "r3"],
  ["RENAMENX", "r3", "r3"], ["RENAMENX", "r3", "r4"], ["COPY", "r4", "r5"], ["COPY", "r4", "r5", "REPLACE"], ["COPY", "r4", "r6", "DB", "2"],
  ["MOVE", "r5", "3"], ["MOVE", "r5", "3"], ["EXISTS", "r4", "zz"], ["TYPE", "zz"], ["TTL", "zz"], ["OBJECT", "ENCODING", "zz"],
  ["SELECT", "3"], ["DEL", "r5"], ["SELECT", "0"], ["SWAPDB", "0", "1"], ["SWAPDB", "0", "1"],
  // lists
  ["LPUSH", "l", "a", "b"], ["RPUSH", "l", "c"], ["LPUSHX", "l", "d"], ["RPUSHX", "nol", "d"], ["LINSERT", "l", "BEFORE", "c", "x"],
  ["LINSERT", "l", "BEFORE", "nothere", "x"], ["LSET", "l", "0", "y"], ["LREM", "l", "0", "x"], ["LREM", "l", "0", "nothere"],
  ["LTRIM", "l", "0", "-1"], ["LMOVE", "l", "l2", "LEFT", "RIGHT"], ["RPOPLPUSH", "l", "l2"], ["LPOP", "l"], ["RPOP", "l", "5"],
  ["LPOP", "l"], ["LMPOP", "2", "l", "l2", "LEFT", "COUNT", "1"], ["BLPOP", "l2", "0"], ["BRPOP", "l2", "0.01"],
  ["RPUSH", "l3", "a", "b", "c"], ["LTRIM", "l3", "5", "10"], ["RPUSH", "l4", "a"], ["LMOVE", "l4", "l4", "LEFT", "RIGHT"],
  ["BLMOVE", "l4", "l5", "RIGHT", "LEFT", "0"], ["LRANGE", "nol", "0", "-1"], ["LLEN", "nol"],
  // sorted sets
  ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZADD", "z", "1", "a"], ["ZADD", "z", "INCR", "5", "a"], ["ZINCRBY", "z", "1", "d"],
  ["ZADD", "z", "XX", "1", "nope"], ["ZREM", "z", "nope"], ["ZREM", "z", "d"], ["ZREMRANGEBYSCORE", "z", "100", "200"],
  ["ZREMRANGEBYSCORE", "z", "0", "1.5"], ["ZREMRANGEBYRANK", "z", "0", "0"], ["ZADD", "z", "0", "x", "0", "y", "0", "w"],
  ["ZREMRANGEBYLEX", "z", "[x", "[y"], ["ZPOPMIN", "z"], ["ZPOPMAX", "z", "0"], ["ZPOPMAX", "z", "5"],
  ["ZADD", "za", "1", "a", "2", "b"], ["ZADD", "zb", "2", "b", "3", "c"], ["ZUNIONSTORE", "zu", "2", "za", "zb"],
  ["ZINTERSTORE", "zu", "2", "za", "zb"], ["ZDIFFSTORE", "zd", "2", "za", "zb"], ["ZDIFFSTORE", "zu", "1", "nothing"],
  ["ZRANGESTORE", "zr", "za", "0", "-1"], ["ZRANGESTORE", "zr", "za", "5", "6"], ["SET", "str", "v"], ["ZUNIONSTORE", "str", "1", "za"],
  ["ZMPOP", "2", "none", "za", "MIN", "COUNT", "5"], ["BZPOPMIN", "zb", "0"], ["BZPOPMAX", "zb", "0"], ["ZSCORE", "none", "a"],
  ["ZRANGE", "none", "0", "-1"],
  // hashes
  ["HSET", "hs", "a", "1", "b", "2"], ["HSET", "hs", "a", "1"], ["HMSET", "hs", "c", "3"], ["HSET", "hs", "odd"],
  ["HSETNX", "hs", "a", "x"], ["HSETNX", "hs", "d", "4"], ["HSETNX", "hs2", "f", "v"], ["HINCRBY", "hs", "n", "5"],
  ["HINCRBY", "hs", "a", "x"], ["HINCRBY", "hs", "n", "9223372036854775807"], ["HINCRBY", "hs3", "n", "-2"],
  ["HINCRBYFLOAT", "hs", "fl", "1.5"], ["HINCRBYFLOAT", "hs4", "fl", "2"], ["HINCRBYFLOAT", "hs", "a", "inf"],
  ["HDEL", "hs", "nope"], ["HDEL", "hs", "a", "b", "nope"], ["HDEL", "hs2", "f", "f"], ["HDEL", "nohash", "f"],
  ["HSET", "str", "f", "v"], ["HDEL", "str", "f"], ["HGET", "nohash", "f"], ["HMGET", "nohash", "f", "g"], ["HLEN", "nohash"],
  ["HGETALL", "nohash"], ["HEXISTS", "nohash", "f"], ["HRANDFIELD", "nohash"], ["HSCAN", "nohash", "0"],
  // sets
  ["SADD", "st", "a", "b", "c"], ["SADD", "st", "a"], ["SREM", "st", "nope"], ["SREM", "st", "a", "nope"], ["SREM", "nost", "a"],
  ["SADD", "st2", "b", "x"], ["SMOVE", "st", "st2", "b"], ["SMOVE", "st", "st3", "c"], ["SMOVE", "st", "st2", "zz"],
  ["SMOVE", "st2", "st2", "x"], ["SMOVE", "st3", "str", "c"], ["SMOVE", "st2", "st3", "nope"], ["SMOVE", "st3", "st2", "c"],
  ["SADD", "st3", "c"], ["SINTERSTORE", "si", "st2", "st3"], ["SUNIONSTORE", "si", "st2", "st3"], ["SINTERSTORE", "si", "st2", "st3"],
  ["SDIFFSTORE", "sd", "st2", "nokey"], ["SUNIONSTORE", "sd", "sd", "st3"], ["SINTERSTORE", "sd", "nokey", "st2", "nokey2"],
  ["SDIFFSTORE", "sd", "nokey", "st2"], ["SUNIONSTORE", "st2", "str"], ["SDIFFSTORE", "x", "nokey", "str", "nokey2"],
  ["SINTERSTORE", "st2", "st2"], ["SADD", "sp", "a"], ["SPOP", "sp", "0"], ["SPOP", "sp", "5"], ["SADD", "sp", "a"],
  ["SPOP", "sp"], ["SPOP", "nosp"], ["SPOP", "nosp", "2"], ["SADD", "sp", "b"], ["SPOP", "sp", "1"],
  ["SINTERCARD", "2", "st2", "nokey"], ["SISMEMBER", "nokey", "a"], ["SMEMBERS", "nokey"], ["SINTER", "st3", "nokey"],
  ["SUNION", "nokey", "nokey2"], ["SDIFF", "nokey", "st3"], ["SRANDMEMBER", "nokey"], ["SCARD", "nokey"],
  // a transaction
  ["MULTI"], ["SET", "t", "1"], ["INCR", "t"], ["LPUSH", "t", "x"], ["DEL", "t"], ["EXEC"],
  // expired on access, then a read of it
  ["SET", "soon", "v", "PX", "1"],
];

describe("keyspace notifications, as redis-server publishes them", () => {
  it("shows the setting the way CONFIG GET does, and rejects unknown classes", async () => {
    const admin = await RespClient.connect(oracle.port);
    try {
      for (const flags of ["", "KEA", "A", "g", "Kg", "KEAmn", "Exz", "K$lshzxetd", "KEnm", "Am", "AKE", "lllK", "Kx", "Em"]) {
        await admin.send("CONFIG", "SET", "notify-keyspace-events", flags);
        const shown = (await admin.send("CONFIG", "GET", "notify-keyspace-events")).value;
        const expected = shown.type === "array" && shown.value !== null && shown.value[1]!.type === "bulk" ? text(shown.value[1]!.value as Uint8Array) : "?";
        expect(formatNotifyFlags(parseNotifyFlags(flags)!), flags).toBe(expected);
      }
      expect((await admin.send("CONFIG", "SET", "notify-keyspace-events", "KEq")).value.type).toBe("error");
      expect(parseNotifyFlags("KEq")).toBeNull();
      await admin.send("CONFIG", "SET", "notify-keyspace-events", "");
    } finally {
      admin.close();
    }
  });

  for (const flags of ["KEA", "KEAnm", "Kl", "E$", "Kgz", "KEx", "KEm", "Kn", "A", "AKE"]) {
    it(`publishes the same events for every family with '${flags}'`, async () => {
      const d = await EventDiff.open(flags);
      try {
        await d.runAll(SCRIPT);
        await new Promise((r) => setTimeout(r, 5));
        await d.run("GET", "soon");
        await d.run("GET", "soon");
      } finally {
        d.close();
      }
    });
  }

  it("publishes the same events for random command sequences (fast-check)", async () => {
    const d = await EventDiff.open("KEAnm");
    try {
      await fc.assert(
        fc.asyncProperty(commandSequence(25), async (commands) => {
          await d.run("FLUSHALL");
          await d.run("SELECT", "0");
          await d.runAll(commands);
        }),
        { numRuns: 120 },
      );
    } finally {
      d.close();
    }
  });

  // The mixed sequences above spread over every family; these stay on
  // hashes and sets long enough to empty them, move members and store results.
  it("publishes the same events for random hash and set sequences (fast-check)", async () => {
    const d = await EventDiff.open("KEAnm");
    const command = fc.oneof({ weight: 3, arbitrary: hashCommand }, { weight: 3, arbitrary: setCommand }, { weight: 1, arbitrary: keyCommand });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 20, maxLength: 60 }), async (commands) => {
          await d.run("FLUSHALL");
          await d.run("SELECT", "0");
          await d.runAll(commands);
        }),
        { numRuns: 150 },
      );
    } finally {
      d.close();
    }
  });

  it("reports keys that expire by active expiry and by eviction, once each", async () => {
    let now = 1_000_000;
    const engine = await Engine.create(coreModule(), { clock: () => now, notifyKeyspaceEvents: "Exe" });
    const received: string[] = [];
    const sub = new Client(engine, { deliver: (r) => received.push(text(encodeReply(r, 2))), resumed: () => {} });
    sub.execute([utf8("SUBSCRIBE"), utf8("__keyevent@0__:expired"), utf8("__keyevent@0__:evicted")]);
    received.length = 0;
    const session = engine.newSession();
    for (let i = 0; i < 50; i++) engine.execute(session, [utf8("SET"), utf8(`k${i}`), utf8("v"), utf8("PX"), utf8(String(10 + i))]);
    now += 1_000;
    while (engine.activeExpire(10) > 0);
    expect(received.length).toBe(50);
    expect(new Set(received).size).toBe(50);
    expect(received[0]).toMatch(/^\*3\r\n\$7\r\nmessage\r\n\$22\r\n__keyevent@0__:expired\r\n\$\d+\r\nk\d+\r\n$/);
    received.length = 0;

    engine.maxmemoryPolicy = "allkeys-random";
    for (let i = 0; i < 200; i++) engine.execute(session, [utf8("SET"), utf8(`e${i}`), utf8("x".repeat(100))]);
    engine.maxmemory = engine.usedMemory() - 5_000;
    engine.execute(session, [utf8("SET"), utf8("trigger"), utf8("v")]);
    expect(engine.stats.evictedKeys).toBeGreaterThan(0);
    expect(received.length).toBe(engine.stats.evictedKeys);
    // A copy: each EXISTS may evict again (as in Redis, any command evicts while over
    // maxmemory), possibly "trigger" itself, and that message is not one of these.
    for (const message of [...received]) {
      const key = /\r\n(e\d+)\r\n$/.exec(message)![1]!;
      expect(text(encodeReply(engine.execute(session, [utf8("EXISTS"), utf8(key)]), 2))).toBe(":0\r\n");
    }
  });

  it("publishes nothing, and costs no subscriber a message, while the setting is empty", async () => {
    const engine = await Engine.create(coreModule());
    const received: Reply[] = [];
    const sub = new Client(engine, { deliver: (r) => received.push(r), resumed: () => {} });
    sub.execute([utf8("PSUBSCRIBE"), utf8("*")]);
    received.length = 0;
    const session = engine.newSession();
    engine.execute(session, [utf8("SET"), utf8("k"), utf8("v")]);
    engine.execute(session, [utf8("DEL"), utf8("k")]);
    expect(received).toEqual([]);
    engine.notifyKeyspaceEvents = "KEA";
    engine.execute(session, [utf8("SET"), utf8("k"), utf8("v")]);
    expect(received.length).toBe(2);
    expect(() => { engine.notifyKeyspaceEvents = "KEq"; }).toThrow(/Invalid event class character/);
    expect(engine.notifyKeyspaceEvents).toBe("AKE");
  });
});

describe("keyspace notifications from the server process", () => {
  let server: RunningTrireme;
  beforeAll(async () => { server = await startTrireme(["--notify-keyspace-events", "KEA"]); });
  afterAll(async () => { await server.stop(); });

  it("reach an ioredis subscriber, including keys the server expires by itself", async () => {
    const subscriber = new Redis({ port: server.port, lazyConnect: true });
    const writer = new Redis({ port: server.port, lazyConnect: true });
    await subscriber.connect();
    await writer.connect();
    try {
      const messages: Array<[string, string]> = [];
      subscriber.on("pmessage", (_pattern: string, channel: string, message: string) => messages.push([channel, message]));
      await subscriber.psubscribe("__key*@0__:*");
      await writer.set("session:1", "data", "PX", 150);
      await writer.lpush("queue", "job");
      await writer.rpop("queue");
      // Nobody reads session:1 again: the server's active expiry must find it.
      const deadline = Date.now() + 3_000;
      while (!messages.some(([c]) => c === "__keyevent@0__:expired") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(messages).toEqual([
        ["__keyspace@0__:session:1", "set"], ["__keyevent@0__:set", "session:1"],
        ["__keyspace@0__:session:1", "expire"], ["__keyevent@0__:expire", "session:1"],
        ["__keyspace@0__:queue", "lpush"], ["__keyevent@0__:lpush", "queue"],
        ["__keyspace@0__:queue", "rpop"], ["__keyevent@0__:rpop", "queue"],
        ["__keyspace@0__:queue", "del"], ["__keyevent@0__:del", "queue"],
        ["__keyspace@0__:session:1", "expired"], ["__keyevent@0__:expired", "session:1"],
      ]);
    } finally {
      subscriber.disconnect();
      writer.disconnect();
    }
  });

  // Redis writes a command's reply and its own events to the connection in
  // the order its handler produces them (SET notifies before replying, ZADD
  // after); Trireme always sends the events first. So the writer's
  // connection is compared as a multiset; other connections see no reply.
  it("are RESP3 pushes on a connection that subscribed and writes, as in redis-server", async () => {
    const admin = await RespClient.connect(oracle.port);
    await admin.send("FLUSHALL");
    await admin.send("CONFIG", "SET", "notify-keyspace-events", "KEA");
    admin.close();
    const p = await WirePair.open(server.port, oracle.port);
    try {
      await Promise.all([p.redis.send("HELLO", "3"), p.trireme.send("HELLO", "3")]);
      await p.run("PSUBSCRIBE", "__keyevent@0__:*");
      for (const [command, replies] of [[["SET", "resp3", "v"], 2], [["ZADD", "resp3z", "1", "m"], 2], [["DEL", "resp3", "resp3z"], 3]] as const) {
        const [expected, actual] = await Promise.all([p.redis, p.trireme].map(async (c) => {
          const out = [text((await c.send(...command)).bytes)];
          while (out.length < replies) out.push(text((await c.next()).bytes));
          return out.sort();
        }));
        expect(actual, command.join(" ")).toEqual(expected);
      }
    } finally {
      p.close();
    }
  });
});
