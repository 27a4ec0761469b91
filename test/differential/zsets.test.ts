// Sorted sets against redis-server 7.0: every command of the family, its
// options, edge cases and errors, byte for byte in RESP2 (and RESP3 where
// the shapes differ), a 20,000-member set, and random command sequences.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Differential } from "./harness.ts";
import { RespClient } from "../helpers/resp-client.ts";
import { encodeReply, parseValue, type RespValue } from "../../runtime/resp.ts";
import { toBytes, text, type Arg } from "../../runtime/bytes.ts";
import { CommandContext, type Session } from "../../runtime/context.ts";
import { zsetInvariantsHold } from "../../runtime/commands/zsets.ts";

let diff: Differential;
beforeAll(async () => {
  diff = await Differential.create();
});
afterAll(() => diff.close());
beforeEach(async () => {
  await diff.reset();
});

const run = (commands: Arg[][]) => diff.runAll(commands);

/** Checks the core's skiplist invariants for these keys on the Trireme side. */
function expectInvariants(...keys: string[]): void {
  const ctx = new CommandContext(diff.engine, diff.engine.core, diff.session, Date.now(), "test");
  for (const k of keys) expect(zsetInvariantsHold(ctx, toBytes(k)), `invariants of ${k}`).toBe(true);
}

const bin = (...bytes: number[]) => new Uint8Array(bytes);

describe("ZADD, ZINCRBY and scores", () => {
  it("adds, updates and counts with NX XX GT LT CH INCR", async () => {
    await run([
      ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
      ["ZADD", "z", "1", "a", "5", "b"],
      ["ZADD", "z", "CH", "1", "a", "6", "b", "7", "d"],
      ["ZADD", "z", "NX", "100", "a", "8", "e"],
      ["ZADD", "z", "XX", "100", "a", "9", "f"],
      ["ZADD", "z", "XX", "CH", "101", "a", "9", "f"],
      ["ZADD", "z", "GT", "CH", "50", "a", "200", "b", "1", "g"],
      ["ZADD", "z", "LT", "CH", "60", "a", "300", "b", "1", "g"],
      ["ZADD", "z", "XX", "GT", "CH", "1000", "a", "0", "b", "5", "new"],
      ["ZADD", "z", "gt", "xx", "ch", "1001", "a"],
      ["ZADD", "z", "INCR", "5", "a"],
      ["ZADD", "z", "INCR", "NX", "5", "a"],
      ["ZADD", "z", "INCR", "NX", "5", "brand"],
      ["ZADD", "z", "INCR", "XX", "5", "nothere"],
      ["ZADD", "z", "INCR", "GT", "-1", "a"],
      ["ZADD", "z", "INCR", "LT", "-1", "a"],
      ["ZADD", "z", "INCR", "0", "a"],
      ["ZADD", "z", "INCR", "CH", "1", "a"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ["ZADD", "xx-only", "XX", "1", "a"],
      ["EXISTS", "xx-only"],
      ["ZADD", "xx-only", "XX", "INCR", "1", "a"],
      ["EXISTS", "xx-only"],
      ["ZADD", "fresh", "GT", "1", "a"],
      ["ZADD", "fresh2", "LT", "INCR", "-3", "a"],
      ["ZRANGE", "fresh2", "0", "-1", "WITHSCORES"],
    ]);
    expectInvariants("z", "fresh", "fresh2");
  });

  it("rejects option conflicts, odd pairs and bad floats with Redis's errors", async () => {
    await run([
      ["ZADD", "z", "NX", "XX", "1", "a"],
      ["ZADD", "z", "GT", "LT", "1", "a"],
      ["ZADD", "z", "GT", "NX", "1", "a"],
      ["ZADD", "z", "LT", "NX", "1", "a"],
      ["ZADD", "z", "NX", "XX", "GT", "1", "a"],
      ["ZADD", "z", "INCR", "1", "a", "2", "b"],
      ["ZADD", "z", "NX", "XX", "1", "a", "2"],
      ["ZADD", "z", "1", "a", "2"],
      ["ZADD", "z", "NX"],
      ["ZADD", "z", "NX", "CH"],
      ["ZADD", "z", "x", "a"],
      ["ZADD", "z", "1", "a", "nan", "b"],
      ["ZADD", "z", "NaN", "b"],
      ["ZADD", "z", "", "b"],
      ["ZADD", "z", " 1", "b"],
      ["ZADD", "z", "1 ", "b"],
      ["ZADD", "z", "1e400", "b"],
      ["ZADD", "z", "-1e400", "b"],
      ["ZADD", "z", "1e-400", "b"],
      ["ZADD", "z", "1e", "b"],
      ["ZADD", "z", ".", "b"],
      ["ZADD", "z", "--1", "b"],
      ["ZADD", "z", bin(0x31, 0x00), "b"],
      ["EXISTS", "z"],
      ["ZADD", "z", "1", "a", "bad", "b"],
      ["EXISTS", "z"],
      ["ZADD", "z", "CH", "INCR", "x", "a"],
      ["ZADD", "z", "INCR", "1", "a", "2"],
      ["ZINCRBY", "z", "nx", "a"],
      ["ZINCRBY", "z", "incr", "a"],
      ["ZINCRBY", "z", "x", "a"],
      ["ZINCRBY", "z", "1"],
      ["ZADD", "z"],
      ["ZADD", "z", "1"],
    ]);
  });

  it("keeps inf, -inf, -0, tiny and huge scores and prints them with %.17g", async () => {
    await run([
      ["ZADD", "z", "inf", "pinf", "-inf", "ninf", "+inf", "pinf2", "-Infinity", "ninf2", "INF", "pinf3"],
      ["ZADD", "z", "-0", "negzero", "0", "zero", "0.1", "tenth", "1e300", "big", "-1e-300", "tiny"],
      ["ZADD", "z", "3.0000000000000004", "odd", "123456789012345678", "longint", "4.9e-324", "denorm"],
      ["ZADD", "z", "0x10", "hex", "0x1p-3", "hexfrac", "+5", "plus", "1.", "dot", ".5", "half", "1E2", "upper"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ["ZSCORE", "z", "negzero"],
      ["ZSCORE", "z", "tenth"],
      ["ZSCORE", "z", "denorm"],
      ["ZMSCORE", "z", "pinf", "ninf", "nope", "negzero"],
      ["ZADD", "z", "0", "negzero"],
      ["ZSCORE", "z", "negzero"],
      ["ZINCRBY", "z", "1", "pinf"],
      ["ZINCRBY", "z", "-inf", "pinf"],
      ["ZADD", "z", "INCR", "-inf", "pinf"],
      ["ZINCRBY", "z", "inf", "ninf"],
      ["ZINCRBY", "z", "0.2", "tenth"],
      ["ZINCRBY", "z", "1e308", "big"],
      ["ZINCRBY", "z", "1e308", "big"],
      ["ZINCRBY", "z", "1e308", "big"],
      ["ZINCRBY", "z", "-0", "zero"],
      ["ZSCORE", "z", "zero"],
      ["ZINCRBY", "z", "-0", "fresh-negzero"],
      ["ZSCORE", "z", "fresh-negzero"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"],
      ["ZRANGEBYSCORE", "z", "0", "0", "WITHSCORES"],
      ["ZRANGEBYSCORE", "z", "-0", "(0", "WITHSCORES"],
      ["ZRANGEBYSCORE", "z", "(-inf", "(inf"],
      ["ZRANGEBYSCORE", "z", "inf", "inf"],
      ["ZCOUNT", "z", "-inf", "+inf"],
      ["ZCOUNT", "z", "(-inf", "(+inf"],
    ]);
    expectInvariants("z");
  });
});

describe("small and large sets", () => {
  it("store -0 as Redis does: as 0 while Redis would use a listpack, as -0 after", async () => {
    const long64 = "x".repeat(64);
    const long65 = "y".repeat(65);
    const grow: Arg[] = ["ZADD", "grown"];
    for (let i = 0; i < 129; i++) grow.push(String(i + 1), `g${i}`);
    await run([
      ["ZADD", "s64", "-0", long64],
      ["ZSCORE", "s64", long64],
      ["ZADD", "s65", "-0", long65],
      ["ZSCORE", "s65", long65],
      ["ZADD", "s65", "-0", "short"],
      ["ZSCORE", "s65", "short"],
      ["ZADD", "mixed", "1", "a"],
      ["ZADD", "mixed", "-0", long65, "-0", "b"],
      ["ZSCORE", "mixed", "b"],
      ["ZINCRBY", "small", "-0", "q"],
      ["ZSCORE", "small", "q"],
      grow,
      ["ZADD", "grown", "-0", "nz"],
      ["ZSCORE", "grown", "nz"],
      ["ZREMRANGEBYRANK", "grown", "5", "-1"],
      ["ZADD", "grown", "-0", "nz2"],
      ["ZSCORE", "grown", "nz2"],
      ["ZRANGE", "grown", "0", "-1", "WITHSCORES"],
      ["ZADD", "w", "0", "a", "1", "b"],
      ["ZUNION", "1", "w", "WEIGHTS", "-1", "WITHSCORES"],
      ["ZUNIONSTORE", "u", "1", "w", "WEIGHTS", "-1"],
      ["ZRANGE", "u", "0", "-1", "WITHSCORES"],
      ["ZUNIONSTORE", "u2", "1", "grown", "WEIGHTS", "-1"],
      ["ZRANGE", "u2", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "r", "grown", "0", "-1"],
      ["ZRANGE", "r", "0", "-1", "WITHSCORES"],
      ["ZADD", "bigneg", ...Array.from({ length: 140 }, (_, i) => [String(-i), `n${i}`]).flat()],
      ["ZUNIONSTORE", "u3", "1", "bigneg", "WEIGHTS", "0"],
      ["ZRANGEBYSCORE", "u3", "0", "0", "WITHSCORES", "LIMIT", "0", "3"],
      ["ZINTERSTORE", "i3", "2", "bigneg", "w", "WEIGHTS", "-1", "1"],
      ["ZRANGE", "i3", "0", "-1", "WITHSCORES"],
    ]);
    expectInvariants("s64", "s65", "mixed", "small", "grown", "u", "u2", "r", "u3", "i3");
  });

  it("lex ranges over unequal scores follow Redis's listpack walk on small sets", async () => {
    await run([
      ["ZADD", "z", "5", "a", "1", "b", "3", "c", "2", "d", "4", "e", "0", "f", "6", "bb"],
      ["ZRANGEBYLEX", "z", "[b", "[d"],
      ["ZRANGEBYLEX", "z", "(a", "+"],
      ["ZREVRANGEBYLEX", "z", "[e", "[b"],
      ["ZRANGE", "z", "[c", "+", "BYLEX", "LIMIT", "1", "3"],
      ["ZLEXCOUNT", "z", "[b", "[e"],
      ["ZLEXCOUNT", "z", "-", "[c"],
      ["ZREMRANGEBYLEX", "z", "[c", "[e"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ]);
  });
});

describe("membership, rank and counts", () => {
  it("ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK on ties, empty strings and binary members", async () => {
    await run([
      ["ZADD", "z", "1", "b", "1", "a", "1", "c", "1", "", "0", "x", "2", bin(0), "1", bin(0x61, 0), "1", bin(0xff, 0xfe)],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ["ZCARD", "z"],
      ["ZRANK", "z", ""],
      ["ZRANK", "z", "a"],
      ["ZRANK", "z", bin(0x61, 0)],
      ["ZRANK", "z", bin(0xff, 0xfe)],
      ["ZREVRANK", "z", "a"],
      ["ZREVRANK", "z", bin(0)],
      ["ZRANK", "z", "nope"],
      ["ZREVRANK", "z", "nope"],
      ["ZRANK", "nokey", "a"],
      ["ZSCORE", "z", bin(0)],
      ["ZSCORE", "z", "nope"],
      ["ZSCORE", "nokey", "a"],
      ["ZMSCORE", "z", "a", "nope", bin(0)],
      ["ZMSCORE", "nokey", "a", "b"],
      ["ZREM", "z", "a", "a", "nope", bin(0)],
      ["ZREM", "nokey", "a"],
      ["ZCARD", "z"],
      ["ZCARD", "nokey"],
      ["ZREM", "z", "b", "c", "", "x", bin(0x61, 0), bin(0xff, 0xfe)],
      ["EXISTS", "z"],
      ["ZADD", "z", "1", "a"],
      ["ZREM", "z", "a", "b"],
      ["EXISTS", "z"],
    ]);
  });

  it("ZCOUNT and ZLEXCOUNT with exclusive and infinite bounds, and their errors", async () => {
    await run([
      ["ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d", "4", "e"],
      ["ZCOUNT", "z", "2", "3"],
      ["ZCOUNT", "z", "(2", "3"],
      ["ZCOUNT", "z", "2", "(3"],
      ["ZCOUNT", "z", "(2", "(2"],
      ["ZCOUNT", "z", "3", "2"],
      ["ZCOUNT", "z", "-inf", "2"],
      ["ZCOUNT", "z", "5", "+inf"],
      ["ZCOUNT", "z", " 2", "3"],
      ["ZCOUNT", "z", "", "2"],
      ["ZCOUNT", "z", "(", "2"],
      ["ZCOUNT", "z", "0x2", "3"],
      ["ZCOUNT", "z", "1e400", "1e401"],
      ["ZCOUNT", "z", "-1e400", "1e-400"],
      ["ZCOUNT", "z", bin(0x32, 0, 0x78), "3"],
      ["ZCOUNT", "z", "2 ", "3"],
      ["ZCOUNT", "z", "a", "3"],
      ["ZCOUNT", "z", "nan", "3"],
      ["ZCOUNT", "z", "((2", "3"],
      ["ZCOUNT", "z", "[2", "3"],
      ["ZCOUNT", "nokey", "0", "1"],
      ["ZCOUNT", "nokey", "x", "1"],
      ["DEL", "z"],
      ["ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "", "0", bin(0x62, 0)],
      ["ZLEXCOUNT", "z", "-", "+"],
      ["ZLEXCOUNT", "z", "[b", "[d"],
      ["ZLEXCOUNT", "z", "(b", "[d"],
      ["ZLEXCOUNT", "z", "(b", "(d"],
      ["ZLEXCOUNT", "z", "[", "(b"],
      ["ZLEXCOUNT", "z", "(", "+"],
      ["ZLEXCOUNT", "z", "[b", "[b"],
      ["ZLEXCOUNT", "z", "(b", "(b"],
      ["ZLEXCOUNT", "z", "[d", "[b"],
      ["ZLEXCOUNT", "z", "+", "-"],
      ["ZLEXCOUNT", "z", "-", "-"],
      ["ZLEXCOUNT", "z", "+", "+"],
      ["ZLEXCOUNT", "z", "-", "[c"],
      ["ZLEXCOUNT", "z", "[c", "+"],
      ["ZLEXCOUNT", "z", bin(0x28, 0x62, 0), "+"],
      ["ZLEXCOUNT", "z", bin(0x2d, 0), "+"],
      ["ZLEXCOUNT", "z", "b", "+"],
      ["ZLEXCOUNT", "z", "-a", "+"],
      ["ZLEXCOUNT", "z", "+a", "+"],
      ["ZLEXCOUNT", "z", "", "+"],
      ["ZLEXCOUNT", "z", "-", "d"],
      ["ZLEXCOUNT", "nokey", "-", "+"],
      ["ZLEXCOUNT", "nokey", "x", "+"],
    ]);
  });
});

describe("ranges", () => {
  const seed: Arg[][] = [
    ["ZADD", "z", "1", "a", "2", "b", "3", "c", "3", "cc", "4", "d", "5", "e", "6", "f", "-1", "neg", "inf", "top", "-inf", "bottom"],
  ];

  it("ZRANGE and ZREVRANGE by rank with negative, huge and crossing indexes", async () => {
    await run([
      ...seed,
      ["ZRANGE", "z", "0", "-1"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ["ZRANGE", "z", "2", "4", "WITHSCORES", "WITHSCORES"],
      ["ZRANGE", "z", "-3", "-1"],
      ["ZRANGE", "z", "-100", "2"],
      ["ZRANGE", "z", "5", "100"],
      ["ZRANGE", "z", "100", "200"],
      ["ZRANGE", "z", "3", "2"],
      ["ZRANGE", "z", "-1", "-2"],
      ["ZRANGE", "z", "0", "0"],
      ["ZRANGE", "z", "-9223372036854775808", "9223372036854775807"],
      ["ZRANGE", "z", "9223372036854775808", "1"],
      ["ZRANGE", "z", "1.5", "2"],
      ["ZRANGE", "z", "0", "-1", "REV"],
      ["ZRANGE", "z", "1", "3", "REV", "WITHSCORES"],
      ["ZREVRANGE", "z", "0", "-1"],
      ["ZREVRANGE", "z", "-2", "-1", "WITHSCORES"],
      ["ZREVRANGE", "z", "0", "1", "REV"],
      ["ZREVRANGE", "z", "0", "1", "BYSCORE"],
      ["ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"],
      ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
      ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"],
      ["ZRANGE", "z", "0", "-1", "LIMIT", "5", "-1"],
      ["ZRANGE", "z", "0", "-1", "LIMIT", "0"],
      ["ZRANGE", "z", "0", "-1", "LIMIT", "x", "1"],
      ["ZRANGE", "z", "0", "-1", "REV", "REV"],
      ["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"],
      ["ZRANGE", "z", "0", "-1", "BOGUS"],
      ["ZRANGE", "nokey", "0", "-1"],
      ["ZRANGE", "nokey", "x", "-1"],
      ["ZRANGE", "nokey", "0", "-1", "BOGUS"],
      ["ZREVRANGE", "nokey", "0", "-1"],
    ]);
  });

  it("BYSCORE and Z[REV]RANGEBYSCORE with exclusive bounds, LIMIT edge cases and errors", async () => {
    await run([
      ...seed,
      ["ZRANGE", "z", "2", "5", "BYSCORE"],
      ["ZRANGE", "z", "(2", "(5", "BYSCORE", "WITHSCORES"],
      ["ZRANGE", "z", "5", "2", "BYSCORE", "REV", "WITHSCORES"],
      ["ZRANGE", "z", "(5", "(2", "BYSCORE", "REV"],
      ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "3"],
      ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "2", "3", "WITHSCORES"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf"],
      ["ZRANGEBYSCORE", "z", "3", "3", "WITHSCORES"],
      ["ZRANGEBYSCORE", "z", "(3", "3"],
      ["ZRANGEBYSCORE", "z", "3", "(3"],
      ["ZRANGEBYSCORE", "z", "4", "2"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0", "0"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0", "-1"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0", "-5"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "3"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "10", "3"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "11", "3"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "9", "9223372036854775807"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "9223372036854775807", "1"],
      ["ZRANGEBYSCORE", "z", "2", "4", "LIMIT", "1", "1", "WITHSCORES"],
      ["ZRANGEBYSCORE", "z", "2", "4", "WITHSCORES", "LIMIT", "2", "10"],
      ["ZRANGEBYSCORE", "z", "2", "4", "LIMIT", "1"],
      ["ZRANGEBYSCORE", "z", "2", "4", "LIMIT", "1", "x"],
      ["ZRANGEBYSCORE", "z", "2", "4", "REV"],
      ["ZRANGEBYSCORE", "z", "2", "4", "BYSCORE"],
      ["ZRANGEBYSCORE", "z", "x", "4"],
      ["ZRANGEBYSCORE", "z", "2", "(x"],
      ["ZRANGEBYSCORE", "nokey", "x", "4"],
      ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES"],
      ["ZREVRANGEBYSCORE", "z", "4", "2"],
      ["ZREVRANGEBYSCORE", "z", "(4", "(2"],
      ["ZREVRANGEBYSCORE", "z", "2", "4"],
      ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2"],
      ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "10", "2"],
      ["ZREVRANGEBYSCORE", "z", "3", "3", "LIMIT", "1", "5"],
    ]);
  });

  it("BYLEX and Z[REV]RANGEBYLEX with binary members, NUL bytes, LIMIT and errors", async () => {
    await run([
      ["ZADD", "z", "0", "a", "0", "ab", "0", "abc", "0", "b", "0", "", "0", bin(0), "0", bin(0, 0),
        "0", bin(0x61, 0), "0", bin(0x61, 0xff), "0", bin(0xff), "0", "B", "0", "ba"],
      ["ZRANGE", "z", "-", "+", "BYLEX"],
      ["ZRANGE", "z", "+", "-", "BYLEX", "REV"],
      ["ZRANGE", "z", "[a", "(b", "BYLEX"],
      ["ZRANGE", "z", "(a", "[b", "BYLEX", "LIMIT", "1", "2"],
      ["ZRANGE", "z", "[b", "(a", "BYLEX", "REV", "LIMIT", "0", "2"],
      ["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
      ["ZRANGEBYLEX", "z", "[", "+"],
      ["ZRANGEBYLEX", "z", "(", "+"],
      ["ZRANGEBYLEX", "z", bin(0x5b, 0), bin(0x5b, 0, 0)],
      ["ZRANGEBYLEX", "z", bin(0x28, 0), "+"],
      ["ZRANGEBYLEX", "z", bin(0x5b, 0x61, 0), bin(0x5b, 0x61, 0xff)],
      ["ZRANGEBYLEX", "z", bin(0x28, 0x61, 0), bin(0x5b, 0xff)],
      ["ZRANGEBYLEX", "z", "[a", "[a"],
      ["ZRANGEBYLEX", "z", "(a", "(a"],
      ["ZRANGEBYLEX", "z", "[b", "[a"],
      ["ZRANGEBYLEX", "z", "-", "-"],
      ["ZRANGEBYLEX", "z", "+", "+"],
      ["ZRANGEBYLEX", "z", "+", "[z"],
      ["ZRANGEBYLEX", "z", "[a", "-"],
      ["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "0", "0"],
      ["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "3", "-1"],
      ["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "-1", "2"],
      ["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "100", "2"],
      ["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "2", "9223372036854775807"],
      ["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"],
      ["ZRANGEBYLEX", "z", "a", "+"],
      ["ZRANGEBYLEX", "z", "", "+"],
      ["ZRANGEBYLEX", "z", "-x", "+"],
      ["ZRANGEBYLEX", "nokey", "a", "+"],
      ["ZRANGEBYLEX", "nokey", "-", "+"],
      ["ZREVRANGEBYLEX", "z", "+", "-"],
      ["ZREVRANGEBYLEX", "z", "[b", "[a"],
      ["ZREVRANGEBYLEX", "z", "(b", "(a", "LIMIT", "1", "1"],
      ["ZREVRANGEBYLEX", "z", "[a", "[b"],
      ["ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "5", "100"],
      ["ZREVRANGEBYLEX", "z", "+", "x"],
    ]);
  });

  it("ZRANGESTORE stores, replaces, deletes and keeps scores", async () => {
    await run([
      ...seed,
      ["SET", "str", "x"],
      ["ZRANGESTORE", "dst", "z", "0", "2"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "dst", "z", "(2", "5", "BYSCORE", "LIMIT", "1", "2"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "dst", "z", "5", "(2", "BYSCORE", "REV"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "dst", "z", "-", "+", "BYLEX", "LIMIT", "0", "3"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "str", "z", "0", "0"],
      ["TYPE", "str"],
      ["ZRANGESTORE", "dst", "z", "100", "200"],
      ["EXISTS", "dst"],
      ["ZRANGESTORE", "dst", "z", "0", "-1"],
      ["ZRANGESTORE", "dst", "nokey", "0", "-1"],
      ["EXISTS", "dst"],
      ["ZRANGESTORE", "z", "z", "1", "3"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "dst", "str", "0", "-1"],
      ["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "dst", "z", "0", "-1", "LIMIT", "0", "1"],
      ["ZRANGESTORE", "dst", "z", "x", "-1"],
      ["ZRANGESTORE", "dst", "z", "0"],
    ]);
    expectInvariants("z", "dst");
  });
});

describe("removal", () => {
  it("ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX", async () => {
    const fill: Arg[] = ["ZADD", "z"];
    for (let i = 0; i < 30; i++) fill.push(String(i % 7), `m${String(i).padStart(2, "0")}`);
    await run([
      fill,
      ["ZREMRANGEBYRANK", "z", "0", "2"],
      ["ZREMRANGEBYRANK", "z", "-3", "-1"],
      ["ZREMRANGEBYRANK", "z", "5", "3"],
      ["ZREMRANGEBYRANK", "z", "100", "200"],
      ["ZREMRANGEBYRANK", "z", "-100", "0"],
      ["ZREMRANGEBYRANK", "z", "x", "1"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ["ZREMRANGEBYSCORE", "z", "(1", "2"],
      ["ZREMRANGEBYSCORE", "z", "5", "(6"],
      ["ZREMRANGEBYSCORE", "z", "4", "3"],
      ["ZREMRANGEBYSCORE", "z", "(3", "(3"],
      ["ZREMRANGEBYSCORE", "z", "x", "3"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ["ZREMRANGEBYLEX", "z", "[m10", "(m20"],
      ["ZREMRANGEBYLEX", "z", "(m20", "+"],
      ["ZREMRANGEBYLEX", "z", "m1", "+"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ["ZREMRANGEBYRANK", "z", "0", "-1"],
      ["EXISTS", "z"],
      ["ZREMRANGEBYRANK", "nokey", "0", "-1"],
      ["ZREMRANGEBYSCORE", "nokey", "-inf", "+inf"],
      ["ZREMRANGEBYLEX", "nokey", "-", "+"],
      ["ZADD", "z", "1", "a", "2", "b"],
      ["ZREMRANGEBYSCORE", "z", "-inf", "+inf"],
      ["EXISTS", "z"],
      ["ZADD", "z", "0", "a", "0", "b"],
      ["ZREMRANGEBYLEX", "z", "-", "+"],
      ["EXISTS", "z"],
    ]);
  });

  it("ZPOPMIN, ZPOPMAX and ZMPOP", async () => {
    await run([
      ["ZADD", "z", "1", "a", "2", "b", "3", "c", "3", "d", "-inf", "low", "inf", "high"],
      ["ZPOPMIN", "z"],
      ["ZPOPMAX", "z"],
      ["ZPOPMIN", "z", "2"],
      ["ZPOPMAX", "z", "0"],
      ["ZPOPMIN", "z", "-1"],
      ["ZPOPMIN", "z", "x"],
      ["ZPOPMIN", "z", "1", "2"],
      ["ZPOPMAX", "z", "100"],
      ["EXISTS", "z"],
      ["ZPOPMIN", "z"],
      ["ZPOPMIN", "z", "0"],
      ["ZPOPMAX", "nokey", "3"],
      ["ZADD", "z1", "1", "a", "2", "b", "3", "c"],
      ["ZADD", "z2", "10", "x"],
      ["ZMPOP", "2", "nokey", "z1", "MIN"],
      ["ZMPOP", "2", "z1", "z2", "MAX", "COUNT", "10"],
      ["ZMPOP", "2", "z1", "z2", "max"],
      ["ZMPOP", "2", "z1", "z2", "MIN"],
      ["ZMPOP", "1", "z1", "MIN", "COUNT", "0"],
      ["ZMPOP", "1", "z1", "MIN", "COUNT", "-1"],
      ["ZMPOP", "1", "z1", "MIN", "COUNT", "x"],
      ["ZMPOP", "1", "z1", "MIN", "COUNT"],
      ["ZMPOP", "1", "z1", "MIN", "COUNT", "1", "COUNT", "1"],
      ["ZMPOP", "1", "z1", "MIDDLE"],
      ["ZMPOP", "0", "z1", "MIN"],
      ["ZMPOP", "-1", "z1", "MIN"],
      ["ZMPOP", "x", "z1", "MIN"],
      ["ZMPOP", "3", "z1", "MIN"],
      ["ZMPOP", "1", "z1", "MIN", "extra"],
    ]);
  });
});

describe("ZUNION, ZINTER, ZDIFF and their STORE forms", () => {
  const seed: Arg[][] = [
    ["ZADD", "a", "1", "x", "2", "y", "3", "z", "inf", "big", "-inf", "small"],
    ["ZADD", "b", "10", "y", "20", "z", "30", "w", "-inf", "big", "inf", "small"],
    ["ZADD", "c", "0.1", "y", "0.2", "z", "0.3", "x"],
    ["SET", "str", "v"],
  ];

  it("aggregates with WEIGHTS and AGGREGATE, including inf * 0 and inf - inf", async () => {
    await run([
      ...seed,
      ["ZUNION", "2", "a", "b"],
      ["ZUNION", "2", "a", "b", "WITHSCORES"],
      ["ZUNION", "3", "a", "b", "c", "WITHSCORES"],
      ["ZUNION", "3", "c", "b", "a", "WITHSCORES"],
      ["ZUNION", "2", "a", "b", "WEIGHTS", "2", "0.5", "WITHSCORES"],
      ["ZUNION", "2", "a", "b", "WEIGHTS", "0", "1", "WITHSCORES"],
      ["ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"],
      ["ZUNION", "2", "a", "b", "AGGREGATE", "max", "WITHSCORES"],
      ["ZUNION", "2", "a", "b", "WEIGHTS", "-1", "inf", "AGGREGATE", "SUM", "WITHSCORES"],
      ["ZUNION", "3", "a", "nokey", "c", "WITHSCORES"],
      ["ZUNION", "1", "nokey", "WITHSCORES"],
      ["ZUNION", "2", "a", "a", "WITHSCORES"],
      ["ZINTER", "2", "a", "b", "WITHSCORES"],
      ["ZINTER", "3", "a", "b", "c", "WITHSCORES"],
      ["ZINTER", "3", "a", "b", "c", "AGGREGATE", "MIN", "WITHSCORES"],
      ["ZINTER", "3", "a", "b", "c", "AGGREGATE", "MAX", "WEIGHTS", "1", "0", "-2", "WITHSCORES"],
      ["ZINTER", "2", "a", "b", "WEIGHTS", "0", "0", "AGGREGATE", "MIN", "WITHSCORES"],
      ["ZINTER", "2", "a", "a", "WEIGHTS", "1", "2", "WITHSCORES"],
      ["ZINTER", "2", "a", "nokey"],
      ["ZINTER", "1", "a"],
      ["ZDIFF", "2", "a", "b", "WITHSCORES"],
      ["ZDIFF", "3", "a", "b", "c"],
      ["ZDIFF", "2", "a", "a"],
      ["ZDIFF", "2", "a", "nokey", "WITHSCORES"],
      ["ZDIFF", "1", "nokey"],
      ["ZDIFF", "2", "nokey", "a"],
      ["ZINTERCARD", "2", "a", "b"],
      ["ZINTERCARD", "3", "a", "b", "c"],
      ["ZINTERCARD", "3", "a", "b", "c", "LIMIT", "1"],
      ["ZINTERCARD", "3", "a", "b", "c", "LIMIT", "0"],
      ["ZINTERCARD", "2", "a", "nokey"],
    ]);
  });

  it("sums floats in Redis's order (sets sorted by size, stable)", async () => {
    await run([
      ["ZADD", "p", "0.1", "m", "1", "p1"],
      ["ZADD", "q", "0.2", "m", "1", "q1"],
      ["ZADD", "r", "0.3", "m"],
      ["ZADD", "s", "1e17", "m", "1", "s1", "2", "s2"],
      ["ZADD", "t", "-1e17", "m", "1", "t1", "2", "t2"],
      ["ZUNION", "3", "p", "q", "r", "WITHSCORES"],
      ["ZUNION", "3", "r", "q", "p", "WITHSCORES"],
      ["ZUNION", "3", "q", "r", "p", "WITHSCORES"],
      ["ZUNION", "4", "s", "t", "r", "p", "WITHSCORES"],
      ["ZINTER", "4", "s", "t", "p", "r", "WITHSCORES"],
      ["ZINTER", "4", "t", "r", "s", "p", "WITHSCORES"],
      ["ZUNIONSTORE", "out", "5", "p", "q", "r", "s", "t"],
      ["ZRANGE", "out", "0", "-1", "WITHSCORES"],
    ]);
  });

  it("STORE forms replace, delete and report counts; options and errors", async () => {
    await run([
      ...seed,
      ["ZUNIONSTORE", "dst", "2", "a", "b"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZINTERSTORE", "dst", "2", "a", "b", "WEIGHTS", "2", "3"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZDIFFSTORE", "dst", "2", "a", "c"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZINTERSTORE", "dst", "2", "a", "nokey"],
      ["EXISTS", "dst"],
      ["ZDIFFSTORE", "dst", "1", "nokey"],
      ["ZUNIONSTORE", "str", "1", "a"],
      ["TYPE", "str"],
      ["SET", "str", "v"],
      ["ZUNIONSTORE", "a", "2", "a", "b", "AGGREGATE", "MAX"],
      ["ZRANGE", "a", "0", "-1", "WITHSCORES"],
      ["ZUNIONSTORE", "dst", "2", "a", "b", "WITHSCORES"],
      ["ZDIFFSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "1"],
      ["ZDIFFSTORE", "dst", "2", "a", "b", "AGGREGATE", "SUM"],
      ["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"],
      ["ZUNION", "2", "a", "b", "WEIGHTS", "1"],
      ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"],
      ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "nan"],
      ["ZUNION", "2", "a", "b", "AGGREGATE", "AVG"],
      ["ZUNION", "2", "a", "b", "AGGREGATE"],
      ["ZUNION", "2", "a", "b", "LIMIT", "1"],
      ["ZUNION", "2", "a", "b", "BOGUS"],
      ["ZUNION", "0", "a"],
      ["ZUNION", "-1", "a"],
      ["ZUNION", "x", "a"],
      ["ZUNION", "3", "a", "b"],
      ["ZUNION", "2", "a", "str"],
      ["ZUNION", "2", "a", "str", "BOGUS"],
      ["ZUNIONSTORE", "dst", "0", "a"],
      ["ZINTERSTORE", "dst", "0", "a"],
      ["ZDIFFSTORE", "dst", "0", "a"],
      ["ZINTER", "0", "a"],
      ["ZDIFF", "0", "a"],
      ["ZINTERSTORE", "dst", "2", "a", "str"],
      ["ZINTERCARD", "0", "a"],
      ["ZINTERCARD", "1", "a", "LIMIT", "-1"],
      ["ZINTERCARD", "1", "a", "LIMIT", "x"],
      ["ZINTERCARD", "1", "a", "LIMIT"],
      ["ZINTERCARD", "1", "a", "WITHSCORES"],
      ["ZINTERCARD", "1", "a", "WEIGHTS", "1"],
      ["ZINTERCARD", "2", "a", "str"],
    ]);
  });
});

describe("ZRANDMEMBER", () => {
  it("matches Redis where the reply is determined", async () => {
    await run([
      ["ZADD", "z", "1", "a", "2", "b", "3", "c", "3", "d"],
      ["ZRANDMEMBER", "nokey"],
      ["ZRANDMEMBER", "nokey", "5"],
      ["ZRANDMEMBER", "nokey", "-5", "WITHSCORES"],
      ["ZRANDMEMBER", "z", "0"],
      ["ZRANDMEMBER", "z", "4"],
      ["ZRANDMEMBER", "z", "100", "WITHSCORES"],
      ["ZRANDMEMBER", "z", "x"],
      ["ZRANDMEMBER", "z", "1", "bogus"],
      ["ZRANDMEMBER", "z", "1", "WITHSCORES", "extra"],
      ["ZRANDMEMBER", "z", "-9223372036854775808"],
      ["ZRANDMEMBER", "nokey", "-5000000000000000000", "WITHSCORES"],
      ["ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"],
    ]);
  });

  it("returns members of the set: distinct for positive counts, repeated for negative ones", async () => {
    const members = Array.from({ length: 40 }, (_, i) => `m${i}`);
    const add: Arg[] = ["ZADD", "z"];
    members.forEach((m, i) => add.push(String(i), m));
    await run([add]);
    const scoreOf = new Map(members.map((m, i) => [m, String(i)]));
    const s = diff.session;
    const ask = (...args: string[]) => diff.engine.execute(s, args.map(toBytes));
    for (const count of [1, 3, 13, 39]) {
      const reply = ask("ZRANDMEMBER", "z", String(count)) as Uint8Array[];
      const names = reply.map(text);
      expect(names.length).toBe(count);
      expect(new Set(names).size).toBe(count);
      for (const n of names) expect(scoreOf.has(n)).toBe(true);
    }
    const repeated = (ask("ZRANDMEMBER", "z", "-200") as Uint8Array[]).map(text);
    expect(repeated.length).toBe(200);
    for (const n of repeated) expect(scoreOf.has(n)).toBe(true);
    expect(new Set(repeated).size).toBeGreaterThan(20);
    const withScores = encodeReply(ask("ZRANDMEMBER", "z", "-7", "WITHSCORES"), 2);
    const parsed = parseValue(withScores);
    if (parsed === "incomplete" || parsed.value.type !== "array") throw new Error("not an array");
    const items = parsed.value.value!.map(bulkText);
    expect(items.length).toBe(14);
    for (let i = 0; i < items.length; i += 2) expect(scoreOf.get(items[i]!)).toBe(items[i + 1]);
    const single = text(ask("ZRANDMEMBER", "z") as Uint8Array);
    expect(scoreOf.has(single)).toBe(true);
  });
});

function bulkText(v: RespValue): string {
  if (v.type !== "bulk" || v.value === null) throw new Error(`not a bulk string: ${JSON.stringify(v)}`);
  return text(v.value);
}

describe("ZSCAN", () => {
  it("answers small sets whole, in order, and checks cursor and options like Redis", async () => {
    await run([
      ["ZADD", "z", "1", "a", "2", "b", "2", "ab", "-0", "negzero", "0.1", "tenth", "inf", "top", "0", bin(0, 0x61)],
      ["SET", "str", "v"],
      ["ZSCAN", "z", "0"],
      ["ZSCAN", "z", "0", "COUNT", "1"],
      ["ZSCAN", "z", "12345"],
      ["ZSCAN", "z", ""],
      ["ZSCAN", "z", "-1"],
      ["ZSCAN", "z", "0", "MATCH", "a*"],
      ["ZSCAN", "z", "0", "MATCH", "*"],
      ["ZSCAN", "z", "0", "MATCH", "*b*", "COUNT", "100"],
      ["ZSCAN", "z", "0", "MATCH", "zz*"],
      ["ZSCAN", "z", "0", "COUNT", "0"],
      ["ZSCAN", "z", "0", "COUNT", "-1"],
      ["ZSCAN", "z", "0", "COUNT", "x"],
      ["ZSCAN", "z", "0", "COUNT"],
      ["ZSCAN", "z", "0", "TYPE", "zset"],
      ["ZSCAN", "z", "0", "BOGUS", "x"],
      ["ZSCAN", "z", " 0"],
      ["ZSCAN", "z", "x"],
      ["ZSCAN", "z", "1x"],
      ["ZSCAN", "z", "18446744073709551616"],
      ["ZSCAN", "nokey", "0"],
      ["ZSCAN", "nokey", "0", "COUNT", "0"],
      ["ZSCAN", "nokey", "x"],
      ["ZSCAN", "str", "0"],
    ]);
  });

  it("a full scan of a large set returns every member once with its score", async () => {
    const add: Arg[] = ["ZADD", "big"];
    for (let i = 0; i < 1000; i++) add.push(String((i * 37) % 101), `member:${i}`);
    await run([add]);
    const expected = await fullScan((...a) => diff.redis.send(...a).then((r) => r.value));
    const actual = await fullScan(async (...a) => {
      const p = parseValue(encodeReply(diff.engine.execute(diff.session, a.map(toBytes)), 2));
      if (p === "incomplete") throw new Error("incomplete");
      return p.value;
    });
    expect(actual.size).toBe(1000);
    expect([...actual.entries()].sort()).toEqual([...expected.entries()].sort());
    // With MATCH, the filter applies to members only.
    const matched = await fullScan(async (...a) => {
      const p = parseValue(encodeReply(diff.engine.execute(diff.session, a.map(toBytes)), 2));
      if (p === "incomplete") throw new Error("incomplete");
      return p.value;
    }, "member:1*");
    expect([...matched.keys()].every((k) => k.startsWith("member:1"))).toBe(true);
    expect(matched.size).toBe(111);
  });
});

/** Scans `big` to the end, checking that no member comes back with two different scores. */
async function fullScan(send: (...args: string[]) => Promise<RespValue>, match?: string): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  let cursor = "0";
  let calls = 0;
  do {
    const args = ["ZSCAN", "big", cursor, "COUNT", "50"];
    if (match !== undefined) args.push("MATCH", match);
    const reply = await send(...args);
    if (reply.type !== "array" || reply.value === null) throw new Error("bad ZSCAN reply");
    cursor = bulkText(reply.value[0]!);
    const items = reply.value[1]!;
    if (items.type !== "array" || items.value === null) throw new Error("bad ZSCAN items");
    for (let i = 0; i < items.value.length; i += 2) {
      const m = bulkText(items.value[i]!);
      const s = bulkText(items.value[i + 1]!);
      if (seen.has(m)) expect(seen.get(m)).toBe(s);
      seen.set(m, s);
    }
    calls++;
    expect(calls).toBeLessThan(10_000);
  } while (cursor !== "0");
  return seen;
}

describe("types and arity", () => {
  it("WRONGTYPE on a string key, and wrong numbers of arguments", async () => {
    await run([
      ["SET", "s", "v"],
      ["ZADD", "s", "1", "a"],
      ["ZADD", "s", "XX", "1", "a"],
      ["ZINCRBY", "s", "1", "a"],
      ["ZREM", "s", "a"],
      ["ZCARD", "s"],
      ["ZSCORE", "s", "a"],
      ["ZMSCORE", "s", "a"],
      ["ZRANK", "s", "a"],
      ["ZREVRANK", "s", "a"],
      ["ZCOUNT", "s", "0", "1"],
      ["ZLEXCOUNT", "s", "-", "+"],
      ["ZRANGE", "s", "0", "-1"],
      ["ZRANGESTORE", "d", "s", "0", "-1"],
      ["ZRANGEBYSCORE", "s", "0", "1"],
      ["ZREVRANGEBYSCORE", "s", "1", "0"],
      ["ZRANGEBYLEX", "s", "-", "+"],
      ["ZREVRANGEBYLEX", "s", "+", "-"],
      ["ZREVRANGE", "s", "0", "-1"],
      ["ZREMRANGEBYRANK", "s", "0", "-1"],
      ["ZREMRANGEBYSCORE", "s", "0", "1"],
      ["ZREMRANGEBYLEX", "s", "-", "+"],
      ["ZPOPMIN", "s"],
      ["ZPOPMAX", "s", "2"],
      ["ZMPOP", "1", "s", "MIN"],
      ["ZMPOP", "2", "nokey", "s", "MIN"],
      ["ZRANDMEMBER", "s"],
      ["ZRANDMEMBER", "s", "2"],
      ["ZUNION", "1", "s"],
      ["ZINTER", "1", "s"],
      ["ZDIFF", "1", "s"],
      ["ZUNIONSTORE", "d", "1", "s"],
      ["ZINTERSTORE", "d", "1", "s"],
      ["ZDIFFSTORE", "d", "1", "s"],
      ["ZINTERCARD", "1", "s"],
      ["ZSCAN", "s", "0"],
      ["GET", "s"],
      ["ZADD", "z", "1", "a"],
      ["GET", "z"],
      ["ZADD"], ["ZADD", "k"], ["ZADD", "k", "1"],
      ["ZINCRBY", "k", "1"], ["ZINCRBY", "k", "1", "a", "b"],
      ["ZREM", "k"], ["ZCARD"], ["ZCARD", "k", "x"], ["ZSCORE", "k"], ["ZSCORE", "k", "a", "b"], ["ZMSCORE", "k"],
      ["ZRANK", "k"], ["ZREVRANK", "k"],
      ["ZCOUNT", "k", "0"], ["ZCOUNT", "k", "0", "1", "2"], ["ZLEXCOUNT", "k", "-"],
      ["ZRANGE", "k", "0"], ["ZRANGESTORE", "d", "k", "0"], ["ZRANGEBYSCORE", "k", "0"], ["ZREVRANGEBYSCORE", "k", "0"],
      ["ZRANGEBYLEX", "k", "-"], ["ZREVRANGEBYLEX", "k", "+"], ["ZREVRANGE", "k", "0"],
      ["ZREMRANGEBYRANK", "k", "0"], ["ZREMRANGEBYSCORE", "k", "0", "1", "2"], ["ZREMRANGEBYLEX", "k", "-"],
      ["ZPOPMIN"], ["ZPOPMAX"], ["ZMPOP", "1", "k"], ["ZRANDMEMBER"],
      ["ZUNION", "1"], ["ZINTER", "1"], ["ZDIFF", "1"], ["ZUNIONSTORE", "d", "1"], ["ZINTERSTORE", "d", "1"],
      ["ZDIFFSTORE", "d", "1"], ["ZINTERCARD", "1"], ["ZSCAN", "k"],
    ]);
  });
});

describe("RESP3 replies", () => {
  let redis3: RespClient;
  let session3: Session;
  beforeAll(async () => {
    redis3 = await RespClient.connect(diff.oraclePort);
    await redis3.send("HELLO", "3");
  });
  afterAll(() => redis3.close());

  async function run3(commands: Arg[][]): Promise<void> {
    session3 = diff.engine.newSession();
    session3.protocol = 3;
    for (const c of commands) {
      const args = c.map(toBytes);
      const expected = (await redis3.send(...args)).bytes;
      const actual = encodeReply(diff.engine.execute(session3, args), 3);
      expect(text(actual), c.map((a) => text(toBytes(a))).join(" ")).toBe(text(expected));
    }
  }

  it("uses doubles, nested pairs and nulls the way Redis 7.0 does", async () => {
    await run3([
      ["ZADD", "z", "1", "a", "2.5", "b", "-inf", "c", "-0", "d"],
      ["ZSCORE", "z", "b"],
      ["ZSCORE", "z", "nope"],
      ["ZSCORE", "nokey", "a"],
      ["ZMSCORE", "z", "a", "nope", "c", "d"],
      ["ZINCRBY", "z", "0.5", "a"],
      ["ZADD", "z", "INCR", "1", "a"],
      ["ZADD", "z", "INCR", "NX", "1", "a"],
      ["ZRANK", "z", "a"],
      ["ZRANK", "z", "nope"],
      ["ZRANGE", "z", "0", "-1"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2"],
      ["ZREVRANGE", "z", "0", "-1", "WITHSCORES"],
      ["ZRANGE", "nokey", "0", "-1", "WITHSCORES"],
      ["ZUNION", "1", "z", "WITHSCORES"],
      ["ZINTER", "1", "z"],
      ["ZDIFF", "1", "z", "WITHSCORES"],
      ["ZRANDMEMBER", "z", "10", "WITHSCORES"],
      ["ZRANDMEMBER", "z", "0", "WITHSCORES"],
      ["ZRANDMEMBER", "nokey"],
      ["ZSCAN", "z", "0"],
      ["ZSCAN", "nokey", "0"],
      ["ZPOPMIN", "z"],
      ["ZPOPMIN", "z", "1"],
      ["ZPOPMAX", "z", "0"],
      ["ZPOPMIN", "nokey"],
      ["ZPOPMIN", "nokey", "2"],
      ["ZMPOP", "1", "z", "MAX"],
      ["ZMPOP", "1", "nokey", "MAX"],
      ["ZCARD", "z"],
    ]);
  });
});

describe("a large set", () => {
  it("20,000 members: ranks, ranges, counts and removals agree with Redis", async () => {
    let state = 12345;
    const rand = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const members: string[] = [];
    const batches: Arg[][] = [];
    for (let b = 0; b < 200; b++) {
      const cmd: Arg[] = ["ZADD", "big"];
      for (let i = 0; i < 100; i++) {
        const m = `m${rand(1_000_000).toString(36)}:${b * 100 + i}`;
        members.push(m);
        // Few distinct scores, so ties (ordered by member) are everywhere.
        cmd.push(String(rand(500) / 4 - 20), m);
      }
      batches.push(cmd);
    }
    for (const r of await diff.redis.pipeline(batches)) expect(r.value.type).toBe("integer");
    for (const c of batches) diff.engine.execute(diff.session, c.map(toBytes));

    const checks: Arg[][] = [["ZCARD", "big"]];
    for (let i = 0; i < 300; i++) {
      const m = members[rand(members.length)]!;
      checks.push(["ZRANK", "big", m], ["ZREVRANK", "big", m], ["ZSCORE", "big", m]);
    }
    for (let i = 0; i < 40; i++) {
      const start = rand(20_000) - 10_000;
      checks.push(["ZRANGE", "big", String(start), String(start + rand(50)), "WITHSCORES"]);
      const lo = rand(500) / 4 - 20;
      checks.push(["ZRANGEBYSCORE", "big", `(${lo}`, String(lo + rand(10)), "WITHSCORES", "LIMIT", String(rand(100)), String(rand(30))]);
      checks.push(["ZREVRANGEBYSCORE", "big", String(lo + rand(10)), String(lo), "LIMIT", String(rand(100)), String(rand(30))]);
      checks.push(["ZCOUNT", "big", String(lo), `(${lo + rand(20)}`]);
      checks.push(["ZRANGEBYSCORE", "big", String(lo), String(lo), "LIMIT", String(rand(5000)), "3"]);
    }
    checks.push(["ZRANGE", "big", "19990", "20010"], ["ZRANGE", "big", "-5", "-1", "REV", "WITHSCORES"]);
    await run(checks);

    await run([
      ["ZREMRANGEBYRANK", "big", "100", "199"],
      ["ZREMRANGEBYSCORE", "big", "(10", "12"],
      ["ZREMRANGEBYLEX", "big", "[m1", "(m2"],
      ["ZPOPMIN", "big", "50"],
      ["ZPOPMAX", "big", "50"],
      ["ZCARD", "big"],
    ]);
    const after: Arg[][] = [];
    for (let i = 0; i < 200; i++) after.push(["ZRANK", "big", members[rand(members.length)]!]);
    for (let i = 0; i < 20; i++) {
      const start = rand(19_000);
      after.push(["ZRANGE", "big", String(start), String(start + 20), "WITHSCORES"]);
    }
    after.push(["ZUNIONSTORE", "u", "2", "big", "big", "WEIGHTS", "1", "-1"]);
    after.push(["ZRANGE", "u", "0", "10", "WITHSCORES"], ["ZCARD", "u"]);
    after.push(["ZINTERCARD", "2", "big", "u", "LIMIT", "1000"]);
    await run(after);
    expectInvariants("big", "u");
  });
});

describe("random command sequences", () => {
  it("match Redis byte for byte", async () => {
    const key = fc.constantFrom("z1", "z2", "z3");
    const member = fc.oneof(
      fc.constantFrom("a", "b", "c", "d", "e", "", "aa", "ab", "\u0000", "a\u0000b", "zz"),
      fc.string({ maxLength: 4 }),
    );
    const score = fc.oneof(
      fc.constantFrom("0", "-0", "1", "-1", "1.5", "inf", "-inf", "+inf", "0.1", "1e300", "-2.5", "3"),
      fc.integer({ min: -5, max: 5 }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    );
    const bound = fc.oneof(score, score.map((s) => `(${s}`));
    const lexBound = fc.oneof(fc.constantFrom("-", "+"), member.map((m) => `[${m}`), member.map((m) => `(${m}`));
    const index = fc.integer({ min: -6, max: 6 }).map(String);
    const flags = fc.subarray(["NX", "XX", "GT", "LT", "CH"], { maxLength: 2 });
    const pairs = fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 4 }).map((ps) => ps.flat());
    const limit = fc.oneof(fc.constant([] as string[]), fc.tuple(fc.integer({ min: -1, max: 4 }), fc.integer({ min: -1, max: 4 })).map(([o, c]) => ["LIMIT", String(o), String(c)]));
    const withScores = fc.constantFrom([] as string[], ["WITHSCORES"]);
    const keys = fc.array(key, { minLength: 1, maxLength: 3 });
    const weights = (n: number) => fc.array(fc.constantFrom("1", "2", "-1", "0", "0.5", "inf"), { minLength: n, maxLength: n });
    const aggregate = fc.constantFrom([] as string[], ["AGGREGATE", "SUM"], ["AGGREGATE", "MIN"], ["AGGREGATE", "MAX"]);
    const command: fc.Arbitrary<string[]> = fc.oneof(
      fc.tuple(key, flags, pairs).map(([k, f, p]) => ["ZADD", k, ...f, ...p]),
      fc.tuple(key, flags, score, member).map(([k, f, s, m]) => ["ZADD", k, ...f, "INCR", s, m]),
      fc.tuple(key, score, member).map(([k, s, m]) => ["ZINCRBY", k, s, m]),
      fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ["ZREM", k, ...ms]),
      fc.tuple(key, member).map(([k, m]) => ["ZSCORE", k, m]),
      fc.tuple(key, member, member).map(([k, a, b]) => ["ZMSCORE", k, a, b]),
      fc.tuple(fc.constantFrom("ZRANK", "ZREVRANK"), key, member).map(([c, k, m]) => [c, k, m]),
      key.map((k) => ["ZCARD", k]),
      fc.tuple(key, index, index, fc.constantFrom([] as string[], ["REV"]), withScores).map(([k, a, b, r, w]) => ["ZRANGE", k, a, b, ...r, ...w]),
      fc.tuple(key, bound, bound, fc.constantFrom([] as string[], ["REV"]), limit, withScores).map(([k, a, b, r, l, w]) => ["ZRANGE", k, a, b, "BYSCORE", ...r, ...l, ...w]),
      fc.tuple(key, lexBound, lexBound, fc.constantFrom([] as string[], ["REV"]), limit).map(([k, a, b, r, l]) => ["ZRANGE", k, a, b, "BYLEX", ...r, ...l]),
      fc.tuple(fc.constantFrom("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"), key, bound, bound, withScores, limit).map(([c, k, a, b, w, l]) => [c, k, a, b, ...w, ...l]),
      fc.tuple(fc.constantFrom("ZRANGEBYLEX", "ZREVRANGEBYLEX"), key, lexBound, lexBound, limit).map(([c, k, a, b, l]) => [c, k, a, b, ...l]),
      fc.tuple(key, bound, bound).map(([k, a, b]) => ["ZCOUNT", k, a, b]),
      fc.tuple(key, lexBound, lexBound).map(([k, a, b]) => ["ZLEXCOUNT", k, a, b]),
      fc.tuple(key, index, index).map(([k, a, b]) => ["ZREMRANGEBYRANK", k, a, b]),
      fc.tuple(key, bound, bound).map(([k, a, b]) => ["ZREMRANGEBYSCORE", k, a, b]),
      fc.tuple(key, lexBound, lexBound).map(([k, a, b]) => ["ZREMRANGEBYLEX", k, a, b]),
      fc.tuple(fc.constantFrom("ZPOPMIN", "ZPOPMAX"), key, fc.constantFrom([] as string[], ["0"], ["1"], ["3"])).map(([c, k, n]) => [c, k, ...n]),
      fc.tuple(keys, fc.constantFrom("MIN", "MAX"), fc.integer({ min: 1, max: 3 })).map(([ks, w, n]) => ["ZMPOP", String(ks.length), ...ks, w, "COUNT", String(n)]),
      fc.tuple(key, key, index, index).map(([d, s, a, b]) => ["ZRANGESTORE", d, s, a, b]),
      fc.tuple(fc.constantFrom("ZUNIONSTORE", "ZINTERSTORE"), key, keys, aggregate).chain(([c, d, ks, ag]) =>
        weights(ks.length).map((ws) => [c, d, String(ks.length), ...ks, "WEIGHTS", ...ws, ...ag])),
      fc.tuple(fc.constantFrom("ZUNION", "ZINTER"), keys, aggregate).map(([c, ks, ag]) => [c, String(ks.length), ...ks, ...ag, "WITHSCORES"]),
      fc.tuple(key, keys).map(([d, ks]) => ["ZDIFFSTORE", d, String(ks.length), ...ks]),
      keys.map((ks) => ["ZDIFF", String(ks.length), ...ks, "WITHSCORES"]),
      keys.map((ks) => ["ZINTERCARD", String(ks.length), ...ks]),
      key.map((k) => ["ZSCAN", k, "0"]),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
        await diff.reset();
        await diff.runAll(commands);
        expectInvariants("z1", "z2", "z3");
      }),
      { numRuns: 150 },
    );
  });
});

describe("plain sets as sources of set operations", () => {
  it("count every member of a plain set with score 1, weighted and aggregated", async () => {
    await diff.runAll([
      ["SADD", "s", "a", "b", "c"], ["ZADD", "z", "5", "a", "2", "x"], ["SADD", "one", "x"],
      ["ZUNION", "2", "s", "z", "WITHSCORES"], ["ZINTER", "2", "s", "z", "WITHSCORES"], ["ZDIFF", "2", "s", "z", "WITHSCORES"],
      ["ZUNIONSTORE", "d", "3", "s", "z", "one", "WEIGHTS", "2", "3", "4"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
      ["ZINTERSTORE", "d2", "2", "s", "one", "AGGREGATE", "MAX"], ["ZINTERCARD", "2", "s", "z"], ["ZDIFFSTORE", "d3", "2", "z", "s"],
      ["ZRANGE", "d3", "0", "-1", "WITHSCORES"], ["SET", "str", "v"], ["ZUNION", "2", "s", "str"],
    ]);
  });
});
