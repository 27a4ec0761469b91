// Generic key commands against redis-server 7.0: every command with its
// edge cases and errors, byte for byte. Where a reply depends on the moment
// it is computed (PTTL, IDLETIME) or on hash order (SCAN, KEYS, RANDOMKEY),
// the test compares with a tolerance, as sets, or by membership.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Differential } from "./harness.ts";
import { encodeReply, parseValue, type RespValue } from "../../runtime/resp.ts";
import { text, toBytes, type Arg } from "../../runtime/bytes.ts";

let diff: Differential;
const unorderedKeys = (args: readonly string[]) => (args[0] === "keys" ? "unordered" : "exact");
beforeAll(async () => { diff = await Differential.create({ compare: unorderedKeys }); });
afterAll(() => diff.close());
beforeEach(async () => { await diff.reset(); });

/** Runs a command on both sides and returns both parsed replies, without comparing. */
async function both(...args: Arg[]): Promise<{ redis: RespValue; trireme: RespValue }> {
  const bytes = args.map(toBytes);
  const expected = await diff.redis.send(...bytes);
  const actual = parseValue(encodeReply(diff.engine.execute(diff.session, bytes), 2));
  if (actual === "incomplete") throw new Error("incomplete reply");
  return { redis: expected.value, trireme: actual.value };
}

function integer(v: RespValue): number {
  if (v.type !== "integer") throw new Error(`expected an integer, got ${JSON.stringify(v)}`);
  return Number(v.value);
}

/** Both sides reply integers that differ by at most `tolerance`. */
async function closeIntegers(tolerance: number, ...args: Arg[]): Promise<void> {
  const { redis, trireme } = await both(...args);
  expect(trireme.type).toBe(redis.type);
  expect(Math.abs(integer(trireme) - integer(redis))).toBeLessThanOrEqual(tolerance);
}

function bulkTexts(v: RespValue): string[] {
  if (v.type !== "array" || v.value === null) throw new Error(`expected an array, got ${JSON.stringify(v)}`);
  return v.value.map((item) => {
    if (item.type !== "bulk" || item.value === null) throw new Error("expected bulk strings");
    return text(item.value);
  });
}

/** Iterates SCAN to the end on one side, returning every key it saw. */
async function scanAll(send: (args: Arg[]) => Promise<RespValue>, options: Arg[]): Promise<string[]> {
  const seen: string[] = [];
  let cursor = "0";
  let calls = 0;
  do {
    const reply = await send(["SCAN", cursor, ...options]);
    if (reply.type !== "array" || reply.value === null) throw new Error(`bad SCAN reply ${JSON.stringify(reply)}`);
    const [c, keys] = reply.value;
    if (c?.type !== "bulk" || c.value === null) throw new Error("bad cursor");
    cursor = text(c.value);
    seen.push(...bulkTexts(keys!));
    if (++calls > 100_000) throw new Error("SCAN did not finish");
  } while (cursor !== "0");
  return seen;
}

async function compareScan(...options: Arg[]): Promise<string[]> {
  const redisKeys = await scanAll(async (args) => (await diff.redis.send(...args)).value, options);
  const ourKeys = await scanAll(async (args) => {
    const r = parseValue(encodeReply(diff.engine.execute(diff.session, args.map(toBytes)), 2));
    if (r === "incomplete") throw new Error("incomplete");
    return r.value;
  }, options);
  // Without changes during the scan, each key comes back exactly once.
  expect([...ourKeys].sort()).toEqual([...redisKeys].sort());
  return redisKeys;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A Unix time in seconds well in the future, fixed for the test run. */
const FUTURE_S = Math.floor(Date.now() / 1000) + 10_000_000;

describe("generic key commands against redis-server", () => {
  it("DEL, UNLINK, EXISTS, TOUCH, TYPE", async () => {
    await diff.runAll([
      ["SET", "a", "1"], ["SET", "b", "2"], ["SET", "", "empty"], ["SET", "n\u0000ul", "x"],
      ["UNLINK", "a", "a", "missing"],
      ["EXISTS", "a", "b", "b", "", "n\u0000ul", "n"],
      ["TOUCH", "b", "b", "missing", ""],
      ["TOUCH"], ["UNLINK"], ["EXISTS"],
      ["TYPE", "b"], ["TYPE", "a"], ["TYPE", "n\u0000ul"],
      ["DEL", "b", "", "n\u0000ul"],
      ["DBSIZE"],
    ]);
  });

  it("RENAME and RENAMENX", async () => {
    await diff.runAll([
      ["RENAME", "nokey", "x"], ["RENAMENX", "nokey", "x"],
      ["RENAME", "nokey", "nokey"], ["RENAMENX", "nokey", "nokey"],
      ["SET", "a", "1"], ["RENAME", "a", "a"], ["RENAMENX", "a", "a"], ["GET", "a"],
      ["RENAME", "a", "b"], ["GET", "a"], ["GET", "b"],
      ["SET", "c", "3"], ["RENAMENX", "b", "c"], ["GET", "b"], ["GET", "c"],
      ["RENAME", "b", "c"], ["GET", "c"], ["EXISTS", "b"],
      ["RENAME", "c", ""], ["GET", ""], ["RENAME", "", "bin\u0000\r\nkey"], ["GET", "bin\u0000\r\nkey"],
      ["PEXPIREAT", "bin\u0000\r\nkey", String(FUTURE_S * 1000 + 123)],
      ["RENAME", "bin\u0000\r\nkey", "d"], ["PEXPIRETIME", "d"], ["PEXPIRETIME", "bin\u0000\r\nkey"],
      ["SET", "e", "plain"], ["RENAME", "e", "d"], ["TTL", "d"], ["GET", "d"],
      ["RENAME", "d"], ["RENAME", "d", "e", "f"], ["RENAMENX", "d"],
      ["DBSIZE"],
    ]);
  });

  it("MOVE between databases", async () => {
    await diff.runAll([
      ["MOVE", "k", "1"], ["SET", "k", "v"],
      ["MOVE", "k", "0"], ["MOVE", "k", "16"], ["MOVE", "k", "-1"], ["MOVE", "k", "x"],
      ["MOVE", "k", "4294967296"], ["MOVE", "k", "2147483648"], ["MOVE", "k", "-2147483649"], ["MOVE", "k", ""],
      ["PEXPIREAT", "k", String(FUTURE_S * 1000 + 7)],
      ["MOVE", "k", "1"], ["EXISTS", "k"], ["SELECT", "1"], ["GET", "k"], ["PEXPIRETIME", "k"],
      ["SELECT", "0"], ["SET", "k", "other"], ["MOVE", "k", "1"], ["GET", "k"],
      ["SELECT", "1"], ["GET", "k"], ["MOVE", "k", "15"], ["SELECT", "15"], ["GET", "k"],
      ["MOVE", "k"], ["MOVE", "k", "1", "2"],
    ]);
  });

  it("COPY with DB and REPLACE", async () => {
    await diff.runAll([
      ["COPY", "src", "dst"],
      ["SET", "src", "hello"],
      ["COPY", "src", "src"], ["COPY", "src", "src", "DB", "0"], ["COPY", "src", "src", "db", "1"],
      ["COPY", "src", "dst", "DB"], ["COPY", "src", "dst", "DB", "x"], ["COPY", "src", "dst", "DB", "16"],
      ["COPY", "src", "dst", "DB", "-1"], ["COPY", "src", "dst", "DB", "99999999999"],
      ["COPY", "src", "dst", "bogus"], ["COPY", "src", "dst", "bogus", "DB", "x"], ["COPY", "src", "dst", "DB", "x", "bogus"],
      ["COPY", "src", "dst"], ["GET", "dst"], ["COPY", "src", "dst"],
      ["SET", "src", "changed"], ["COPY", "src", "dst", "REPLACE", "REPLACE"], ["GET", "dst"],
      ["PEXPIREAT", "src", String(FUTURE_S * 1000 + 5)],
      ["COPY", "src", "dst", "DB", "2", "replace"], ["SELECT", "2"], ["GET", "dst"], ["PEXPIRETIME", "dst"],
      ["SELECT", "0"], ["PEXPIRETIME", "dst"], ["PEXPIRETIME", "src"],
      ["SET", "i", "12"], ["COPY", "i", "i2"], ["OBJECT", "ENCODING", "i2"], ["GET", "i2"],
      ["SET", "long", "x".repeat(100)], ["COPY", "long", "long2"], ["OBJECT", "ENCODING", "long2"], ["GET", "long2"],
      ["SET", "bin", "a\u0000b"], ["COPY", "bin", ""], ["GET", ""], ["OBJECT", "ENCODING", ""],
      ["COPY", "src"], ["COPY"],
    ]);
  });

  it("SWAPDB", async () => {
    await diff.runAll([
      ["SET", "a", "in0"], ["SELECT", "1"], ["SET", "a", "in1"], ["SET", "b", "only1"],
      ["SWAPDB", "0", "1"], ["GET", "a"], ["GET", "b"], ["SELECT", "0"], ["GET", "a"], ["GET", "b"],
      ["SWAPDB", "0", "0"], ["GET", "a"],
      ["SWAPDB", "0", "16"], ["SWAPDB", "-1", "0"], ["SWAPDB", "x", "0"], ["SWAPDB", "0", "x"], ["SWAPDB", "x", "y"],
      ["SWAPDB", "0", "4294967296"], ["SWAPDB", "2147483648", "0"], ["SWAPDB", "", "0"],
      ["SWAPDB", "15", "0"], ["DBSIZE"], ["SELECT", "15"], ["DBSIZE"], ["GET", "b"],
      ["SWAPDB", "0"], ["SWAPDB", "0", "1", "2"],
    ]);
  });

  it("KEYS with patterns", async () => {
    const keys = ["", "a", "b", "ab", "abc", "hello", "hallo", "hxllo", "heeeello", "h*llo", "h?llo", "[a]", "a\\b",
      "-", "^", "]", "x\u0000y", "foo:1", "foo:22", "bar:1", "A", "B"];
    for (const k of keys) await diff.run("SET", k, "v");
    for (const pattern of [
      "*", "", "a", "?", "??", "*b*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo",
      "h\\*llo", "h\\?llo", "\\[a\\]", "[[]a]", "a\\\\b", "a\\b", "[", "[a", "[^", "[-]", "[a-]", "[]]", "[\\]]",
      "foo:*", "*:1", "*:?", "[a-z]", "[A-Z]", "[^a-z]", "**", "***b", "*\\", "\\", "x?y", "x\u0000y", "x*",
      "[!a]", "[a-c-e]", "h*l*o", "*l*l*", "a*b*c*d",
    ]) {
      await diff.run("KEYS", pattern);
    }
    await diff.runAll([["KEYS"], ["KEYS", "a", "b"]]);
  });

  it("KEYS patterns with bytes above 0x7f (C's signed chars)", async () => {
    const k1 = new Uint8Array([200]);
    const k2 = new Uint8Array([0x7f]);
    for (const k of ["a", "b", k1, k2]) await diff.run("SET", k, "v");
    for (const pattern of [[91, 97, 45, 255, 93], [91, 255, 45, 97, 93], [91, 94, 97, 45, 255, 93], [91, 128, 45, 255, 93],
      [91, 0, 45, 127, 93], [91, 200, 93], [63]]) {
      await diff.run("KEYS", new Uint8Array(pattern));
    }
  });

  it("KEYS with random patterns", async () => {
    const keys = ["", "a", "b", "ab", "ba", "a-b", "a]", "[a", "a\\", "^", "aab", "abab", "-", "a*", "b?"];
    for (const k of keys) await diff.run("SET", k, "v");
    const pattern = fc.array(fc.constantFrom("a", "b", "*", "?", "[", "]", "^", "-", "\\"), { maxLength: 8 }).map((p) => p.join(""));
    await fc.assert(fc.asyncProperty(pattern, async (p) => { await diff.run("KEYS", p); }), { numRuns: 300 });
  });

  it("SCAN arguments and errors", async () => {
    await diff.runAll([
      ["SCAN", "0"], ["SCAN", ""], ["SCAN", "-1"], ["SCAN", "+5"], ["SCAN", "00"], ["SCAN", "18446744073709551615"],
      ["SCAN", "-18446744073709551615"], ["SCAN", "1\u0000x"],
      ["SCAN", " 5"], ["SCAN", "5x"], ["SCAN", "18446744073709551616"], ["SCAN", "-18446744073709551616"],
      ["SCAN", "-"], ["SCAN", "+"], ["SCAN", "0x10"], ["SCAN", "1.5"], ["SCAN", "\t1"],
      ["SCAN", "0", "COUNT", "0"], ["SCAN", "0", "COUNT", "-1"], ["SCAN", "0", "COUNT", "x"],
      ["SCAN", "0", "COUNT", "9223372036854775808"], ["SCAN", "x", "COUNT", "0"], ["SCAN", "0", "COUNT", "0", "MATCH"],
      ["SCAN", "0", "MATCH"], ["SCAN", "0", "TYPE"], ["SCAN", "0", "COUNT"], ["SCAN", "0", "bogus", "1"],
      ["SCAN", "0", "count", "5", "COUNT", "6", "match", "*", "type", "string"], ["SCAN", "0", "TYPE", "nosuchtype"],
      ["SCAN"],
    ]);
  });

  it("SCAN iterations return the same keys as Redis", async () => {
    for (let i = 0; i < 300; i++) await diff.run("SET", `key:${i}`, "v");
    await diff.run("SET", "other", "v");
    await compareScan();
    await compareScan("COUNT", "1");
    await compareScan("COUNT", "1000");
    await compareScan("MATCH", "key:1*");
    await compareScan("MATCH", "*", "COUNT", "3");
    await compareScan("MATCH", "nothing*");
    await compareScan("TYPE", "string");
    await compareScan("TYPE", "STRING", "MATCH", "o*");
    expect(await compareScan("TYPE", "list")).toEqual([]);
  });

  it("SCAN and KEYS skip expired keys", async () => {
    await diff.runAll([
      ["SET", "live", "v"], ["SET", "dying", "v"], ["PEXPIRE", "dying", "1"], ["SET", "dying2", "v"], ["PEXPIRE", "dying2", "1"],
    ]);
    await sleep(10);
    await diff.run("KEYS", "*");
    await compareScan();
    await compareScan("MATCH", "dying*");
    await diff.run("EXISTS", "dying", "dying2", "live");
  });

  it("RANDOMKEY", async () => {
    await diff.run("RANDOMKEY");
    await diff.run("SET", "only", "v");
    await diff.run("RANDOMKEY");
    await diff.run("RANDOMKEY", "x");
    const keys = ["a", "b", "c", "d", "e"];
    for (const k of keys) await diff.run("SET", k, "v");
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { redis, trireme } = await both("RANDOMKEY");
      expect(redis.type).toBe("bulk");
      expect(trireme.type).toBe("bulk");
      if (trireme.type !== "bulk" || trireme.value === null) throw new Error("nil");
      const k = text(trireme.value);
      expect(["only", ...keys]).toContain(k);
      seen.add(k);
    }
    // 200 draws over 6 keys: every key comes up (a miss has probability < 1e-14).
    expect(seen.size).toBe(6);
    // Only expired keys left: RANDOMKEY deletes them and answers nil.
    await diff.run("FLUSHDB");
    for (const k of keys) await diff.runAll([["SET", k, "v"], ["PEXPIRE", k, "1"]]);
    await sleep(10);
    await diff.run("RANDOMKEY");
    await diff.run("EXISTS", ...keys);
  });

  it("EXPIRE family: options, conflicts, overflow, errors", async () => {
    await diff.runAll([
      ["EXPIRE", "nokey", "100"], ["PEXPIRE", "nokey", "100"], ["EXPIREAT", "nokey", "100"], ["PEXPIREAT", "nokey", "100"],
      ["EXPIRE", "k", "10", "NX", "XX"], ["EXPIRE", "k", "10", "nx", "gt"], ["EXPIRE", "k", "10", "NX", "LT"],
      ["EXPIRE", "k", "10", "GT", "LT"], ["EXPIRE", "k", "10", "XX", "GT", "LT"], ["EXPIRE", "k", "10", "GT", "NX"],
      ["EXPIRE", "k", "10", "foo"], ["EXPIRE", "k", "10", "NX", "foo"], ["EXPIRE", "k", "10", "a\r\nb"],
      ["EXPIRE", "k", "10", "a\u0000b"], ["EXPIRE", "k", "10", "nx\u0000junk", "xx"],
      ["EXPIRE", "k", "x", "NX"], ["EXPIRE", "k", "x", "bogus"], ["EXPIRE", "k", "1.5"], ["EXPIRE", "k", ""],
      ["EXPIRE", "k", "9223372036854775807"], ["EXPIRE", "k", "9223372036854775"], ["EXPIRE", "k", "-9223372036854775808"],
      ["EXPIRE", "k", "-9223372036854776"], ["PEXPIRE", "k", "9223372036854775807"], ["EXPIREAT", "k", "9223372036854776"],
      ["EXPIRE", "k", "9223372036854775808"], ["EXPIRE", "k"], ["PEXPIREAT"],
      ["SET", "k", "v"],
      ["EXPIRE", "k", "9223372036854775"], ["EXPIRE", "k", "-9223372036854776"],
      ["PEXPIREAT", "k", "9223372036854775807"], ["PEXPIRETIME", "k"], ["EXPIRETIME", "k"], ["TTL", "k"],
      ["EXPIREAT", "k", "9223372036854775"], ["PEXPIRETIME", "k"], ["EXPIRETIME", "k"],
      ["PERSIST", "k"], ["PERSIST", "k"], ["TTL", "k"], ["PTTL", "k"], ["EXPIRETIME", "k"], ["PEXPIRETIME", "k"],
      ["EXPIRE", "k", "100", "XX"], ["EXPIRE", "k", "100", "GT"], ["TTL", "k"],
      ["EXPIRE", "k", "100", "LT"], ["TTL", "k"],
      ["EXPIRE", "k", "200", "NX"], ["EXPIRE", "k", "300", "XX"], ["TTL", "k"],
      ["EXPIREAT", "k", String(FUTURE_S), "GT"], ["EXPIRETIME", "k"],
      ["EXPIREAT", "k", String(FUTURE_S - 1), "GT"], ["EXPIREAT", "k", String(FUTURE_S), "GT"], ["EXPIREAT", "k", String(FUTURE_S), "LT"],
      ["EXPIREAT", "k", String(FUTURE_S - 1), "LT"], ["EXPIRETIME", "k"],
      ["PEXPIREAT", "k", String(FUTURE_S * 1000 + 499)], ["EXPIRETIME", "k"], ["PEXPIRETIME", "k"],
      ["PEXPIREAT", "k", String(FUTURE_S * 1000 + 500)], ["EXPIRETIME", "k"], ["PEXPIRETIME", "k"],
      ["PEXPIREAT", "k", String(FUTURE_S * 1000 + 500), "xx", "GT"], ["PEXPIREAT", "k", String(FUTURE_S * 1000 + 501), "xx", "gt"],
      ["PEXPIRETIME", "k"], ["PERSIST", "k"], ["PERSIST", "nokey"], ["PERSIST"],
      ["TTL", "nokey"], ["PTTL", "nokey"], ["EXPIRETIME", "nokey"], ["PEXPIRETIME", "nokey"], ["TTL"], ["TTL", "a", "b"],
    ]);
  });

  it("an expiry in the past deletes the key", async () => {
    await diff.runAll([
      ["SET", "a", "v"], ["EXPIRE", "a", "0"], ["EXISTS", "a"],
      ["SET", "a", "v"], ["EXPIRE", "a", "-10"], ["EXISTS", "a"],
      ["SET", "a", "v"], ["PEXPIRE", "a", "-1"], ["EXISTS", "a"],
      ["SET", "a", "v"], ["EXPIREAT", "a", "1"], ["EXISTS", "a"],
      ["SET", "a", "v"], ["PEXPIREAT", "a", "0"], ["EXISTS", "a"],
      ["SET", "a", "v"], ["PEXPIREAT", "a", "-9223372036854775808"], ["EXISTS", "a"],
      // GT against no expiry fails even for a past time; LT succeeds and deletes.
      ["SET", "a", "v"], ["EXPIRE", "a", "-1", "GT"], ["EXISTS", "a"], ["EXPIRE", "a", "-1", "LT"], ["EXISTS", "a"],
      ["SET", "a", "v"], ["EXPIRE", "a", "100"], ["EXPIRE", "a", "-1", "XX"], ["EXISTS", "a"],
      ["SET", "a", "v"], ["EXPIRE", "a", "-1", "NX"], ["EXISTS", "a"],
    ]);
  });

  it("keys expire after their time", async () => {
    await diff.runAll([["SET", "a", "v"], ["PEXPIRE", "a", "20"], ["SET", "b", "v"], ["PEXPIRE", "b", "100000"]]);
    await sleep(40);
    await diff.runAll([["GET", "a"], ["EXISTS", "a"], ["TTL", "a"], ["TYPE", "a"], ["GET", "b"], ["KEYS", "*"]]);
  });

  it("TTL and PTTL agree with Redis within the clock's drift", async () => {
    await diff.runAll([["SET", "k", "v"], ["PEXPIRE", "k", "100000"]]);
    await closeIntegers(50, "PTTL", "k");
    await diff.run("TTL", "k");
    await diff.run("EXPIRE", "k", "1000");
    await closeIntegers(50, "PTTL", "k");
    await diff.run("TTL", "k");
    await diff.run("SET", "k", "v", "EX", "100");
    await diff.run("TTL", "k");
    await closeIntegers(50, "PEXPIRETIME", "k");
  });

  it("OBJECT subcommands", async () => {
    await diff.runAll([
      ["OBJECT"], ["OBJECT", "bogus"], ["OBJECT", "bogus", "x"], ["OBJECT", "a\r\nb"], ["OBJECT", "HELP"], ["OBJECT", "help"],
      ["OBJECT", "HELP", "x"], ["OBJECT", "ENCODING"], ["OBJECT", "ENCODING", "a", "b"], ["OBJECT", "FREQ"],
      ["OBJECT", "ENCODING", "nokey"], ["OBJECT", "REFCOUNT", "nokey"], ["OBJECT", "IDLETIME", "nokey"], ["OBJECT", "FREQ", "nokey"],
      ["SET", "int", "12345"], ["SET", "neg", "-5"], ["SET", "small", "100"], ["SET", "zero", "0"], ["SET", "edge", "9999"],
      ["SET", "edge2", "10000"], ["SET", "big", "9223372036854775807"], ["SET", "toobig", "9223372036854775808"],
      ["SET", "lead", "012"], ["SET", "emb", "hello"], ["SET", "emb44", "x".repeat(44)], ["SET", "raw45", "x".repeat(45)],
      ["SET", "empty", ""],
      ...["int", "neg", "small", "zero", "edge", "edge2", "big", "toobig", "lead", "emb", "emb44", "raw45", "empty"].flatMap((k) => [
        ["OBJECT", "ENCODING", k], ["object", "encoding", k], ["OBJECT", "REFCOUNT", k],
      ]),
      ["OBJECT", "FREQ", "int"],
    ]);
    await closeIntegers(1, "OBJECT", "IDLETIME", "int");
  });

  it("random sequences over several databases", async () => {
    const key = fc.constantFrom("a", "b", "c", "");
    const db = fc.constantFrom("0", "1", "2");
    const future = fc.constantFrom(FUTURE_S, FUTURE_S + 1000, FUTURE_S + 2000);
    const flag = fc.constantFrom("NX", "XX", "GT", "LT");
    const command = fc.oneof(
      fc.tuple(fc.constant("SET"), key, fc.constantFrom("1", "v", "x".repeat(50))),
      fc.tuple(fc.constantFrom("DEL", "UNLINK", "EXISTS", "TOUCH"), key, key),
      fc.tuple(fc.constantFrom("RENAME", "RENAMENX"), key, key),
      fc.tuple(fc.constant("MOVE"), key, db),
      fc.tuple(fc.constant("COPY"), key, key),
      fc.tuple(fc.constant("COPY"), key, key, fc.constant("DB"), db),
      fc.tuple(fc.constant("COPY"), key, key, fc.constant("DB"), db, fc.constant("REPLACE")),
      fc.tuple(fc.constant("SWAPDB"), db, db),
      fc.tuple(fc.constant("SELECT"), db),
      fc.tuple(fc.constant("EXPIRE"), key, fc.constantFrom("100", "5000", "-1")),
      fc.tuple(fc.constant("EXPIRE"), key, fc.constantFrom("100", "5000"), fc.constantFrom("NX", "XX")),
      fc.tuple(fc.constant("EXPIREAT"), key, future.map(String), flag),
      fc.tuple(fc.constant("PEXPIREAT"), key, future.map((s) => String(s * 1000 + 250)), flag),
      fc.tuple(fc.constantFrom("PERSIST", "TTL", "EXPIRETIME", "PEXPIRETIME", "TYPE", "GET"), key),
      fc.tuple(fc.constant("OBJECT"), fc.constantFrom("ENCODING", "REFCOUNT"), key),
      fc.tuple(fc.constant("KEYS"), fc.constantFrom("*", "?", "[ab]")),
      fc.tuple(fc.constant("DBSIZE")),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
        await diff.reset();
        await diff.runAll(commands);
      }),
      { numRuns: 80 },
    );
  });
});
