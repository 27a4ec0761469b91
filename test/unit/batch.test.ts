// Batched execution must be indistinguishable from running the same commands
// one at a time: same reply bytes, same effect records in the same order, the
// same data afterwards. Two engines with the same seed and the same fake
// clock run one workload, one command per call and in batches.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Engine, type EngineOptions, type EvictionPolicy } from "../../runtime/engine.ts";
import { encodeReply, encodeCommand } from "../../runtime/resp.ts";
import { concatBytes, text, toBytes, utf8, type Arg } from "../../runtime/bytes.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { openStore, ReplyError } from "../../runtime/store.ts";
import { NATIVE_COMMAND_HINT, nativeDurablePrefix } from "../../runtime/batch.ts";
import { keyPositions } from "../../runtime/commands/spec.ts";
import { coreModule } from "../helpers/core-bytes.ts";

const START_MS = 1_700_000_000_000;

interface Side {
  engine: Engine;
  effects: string[];
  clock: { now: number };
}

/**
 * An engine with a fake clock that records its effects. With `room`, it
 * first grows the executor's buffers (the same way on both sides, so both
 * hold the same memory) and then sets maxmemory to what it uses plus room.
 */
async function side(options: EngineOptions, room = 0): Promise<Side> {
  const clock = { now: START_MS };
  const effects: string[] = [];
  const engine = await Engine.create(coreModule(), {
    ...options,
    seed: 42,
    clock: () => clock.now,
    onEffect: (r: EffectRecord) => effects.push(`${r.db}|${r.args.map((a) => JSON.stringify(text(a))).join(" ")}`),
  });
  if (room > 0) {
    const session = engine.newSession();
    const long = "w".repeat(200);
    const warm: string[][] = [];
    for (let i = 0; i < 300; i++) warm.push(["SET", `${long}${i}`, long]);
    warm.push(["MGET", ...warm.map((c) => c[1]!)]);
    engine.executeBatch(session, warm);
    engine.executeBatch(session, [["FLUSHALL"]]);
    effects.length = 0;
    engine.maxmemory = engine.usedMemory() + room;
  }
  return { engine, effects, clock };
}

type Step = { tick: number } | { cmd: string[] };

/** Runs the steps one command per call; returns the concatenated RESP replies. */
function runSingly(s: Side, steps: readonly Step[], protocol: 2 | 3): string {
  const session = s.engine.newSession();
  session.protocol = protocol;
  const out: Uint8Array[] = [];
  for (const step of steps) {
    if ("tick" in step) s.clock.now += step.tick;
    else out.push(encodeReply(s.engine.execute(session, step.cmd.map(toBytes)), protocol));
  }
  return text(concatBytes(out));
}

/** Runs the steps in batches: a tick ends a batch, and so does each cut index. */
function runBatched(s: Side, steps: readonly Step[], protocol: 2 | 3, cuts: ReadonlySet<number>): { resp: string; count: number } {
  const session = s.engine.newSession();
  session.protocol = protocol;
  const out: Uint8Array[] = [];
  let count = 0;
  let batch: string[][] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const r = s.engine.executeBatch(session, batch);
    out.push(r.replies);
    count += r.count;
    batch = [];
  };
  steps.forEach((step, i) => {
    if (cuts.has(i)) flush();
    if ("tick" in step) {
      flush();
      s.clock.now += step.tick;
    } else {
      batch.push(step.cmd);
    }
  });
  flush();
  return { resp: text(concatBytes(out)), count };
}

/** Everything a user could read back: per database, each key's type, value and TTL. */
function dump(engine: Engine, keys: readonly string[]): string {
  const session = engine.newSession();
  const lines: string[] = [];
  for (let db = 0; db < 3; db++) {
    engine.execute(session, [utf8("SELECT"), utf8(String(db))]);
    lines.push(`db${db} size ${text(encodeReply(engine.execute(session, [utf8("DBSIZE")])))}`);
    for (const k of keys) {
      const type = encodeReply(engine.execute(session, [utf8("TYPE"), utf8(k)]));
      // Lists and sorted sets in full (the native pops and ZADD change them); strings by GET.
      const read = text(type) === "+list\r\n" ? ["LRANGE", k, "0", "-1"]
        : text(type) === "+zset\r\n" ? ["ZRANGE", k, "0", "-1", "WITHSCORES"] : ["GET", k];
      const value = encodeReply(engine.execute(session, read.map(utf8)));
      lines.push(`${JSON.stringify(k)} ${text(type)} ${text(value)}`);
    }
  }
  return lines.join("\n");
}

const KEYS = ["a", "b", "c", "", "k\u0000\r\n", "é"];
const key = fc.constantFrom(...KEYS);
const value = fc.oneof(
  fc.constantFrom("", "0", "1", "-1", "01", " 1", "+1", "-0", "9223372036854775807", "-9223372036854775808",
    "9223372036854775808", "abc", "a\r\nb"),
  fc.string({ maxLength: 20 }),
  fc.integer().map(String),
);
// Scores: plain integers (the core parses them), and forms only the host's strtod takes or refuses.
const score = fc.constantFrom("1", "2", "-1", "0", "-0", "007", "123456789012345", "1234567890123456", "-1.5", "+3",
  "1e2", "inf", "-inf", " 1", "abc", "", "-", "0x10", "9007199254740993");
const member = fc.constantFrom("m", "n", "o", "");
const index = fc.constantFrom("0", "1", "-1", "-2", "2", "10", "-10", "01", "x", "9223372036854775807", "-9223372036854775808");
const name = (n: string) => fc.constantFrom(n, n.toLowerCase(), n[0] + n.slice(1).toLowerCase());
const keys = fc.array(key, { minLength: 1, maxLength: 4 });
const command: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(name("GET"), key).map((t) => [...t]) },
  { weight: 4, arbitrary: fc.tuple(name("SET"), key, value).map((t) => [...t]) },
  { weight: 5, arbitrary: fc.tuple(name("SET"), key, value, fc.constantFrom("PX", "EX"), fc.integer({ min: -1, max: 40 })).map(([n, k, v, unit, t]) => [n, k, v, unit, String(unit === "EX" ? Math.ceil(t / 20) : t)]) },
  { weight: 1, arbitrary: fc.tuple(name("SET"), key, value, fc.constantFrom("KEEPTTL", "NX", "XX", "GET")).map((t) => [...t]) },
  { weight: 3, arbitrary: fc.tuple(name("INCR"), key).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("DECR"), key).map((t) => [...t]) },
  { weight: 3, arbitrary: fc.tuple(name("INCRBY"), key, value).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("DECRBY"), key, value).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("MGET"), keys).map(([n, ks]) => [n, ...ks]) },
  { weight: 2, arbitrary: fc.tuple(name("EXISTS"), keys).map(([n, ks]) => [n, ...ks]) },
  { weight: 2, arbitrary: fc.tuple(name("DEL"), keys).map(([n, ks]) => [n, ...ks]) },
  { weight: 2, arbitrary: fc.tuple(name("HSET"), key, fc.constantFrom("f", "g", ""), value).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(name("HSET"), key, fc.constantFrom("f", "g"), value, fc.constantFrom("h", "f"), value).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("HGET"), key, fc.constantFrom("f", "g", "")).map((t) => [...t]) },
  { weight: 3, arbitrary: fc.tuple(name("ZADD"), key, score, member).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(name("ZADD"), key, score, member, score, member).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("ZADD"), key, fc.constantFrom("NX", "XX", "CH", "INCR", "GT", "nx"), score, member).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.constantFrom<string[]>(["ZADD", "a", "1"], ["ZADD", "a", "1", "m", "2"], ["ZADD", "a"]) },
  { weight: 3, arbitrary: fc.tuple(name("ZRANGE"), key, index, index).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("ZRANGE"), key, index, index, fc.constantFrom("WITHSCORES", "withScores", "REV", "BYSCORE", "x")).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("LPOP"), key).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("RPOP"), key).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("LPOP", "RPOP"), key, fc.constantFrom("0", "1", "2", "-1", "x")).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("MSET"), key, value).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(name("MSET"), key, value, key, value).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.constantFrom<string[]>(["MSET", "a"], ["MSET", "a", "1", "b"], ["LPOP"], ["RPOP", "a", "1", "2"], ["ZRANGE", "a", "0"]) },
  { weight: 2, arbitrary: fc.tuple(name("ZRANK"), key, fc.constantFrom("m", "n", "o", "")).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("ZREVRANK"), key, fc.constantFrom("m", "n", "o")).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("ZRANK"), key, fc.constant("m"), fc.constantFrom("WITHSCORE", "x")).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.constantFrom<string[]>(["HSET", "a", "f"], ["ZRANK", "a"], ["ZREVRANK", "a", "b", "c", "d"]) },
  { weight: 2, arbitrary: fc.tuple(name("LPUSH"), key, value).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("RPUSH"), key, value).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("RPUSH"), key, value, value).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("LRANGE"), key, fc.constant("0"), fc.constant("-1")).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("SADD"), key, fc.constantFrom("m", "n", "")).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("SADD"), key, fc.constantFrom("m", "n"), fc.constantFrom("o", "m")).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("SCARD"), key).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.constantFrom<string[]>(["LPUSH", "a"], ["SADD", "a"]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("TYPE"), key).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("SELECT"), fc.constantFrom("0", "1", "2")).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.constantFrom<string[]>(["DBSIZE"], ["NOPE", "x"], ["GET"], ["GET", "a", "b"], ["INCR"], ["DEL"], ["MGET"], ["SET", "a"], ["INCRBY", "a"], []) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: command.map((cmd) => ({ cmd })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 30 }).map((tick) => ({ tick })) },
);
// Two keys, so lists and sorted sets grow, shrink and change type under each other.
const twoKeys = fc.constantFrom("a", "b");
const collectionCommand: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(name("RPUSH"), twoKeys, value).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("LPUSH"), twoKeys, value).map((t) => [...t]) },
  { weight: 3, arbitrary: fc.tuple(name("LPOP"), twoKeys).map((t) => [...t]) },
  { weight: 3, arbitrary: fc.tuple(name("RPOP"), twoKeys).map((t) => [...t]) },
  { weight: 5, arbitrary: fc.tuple(name("ZADD"), twoKeys, score, member).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("ZADD"), twoKeys, score, member, score, member).map((t) => [...t]) },
  { weight: 4, arbitrary: fc.tuple(name("ZRANGE"), twoKeys, index, index).map((t) => [...t]) },
  { weight: 4, arbitrary: fc.tuple(name("ZRANGE"), twoKeys, index, index, fc.constantFrom("WITHSCORES", "withscores")).map((t) => [...t]) },
  { weight: 2, arbitrary: fc.tuple(name("MSET"), twoKeys, value, twoKeys, value).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("PEXPIRE"), twoKeys, fc.integer({ min: 1, max: 30 }).map(String)).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("DEL"), twoKeys).map((t) => [...t]) },
);
const collectionWorkload = fc.record({
  steps: fc.array(fc.oneof(
    { weight: 12, arbitrary: collectionCommand.map((cmd) => ({ cmd })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }).map((tick) => ({ tick })) },
  ), { minLength: 20, maxLength: 80 }),
  cuts: fc.uniqueArray(fc.integer({ min: 0, max: 80 }), { maxLength: 6 }),
  protocol: fc.constantFrom<2 | 3>(2, 3),
});
const workload = fc.record({
  steps: fc.array(step, { minLength: 1, maxLength: 80 }),
  cuts: fc.uniqueArray(fc.integer({ min: 0, max: 80 }), { maxLength: 6 }),
  protocol: fc.constantFrom<2 | 3>(2, 3),
});

async function checkSame(options: EngineOptions, w: { steps: Step[]; cuts: number[]; protocol: 2 | 3 }, room = 0): Promise<void> {
  const single = await side(options, room);
  const batched = await side(options, room);
  batched.engine.nativeCallObservers.push((name, calls) => seen.native.set(name, (seen.native.get(name) ?? 0) + calls));
  const expected = runSingly(single, w.steps, w.protocol);
  const actual = runBatched(batched, w.steps, w.protocol, new Set(w.cuts));
  expect(actual.resp).toBe(expected);
  expect(actual.count).toBe(w.steps.filter((s) => "cmd" in s).length);
  expect(batched.effects).toEqual(single.effects);
  expect(batched.engine.stats).toEqual(single.engine.stats);
  expect(dump(batched.engine, KEYS)).toBe(dump(single.engine, KEYS));
  seen.expired += batched.engine.stats.expiredKeys;
  seen.evicted += batched.engine.stats.evictedKeys;
  seen.oom += (actual.resp.match(/-OOM /g) ?? []).length;
}

/** What the random runs exercised, so a generator that stopped reaching a path is noticed. */
const seen = { expired: 0, evicted: 0, oom: 0, native: new Map<string, number>() };

describe("batched execution matches one command per call", () => {
  it("on random workloads (replies, effects, expiry, final data)", async () => {
    await fc.assert(fc.asyncProperty(workload, (w) => checkSame({}, w)), { numRuns: 300 });
    expect(seen.expired).toBeGreaterThan(0);
  });

  it("on lists and sorted sets of two keys (pops, ZADD, ZRANGE, MSET over each other)", async () => {
    seen.native.clear();
    await fc.assert(fc.asyncProperty(collectionWorkload, (w) => checkSame({}, w)), { numRuns: 150 });
    for (const name of ["lpop", "rpop", "mset", "zadd", "zrange"]) expect(seen.native.get(name) ?? 0).toBeGreaterThan(100);
  });

  it("under maxmemory, evicting or refusing writes", async () => {
    const policies: EvictionPolicy[] = ["noeviction", "allkeys-random", "allkeys-lru", "volatile-ttl"];
    await fc.assert(
      fc.asyncProperty(workload, fc.constantFrom(...policies), fc.integer({ min: 64, max: 600 }), (w, policy, room) =>
        checkSame({ maxmemoryPolicy: policy, maxmemorySamples: 3 }, w, room)),
      { numRuns: 150 },
    );
    expect(seen.evicted).toBeGreaterThan(0);
    expect(seen.oom).toBeGreaterThan(0);
  });

  it("runs native commands in the core and hands the others to Engine.execute", async () => {
    const engine = await Engine.create(coreModule(), { seed: 1 });
    const hosted: string[] = [];
    const execute = engine.execute.bind(engine);
    engine.execute = (session, args) => {
      hosted.push(text(args[0] ?? new Uint8Array()));
      return execute(session, args);
    };
    const session = engine.newSession();
    const r = engine.executeBatch(session, [
      ["SET", "n", "10"], ["INCR", "n"], ["incrby", "n", "5"], ["DECR", "n"], ["decrBy", "n", "2"],
      ["GET", "n"], ["MGET", "n", "nope"], ["EXISTS", "n", "n"], ["SET", "t", "v", "EX", "100"],
      ["TYPE", "t"], ["DEL", "n", "t"], ["GET", "n"],
    ]);
    expect(hosted).toEqual(["SET", "TYPE"]);
    expect(text(r.replies)).toBe(
      "+OK\r\n:11\r\n:16\r\n:15\r\n:13\r\n$2\r\n13\r\n*2\r\n$2\r\n13\r\n$-1\r\n:2\r\n+OK\r\n+string\r\n:2\r\n$-1\r\n");
    expect(r.count).toBe(12);
    expect(r.errors).toBe(0);
  });

  it("sends writes to Engine.execute when maxmemory is set", async () => {
    const engine = await Engine.create(coreModule(), { seed: 1, maxmemory: 1 << 30 });
    let hosted = 0;
    const execute = engine.execute.bind(engine);
    engine.execute = (session, args) => {
      hosted++;
      return execute(session, args);
    };
    const r = engine.executeBatch(engine.newSession(), [["SET", "a", "1"], ["GET", "a"], ["INCR", "a"], ["EXISTS", "a"]]);
    expect(text(r.replies)).toBe("+OK\r\n$1\r\n1\r\n:2\r\n:1\r\n");
    expect(hosted).toBe(2);
  });
});

describe("counters", () => {
  it("INCR keeps the key's TTL, in both paths", async () => {
    for (const batched of [false, true]) {
      const s = await side({});
      const session = s.engine.newSession();
      const exec = (...args: string[]) => batched
        ? text(s.engine.executeBatch(session, [args]).replies)
        : text(encodeReply(s.engine.execute(session, args.map(toBytes))));
      expect(exec("SET", "t", "10", "PX", "50")).toBe("+OK\r\n");
      expect(exec("INCR", "t")).toBe(":11\r\n");
      s.clock.now += 49;
      expect(exec("GET", "t")).toBe("$2\r\n11\r\n");
      s.clock.now += 1;
      expect(exec("GET", "t")).toBe("$-1\r\n");
      expect(s.effects).toEqual([`0|"SET" "t" "10" "PXAT" "${START_MS + 50}"`, `0|"INCR" "t"`, `0|"DEL" "t"`]);
    }
  });
});

describe("executeResp on raw client bytes", () => {
  const commands: Arg[][] = [
    ["SET", "k", "v"], ["GET", "k"], ["SET", "bin", new Uint8Array([0, 13, 10, 255])], ["GET", "bin"],
    ["TYPE", "k"], ["INCR", "c"], ["MGET", "k", "c", "bin"],
  ];
  const input = concatBytes(commands.map((c) => encodeCommand(c.map(toBytes))));

  it("answers pipelined commands delivered in any two pieces like the whole", async () => {
    const whole = await Engine.create(coreModule(), { seed: 3 });
    const expected = whole.executeResp(whole.newSession(), input);
    expect(expected.consumed).toBe(input.length);
    expect(expected.count).toBe(commands.length);
    for (let cut = 0; cut <= input.length; cut++) {
      const engine = await Engine.create(coreModule(), { seed: 3 });
      const session = engine.newSession();
      const first = engine.executeResp(session, input.subarray(0, cut));
      const rest = input.subarray(first.consumed);
      const second = engine.executeResp(session, rest);
      expect(second.consumed).toBe(rest.length);
      expect(text(concatBytes([first.replies, second.replies]))).toBe(text(expected.replies));
      expect(first.count + second.count).toBe(commands.length);
    }
  });

  it("stops where the bytes are not an array of bulk strings", async () => {
    const engine = await Engine.create(coreModule(), { seed: 3 });
    const bytes = concatBytes([encodeCommand([utf8("SET"), utf8("a"), utf8("1")]), utf8("PING\r\n"), encodeCommand([utf8("GET"), utf8("a")])]);
    const r = engine.executeResp(engine.newSession(), bytes);
    expect(text(r.replies)).toBe("+OK\r\n");
    expect(r.consumed).toBe(encodeCommand([utf8("SET"), utf8("a"), utf8("1")]).length);
    const bad = engine.executeResp(engine.newSession(), utf8("*1\r\n$-1\r\n"));
    expect(bad.consumed).toBe(0);
    expect(bad.count).toBe(0);
  });
});

describe("Store.batch and Store.pipeline", () => {
  it("decode to the same values Store.command returns", async () => {
    const commands: string[][] = [
      ["SET", "s", "héllo"], ["GET", "s"], ["INCR", "n"], ["INCRBY", "n", "9007199254740993"], ["DECRBY", "n", "1"],
      ["MGET", "s", "n", "missing"], ["EXISTS", "s", "missing"], ["TYPE", "s"], ["INCR", "s"], ["GET", "missing"],
      ["DEL", "s", "n"], ["DBSIZE"], ["SELECT", "1"], ["SET", "x", "1"], ["NOPE"],
    ];
    for (const protocol of [2, 3] as const) {
      // The expected values come from the JS dispatcher alone (the native path is switched off).
      const one = await openStore(coreModule(), { seed: 9, protocol, activeExpireIntervalMs: 0 });
      one.engine.executeNative = () => null;
      const expected = commands.map((c) => {
        try {
          return one.command(...c);
        } catch (e) {
          return e;
        }
      });
      const many = await openStore(coreModule(), { seed: 9, protocol, activeExpireIntervalMs: 0 });
      const replies = many.batch(commands);
      expect(replies.length).toBe(commands.length);
      expect(replies.errors).toBe(2);
      const values = replies.values();
      for (let i = 0; i < commands.length; i++) {
        const e = expected[i];
        if (e instanceof ReplyError) {
          expect(values[i]).toBeInstanceOf(ReplyError);
          expect((values[i] as ReplyError).message).toBe(e.message);
        } else {
          expect(values[i]).toEqual(e);
        }
      }
      // Store.command through the native path gives the same values too.
      const direct = await openStore(coreModule(), { seed: 9, protocol, activeExpireIntervalMs: 0 });
      for (let i = 0; i < commands.length; i++) {
        let got;
        try {
          got = direct.command(...commands[i]!);
        } catch (e) {
          got = e;
        }
        const e = expected[i];
        if (e instanceof ReplyError) expect((got as ReplyError).message).toBe(e.message);
        else expect(got).toEqual(e);
      }
      direct.close();
      const p = many.pipeline();
      p.add("SET", "p", "1").add("INCR", "p").add("GET", "p");
      expect(p.length).toBe(3);
      expect(p.exec().values()).toEqual(["OK", 2, "2"]);
      expect(p.length).toBe(0);
      one.close();
      many.close();
    }
  });

  it("returns bulk strings as bytes when the store was opened with bytes: true", async () => {
    const store = await openStore(coreModule(), { bytes: true, activeExpireIntervalMs: 0 });
    const values = store.batch([["SET", "b", new Uint8Array([1, 2, 0])], ["GET", "b"]]).values();
    expect(values[1]).toEqual(new Uint8Array([1, 2, 0]));
    store.close();
  });

  it("handles a batch larger than one chunk of input", async () => {
    const store = await openStore(coreModule(), { activeExpireIntervalMs: 0 });
    const big = "x".repeat(10_000);
    const commands: string[][] = [];
    for (let i = 0; i < 300; i++) commands.push(["SET", `k${i}`, big], ["TYPE", `k${i}`], ["GET", `k${i}`]);
    const values = store.batch(commands).values();
    expect(values.length).toBe(900);
    for (let i = 0; i < 300; i++) expect(values.slice(i * 3, i * 3 + 3)).toEqual(["OK", "string", big]);
    store.close();
  });
});

describe("nativeDurablePrefix (a durable server's native run)", () => {
  const encode = (commands: Arg[][]) => concatBytes(commands.map((c) => encodeCommand(c.map(toBytes))));
  /** The run's end. */
  const scan = (input: Uint8Array, maxBytes = 1 << 20, maxCommands = 1000) => ({ end: nativeDurablePrefix(input, maxBytes, maxCommands) });

  it("ends at the first command the core does not run, at an incomplete one, and at the bounds", () => {
    const commands: Arg[][] = [
      ["SET", "a", "1"], ["incr", "n"], ["IncrBy", "n", "2"], ["DECR", "n"], ["DECRBY", "n", "1"], ["DEL", "a", "b"],
      ["HSET", "h", "f", "v"], ["LPUSH", "l", "x"], ["RPUSH", "l", "y"], ["SADD", "s", "m"], ["LPOP", "l"], ["RPOP", "l"],
      ["MSET", "a", "1", "b", "2"], ["ZADD", "z", "1", "m", "2", "n"], ["GET", "a"], ["MGET", "a", "b"], ["exists", "a"],
      ["ZRANK", "z", "m"], ["ZREVRANK", "z", "m"], ["ZRANGE", "z", "0", "-1"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ];
    const run = encode(commands);
    for (const stop of [["SET", "a", "1", "EX", "10"], ["HSET", "h", "f", "v", "g", "w"], ["MSET", "a"], ["ZADD", "z", "1"],
      ["LPOP", "l", "2"], ["GET", "a", "b"], ["ZRANGE", "z", "0", "-1", "REV", "WITHSCORES"], ["ZRANK", "z"], ["PING"],
      ["MULTI"], ["HGET", "h", "f"]] as Arg[][]) {
      const input = concatBytes([run, encode([stop]), encode([["SET", "c", "3"]])]);
      expect(scan(input).end, stop.join(" ")).toBe(run.length);
    }
    const whole = encode([...commands, ["SET", "c", "3"]]);
    expect(scan(whole).end).toBe(whole.length);
    for (let cut = 0; cut < whole.length; cut++) {
      const got = scan(whole.subarray(0, cut)).end;
      expect(got).toBeLessThanOrEqual(cut);
      expect(got === 0 || scan(whole.subarray(0, got)).end === got).toBe(true);
    }
    expect(scan(run, 1 << 20, 3).end).toBe(encode(commands.slice(0, 3)).length);
    expect(scan(run, 1, 1000).end).toBe(encode(commands.slice(0, 1)).length);
    expect(scan(utf8("SET a 1\r\n")).end).toBe(0);
    expect(scan(utf8("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$-1\r\n")).end).toBe(0);
  });

  it("agrees with the core and the command table: what runs natively; under a gate, which keys the core notes as written or read", async () => {
    const engine = await Engine.create(coreModule(), { seed: 9 });
    const session = engine.newSession();
    // What a durable primary's gate sets (runtime/log/gate.ts): the core keeps the table of pending writes.
    const x = engine.core.x;
    const OPEN_LSN = 1000;
    engine.onEffect = () => {};
    engine.openRecordLsn = () => OPEN_LSN;
    const newest = (key: Uint8Array) => x.pending_newest(session.db, engine.core.stage1(key), key.length);
    /** Arguments after the name that the core takes as they are (integer scores, WITHSCORES). */
    const argsFor = (name: string, count: number): string[] => {
      const rest: string[] = [];
      for (let i = 1; i < count; i++) {
        if (name === "zadd") rest.push(i % 2 === 1 && i > 1 ? "m" + i : i === 1 ? "z" : String(i));
        else if (name === "zrange") rest.push(i === 1 ? "z" : i === 2 ? "0" : i === 3 ? "-1" : "WITHSCORES");
        else if (name === "incrby" || name === "decrby") rest.push(i === 1 ? "n" : "2");
        else if (name === "zrank" || name === "zrevrank") rest.push(i === 1 ? "z" : "m");
        else rest.push(`a${i}`);
      }
      return rest;
    };
    // Every command of the table, not only those the core knows: the scan must not take one the core does not run.
    const names = [...engine.commands.keys()];
    expect(names).toEqual(expect.arrayContaining([...NATIVE_COMMAND_HINT]));
    for (const name of names) {
      const def = engine.commands.get(name)!;
      for (let count = 1; count <= 7; count++) {
        const args = [name, ...argsFor(name, count)];
        const bytes = args.map(toBytes);
        const input = encodeCommand(bytes);
        const label = args.join(" ");
        // A fresh key space and table each time, so that every command meets the same (empty) data.
        engine.execute(session, [toBytes("FLUSHALL")]);
        x.pending_reset();
        x.pending_run_begin();
        let effects = 0;
        engine.onEffect = () => { effects++; };
        const core = engine.executeNativePrefix(session, input).consumed === input.length;
        const end = nativeDurablePrefix(input, 1 << 20, 1000);
        // The scan may leave out what the core runs (that only costs the per-command path), never the other way round.
        if (end === input.length) expect(core, label).toBe(true);
        if (core) expect(end, label).toBe(input.length);
        if (!core) continue;
        const writes = def.flags.includes("write");
        expect(x.pending_write_commands(), label).toBe(writes ? 1 : 0);
        const keys = keyPositions(def, args.length, bytes);
        if (writes) {
          // The keys of its effect (if it changed anything) are pending in the open record; no other argument is.
          for (let i = 1; i < args.length; i++) {
            expect(newest(bytes[i]!), `${label}: argument ${i}`).toBe(effects > 0 && keys.includes(i) ? OPEN_LSN : 0);
          }
          continue;
        }
        // A read waits for the pending write of each key it names, and of no other argument.
        for (let i = 1; i < args.length; i++) {
          engine.execute(session, [toBytes("FLUSHALL")]);
          x.pending_reset();
          x.pending_note(session.db, engine.core.stage1(bytes[i]!), bytes[i]!.length, 7);
          x.pending_run_begin();
          expect(engine.executeNativePrefix(session, input).consumed, label).toBe(input.length);
          expect(x.pending_read_wait(), `${label}: argument ${i}`).toBe(keys.includes(i) ? 7 : 0);
        }
      }
    }
  });

  it("is a run the core runs whole, with the replies and effects of one command at a time", async () => {
    const commands: Arg[][] = [
      ["SET", "a", "1"], ["INCR", "a"], ["ZADD", "z", "1", "m"], ["LPUSH", "l", "x"], ["LPOP", "l"], ["LPOP", "l"],
      ["DEL", "missing"], ["INCR", "z"], ["MSET", "a", "5", "b", "6"], ["HSET", "h", "f", "v"], ["SADD", "s", "m"],
      ["GET", "a"], ["MGET", "a", "b", "nope"], ["EXISTS", "a", "nope"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZRANK", "z", "m"],
    ];
    const input = encode(commands);
    expect(scan(input).end).toBe(input.length);
    const batched = await Engine.create(coreModule(), { seed: 5 });
    const batchedEffects: string[] = [];
    batched.onEffect = (e) => batchedEffects.push(e.args.map((a) => text(a)).join(" "));
    const r = batched.executeNativePrefix(batched.newSession(), input);
    expect(r.consumed).toBe(input.length);
    expect(r.count).toBe(commands.length);
    const single = await Engine.create(coreModule(), { seed: 5 });
    const singleEffects: string[] = [];
    single.onEffect = (e) => singleEffects.push(e.args.map((a) => text(a)).join(" "));
    const session = single.newSession();
    const replies = commands.map((c) => encodeReply(single.execute(session, c.map(toBytes))));
    expect(text(r.replies)).toBe(text(concatBytes(replies)));
    expect(batchedEffects).toEqual(singleEffects);
  });
});
