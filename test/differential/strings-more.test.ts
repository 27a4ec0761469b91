// The string commands beyond GET/SET, against redis-server 7.0: replies byte
// for byte, OBJECT ENCODING names, TTLs, and the effect records that make
// non-deterministic writes replayable.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Differential } from "./harness.ts";
import { Engine } from "../../runtime/engine.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { encodingName } from "../../runtime/encodings.ts";
import { encodeReply } from "../../runtime/resp.ts";
import { text, utf8, type Arg } from "../../runtime/bytes.ts";
import { coreModule } from "../helpers/core-bytes.ts";

let diff: Differential;
beforeAll(async () => { diff = await Differential.create(); });
afterAll(() => diff.close());
beforeEach(async () => { await diff.reset(); });

/** OBJECT ENCODING of a key in Redis and in the engine must agree. */
async function expectSameEncoding(key: string): Promise<void> {
  const redis = await diff.redis.send("OBJECT", "ENCODING", key);
  const x = diff.engine.core.x;
  const e = x.ks_peek(diff.session.db, diff.engine.core.stage1(utf8(key)), utf8(key).length);
  const ours = e === 0 ? null : encodingName(x.ks_entry_type(e), x.ks_entry_encoding(e));
  const theirs = redis.value.type === "bulk" && redis.value.value !== null ? text(redis.value.value) : null;
  expect({ key, encoding: ours }).toEqual({ key, encoding: theirs });
}

/** Milliseconds to live of a key in the engine, or -1 / -2 like PTTL. */
function enginePttl(key: string): number {
  const x = diff.engine.core.x;
  const k = utf8(key);
  const e = x.ks_peek(diff.session.db, diff.engine.core.stage1(k), k.length);
  if (e === 0) return -2;
  const at = x.ks_get_expire(diff.session.db, e);
  return at < 0 ? -1 : at - Date.now();
}

async function expectSameTtl(key: string): Promise<void> {
  const redis = await diff.redis.send("PTTL", key);
  const theirs = Number((redis.value as { value: bigint | number }).value);
  const ours = enginePttl(key);
  if (theirs < 0) expect(ours).toBe(theirs);
  else expect(Math.abs(ours - theirs)).toBeLessThan(2000);
}

function showEffects(records: readonly EffectRecord[]): string[] {
  return records.map((r) => r.args.map((a) => text(a)).join(" "));
}

describe("string commands against redis-server", () => {
  it("SETNX, SETEX, PSETEX and their errors", async () => {
    await diff.runAll([
      ["SETNX", "k", "v"],
      ["SETNX", "k", "w"],
      ["GET", "k"],
      ["SETNX", ""],
      ["SETNX", "a", "b", "c"],
      ["SETEX", "k", "100", "x"],
      ["GET", "k"],
      ["SETEX", "k", "0", "x"],
      ["SETEX", "k", "-1", "x"],
      ["SETEX", "k", "1.5", "x"],
      ["SETEX", "k", " 10", "x"],
      ["SETEX", "k", "9223372036854775807", "x"],
      ["SETEX", "k", "9223372036854775", "x"],
      ["SETEX", "k", "10"],
      ["PSETEX", "p", "100000", "y"],
      ["GET", "p"],
      ["PSETEX", "p", "0", "y"],
      ["PSETEX", "p", "9223372036854775807", "y"],
      ["PSETEX", "p", "abc", "y"],
      ["LPUSH_IS_NOT_HERE", "x"],
      ["SETNX", "p", "z"],
    ]);
    await expectSameTtl("k");
    await expectSameTtl("p");
    await diff.run("SET", "k", "plain");
    await expectSameTtl("k");
  });

  it("SET expiry options repeat and exclude each other like Redis", async () => {
    await diff.runAll([
      ["SET", "k", "v", "EX", "10", "EX", "20"],
      ["SET", "k", "v", "PX", "100000", "PX", "200000"],
      ["SET", "k", "v", "EX", "10", "PX", "20"],
      ["SET", "k", "v", "EX", "10", "KEEPTTL"],
      ["SET", "k", "v", "KEEPTTL", "KEEPTTL"],
      ["SET", "k", "v", "KEEPTTL", "PXAT", "99999999999999"],
      ["SET", "k", "v", "EXAT", "99999999999", "EXAT", "99999999998"],
      ["SET", "k", "v", "NX", "NX"],
      ["SET", "k", "v", "GET", "GET"],
      ["SET", "k", "v", "PERSIST"],
      ["SET", "k", "v", "ex", "10", "nx"],
      ["GET", "k"],
    ]);
    await expectSameTtl("k");
  });

  it("MGET, MSET, MSETNX", async () => {
    await diff.runAll([
      ["MSET", "a", "1", "b", "2", "a", "3"],
      ["MGET", "a", "b", "c", "a"],
      ["MSET", "a", "1", "b"],
      ["MSET", "a"],
      ["MSETNX", "c", "1", "d"],
      ["MSETNX", "c", "1", "d", "2"],
      ["MSETNX", "c", "x", "e", "y"],
      ["MGET", "c", "d", "e"],
      ["SADD_NOT_HERE", "s"],
      ["MGET"],
      ["MGET", "", "missing"],
      ["MSET", "", "empty key", "bin\u0000key", "bin\u0000value"],
      ["MGET", "", "bin\u0000key"],
      ["MSETNX", "fresh", "1", "fresh", "2"],
      ["GET", "fresh"],
    ]);
  });

  it("GETSET, GETDEL, GETEX", async () => {
    await diff.runAll([
      ["GETSET", "k", "1"],
      ["GETSET", "k", "2"],
      ["GET", "k"],
      ["GETSET", "k"],
      ["GETDEL", "k"],
      ["GETDEL", "k"],
      ["EXISTS", "k"],
      ["GETDEL", "k", "x"],
      ["SET", "k", "v"],
      ["GETEX", "k"],
      ["GETEX", "missing", "EX", "10"],
      ["GETEX", "missing", "EX", "abc"],
      ["GETEX", "k", "EX", "abc"],
      ["GETEX", "k", "EX", "0"],
      ["GETEX", "k", "EX", "-1"],
      ["GETEX", "k", "PX", "9223372036854775807"],
      ["GETEX", "k", "EX", "9223372036854775807"],
      ["GETEX", "k", "EX"],
      ["GETEX", "k", "EX", "10", "PX", "10"],
      ["GETEX", "k", "PERSIST", "EX", "10"],
      ["GETEX", "k", "EX", "10", "PERSIST"],
      ["GETEX", "k", "KEEPTTL"],
      ["GETEX", "k", "NX"],
      ["GETEX", "k", "GET"],
      ["GETEX", "k", "BOGUS"],
      ["GETEX", "k", "EX", "100", "EX", "200"],
    ]);
    await expectSameTtl("k");
    await diff.runAll([["GETEX", "k", "PERSIST", "PERSIST"]]);
    await expectSameTtl("k");
    await diff.runAll([
      ["GETEX", "k", "PXAT", "99999999999999"],
      ["GETEX", "k", "EXAT", "99999999999"],
    ]);
    await expectSameTtl("k");
    await diff.runAll([
      ["GETEX", "k", "PXAT", "1"],
      ["EXISTS", "k"],
      ["SET", "k", "v"],
      ["GETEX", "k", "EXAT", "1"],
      ["EXISTS", "k"],
      ["GETEX"],
    ]);
  });

  it("APPEND, STRLEN and encodings", async () => {
    await diff.runAll([
      ["APPEND", "n", "123"],
      ["STRLEN", "n"],
    ]);
    await expectSameEncoding("n");
    await diff.runAll([["APPEND", "n", "4"], ["GET", "n"]]);
    await expectSameEncoding("n");
    await diff.runAll([["APPEND", "s", "abc"]]);
    await expectSameEncoding("s");
    await diff.runAll([["APPEND", "s", ""], ["GET", "s"]]);
    await expectSameEncoding("s");
    await diff.runAll([["APPEND", "long", "x".repeat(45)]]);
    await expectSameEncoding("long");
    await diff.runAll([
      ["APPEND", "e", ""],
      ["EXISTS", "e"],
      ["STRLEN", "e"],
      ["APPEND", "bin", "a\u0000b"],
      ["APPEND", "bin", "\u0000\r\n"],
      ["GET", "bin"],
      ["STRLEN", "bin"],
      ["STRLEN", "missing"],
      ["STRLEN"],
      ["APPEND", "x"],
      ["STRLEN", "a", "b"],
      ["SET", "i", "-9223372036854775808"],
      ["STRLEN", "i"],
    ]);
    await expectSameEncoding("i");
  });

  it("SET, MSET, SETNX, SETEX, GETSET tag int, embstr and raw like Redis", async () => {
    const values = ["123", "-123", "0", "-0", "01", "+1", " 1", "9223372036854775807", "9223372036854775808",
      "-9223372036854775808", "12345678901234567890", "", "x".repeat(44), "x".repeat(45), "1.5", "a\u0000b"];
    for (const [i, v] of values.entries()) {
      await diff.runAll([
        ["SET", `set${i}`, v],
        ["MSET", `mset${i}`, v],
        ["SETNX", `setnx${i}`, v],
        ["SETEX", `setex${i}`, "1000", v],
        ["GETSET", `getset${i}`, v],
      ]);
      for (const prefix of ["set", "mset", "setnx", "setex", "getset"]) await expectSameEncoding(`${prefix}${i}`);
    }
  });

  it("GETRANGE (and SUBSTR) with negative, huge and reversed ranges", async () => {
    await diff.run("SET", "k", "Hello, World");
    const indexes = ["0", "1", "-1", "-2", "5", "11", "12", "100", "-100", "-12", "-13",
      "9223372036854775807", "-9223372036854775808", "-9223372036854775807", "4294967296", "-4294967296"];
    for (const s of indexes) {
      for (const t of indexes) await diff.run("GETRANGE", "k", s, t);
    }
    await diff.runAll([
      ["GETRANGE", "missing", "0", "-1"],
      ["GETRANGE", "missing", "x", "-1"],
      ["GETRANGE", "k", "0", "x"],
      ["GETRANGE", "k", "0.5", "1"],
      ["GETRANGE", "k", "01", "1"],
      ["GETRANGE", "k", "+1", "1"],
      ["GETRANGE", "k", "9223372036854775808", "1"],
      ["GETRANGE", "k", "0"],
      ["SET", "e", ""],
      ["GETRANGE", "e", "0", "-1"],
      ["GETRANGE", "e", "0", "0"],
      ["GETRANGE", "e", "-1", "0"],
      ["SET", "n", "12345"],
      ["GETRANGE", "n", "1", "-2"],
      ["SUBSTR", "k", "0", "4"],
      ["SUBSTR", "k", "-5", "-1"],
      ["SUBSTR", "k", "0"],
      ["SET", "bin", "\u0000\u0001\u0000\u0002"],
      ["GETRANGE", "bin", "1", "2"],
      ["RPUSH_NOT_HERE", "l"],
    ]);
  });

  it("SETRANGE grows in place, checks offsets and the 512 MB limit", async () => {
    await diff.runAll([
      ["SETRANGE", "k", "0", ""],
      ["EXISTS", "k"],
      ["SETRANGE", "k", "5", "abc"],
      ["GET", "k"],
      ["SETRANGE", "k", "0", "XY"],
      ["GET", "k"],
      ["SETRANGE", "k", "7", "longer tail"],
      ["GET", "k"],
      ["SETRANGE", "k", "3", ""],
      ["SETRANGE", "k", "-1", "x"],
      ["SETRANGE", "k", "x", "x"],
      ["SETRANGE", "k", "1.0", "x"],
      ["SETRANGE", "k", "536870912", "x"],
      ["SETRANGE", "k", "536870911", "xy"],
      ["SETRANGE", "k", "9223372036854775807", "x"],
      ["SETRANGE", "k", "9223372036854775808", "x"],
      ["SETRANGE", "missing", "536870912", "x"],
      ["SETRANGE", "missing", "536870912", ""],
      ["SETRANGE", "k", "536870912", ""],
      ["SETRANGE", "k", "-1", ""],
      ["SETRANGE", "k", "0"],
      ["SETRANGE", "bin", "2", "\u0000\u00ff"],
      ["GET", "bin"],
    ]);
    await expectSameEncoding("k");
    await diff.runAll([["SET", "n", "123"], ["SETRANGE", "n", "0", "4"], ["GET", "n"]]);
    await expectSameEncoding("n");
    await diff.runAll([["SET", "m", "123"], ["SETRANGE", "m", "0", ""]]);
    await expectSameEncoding("m");
  });

  it("INCR, DECR, INCRBY, DECRBY parse like string2ll and check overflow", async () => {
    const values = ["9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
      " 1", "1 ", "01", "+1", "-0", "0", "-", "", "1.0", "1e3", "abc", "12345678901234567890", "007",
      "4611686018427387904", "9007199254740993", "-9007199254740993", "\u00001", "1\u0000"];
    for (const v of values) {
      await diff.runAll([
        ["SET", "k", v],
        ["INCR", "k"],
        ["GET", "k"],
        ["SET", "k", v],
        ["DECR", "k"],
        ["GET", "k"],
      ]);
    }
    const increments = ["0", "1", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
      "-9223372036854775809", " 1", "+1", "01", "1.5", "", "abc", "-0", "4611686018427387904"];
    for (const start of ["0", "-1", "1", "9223372036854775807", "-9223372036854775808", "4611686018427387904"]) {
      for (const by of increments) {
        await diff.runAll([
          ["SET", "k", start],
          ["INCRBY", "k", by],
          ["GET", "k"],
          ["SET", "k", start],
          ["DECRBY", "k", by],
          ["GET", "k"],
        ]);
      }
    }
    await diff.runAll([
      ["INCR", "fresh"],
      ["DECR", "fresh2"],
      ["INCRBY", "fresh3", "-5"],
      ["DECRBY", "fresh4", "-5"],
      ["MGET", "fresh", "fresh2", "fresh3", "fresh4"],
      ["INCR"],
      ["INCR", "a", "b"],
      ["INCRBY", "a"],
      ["DECRBY", "a", "1", "2"],
      ["INCRBY", "missing", "x"],
      ["SET", "k", "10"],
      ["SETEX", "t", "1000", "5"],
      ["INCR", "t"],
      ["GET", "t"],
    ]);
    await expectSameTtl("t");
    for (const key of ["fresh", "fresh3", "t"]) await expectSameEncoding(key);
    await diff.runAll([["SET", "big", "100"], ["INCRBY", "big", "9223372036854775000"]]);
    await expectSameEncoding("big");
    await diff.runAll([["SET", "neg", "-100"], ["INCR", "neg"]]);
    await expectSameEncoding("neg");
  });

  it("INCRBYFLOAT with exponents, hex, inf and long double rounding", async () => {
    const cases: Array<[string, string]> = [
      ["1.5", "1.5"], ["10.50", "0.1"], ["5.0e3", "2.0e2"], ["1", "1e20"], ["100000000000000000000", "0.1"],
      ["0.1", "0.2"], ["1", "0x1p3"], ["1", "0X1.8P1"], ["1", "0x"], ["1", "0x.8"], ["3", "-3"], ["-3", "2.5"],
      ["1", "inf"], ["1", "-inf"], ["1", "+Infinity"], ["inf", "1"], ["1", "nan"], ["1", "1e4933"],
      ["1", "1e4932"], ["9", "1e4930"], ["1", "-1e4930"], ["5", "1e-4940"], ["5", "1e-5000"], ["0", "0e99999"],
      ["1", " 1"], ["1", "1 "], ["1", "+.5"], ["1", "5."], ["1", "."], ["1", "1e"], ["1", "1e+"], ["1", "--1"],
      ["1", ""], ["", "1"], ["abc", "1"], ["1\u00002", "1"], ["1", "1\u00002"], ["1.7976931348623157e308", "1e308"],
      ["-1", "0.99999999999999999999"], ["0.000000000000000001", "0"], ["0.000000000000000005", "0"],
      ["0.000000000000000015", "0"], ["-0.000000000000000001", "0"], ["-0", "0"], ["-0", "-0"],
      ["123456789012345678", "1"], ["12345678901234567890", "1"], ["1.23456789012345678901234567890", "0"],
      ["3.0000000000000000005", "0"], ["2.5e-7", "1e-8"], ["9223372036854775807", "1"],
      ["1", "0x1p-16445"], ["1", "0x1p16383"], ["0x1p16383", "0x1p16383"],
    ];
    for (const [start, by] of cases) {
      await diff.runAll([
        ["SET", "k", start],
        ["INCRBYFLOAT", "k", by],
        ["GET", "k"],
      ]);
    }
    await diff.runAll([
      ["INCRBYFLOAT", "fresh", "2.5"],
      ["INCRBYFLOAT", "fresh", "0.5"],
      ["GET", "fresh"],
      ["INCRBYFLOAT", "fresh"],
      ["INCRBYFLOAT", "fresh", "1", "2"],
      ["SETEX", "t", "1000", "1.5"],
      ["INCRBYFLOAT", "t", "1"],
    ]);
    await expectSameEncoding("fresh");
    await expectSameTtl("t");
    await diff.runAll([["SET", "big", "1"], ["INCRBYFLOAT", "big", "1e50"]]);
    await expectSameEncoding("big");
  });

  it("LCS: strings, LEN, IDX, MINMATCHLEN, WITHMATCHLEN, errors", async () => {
    await diff.runAll([
      ["MSET", "a", "ohmytext", "b", "mynewtext"],
      ["LCS", "a", "b"],
      ["LCS", "a", "b", "LEN"],
      ["LCS", "a", "b", "IDX"],
      ["LCS", "a", "b", "IDX", "MINMATCHLEN", "4"],
      ["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
      ["LCS", "a", "b", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "-5"],
      ["LCS", "a", "b", "WITHMATCHLEN"],
      ["LCS", "a", "b", "MINMATCHLEN", "2"],
      ["LCS", "a", "b", "LEN", "IDX"],
      ["LCS", "a", "b", "LEN", "LEN"],
      ["LCS", "a", "b", "MINMATCHLEN"],
      ["LCS", "a", "b", "MINMATCHLEN", "x"],
      ["LCS", "a", "b", "BOGUS"],
      ["LCS", "a", "missing"],
      ["LCS", "missing", "missing", "IDX"],
      ["LCS", "a", "a", "IDX", "WITHMATCHLEN"],
      ["LCS", "a"],
      ["MSET", "x", "a\u0000b\u0000c", "y", "\u0000b\u0000"],
      ["LCS", "x", "y"],
      ["LCS", "x", "y", "IDX", "WITHMATCHLEN"],
      ["HSET_NOT_HERE", "h"],
    ]);
    // A table of (12001 x 12001) u32 cells is over 512 MB: refused before allocating.
    const big = "ab".repeat(6000);
    await diff.runAll([
      ["MSET", "big1", big, "big2", big],
      ["LCS", "big1", "big2", "LEN"],
      ["LCS", "big1", "missing", "LEN"],
      ["LCS", "big1", "a"],
    ]);
  });

  it("wrong types: every command on a non-string key", async () => {
    await diff.run("RPUSH", "list", "x");
    const commands: Arg[][] = [
      ["GET", "list"], ["GETSET", "list", "v"], ["GETDEL", "list"], ["GETEX", "list"], ["GETEX", "list", "EX", "abc"],
      ["APPEND", "list", "x"], ["STRLEN", "list"], ["GETRANGE", "list", "0", "1"], ["GETRANGE", "list", "x", "1"],
      ["SETRANGE", "list", "0", "x"], ["SETRANGE", "list", "0", ""], ["SETRANGE", "list", "-1", "x"],
      ["INCR", "list"], ["DECR", "list"], ["INCRBY", "list", "1"], ["INCRBY", "list", "x"], ["DECRBY", "list", "1"],
      ["INCRBYFLOAT", "list", "1"], ["INCRBYFLOAT", "list", "x"], ["LCS", "list", "missing"], ["LCS", "missing", "list", "BOGUS"],
      ["SETBIT", "list", "0", "1"], ["SETBIT", "list", "-1", "1"], ["GETBIT", "list", "0"], ["BITCOUNT", "list"],
      ["BITCOUNT", "list", "x"], ["BITPOS", "list", "1"], ["BITPOS", "list", "2"], ["BITOP", "AND", "d", "list"],
      ["BITOP", "OR", "d", "missing", "list"], ["MGET", "list", "missing"], ["SETNX", "list", "v"],
      ["MSETNX", "list", "v", "other", "w"], ["SET", "list", "v", "GET"], ["SET", "list", "v", "NX", "GET"],
      ["EXISTS", "other", "d"], ["TYPE", "list"],
    ];
    await diff.runAll(commands);
    await diff.runAll([["SET", "list", "now a string"], ["GET", "list"], ["TYPE", "list"]]);
  });

  it("every command's arity", async () => {
    const cases: Arg[][] = [
      ["SETNX", "k"], ["SETEX", "k", "1"], ["PSETEX", "k", "1"], ["MGET"], ["MSET", "k"], ["MSETNX", "k"],
      ["GETSET", "k"], ["GETDEL"], ["GETEX"], ["APPEND", "k"], ["STRLEN"], ["GETRANGE", "k", "0"],
      ["SUBSTR", "k", "0", "1", "2"], ["SETRANGE", "k", "0"], ["INCR"], ["DECR", "a", "b"], ["INCRBY", "k"],
      ["DECRBY", "k"], ["INCRBYFLOAT", "k"], ["LCS", "k"], ["SETBIT", "k", "0"], ["GETBIT", "k"], ["BITCOUNT"],
      ["BITPOS", "k"], ["BITOP", "AND", "d"], ["setnx", "k", "v", "w"], ["StrLen", "a", "b"],
    ];
    await diff.runAll(cases);
  });
});

describe("effect records", () => {
  it("make relative expiries absolute, INCRBYFLOAT a SET, GETDEL a DEL, and replay to the same state", async () => {
    const effects: EffectRecord[] = [];
    diff.engine.onEffect = (r) => effects.push(r);
    const before = Date.now();
    await diff.runAll([
      ["SETEX", "a", "100", "1"],
      ["PSETEX", "b", "100000", "2"],
      ["INCRBYFLOAT", "a", "0.5"],
      ["SET", "c", "x"],
      ["GETEX", "c", "EX", "50"],
      ["GETEX", "c", "PX", "50000"],
      ["GETEX", "c", "PERSIST"],
      ["GETEX", "c", "PERSIST"],
      ["GETEX", "c"],
      ["GETDEL", "b"],
      ["GETDEL", "b"],
      ["SET", "d", "v"],
      ["GETEX", "d", "PXAT", "1"],
      ["GETSET", "e", "1"],
      ["INCR", "e"],
      ["APPEND", "e", "0"],
      ["SETRANGE", "e", "0", ""],
      ["SETRANGE", "e", "0", "9"],
      ["SETBIT", "f", "3", "1"],
      ["SETBIT", "f", "3", "1"],
      ["BITOP", "NOT", "g", "f"],
      ["BITOP", "AND", "h", "missing"],
      ["MSETNX", "e", "1"],
      ["MSETNX", "i", "1", "j", "2"],
      ["GET", "a"],
    ]);
    const after = Date.now();
    const shown = showEffects(effects);
    const pxat = (record: string) => Number(record.split(" ").at(-1));
    expect(shown[0]).toMatch(/^SET a 1 PXAT \d+$/);
    expect(pxat(shown[0]!)).toBeGreaterThanOrEqual(before + 100_000);
    expect(pxat(shown[0]!)).toBeLessThanOrEqual(after + 100_000);
    expect(shown[1]).toMatch(/^SET b 2 PXAT \d+$/);
    expect(shown[2]).toBe("SET a 1.5 KEEPTTL");
    expect(shown[3]).toBe("SET c x");
    expect(shown[4]).toMatch(/^PEXPIREAT c \d+$/);
    expect(pxat(shown[4]!)).toBeGreaterThanOrEqual(before + 50_000);
    expect(shown[5]).toMatch(/^PEXPIREAT c \d+$/);
    expect(shown.slice(6)).toEqual([
      "PERSIST c",
      "DEL b",
      "SET d v",
      "DEL d",
      "SET e 1",
      "INCR e",
      "APPEND e 0",
      "SETRANGE e 0 9",
      "SETBIT f 3 1",
      "BITOP NOT g f",
      "MSETNX i 1 j 2",
    ]);

    // Replaying the effects on an empty engine gives the same values and expiries.
    const replica = await Engine.create(coreModule());
    for (const r of effects) replica.apply(r);
    const session = replica.newSession();
    for (const key of ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]) {
      const ours = encodeReply(diff.engine.execute(diff.session, [utf8("GET"), utf8(key)]));
      const theirs = encodeReply(replica.execute(session, [utf8("GET"), utf8(key)]));
      expect(text(theirs)).toBe(text(ours));
      const x = diff.engine.core.x, y = replica.core.x;
      const k = utf8(key);
      const e1 = x.ks_peek(0, diff.engine.core.stage1(k), k.length);
      const e2 = y.ks_peek(0, replica.core.stage1(k), k.length);
      expect(e1 === 0 ? -2 : x.ks_get_expire(0, e1)).toBe(e2 === 0 ? -2 : y.ks_get_expire(0, e2));
    }
  });
});

describe("random string command sequences", () => {
  const key = fc.constantFrom("a", "b", "c", "", "k\u0000");
  const small = fc.integer({ min: -20, max: 20 }).map(String);
  const index = fc.oneof(small, fc.constantFrom("9223372036854775807", "-9223372036854775808", "x"));
  const value = fc.oneof(
    fc.constantFrom("", "0", "-1", "1", "9223372036854775807", "-9223372036854775808", "01", " 1", "1.5", "\u0000"),
    fc.integer({ min: -1000, max: 1000 }).map(String),
    fc.string({ maxLength: 12 }),
    fc.uint8Array({ maxLength: 12 }),
  );
  const float = fc.oneof(
    fc.double({ noNaN: true }).map((d) => String(d)),
    fc.constantFrom("0.1", "-0.1", "1e-3", "3.0e2", "inf", "x", "1e20", "0x10"),
    fc.integer({ min: -1000, max: 1000 }).map((n) => `${n}.${Math.abs(n) % 7}`),
  );
  const command: fc.Arbitrary<Arg[]> = fc.oneof(
    fc.tuple(fc.constant("SET"), key, value),
    fc.tuple(fc.constant("GET"), key),
    fc.tuple(fc.constant("SETNX"), key, value),
    fc.tuple(fc.constant("SETEX"), key, fc.constantFrom("100", "0", "x"), value),
    fc.tuple(fc.constant("MSET"), key, value, key, value),
    fc.tuple(fc.constant("MSETNX"), key, value, key, value),
    fc.tuple(fc.constant("MGET"), key, key, key),
    fc.tuple(fc.constant("GETSET"), key, value),
    fc.tuple(fc.constant("GETDEL"), key),
    // No 1 ms TTLs here: whether such a key has expired yet would race between the two servers.
    fc.tuple(fc.constant("GETEX"), key, fc.constantFrom("EX", "PX", "PERSIST", "PXAT"), fc.constantFrom("1000", "x")),
    fc.tuple(fc.constant("GETEX"), key, fc.constant("PXAT"), fc.constant("1")),
    fc.tuple(fc.constant("APPEND"), key, value),
    fc.tuple(fc.constant("STRLEN"), key),
    fc.tuple(fc.constant("GETRANGE"), key, index, index),
    fc.tuple(fc.constant("SETRANGE"), key, fc.oneof(small, fc.constant("536870912")), value),
    fc.tuple(fc.constantFrom("INCR", "DECR"), key),
    fc.tuple(fc.constantFrom("INCRBY", "DECRBY"), key, fc.oneof(index, value)),
    fc.tuple(fc.constant("INCRBYFLOAT"), key, float),
    fc.tuple(fc.constant("LCS"), key, key, fc.constantFrom("LEN", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "1")),
    fc.tuple(fc.constant("DEL"), key),
  );
  it("give the same replies as Redis", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
        await diff.reset();
        await diff.runAll(commands);
      }),
      { numRuns: 300 },
    );
  });

  it("LCS IDX ranges match on random small-alphabet strings", async () => {
    const s = fc.stringMatching(/^[ab\u0000c]{0,14}$/);
    await fc.assert(
      fc.asyncProperty(s, s, fc.integer({ min: 0, max: 4 }), async (a, b, min) => {
        await diff.run("MSET", "x", a, "y", b);
        await diff.run("LCS", "x", "y");
        await diff.run("LCS", "x", "y", "IDX", "MINMATCHLEN", String(min), "WITHMATCHLEN");
        await diff.run("LCS", "y", "x", "IDX");
      }),
      { numRuns: 150 },
    );
  });
});
