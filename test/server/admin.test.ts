// The administrative commands over the wire, against redis-server 7.0:
// CONFIG, CLIENT, SLOWLOG, LATENCY, MEMORY, DEBUG, TIME, LASTSAVE, MONITOR,
// SHUTDOWN, and the limits (output buffers, idle timeout, maxclients).
// Replies are compared byte for byte where Redis's are deterministic, and by
// shape and field names where they carry times, ids or addresses.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createConnection, type Socket } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rawExchange } from "../helpers/raw-socket.ts";
import { startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";
import { startRedis, type RunningRedis } from "../helpers/redis-server.ts";
import { RespClient } from "../helpers/resp-client.ts";
import { WirePair } from "../helpers/wire-diff.ts";
import { text, type Arg } from "../../runtime/bytes.ts";
import type { RespValue } from "../../runtime/resp.ts";

let trireme: RunningTrireme;
let redis: RunningRedis;

beforeAll(async () => {
  const redisPort = 20000 + Math.floor(Math.random() * 20000);
  [trireme, redis] = await Promise.all([
    startTrireme(["--http-port", "0", "--enable-debug-command", "yes"]),
    startRedis(redisPort, ["--enable-debug-command", "yes"]),
  ]);
});
afterAll(async () => {
  await Promise.all([trireme?.stop(), redis?.stop()]);
});

const pair = () => WirePair.open(trireme.port, redis.port);

function plain(v: RespValue): unknown {
  switch (v.type) {
    case "bulk": return v.value === null ? null : text(v.value);
    case "array": return v.value === null ? null : v.value.map(plain);
    case "set": case "push": return v.value.map(plain);
    case "map": return v.value.map(([k, x]) => [plain(k), plain(x)]);
    case "integer": return Number(v.value);
    default: return (v as { value?: unknown }).value;
  }
}

/** A RESP2 flat map (CONFIG GET) as sorted "name=value" strings: Redis orders it by its hash table. */
function pairsOf(v: RespValue): string[] {
  const flat = plain(v) as string[];
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(`${flat[i]}=${flat[i + 1]}`);
  return out.sort();
}

const raw = rawExchange;

const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a, "latin1")}\r\n${a}\r\n`).join("")}`;

/** CLIENT LIST / INFO line as [field, value] pairs, in order. */
function fields(line: string): Array<[string, string]> {
  return line.trim().split(" ").map((kv) => {
    const i = kv.indexOf("=");
    return [kv.slice(0, i), kv.slice(i + 1)] as [string, string];
  });
}

/** What each CLIENT LIST field's value looks like, so formats can be compared across servers. */
function shapeOf(name: string, value: string): string {
  if (name === "addr" || name === "laddr") return /^127\.0\.0\.1:\d+$/.test(value) ? "ip:port" : value;
  if (/^-?\d+$/.test(value) && !["flags", "db", "multi", "resp", "redir", "sub", "psub", "ssub"].includes(name)) return "int";
  return value;
}

async function sendAll(client: RespClient, commands: Arg[][]): Promise<string[]> {
  return (await client.pipeline(commands)).map((r) => text(r.bytes));
}

describe("CONFIG", () => {
  it("GET of single settings gives redis-server's bytes", async () => {
    const w = await pair();
    for (const name of [
      "maxmemory", "maxmemory-policy", "maxmemory-samples", "timeout", "maxclients", "databases", "appendonly", "save",
      "slowlog-log-slower-than", "slowlog-max-len", "latency-monitor-threshold", "notify-keyspace-events",
      "proto-max-bulk-len", "client-query-buffer-limit", "client-output-buffer-limit", "hz", "requirepass",
      "tcp-keepalive", "io-threads", "appendfsync", "loglevel", "protected-mode", "cluster-enabled",
      "hash-max-ziplist-entries", "zset-max-listpack-entries", "list-max-ziplist-size", "hll-sparse-max-bytes",
      "MAXMEMORY", "nosuch", "enable-debug-command",
    ]) {
      await w.run("CONFIG", "GET", name);
    }
    await w.run("CONFIG", "GET", "maxmemory", "MAXMEMORY");
    w.close();
  });

  it("GET with patterns and several names gives the same pairs (in Redis's hash order there)", async () => {
    const w = await pair();
    for (const args of [
      ["maxmemory*"], ["slowlog*"], ["hash-max-*"], ["zset-max-*"], ["lazyfree*"], ["maxmemory", "maxmemory-policy"],
      ["save", "appendonly", "databases", "timeout", "maxclients"], ["maxmemory", "maxmem*"], ["no-such-*"],
    ]) {
      const [a, b] = await Promise.all([w.trireme.send("CONFIG", "GET", ...args), w.redis.send("CONFIG", "GET", ...args)]);
      expect(pairsOf(a.value), args.join(" ")).toEqual(pairsOf(b.value));
    }
    w.close();
  });

  it("SET takes several pairs at once, all or nothing, with Redis's errors", async () => {
    const w = await pair();
    const cases: string[][] = [
      ["SET"], ["SET", "maxmemory"], ["SET", "maxmemory", "1mb", "timeout"],
      ["SET", "maxmemory", "10mb", "maxmemory-policy", "allkeys-lru"], ["GET", "maxmemory"], ["GET", "maxmemory-policy"],
      ["SET", "maxmemory", "abc"], ["SET", "maxmemory", "-1"], ["SET", "maxmemory", "1.5mb"], ["SET", "maxmemory", "1GB"],
      ["GET", "maxmemory"], ["SET", "maxmemory", "1", "maxmemory", "2"], ["SET", "maxmemory", "1", "MAXMEMORY", "2"],
      ["SET", "nosuch", "1"], ["SET", "maxmemory", "1", "nosuch", "2"], ["SET", "daemonize", "yes"],
      ["SET", "databases", "3", "maxmemory", "5"], ["SET", "daemonize", "yes", "nosuch", "1"],
      ["SET", "maxmemory-policy", "foo"], ["SET", "timeout", "-1"], ["SET", "timeout", "abc"], ["SET", "timeout", "+5"],
      ["SET", "maxclients", "0"], ["SET", "appendonly", "maybe"], ["SET", "appendonly", "YES"], ["GET", "appendonly"],
      ["SET", "appendonly", "no"], ["SET", "port", "99999"], ["SET", "proto-max-bulk-len", "10"],
      ["SET", "client-query-buffer-limit", "1"], ["SET", "slowlog-max-len", "-1"], ["SET", "slowlog-log-slower-than", "-5"],
      ["SET", "latency-monitor-threshold", "-1"], ["SET", "enable-debug-command", "no"], ["SET", "loglevel", "foo"],
      ["SET", "dir", "/nonexistent"], ["SET", "maxmemory-samples", "0"],
      // A failing value later in the list leaves the earlier ones unchanged.
      ["SET", "maxmemory", "100", "maxmemory-policy", "bad"], ["GET", "maxmemory"],
      ["SET", "save", "100 10"], ["GET", "save"], ["SET", "save", "100"], ["SET", "save", "3600 1 300 100 60 10000"],
      ["GET", "save"], ["SET", "save", ""], ["GET", "save"],
      ["SET", "notify-keyspace-events", "KEA"], ["GET", "notify-keyspace-events"], ["SET", "notify-keyspace-events", "Kx"],
      ["GET", "notify-keyspace-events"], ["SET", "notify-keyspace-events", "Q"], ["SET", "notify-keyspace-events", "gsE$"],
      ["GET", "notify-keyspace-events"], ["SET", "notify-keyspace-events", ""],
      ["SET", "client-output-buffer-limit", "normal 1 2 3"], ["GET", "client-output-buffer-limit"],
      ["SET", "client-output-buffer-limit", "normal 1 2"], ["SET", "client-output-buffer-limit", "foo 1 2 3"],
      ["SET", "client-output-buffer-limit", "master 1 2 3"], ["SET", "client-output-buffer-limit", "normal x 2 3"],
      ["SET", "client-output-buffer-limit", "replica 1mb 2mb 5 pubsub 64mb 16mb 30"], ["GET", "client-output-buffer-limit"],
      ["SET", "client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"],
      ["SET", "hz", "0"], ["GET", "hz"], ["SET", "hz", "1000"], ["GET", "hz"], ["SET", "hz", "10"],
      ["SET", "hash-max-ziplist-entries", "100"], ["GET", "hash-max-listpack-entries"], ["SET", "hash-max-listpack-entries", "512"],
      ["SET", "maxmemory", "0", "maxmemory-policy", "noeviction"],
      ["RESETSTAT"], ["RESETSTAT", "x"], ["REWRITE"], ["REWRITE", "x"], ["HELP"], ["help"], ["FOO"], [],
    ];
    for (const c of cases) await w.run("CONFIG", ...c);
    w.close();
  });

  it("RESETSTAT clears the command statistics INFO commandstats shows, in Redis's format", async () => {
    async function stats(port: number): Promise<string[]> {
      const c = await RespClient.connect(port);
      await c.send("CONFIG", "RESETSTAT");
      await c.send("SET", "stat:k", "1");
      await c.send("SET", "stat:k", "2");
      await c.send("GET", "stat:k");
      await c.send("INCR", "stat:nope", "x");
      await c.send("DEL", "stat:k");
      const info = plain((await c.send("INFO", "commandstats")).value) as string;
      c.close();
      return info.split("\r\n").filter((l) => l.startsWith("cmdstat_")).map((l) =>
        l.replace(/usec=\d+,usec_per_call=\d+\.\d\d/, "usec=N,usec_per_call=N.NN")).sort();
    }
    const [t, r] = await Promise.all([stats(trireme.port), stats(redis.port)]);
    expect(t).toEqual(r);
    expect(t).toContain("cmdstat_set:calls=2,usec=N,usec_per_call=N.NN,rejected_calls=0,failed_calls=0");
  });

  it("maxmemory set at run time takes effect at once", async () => {
    const c = await RespClient.connect(trireme.port);
    await c.send("FLUSHALL");
    expect(text((await c.send("CONFIG", "SET", "maxmemory", "1", "maxmemory-policy", "noeviction")).bytes)).toBe("+OK\r\n");
    expect(text((await c.send("SET", "k", "v")).bytes)).toBe("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    await c.send("CONFIG", "SET", "maxmemory", "0");
    expect(text((await c.send("SET", "k", "v")).bytes)).toBe("+OK\r\n");
    await c.send("DEL", "k");
    c.close();
  });
});

describe("CLIENT", () => {
  it("answers the simple subcommands and their errors as redis-server does", async () => {
    const w = await pair();
    for (const c of [
      [], ["HELP"], ["FOO"], ["ID", "x"], ["GETNAME"], ["GETNAME", "x"], ["SETNAME"], ["SETNAME", "a b"], ["SETNAME", "a\nb"],
      ["SETNAME", "näme"], ["SETNAME", "worker-1"], ["GETNAME"], ["SETNAME", ""], ["GETNAME"],
      ["LIST", "x"], ["LIST", "type"], ["LIST", "type", "foo"], ["LIST", "type", "pubsub"], ["LIST", "type", "master"],
      ["LIST", "id"], ["LIST", "id", "abc"], ["LIST", "id", "0"], ["LIST", "id", "99999"], ["LIST", "type", "normal", "x"],
      ["KILL"], ["KILL", "1.2.3.4:5"], ["KILL", "id"], ["KILL", "id", "99999"], ["KILL", "id", "abc"], ["KILL", "id", "0"],
      ["KILL", "foo", "bar"], ["KILL", "skipme", "maybe"], ["KILL", "addr", "1.1.1.1:1", "skipme"], ["KILL", "maxage", "1"],
      ["KILL", "laddr", "1.2.3.4:5"], ["KILL", "user", "nouser"], ["KILL", "type", "foo"], ["KILL", "type", "pubsub"],
      ["KILL", "user", "default", "type", "pubsub"],
      ["PAUSE"], ["PAUSE", "abc"], ["PAUSE", "-1"], ["PAUSE", "1.5"], ["PAUSE", "10", "foo"], ["PAUSE", "10", "write", "x"],
      ["UNPAUSE", "x"], ["UNPAUSE"],
      ["NO-EVICT"], ["NO-EVICT", "on"], ["NO-EVICT", "maybe"], ["NO-EVICT", "OFF"],
      ["REPLY"], ["REPLY", "foo"], ["REPLY", "on"],
      ["TRACKING"], ["TRACKING", "off"], ["TRACKING", "maybe"], ["TRACKING", "on", "foo"], ["TRACKING", "off", "bcast"],
      ["TRACKING", "off", "redirect", "99999"], ["TRACKING", "off", "redirect", "abc"], ["TRACKING", "off", "prefix"],
      ["CACHING", "yes"], ["CACHING", "maybe"], ["GETREDIR"], ["TRACKINGINFO"],
      ["UNBLOCK"], ["UNBLOCK", "abc"], ["UNBLOCK", "99999"], ["UNBLOCK", "99999", "timeout"], ["UNBLOCK", "99999", "error"],
      ["UNBLOCK", "99999", "foo"], ["UNBLOCK", "1", "timeout", "x"], ["INFO", "x"],
    ]) {
      await w.run("CLIENT", ...c);
    }
    await Promise.all([w.trireme.send("HELLO", "3"), w.redis.send("HELLO", "3")]);
    await w.run("CLIENT", "TRACKINGINFO");
    await w.run("CLIENT", "GETNAME");
    w.close();
  });

  it("TRACKING ON says honestly that client-side caching is not available", async () => {
    const c = await RespClient.connect(trireme.port);
    const r = text((await c.send("CLIENT", "TRACKING", "on")).bytes);
    expect(r.startsWith("-ERR ")).toBe(true);
    expect(r).toMatch(/not/);
    c.close();
  });

  it("LIST and INFO have Redis's fields in Redis's order and formats, for each kind of client", async () => {
    async function snapshot(port: number): Promise<Record<string, Array<[string, string]>>> {
      const observer = await RespClient.connect(port);
      const plainClient = await RespClient.connect(port);
      const inMulti = await RespClient.connect(port);
      const subscriber = await RespClient.connect(port);
      const blocked = await RespClient.connect(port);
      const monitor = await RespClient.connect(port);
      const named = await RespClient.connect(port);
      const ids: Record<string, number> = {};
      for (const [name, c] of Object.entries({ plainClient, inMulti, subscriber, blocked, monitor, named })) {
        ids[name] = Number(plain((await c.send("CLIENT", "ID")).value));
      }
      await named.send("CLIENT", "SETNAME", "reporter");
      await named.send("SELECT", "3");
      await inMulti.send("MULTI");
      await inMulti.send("SET", "a", "1");
      await inMulti.send("SET", "b", "2");
      await subscriber.send("SUBSCRIBE", "news", "sport");
      await subscriber.next();
      await monitor.send("MONITOR");
      void blocked.send("BLPOP", "admin:nothing", "0");
      await new Promise((r) => setTimeout(r, 150));
      const out: Record<string, Array<[string, string]>> = {};
      for (const [name, id] of Object.entries(ids)) {
        out[name] = fields(plain((await observer.send("CLIENT", "LIST", "ID", String(id))).value) as string);
      }
      out.info = fields(plain((await named.send("CLIENT", "INFO")).value) as string);
      out.list = fields((plain((await observer.send("CLIENT", "LIST", "TYPE", "pubsub")).value) as string).split("\n")[0]!);
      for (const c of [observer, plainClient, inMulti, subscriber, blocked, monitor, named]) c.close();
      return out;
    }
    const [t, r] = await Promise.all([snapshot(trireme.port), snapshot(redis.port)]);
    for (const kind of Object.keys(r)) {
      const shape = (f: Array<[string, string]>) => f.map(([k, v]) => `${k}=${["cmd", "name", "db"].includes(k) || k.endsWith("mem") || ["qbuf", "qbuf-free", "rbs", "rbp", "obl", "oll", "omem", "events", "idle", "age", "id", "fd"].includes(k) ? shapeOf(k, v).replace(/^\d+$/, "int") : shapeOf(k, v)}`);
      expect(t[kind]!.map(([k]) => k), `${kind}: field names`).toEqual(r[kind]!.map(([k]) => k));
      expect(shape(t[kind]!), `${kind}: field values`).toEqual(shape(r[kind]!));
    }
    // The values that say what the client is doing are Redis's too.
    const pick = (f: Array<[string, string]>, k: string) => f.find(([n]) => n === k)![1];
    for (const kind of ["plainClient", "inMulti", "subscriber", "blocked", "monitor", "named"]) {
      for (const k of ["flags", "db", "sub", "psub", "multi", "name", "cmd", "resp", "user"]) {
        expect(`${kind}.${k}=${pick(t[kind]!, k)}`).toBe(`${kind}.${k}=${pick(r[kind]!, k)}`);
      }
    }
  });

  it("KILL closes the chosen connections: by id, by address (old form), by type, and SKIPME", async () => {
    async function scenario(port: number): Promise<string[]> {
      const killer = await RespClient.connect(port);
      const victim = await RespClient.connect(port);
      const sub = await RespClient.connect(port);
      const victimId = String(plain((await victim.send("CLIENT", "ID")).value));
      const victimInfo = fields(plain((await victim.send("CLIENT", "INFO")).value) as string);
      const victimAddr = victimInfo.find(([k]) => k === "addr")![1];
      await sub.send("SUBSCRIBE", "x");
      const log: string[] = [];
      log.push(text((await killer.send("CLIENT", "KILL", "ID", victimId)).bytes));
      log.push(text((await killer.send("CLIENT", "KILL", "ID", victimId)).bytes));
      log.push(text((await killer.send("CLIENT", "KILL", victimAddr)).bytes));
      log.push(text((await killer.send("CLIENT", "KILL", "TYPE", "pubsub")).bytes));
      log.push(text((await killer.send("CLIENT", "LIST", "TYPE", "pubsub")).bytes));
      const selfId = String(plain((await killer.send("CLIENT", "ID")).value));
      log.push(text((await killer.send("CLIENT", "KILL", "ID", selfId)).bytes));
      // Killing itself with SKIPME no: the reply comes, then the connection closes.
      const closed = new Promise<void>((resolve) => (killer as unknown as { socket: Socket }).socket.once("close", () => resolve()));
      log.push(text((await killer.send("CLIENT", "KILL", "ID", selfId, "SKIPME", "no")).bytes));
      await closed;
      log.push("closed");
      for (const c of [killer, victim, sub]) c.close();
      return log;
    }
    const [t, r] = await Promise.all([scenario(trireme.port), scenario(redis.port)]);
    expect(t).toEqual(r);
    expect(r.slice(0, 3)).toEqual([":1\r\n", ":0\r\n", "-ERR No such client\r\n"]);
  });

  it("PAUSE WRITE holds writes but not reads; PAUSE ALL holds everything, UNPAUSE included", async () => {
    async function scenario(port: number): Promise<string[]> {
      const admin = await RespClient.connect(port);
      const worker = await RespClient.connect(port);
      const other = await RespClient.connect(port);
      await admin.send("CLIENT", "PAUSE", "400", "WRITE");
      const start = Date.now();
      const get = await worker.send("GET", "paused:key");
      const readMs = Date.now() - start;
      const set = await worker.send("SET", "paused:key", "1");
      const writeMs = Date.now() - start;
      await admin.send("CLIENT", "PAUSE", "800", "ALL");
      const allStart = Date.now();
      const held = worker.send("GET", "paused:key");
      const unpause = other.send("CLIENT", "UNPAUSE");
      const early = await Promise.race([held.then(() => "answered"), new Promise((r) => setTimeout(() => r("held"), 300))]);
      const heldReply = text((await held).bytes);
      const unpauseReply = text((await unpause).bytes);
      const allMs = Date.now() - allStart;
      await admin.send("DEL", "paused:key");
      for (const c of [admin, worker, other]) c.close();
      return [
        text(get.bytes), readMs < 200 ? "read at once" : `read after ${readMs}`, text(set.bytes),
        writeMs >= 350 ? "write waited" : `write after ${writeMs}`, String(early), heldReply, unpauseReply,
        allMs >= 700 ? "held until the end" : `released after ${allMs}`,
      ];
    }
    const [t, r] = await Promise.all([scenario(trireme.port), scenario(redis.port)]);
    expect(t).toEqual(r);
    expect(t.slice(0, 4)).toEqual(["$-1\r\n", "read at once", "+OK\r\n", "write waited"]);
  }, 20_000);

  it("PAUSE and UNPAUSE release a held write at once", async () => {
    const admin = await RespClient.connect(trireme.port);
    const worker = await RespClient.connect(trireme.port);
    await admin.send("CLIENT", "PAUSE", "10000", "WRITE");
    const start = Date.now();
    const held = worker.send("SET", "pause:k", "v");
    await new Promise((r) => setTimeout(r, 100));
    expect(text((await admin.send("CLIENT", "UNPAUSE")).bytes)).toBe("+OK\r\n");
    expect(text((await held).bytes)).toBe("+OK\r\n");
    expect(Date.now() - start).toBeLessThan(2000);
    await admin.send("DEL", "pause:k");
    admin.close();
    worker.close();
  });

  it("REPLY OFF, ON and SKIP silence exactly the replies Redis silences", async () => {
    for (const input of [
      resp("CLIENT", "REPLY", "SKIP") + resp("SET", "r:a", "1") + resp("GET", "r:a") + resp("DEL", "r:a"),
      resp("CLIENT", "REPLY", "OFF") + resp("SET", "r:b", "2") + resp("NOSUCH") + resp("CLIENT", "REPLY", "SKIP") +
        resp("CLIENT", "REPLY", "ON") + resp("GET", "r:b") + resp("DEL", "r:b"),
      resp("CLIENT", "REPLY", "SKIP") + resp("CLIENT", "REPLY", "SKIP") + resp("PING") + resp("PING", "x"),
      resp("CLIENT", "REPLY", "SKIP") + resp("NOSUCH") + resp("PING"),
    ]) {
      const [a, b] = await Promise.all([raw(trireme.port, input), raw(redis.port, input)]);
      expect(a.data, input).toBe(b.data);
    }
  });

  it("UNBLOCK ends a blocked BLPOP with a timeout's null or with an error", async () => {
    async function scenario(port: number): Promise<string[]> {
      const admin = await RespClient.connect(port);
      const blocked = await RespClient.connect(port);
      const id = String(plain((await blocked.send("CLIENT", "ID")).value));
      const first = blocked.send("BLPOP", "unblock:list", "0");
      await new Promise((r) => setTimeout(r, 100));
      const u1 = text((await admin.send("CLIENT", "UNBLOCK", id)).bytes);
      const r1 = text((await first).bytes);
      const second = blocked.send("BLPOP", "unblock:list", "0");
      await new Promise((r) => setTimeout(r, 100));
      const u2 = text((await admin.send("CLIENT", "UNBLOCK", id, "ERROR")).bytes);
      const r2 = text((await second).bytes);
      const u3 = text((await admin.send("CLIENT", "UNBLOCK", id)).bytes);
      admin.close();
      blocked.close();
      return [u1, r1, u2, r2, u3];
    }
    const [t, r] = await Promise.all([scenario(trireme.port), scenario(redis.port)]);
    expect(t).toEqual(r);
  });
});

describe("TIME, LASTSAVE, DBSIZE, SLOWLOG, LATENCY, MEMORY, DEBUG", () => {
  it("TIME is the Unix time in seconds and microseconds; LASTSAVE an integer", async () => {
    const c = await RespClient.connect(trireme.port);
    const t = plain((await c.send("TIME")).value) as string[];
    expect(t).toHaveLength(2);
    expect(t[0]).toMatch(/^\d+$/);
    expect(t[1]).toMatch(/^\d{1,6}$/);
    expect(Math.abs(Number(t[0]) - Date.now() / 1000)).toBeLessThan(5);
    expect(text((await c.send("LASTSAVE")).bytes)).toMatch(/^:\d+\r\n$/);
    c.close();
    const w = await pair();
    await w.run("TIME", "x");
    await w.run("LASTSAVE", "x");
    await w.run("SELECT", "9");
    await w.run("DBSIZE");
    await w.run("SET", "a", "1");
    await w.run("DBSIZE");
    await w.run("DBSIZE", "x");
    await w.run("FLUSHDB");
    w.close();
  });

  it("SLOWLOG records slow commands with Redis's entry shape, truncation and limits", async () => {
    const w = await pair();
    for (const c of [[], ["HELP"], ["GET", "x"], ["GET", "-2"], ["GET", "1", "2"], ["LEN", "x"], ["RESET", "x"], ["FOO"]]) {
      await w.run("SLOWLOG", ...c);
    }
    await w.run("CONFIG", "SET", "slowlog-log-slower-than", "0");
    await w.run("SLOWLOG", "RESET");
    await w.run("CLIENT", "SETNAME", "slowpoke");
    const many = Array.from({ length: 40 }, (_, i) => `a${i}`);
    await w.run("SET", "slow:key", "x".repeat(200));
    await w.run("RPUSH", "slow:list", ...many);
    await w.run("DEL", "slow:key", "slow:list");
    const [a, b] = await Promise.all([w.trireme.send("SLOWLOG", "GET", "4"), w.redis.send("SLOWLOG", "GET", "4")]);
    const entries = (v: RespValue) => (plain(v) as unknown[][]).map((e) => {
      expect(e).toHaveLength(6);
      expect(typeof e[0]).toBe("number");
      expect(Math.abs((e[1] as number) - Date.now() / 1000)).toBeLessThan(10);
      expect(typeof e[2]).toBe("number");
      expect(e[4]).toMatch(/^127\.0\.0\.1:\d+$/);
      return [e[3], e[5]];
    });
    expect(entries(a.value)).toEqual(entries(b.value));
    await w.run("SLOWLOG", "GET", "0");
    await w.run("CONFIG", "SET", "slowlog-max-len", "2");
    await w.run("PING");
    await w.run("PING");
    await w.run("PING");
    await w.run("SLOWLOG", "LEN");
    await w.run("CONFIG", "SET", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128");
    await w.run("SLOWLOG", "RESET");
    await w.run("SLOWLOG", "LEN");
    await w.run("SLOWLOG", "GET", "-1");
    await w.run("CLIENT", "SETNAME", "");
    w.close();
  });

  it("LATENCY reports spikes above latency-monitor-threshold like Redis", async () => {
    const w = await pair();
    for (const c of [
      [], ["HELP"], ["LATEST"], ["HISTORY"], ["HISTORY", "command"], ["HISTORY", "foo"], ["RESET"], ["RESET", "command", "foo"],
      ["DOCTOR"], ["GRAPH", "command"], ["GRAPH"], ["LATEST", "x"], ["FOO"],
    ]) {
      await w.run("LATENCY", ...c);
    }
    await w.run("CONFIG", "SET", "latency-monitor-threshold", "20");
    await w.run("DEBUG", "SLEEP", "0.05");
    await w.run("PING");
    const [a, b] = await Promise.all([w.trireme.send("LATENCY", "LATEST"), w.redis.send("LATENCY", "LATEST")]);
    const shape = (v: RespValue) => (plain(v) as unknown[][]).map(([event, time, latency, max]) => {
      expect(Math.abs((time as number) - Date.now() / 1000)).toBeLessThan(10);
      expect(latency as number).toBeGreaterThanOrEqual(50);
      expect(max as number).toBeGreaterThanOrEqual(latency as number);
      return event;
    });
    expect(shape(a.value)).toEqual(shape(b.value));
    const [h1, h2] = await Promise.all([w.trireme.send("LATENCY", "HISTORY", "command"), w.redis.send("LATENCY", "HISTORY", "command")]);
    expect((plain(h1.value) as unknown[]).length).toBe((plain(h2.value) as unknown[]).length);
    await w.run("LATENCY", "RESET", "command", "nosuch");
    await w.run("LATENCY", "LATEST");
    await w.run("CONFIG", "SET", "latency-monitor-threshold", "0");
    w.close();
  });

  it("LATENCY HISTOGRAM gives calls and cumulative buckets per command", async () => {
    const c = await RespClient.connect(trireme.port);
    await c.send("CONFIG", "RESETSTAT");
    for (let i = 0; i < 5; i++) await c.send("SET", "h:k", String(i));
    const r = plain((await c.send("LATENCY", "HISTOGRAM", "set", "nosuch")).value) as unknown[];
    expect(r[0]).toBe("set");
    const body = r[1] as unknown[];
    expect(body[0]).toBe("calls");
    expect(body[1]).toBe(5);
    expect(body[2]).toBe("histogram_usec");
    const buckets = body[3] as number[];
    expect(buckets.length % 2).toBe(0);
    expect(buckets[buckets.length - 1]).toBe(5);
    for (let i = 2; i < buckets.length; i += 2) {
      expect(buckets[i]!).toBeGreaterThan(buckets[i - 2]!);
      expect(buckets[i + 1]!).toBeGreaterThan(buckets[i - 1]!);
    }
    await c.send("DEL", "h:k");
    c.close();
  });

  it("MEMORY USAGE measures a key and its value; errors as Redis", async () => {
    const w = await pair();
    for (const c of [
      [], ["HELP"], ["USAGE"], ["USAGE", "nokey"], ["FOO"], ["PURGE"], ["PURGE", "x"], ["DOCTOR", "x"], ["STATS", "x"],
    ]) {
      await w.run("MEMORY", ...c);
    }
    await w.run("SET", "m:small", "v");
    for (const c of [["samples"], ["samples", "x"], ["samples", "-1"], ["foo", "1"], ["SAMPLES", "0", "x"]]) {
      await w.run("MEMORY", "USAGE", "m:small", ...c);
    }
    const c = await RespClient.connect(trireme.port);
    await c.send("SET", "m:big", "x".repeat(10_000));
    await c.send("RPUSH", "m:list", ...Array.from({ length: 1000 }, (_, i) => `element-${i}`));
    await c.send("ZADD", "m:zset", ...Array.from({ length: 500 }, (_, i) => [String(i), `member-${i}`]).flat());
    const usage = async (...args: string[]) => Number(plain((await c.send("MEMORY", "USAGE", ...args)).value));
    const small = await usage("m:small");
    const big = await usage("m:big");
    expect(small).toBeGreaterThan(0);
    expect(big).toBeGreaterThan(10_000);
    expect(big).toBeLessThan(11_000);
    expect(await usage("m:list")).toBeGreaterThan(1000 * 10);
    const zAll = await usage("m:zset", "SAMPLES", "0");
    const zSampled = await usage("m:zset");
    expect(zAll).toBeGreaterThan(500 * 20);
    expect(Math.abs(zSampled - zAll) / zAll).toBeLessThan(0.5);
    await c.send("DEL", "m:small", "m:big", "m:list", "m:zset");
    expect(text((await c.send("MEMORY", "STATS")).bytes)).toMatch(/^\*\d+\r\n/);
    c.close();
    w.close();
  });

  it("DEBUG SLEEP blocks the server for that long; DEBUG is refused unless enabled, as in Redis", async () => {
    const w = await pair();
    for (const c of [["SLEEP", "0"], ["SLEEP", "abc"], ["SLEEP"], ["HELP", "x"], ["NOSUCH"]]) await w.run("DEBUG", ...c);
    const sleeper = await RespClient.connect(trireme.port);
    const other = await RespClient.connect(trireme.port);
    const start = Date.now();
    const slept = sleeper.send("DEBUG", "SLEEP", "0.3");
    await new Promise((r) => setTimeout(r, 20));
    await other.send("PING");
    expect(Date.now() - start).toBeGreaterThanOrEqual(280);
    expect(text((await slept).bytes)).toBe("+OK\r\n");
    sleeper.close();
    other.close();
    w.close();
    // The shared oracle runs with DEBUG disabled (Redis's default), like a Trireme started without the option.
    const plainServer = await startTrireme(["--http-port", "0"]);
    try {
      const p = await WirePair.open(plainServer.port, inject("oraclePort"));
      await p.run("DEBUG", "SLEEP", "0");
      await p.run("DEBUG", "HELP");
      p.close();
    } finally {
      await plainServer.stop();
    }
  });
});

describe("MONITOR", () => {
  it("streams other clients' commands in Redis's line format, without admin commands", async () => {
    async function watch(port: number): Promise<string[]> {
      const monitor = await RespClient.connect(port);
      const ok = text((await monitor.send("MONITOR")).bytes);
      const lines: string[] = [ok];
      const worker = await RespClient.connect(port);
      await sendAll(worker, [
        ["SELECT", "3"], ["SET", "a b", 'x"y\\z\nw\u0001'], ["MULTI"], ["SET", "q", "1"], ["EXEC"], ["CONFIG", "GET", "port"],
        ["NOSUCH", "arg"], ["GET"], ["CLIENT", "LIST"], ["DEL", "a b", "q"], ["SELECT", "0"], ["PING"],
      ]);
      // SELECT, SET, MULTI, SET (run by EXEC), EXEC, DEL, SELECT, PING: not CONFIG or CLIENT (admin), nor rejected commands.
      for (let i = 0; i < 8; i++) lines.push(text((await monitor.next()).bytes));
      monitor.close();
      worker.close();
      return lines;
    }
    const [t, r] = await Promise.all([watch(trireme.port), watch(redis.port)]);
    const normalize = (line: string) => line.replace(/^\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]/, "+<time> [$1 <addr>]");
    for (const line of t.slice(1)) expect(line).toMatch(/^\+\d{10}\.\d{6} \[\d+ 127\.0\.0\.1:\d+\] /);
    expect(t.map(normalize)).toEqual(r.map(normalize));
  }, 20_000);

  it("MONITOR twice is ignored without a reply; MONITOR inside MULTI is refused at EXEC", async () => {
    for (const input of [
      resp("MONITOR") + resp("MONITOR") + resp("PING"),
      resp("MULTI") + resp("MONITOR") + resp("EXEC"),
    ]) {
      const norm = (s: string) => s.replace(/\+\d+\.\d{6} \[\d+ [^\]]+\][^\r]*\r\n/g, "<line>");
      const [a, b] = await Promise.all([raw(trireme.port, input), raw(redis.port, input)]);
      expect(norm(a.data), input).toBe(norm(b.data));
    }
  });
});

describe("limits", () => {
  it("disconnects a subscriber that never reads while a publisher floods; the server goes on serving others", async () => {
    const server = await startTrireme(["--http-port", "0", "--client-output-buffer-limit", "pubsub", "1mb", "256kb", "1"]);
    try {
      const subscriber = createConnection({ host: "127.0.0.1", port: server.port });
      await new Promise((r) => subscriber.once("connect", r));
      subscriber.write(resp("SUBSCRIBE", "flood"));
      await new Promise((r) => setTimeout(r, 100));
      subscriber.pause();
      const publisher = await RespClient.connect(server.port);
      const message = "m".repeat(32 * 1024);
      let receivers = 1;
      for (let round = 0; round < 400 && receivers > 0; round++) {
        const replies = await publisher.pipeline(Array.from({ length: 32 }, () => ["PUBLISH", "flood", message]));
        receivers = Number(plain(replies[replies.length - 1]!.value));
      }
      expect(receivers).toBe(0);
      const other = await RespClient.connect(server.port);
      expect(text((await other.send("PING")).bytes)).toBe("+PONG\r\n");
      expect(text((await other.send("CLIENT", "LIST", "TYPE", "pubsub")).bytes)).toBe("$0\r\n\r\n");
      expect(text((await publisher.send("SET", "after", "flood")).bytes)).toBe("+OK\r\n");
      expect(server.output()).toMatch(/scheduled to be closed ASAP for overcoming of output buffer limits/);
      other.close();
      publisher.close();
      subscriber.destroy();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("closes clients idle longer than `timeout`, but not subscribers or blocked clients", async () => {
    const server = await startTrireme(["--http-port", "0", "--timeout", "1"]);
    try {
      const closedWithin = (socket: Socket, ms: number) => new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        socket.once("close", () => { clearTimeout(timer); resolve(true); });
      });
      const connect = async () => {
        const s = createConnection({ host: "127.0.0.1", port: server.port });
        await new Promise((r) => s.once("connect", r));
        s.on("data", () => undefined);
        return s;
      };
      const idle = await connect();
      const subscriber = await connect();
      subscriber.write(resp("SUBSCRIBE", "quiet"));
      const blocked = await connect();
      blocked.write(resp("BLPOP", "idle:list", "0"));
      const results = await Promise.all([closedWithin(idle, 4000), closedWithin(subscriber, 4000), closedWithin(blocked, 4000)]);
      expect(results).toEqual([true, false, false]);
      subscriber.destroy();
      blocked.destroy();
      const c = await RespClient.connect(server.port);
      expect(text((await c.send("CONFIG", "GET", "timeout")).bytes)).toBe("*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n");
      c.close();
    } finally {
      await server.stop();
    }
  });

  it("refuses connections beyond maxclients with Redis's error", async () => {
    const server = await startTrireme(["--http-port", "0", "--maxclients", "2"]);
    try {
      const a = await RespClient.connect(server.port);
      const b = await RespClient.connect(server.port);
      await a.send("PING");
      await b.send("PING");
      const third = await raw(server.port, resp("PING"));
      expect(third).toEqual({ data: "-ERR max number of clients reached\r\n", closed: true });
      a.close();
      b.close();
      // A refused connection does not hold up a graceful stop (it once kept server.close() waiting).
      expect(await server.stop()).toBe(0);
    } finally {
      await server.stop();
    }
  });
});

describe("SHUTDOWN and CONFIG REWRITE", () => {
  it("SHUTDOWN answers the commands before it, closes the connection and ends the process with 0", async () => {
    const w = await pair();
    for (const c of [["foo"], ["nosave", "save"], ["abort"], ["abort", "now"], ["NOW", "FORCE", "x"]]) await w.run("SHUTDOWN", ...c);
    await w.run("MULTI");
    await w.run("SHUTDOWN");
    await w.run("EXEC");
    w.close();

    const server = await startTrireme(["--http-port", "0"]);
    const exited = new Promise<number | null>((r) => server.process.once("exit", (code) => r(code)));
    const bystander = createConnection({ host: "127.0.0.1", port: server.port });
    const bystanderClosed = new Promise<void>((r) => bystander.once("close", () => r()));
    bystander.on("data", () => undefined);
    const r = await raw(server.port, resp("SET", "k", "v") + resp("GET", "k") + resp("SHUTDOWN", "NOSAVE"), 2000);
    expect(r).toEqual({ data: "+OK\r\n$1\r\nv\r\n", closed: true });
    expect(await exited).toBe(0);
    await bystanderClosed;
    expect(server.output()).toMatch(/User requested shutdown/);
  });

  it("SIGTERM shuts down gracefully with exit code 0", async () => {
    const server = await startTrireme(["--http-port", "0"]);
    expect(await server.stop()).toBe(0);
  });

  it("CONFIG REWRITE writes the current settings into the config file the server started with", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trireme-rewrite-"));
    const file = join(dir, "trireme.conf");
    writeFileSync(file, "# my settings\nhttp-port 0\ntimeout 0\nsave 900 1\nsave 300 10\n\n# the end\n");
    // Memory only whatever TEST_DURABILITY says: a durable run's --dir would be rewritten too.
    const server = await startTrireme(["--durability", "none"], { configFile: file });
    try {
      const c = await RespClient.connect(server.port);
      expect(text((await c.send("CONFIG", "GET", "save")).bytes)).toBe("*2\r\n$4\r\nsave\r\n$12\r\n900 1 300 10\r\n");
      await c.send("CONFIG", "SET", "timeout", "5", "maxmemory", "10mb", "slowlog-max-len", "64", "save", "60 1000");
      expect(text((await c.send("CONFIG", "REWRITE")).bytes)).toBe("+OK\r\n");
      c.close();
      const written = readFileSync(file, "utf8");
      expect(written).toBe(
        "# my settings\nhttp-port 0\ntimeout 5\nsave 60 1000\n\n# the end\n" +
        // Settings given as flags that differ from the defaults are written too, as Redis does.
        `# Generated by CONFIG REWRITE\nport ${server.port}\nbind 127.0.0.1\nmaxmemory 10mb\nslowlog-max-len 64\n`,
      );
    } finally {
      await server.stop();
    }
    const again = await startTrireme(["--durability", "none"], { configFile: file });
    try {
      const c = await RespClient.connect(again.port);
      const got = pairsOf((await c.send("CONFIG", "GET", "timeout", "maxmemory", "slowlog-max-len", "save")).value);
      expect(got).toEqual(["maxmemory=10485760", "save=60 1000", "slowlog-max-len=64", "timeout=5"]);
      c.close();
    } finally {
      await again.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
