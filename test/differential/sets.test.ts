import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Differential, type Comparison } from "./harness.ts";
import { bulkTexts, engineRun, expectSameFullScan } from "./collection-helpers.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { text, type Arg } from "../../runtime/bytes.ts";
import type { RespValue } from "../../runtime/resp.ts";

// Redis orders small integer sets (intsets) and hash-table sets its own way;
// replies listing members are compared as multisets. Random replies are
// compared by shape (and checked for membership below), except where an
// error is expected.
let randomComparison: Comparison = "type-only";

function compare(args: readonly string[]): Comparison {
  switch (args[0]) {
    case "smembers":
    case "sinter":
    case "sunion":
    case "sdiff": return "unordered";
    case "srandmember":
    case "spop": return randomComparison;
    default: return "exact";
  }
}

let diff: Differential;
beforeAll(async () => { diff = await Differential.create({ compare }); });
afterAll(() => diff.close());
beforeEach(async () => {
  randomComparison = "type-only";
  await diff.reset();
});

function members(v: RespValue): string[] {
  return bulkTexts(v);
}

/**
 * SPOP on both sides, then makes Redis's set equal to ours again (each side
 * popped different members), so a sequence can go on comparing.
 */
async function spopAndResync(key: string, ...count: string[]): Promise<void> {
  await diff.run("SPOP", key, ...count);
  const type = engineRun(diff, "TYPE", key);
  if (type.type !== "simple" || type.value !== "set") return;
  const ours = members(engineRun(diff, "SMEMBERS", key));
  await diff.redis.send("DEL", key);
  if (ours.length > 0) await diff.redis.send("SADD", key, ...ours);
}

describe("sets against redis-server", () => {
  it("SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS", async () => {
    await diff.runAll([
      ["SADD", "s"],
      ["SREM", "s"],
      ["SADD", "s", "a", "b", "a", "c"],
      ["SADD", "s", "c", "d"],
      ["SCARD", "s"],
      ["SCARD", "nokey"],
      ["SISMEMBER", "s", "a"],
      ["SISMEMBER", "s", "z"],
      ["SISMEMBER", "nokey", "a"],
      ["SMISMEMBER", "s", "a", "z", "d", "a"],
      ["SMISMEMBER", "nokey", "a", "b"],
      ["SMISMEMBER", "s"],
      ["SMEMBERS", "s"],
      ["SMEMBERS", "nokey"],
      ["SADD", "s", "", "bin\u0000\r\nx"],
      ["SISMEMBER", "s", ""],
      ["SISMEMBER", "s", "bin\u0000\r\nx"],
      ["SMEMBERS", "s"],
      ["SREM", "s", "a", "a", "z"],
      ["SREM", "nokey", "a"],
      ["SREM", "s", "b", "c", "d", "", "bin\u0000\r\nx"],
      ["EXISTS", "s"],
      ["SCARD", "s"],
      ["SADD", "ints", "3", "1", "2", "-5", "10"],
      ["SMEMBERS", "ints"],
      ["SISMEMBER", "ints", "01"],
      ["SADD", "ints", "01", "1"],
      ["SMEMBERS", "ints"],
      ["SMEMBERS", "s", "x"],
      ["SCARD"],
    ]);
  });

  it("SMOVE between sets, missing keys, the same key and wrong types", async () => {
    await diff.runAll([
      ["SMOVE", "nokey", "dst", "a"],
      ["SET", "str", "x"],
      ["SMOVE", "nokey", "str", "a"],
      ["SADD", "src", "a", "b"],
      ["SMOVE", "str", "src", "a"],
      ["SMOVE", "src", "str", "a"],
      ["SMOVE", "src", "src", "a"],
      ["SMOVE", "src", "src", "zz"],
      ["SMOVE", "src", "dst", "zz"],
      ["SMOVE", "src", "dst", "a"],
      ["SMEMBERS", "src"],
      ["SMEMBERS", "dst"],
      ["SADD", "dst", "b"],
      ["SMOVE", "src", "dst", "b"],
      ["EXISTS", "src"],
      ["SMEMBERS", "dst"],
      ["SCARD", "dst"],
      ["SMOVE", "src", "dst"],
    ]);
  });

  it("SINTER, SUNION, SDIFF with missing keys, repeats and wrong types", async () => {
    await diff.runAll([
      ["SADD", "a", "1", "2", "3", "4", "x"],
      ["SADD", "b", "3", "4", "5", "x", "y"],
      ["SADD", "c", "4", "x", "z"],
      ["SET", "str", "v"],
      ["SINTER", "a"],
      ["SINTER", "a", "b"],
      ["SINTER", "a", "b", "c"],
      ["SINTER", "c", "b", "a"],
      ["SINTER", "a", "a"],
      ["SINTER", "a", "nokey"],
      ["SINTER", "nokey", "a"],
      ["SINTER", "nokey"],
      ["SINTER", "a", "str"],
      ["SINTER", "nokey", "str"],
      ["SUNION", "a", "b", "c"],
      ["SUNION", "a", "nokey"],
      ["SUNION", "nokey"],
      ["SUNION", "nokey", "str"],
      ["SUNION", "a", "a"],
      ["SDIFF", "a", "b"],
      ["SDIFF", "a", "b", "c"],
      ["SDIFF", "b", "a"],
      ["SDIFF", "a", "a"],
      ["SDIFF", "a", "nokey"],
      ["SDIFF", "nokey", "a"],
      ["SDIFF", "nokey", "str"],
      ["SDIFF", "a", "str"],
      ["SINTER"],
      ["SUNION"],
      ["SDIFF"],
    ]);
  });

  it("SINTERSTORE, SUNIONSTORE, SDIFFSTORE: results, empty results, overwriting", async () => {
    await diff.runAll([
      ["SADD", "a", "1", "2", "3"],
      ["SADD", "b", "2", "3", "4"],
      ["SET", "str", "v"],
      ["SINTERSTORE", "d", "a", "b"],
      ["SMEMBERS", "d"],
      ["SUNIONSTORE", "d", "a", "b"],
      ["SMEMBERS", "d"],
      ["SDIFFSTORE", "d", "a", "b"],
      ["SMEMBERS", "d"],
      ["SINTERSTORE", "d", "a", "nokey"],
      ["EXISTS", "d"],
      ["SINTERSTORE", "d", "a", "nokey"],
      ["SDIFFSTORE", "d", "a", "a"],
      ["SUNIONSTORE", "str", "a"],
      ["TYPE", "str"],
      ["SMEMBERS", "str"],
      ["SET", "str", "v"],
      ["SINTERSTORE", "str", "nokey", "a"],
      ["EXISTS", "str"],
      ["SET", "str", "v"],
      ["SDIFFSTORE", "d", "str", "a"],
      ["SUNIONSTORE", "d", "a", "str"],
      ["SINTERSTORE", "a", "a", "b"],
      ["SMEMBERS", "a"],
      ["SUNIONSTORE", "b", "b", "a"],
      ["SMEMBERS", "b"],
      ["SDIFFSTORE", "b", "b", "a"],
      ["SMEMBERS", "b"],
      ["SET", "ttl", "v", "EX", "100"],
      ["SUNIONSTORE", "ttl", "a"],
      ["SUNIONSTORE", "u", "nokey", "nokey2"],
      ["EXISTS", "u"],
      ["SINTERSTORE", "d"],
      ["SUNIONSTORE", "d"],
    ]);
    // The stored set replaced the string, and its expiry with it (as Redis's setKey).
    expect((await diff.redis.send("PTTL", "ttl")).value).toEqual({ type: "integer", value: -1n });
    const core = diff.engine.core;
    const entry = core.x.ks_find(0, core.stage1(new TextEncoder().encode("ttl")), 3, 0);
    expect(entry).not.toBe(0);
    expect(core.x.ks_get_expire(0, entry)).toBe(-1);
  });

  it("SINTERCARD with LIMIT, and its errors", async () => {
    await diff.runAll([
      ["SADD", "a", "1", "2", "3", "4", "5"],
      ["SADD", "b", "2", "3", "4", "5", "6"],
      ["SET", "str", "v"],
      ["SINTERCARD", "1", "a"],
      ["SINTERCARD", "2", "a", "b"],
      ["SINTERCARD", "2", "a", "b", "LIMIT", "0"],
      ["SINTERCARD", "2", "a", "b", "LIMIT", "2"],
      ["SINTERCARD", "2", "a", "b", "limit", "100"],
      ["SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "3"],
      ["SINTERCARD", "2", "a", "nokey"],
      ["SINTERCARD", "2", "nokey", "str"],
      ["SINTERCARD", "1", "str"],
      ["SINTERCARD", "0", "a"],
      ["SINTERCARD", "-1", "a"],
      ["SINTERCARD", "x", "a"],
      ["SINTERCARD", "3", "a", "b"],
      ["SINTERCARD", "1", "a", "LIMIT"],
      ["SINTERCARD", "1", "a", "LIMIT", "-1"],
      ["SINTERCARD", "1", "a", "LIMIT", "x"],
      ["SINTERCARD", "1", "a", "FOO", "1"],
      ["SINTERCARD", "1", "a", "b"],
      ["SINTERCARD", "1"],
    ]);
  });

  it("WRONGTYPE for every command on a hash key", async () => {
    await diff.runAll([
      ["HSET", "h", "f", "v"],
      ["SADD", "h", "a"],
      ["SREM", "h", "a"],
      ["SCARD", "h"],
      ["SISMEMBER", "h", "a"],
      ["SMISMEMBER", "h", "a"],
      ["SMEMBERS", "h"],
      ["SPOP", "h"],
      ["SPOP", "h", "2"],
      ["SRANDMEMBER", "h"],
      ["SRANDMEMBER", "h", "2"],
      ["SSCAN", "h", "0"],
      ["SINTER", "h"],
      ["SINTERCARD", "1", "h"],
      ["HGET", "h", "f"],
    ]);
  });

  it("SPOP and SRANDMEMBER errors and replies that are not random", async () => {
    randomComparison = "exact";
    await diff.runAll([
      ["SPOP", "nokey"],
      ["SPOP", "nokey", "3"],
      ["SPOP", "nokey", "-1"],
      ["SPOP", "nokey", "x"],
      ["SRANDMEMBER", "nokey"],
      ["SRANDMEMBER", "nokey", "3"],
      ["SRANDMEMBER", "nokey", "-3"],
      ["SRANDMEMBER", "nokey", "x"],
      ["SADD", "s", "only"],
      ["SPOP", "s", "0"],
      ["SRANDMEMBER", "s", "0"],
      ["SPOP", "s", "-1"],
      ["SPOP", "s", "x"],
      ["SPOP", "s", "1.5"],
      ["SPOP", "s", "1", "2"],
      ["SRANDMEMBER", "s", "x"],
      ["SRANDMEMBER", "s", "1", "2"],
      ["SRANDMEMBER", "s", "-9223372036854775808"],
      ["SRANDMEMBER", "s", "9223372036854775808"],
      ["SRANDMEMBER", "s"],
      ["SRANDMEMBER", "s", "5"],
      ["SRANDMEMBER", "s", "-3"],
      ["SPOP", "s"],
      ["EXISTS", "s"],
      ["SADD", "s", "only"],
      ["SPOP", "s", "5"],
      ["EXISTS", "s"],
    ]);
  });

  it("SRANDMEMBER picks members, distinct for a positive count", async () => {
    const all = Array.from({ length: 60 }, (_, i) => `m${i}`);
    await diff.run("SADD", "s", ...all);
    const set = new Set(all);
    for (const count of ["1", "7", "19", "20", "21", "59", "60", "61", "1000"]) {
      await diff.run("SRANDMEMBER", "s", count);
      const picked = members(engineRun(diff, "SRANDMEMBER", "s", count));
      expect(picked.length).toBe(Math.min(Number(count), 60));
      expect(new Set(picked).size).toBe(picked.length);
      for (const m of picked) expect(set.has(m)).toBe(true);
    }
    for (const count of ["-1", "-10", "-60", "-300"]) {
      await diff.run("SRANDMEMBER", "s", count);
      const picked = members(engineRun(diff, "SRANDMEMBER", "s", count));
      expect(picked.length).toBe(-Number(count));
      for (const m of picked) expect(set.has(m)).toBe(true);
    }
    expect(new Set(members(engineRun(diff, "SRANDMEMBER", "s", "-3000"))).size).toBe(60);
    await diff.run("SRANDMEMBER", "s");
    await diff.run("SCARD", "s");
  });

  it("SPOP removes the members it returns and propagates them as SREM (or DEL)", async () => {
    const effects: EffectRecord[] = [];
    diff.engine.onEffect = (r) => effects.push(r);
    const all = Array.from({ length: 50 }, (_, i) => `m${i}`);
    await diff.run("SADD", "s", ...all);
    effects.length = 0;
    const remaining = new Set(all);
    for (const count of ["1", "3", "10", "20"]) {
      const popped = members(engineRun(diff, "SPOP", "s", count));
      expect(popped.length).toBe(Number(count));
      for (const m of popped) {
        expect(remaining.delete(m)).toBe(true);
      }
      const effect = effects.shift()!;
      expect(effect.args.map(text)).toEqual(["SREM", "s", ...popped]);
    }
    const one = engineRun(diff, "SPOP", "s");
    expect(one.type).toBe("bulk");
    const m = text((one as { value: Uint8Array }).value);
    expect(remaining.delete(m)).toBe(true);
    expect(effects.shift()!.args.map(text)).toEqual(["SREM", "s", m]);
    expect(members(engineRun(diff, "SMEMBERS", "s")).sort()).toEqual([...remaining].sort());
    const rest = members(engineRun(diff, "SPOP", "s", "100"));
    expect(rest.sort()).toEqual([...remaining].sort());
    expect(effects.shift()!.args.map(text)).toEqual(["DEL", "s"]);
    expect(engineRun(diff, "EXISTS", "s")).toEqual({ type: "integer", value: 0n });
    // A popped set replays to the same state from its effect records.
    const replayEffects: EffectRecord[] = [];
    diff.engine.onEffect = (r) => replayEffects.push(r);
    engineRun(diff, "SADD", "t", ...all);
    engineRun(diff, "SPOP", "t", "17");
    engineRun(diff, "SPOP", "t");
    const before = members(engineRun(diff, "SMEMBERS", "t")).sort();
    diff.engine.onEffect = undefined;
    engineRun(diff, "DEL", "t");
    for (const r of replayEffects) diff.engine.apply(r);
    expect(members(engineRun(diff, "SMEMBERS", "t")).sort()).toEqual(before);
  });

  it("SSCAN errors, options and full scans", async () => {
    await diff.runAll([
      ["SSCAN", "nokey", "0"],
      ["SSCAN", "nokey", "0", "COUNT", "0"],
      ["SSCAN", "nokey", "x"],
      ["SADD", "s", "a", "b", "ab", "1", "2"],
      ["SSCAN", "s", "x"],
      ["SSCAN", "s", "0", "COUNT", "0"],
      ["SSCAN", "s", "0", "COUNT", "x"],
      ["SSCAN", "s", "0", "MATCH"],
      ["SSCAN", "s", "0", "TYPE", "set"],
      ["SSCAN", "s", "18446744073709551616"],
    ]);
    await expectSameFullScan(diff, "SSCAN", "s");
    await expectSameFullScan(diff, "SSCAN", "s", ["MATCH", "a*"]);
    await expectSameFullScan(diff, "SSCAN", "s", ["MATCH", "[0-9]", "COUNT", "1"]);
  });

  it("large sets: 5,000 members through algebra, scans, pops and shrinking", async () => {
    const n = 5000;
    for (let start = 0; start < n; start += 500) {
      const evens: string[] = [];
      const threes: string[] = [];
      for (let i = start; i < start + 500; i++) {
        evens.push(String(i * 2));
        threes.push(String(i * 3));
      }
      await diff.run("SADD", "evens", ...evens);
      await diff.run("SADD", "threes", ...threes);
    }
    await diff.run("SADD", "small", "0", "6", "7", "12", "9996", "nope");
    await diff.runAll([
      ["SCARD", "evens"],
      ["SINTER", "evens", "threes"],
      ["SINTER", "evens", "threes", "small"],
      ["SINTERCARD", "2", "evens", "threes"],
      ["SINTERCARD", "2", "evens", "threes", "LIMIT", "100"],
      ["SUNION", "evens", "threes"],
      ["SDIFF", "evens", "threes"],
      ["SDIFF", "small", "evens", "threes"],
      ["SDIFF", "evens", "small"],
      ["SINTERSTORE", "i", "evens", "threes"],
      ["SUNIONSTORE", "u", "evens", "threes", "small"],
      ["SDIFFSTORE", "d", "threes", "evens"],
      ["SCARD", "i"],
      ["SCARD", "u"],
      ["SCARD", "d"],
      ["SMEMBERS", "d"],
    ]);
    await expectSameFullScan(diff, "SSCAN", "evens");
    await expectSameFullScan(diff, "SSCAN", "u", ["COUNT", "250", "MATCH", "*7"]);
    for (let start = 0; start < n - 20; start += 500) {
      const gone: string[] = [];
      for (let i = start; i < Math.min(start + 500, n - 20); i++) gone.push(String(i * 2));
      await diff.run("SREM", "evens", ...gone);
    }
    await diff.run("SMEMBERS", "evens");
    await expectSameFullScan(diff, "SSCAN", "evens", ["COUNT", "2"]);
    await spopAndResync("threes", "2000");
    await diff.run("SCARD", "threes");
    await spopAndResync("threes", "2990");
    await diff.run("SCARD", "threes");
    await diff.run("SRANDMEMBER", "threes", "20");
  });

  it("random command sequences", async () => {
    const key = fc.constantFrom("s1", "s2", "s3", "str");
    const member = fc.oneof(fc.constantFrom("a", "b", "c", "1", "2", "", "x\u0000y"), fc.string({ maxLength: 8 }));
    type Cmd = Arg[];
    const command: fc.Arbitrary<Cmd> = fc.oneof(
      fc.tuple(fc.constant("SADD"), key, member, member),
      fc.tuple(fc.constant("SADD"), key, member),
      fc.tuple(fc.constant("SREM"), key, member, member),
      fc.tuple(fc.constant("SCARD"), key),
      fc.tuple(fc.constant("SISMEMBER"), key, member),
      fc.tuple(fc.constant("SMISMEMBER"), key, member, member),
      fc.tuple(fc.constant("SMEMBERS"), key),
      fc.tuple(fc.constant("SMOVE"), key, key, member),
      fc.tuple(fc.constant("SINTER"), key, key),
      fc.tuple(fc.constant("SUNION"), key, key, key),
      fc.tuple(fc.constant("SDIFF"), key, key),
      fc.tuple(fc.constant("SINTERSTORE"), key, key, key),
      fc.tuple(fc.constant("SUNIONSTORE"), key, key, key),
      fc.tuple(fc.constant("SDIFFSTORE"), key, key, key),
      fc.tuple(fc.constant("SINTERCARD"), fc.constant("2"), key, key, fc.constant("LIMIT"), fc.constantFrom("0", "1", "2")),
      fc.tuple(fc.constant("SRANDMEMBER"), key, fc.constantFrom("1", "3", "-4")),
      fc.tuple(fc.constant("SPOP"), key, fc.constantFrom("1", "2", "10")),
      fc.tuple(fc.constant("SPOP"), key),
      fc.tuple(fc.constant("SET"), key, member),
      fc.tuple(fc.constant("DEL"), key),
      fc.tuple(fc.constant("TYPE"), key),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 50, size: "max" }), async (commands) => {
        await diff.reset();
        for (const c of commands) {
          if (c[0] === "SPOP") await spopAndResync(c[1] as string, ...(c.slice(2) as string[]));
          else await diff.run(...c);
        }
        for (const k of ["s1", "s2", "s3"]) {
          await diff.run("SMEMBERS", k);
          const type = (await diff.redis.send("TYPE", k)).value;
          if (type.type === "simple" && type.value === "set") await expectSameFullScan(diff, "SSCAN", k);
        }
      }),
      { numRuns: 100 },
    );
  });
});
