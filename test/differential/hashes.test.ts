import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Differential, type Comparison } from "./harness.ts";
import { bulkTexts, engineRun, expectSameFullScan, pairs } from "./collection-helpers.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { text } from "../../runtime/bytes.ts";

// Redis keeps small hashes in insertion order and large ones in hash order;
// Trireme always in hash order. Random replies are compared by shape only
// (and checked for membership below), except where an error is expected.
let randomComparison: Comparison = "type-only";

function compare(args: readonly string[]): Comparison {
  switch (args[0]) {
    case "hgetall": return "unordered-pairs";
    case "hkeys":
    case "hvals": return "unordered";
    case "hrandfield": return randomComparison;
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

describe("hashes against redis-server", () => {
  it("HSET, HMSET, HSETNX, HGET, HMGET and their arity rules", async () => {
    await diff.runAll([
      ["HSET", "h"],
      ["HSET", "h", "f"],
      ["HSET", "h", "f", "v", "x"],
      ["HMSET", "h", "f", "v", "x"],
      ["HSET", "h", "f", "v"],
      ["HSET", "h", "f", "v2", "g", "w", "g", "w2"],
      ["HGET", "h", "f"],
      ["HGET", "h", "g"],
      ["HGET", "h", "nope"],
      ["HGET", "nokey", "f"],
      ["HMSET", "h", "a", "1", "b", "2"],
      ["HMGET", "h", "a", "nope", "b", "a"],
      ["HMGET", "nokey", "a", "b"],
      ["HSETNX", "h", "a", "changed"],
      ["HSETNX", "h", "c", "3"],
      ["HSETNX", "new", "x", "y"],
      ["HGET", "h", "a"],
      ["HGET", "new", "x"],
      ["HSET", "h", "", ""],
      ["HGET", "h", ""],
      ["HSET", "h", "bin\u0000key", "bin\u0000\r\nvalue"],
      ["HGET", "h", "bin\u0000key"],
      ["HSTRLEN", "h", "bin\u0000key"],
      ["HSET", "h", "long", "x".repeat(5000)],
      ["HSTRLEN", "h", "long"],
      ["HSET", "h", "long", "short"],
      ["HGET", "h", "long"],
      ["HLEN", "h"],
      ["HGETALL", "h"],
      ["HKEYS", "h"],
      ["HVALS", "h"],
      ["HGETALL", "nokey"],
      ["HKEYS", "nokey"],
      ["HVALS", "nokey"],
      ["HGET", "h"],
      ["HMGET", "h"],
      ["HSETNX", "h", "a"],
    ]);
  });

  it("HDEL, HLEN, HEXISTS, HSTRLEN, and deleting the key with its last field", async () => {
    await diff.runAll([
      ["HDEL", "nokey", "f"],
      ["HLEN", "nokey"],
      ["HEXISTS", "nokey", "f"],
      ["HSTRLEN", "nokey", "f"],
      ["HSET", "h", "a", "1", "b", "22", "c", "333"],
      ["HEXISTS", "h", "a"],
      ["HEXISTS", "h", "z"],
      ["HSTRLEN", "h", "c"],
      ["HSTRLEN", "h", "z"],
      ["HDEL", "h", "a", "a", "z"],
      ["HLEN", "h"],
      ["HDEL", "h", "b", "c"],
      ["EXISTS", "h"],
      ["TYPE", "h"],
      ["HLEN", "h"],
      ["HDEL", "h"],
      ["HSET", "h", "x", "y"],
      ["TYPE", "h"],
      ["HDEL", "h", "x"],
      ["HGETALL", "h"],
    ]);
  });

  it("HINCRBY and HINCRBYFLOAT, with overflow and bad values", async () => {
    await diff.runAll([
      ["HINCRBY", "h", "n", "5"],
      ["HINCRBY", "h", "n", "-12"],
      ["HINCRBY", "h", "n", "0"],
      ["HINCRBY", "h", "n", "x"],
      ["HINCRBY", "h", "n", "1.5"],
      ["HINCRBY", "h", "n", "9223372036854775808"],
      ["HSET", "h", "max", "9223372036854775807", "min", "-9223372036854775808"],
      ["HINCRBY", "h", "max", "1"],
      ["HINCRBY", "h", "max", "-1"],
      ["HINCRBY", "h", "min", "-1"],
      ["HINCRBY", "h", "min", "9223372036854775807"],
      ["HINCRBY", "new", "f", "9223372036854775807"],
      ["HINCRBY", "new2", "f", "-9223372036854775808"],
      ["HINCRBY", "new2", "f", "-1"],
      ["HSET", "h", "float", "1.5", "empty", "", "space", " 1", "plus", "+1", "zero", "01", "big", "99999999999999999999"],
      ["HINCRBY", "h", "float", "1"],
      ["HINCRBY", "h", "empty", "1"],
      ["HINCRBY", "h", "space", "1"],
      ["HINCRBY", "h", "plus", "1"],
      ["HINCRBY", "h", "zero", "1"],
      ["HINCRBY", "h", "big", "1"],
      ["HINCRBYFLOAT", "h", "float", "0.25"],
      ["HINCRBYFLOAT", "h", "n", "1"],
      ["HINCRBYFLOAT", "h", "f2", "0.1"],
      ["HINCRBYFLOAT", "h", "f2", "0.2"],
      ["HINCRBYFLOAT", "h", "f2", "-0.3"],
      ["HINCRBYFLOAT", "h", "f3", "1e2"],
      ["HINCRBYFLOAT", "h", "f3", "5."],
      ["HINCRBYFLOAT", "h", "f3", ".5"],
      ["HINCRBYFLOAT", "h", "f3", "+1.5E1"],
      ["HINCRBYFLOAT", "h", "f4", "-0"],
      ["HINCRBYFLOAT", "h", "f4", "1e-20"],
      ["HINCRBYFLOAT", "h", "f5", "1.23456789012345"],
      ["HINCRBYFLOAT", "h", "f5", "-1"],
      ["HINCRBYFLOAT", "h", "max", "1"],
      ["HINCRBYFLOAT", "h", "x", "inf"],
      ["HINCRBYFLOAT", "h", "x", "-Infinity"],
      ["HINCRBYFLOAT", "h", "x", "nan"],
      ["HINCRBYFLOAT", "h", "x", "abc"],
      ["HINCRBYFLOAT", "h", "x", " 1"],
      ["HINCRBYFLOAT", "h", "x", ""],
      ["HINCRBYFLOAT", "h", "empty", "1"],
      ["HINCRBYFLOAT", "h", "space", "1"],
      ["HSET", "h", "infinite", "inf"],
      ["HINCRBYFLOAT", "h", "infinite", "1"],
      ["HSET", "h", "big", "9223372036854775807"],
      ["HINCRBYFLOAT", "h", "big", "-2.25"],
      ["HINCRBYFLOAT", "h", "hex", "0x10"],
      ["HINCRBYFLOAT", "h", "hex", "1e308"],
      ["HINCRBYFLOAT", "h", "hex", "1e308"],
      ["HGETALL", "h"],
      ["HINCRBY", "h", "n"],
      ["HINCRBYFLOAT", "h", "n"],
    ]);
  });

  it("HINCRBYFLOAT propagates the HSET of its result", async () => {
    const effects: EffectRecord[] = [];
    diff.engine.onEffect = (r) => effects.push(r);
    await diff.run("HINCRBYFLOAT", "h", "f", "2.5");
    await diff.run("HINCRBYFLOAT", "h", "f", "0.1");
    await diff.run("HINCRBY", "h", "n", "3");
    await diff.run("HINCRBYFLOAT", "h", "f", "abc");
    expect(effects.map((r) => r.args.map(text))).toEqual([
      ["HSET", "h", "f", "2.5"],
      ["HSET", "h", "f", "2.6"],
      ["HINCRBY", "h", "n", "3"],
    ]);
  });

  it("WRONGTYPE for every command on a string key", async () => {
    await diff.runAll([
      ["SET", "s", "x"],
      ["HSET", "s", "f", "v"],
      ["HMSET", "s", "f", "v"],
      ["HSETNX", "s", "f", "v"],
      ["HGET", "s", "f"],
      ["HMGET", "s", "f"],
      ["HDEL", "s", "f"],
      ["HLEN", "s"],
      ["HSTRLEN", "s", "f"],
      ["HEXISTS", "s", "f"],
      ["HKEYS", "s"],
      ["HVALS", "s"],
      ["HGETALL", "s"],
      ["HINCRBY", "s", "f", "1"],
      ["HINCRBY", "s", "f", "x"],
      ["HINCRBYFLOAT", "s", "f", "1"],
      ["HINCRBYFLOAT", "s", "f", "x"],
      ["HRANDFIELD", "s"],
      ["HRANDFIELD", "s", "1"],
      ["HSCAN", "s", "0"],
      ["HSCAN", "s", "x"],
      ["GET", "s"],
    ]);
  });

  it("HRANDFIELD errors and replies that are not random", async () => {
    randomComparison = "exact";
    await diff.runAll([
      ["HRANDFIELD", "nokey"],
      ["HRANDFIELD", "nokey", "5"],
      ["HRANDFIELD", "nokey", "-5", "WITHVALUES"],
      ["HRANDFIELD", "nokey", "x"],
      ["HSET", "h", "a", "1", "b", "2", "c", "3"],
      ["HRANDFIELD", "h", "0"],
      ["HRANDFIELD", "h", "0", "WITHVALUES"],
      ["HRANDFIELD", "h", "x"],
      ["HRANDFIELD", "h", "1.5"],
      ["HRANDFIELD", "h", "1", "WITHVALUE"],
      ["HRANDFIELD", "h", "1", "WITHVALUES", "x"],
      ["HRANDFIELD", "h", "x", "WITHVALUES", "x"],
      ["HRANDFIELD", "h", "-9223372036854775808"],
      ["HRANDFIELD", "h", "9223372036854775808"],
      ["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"],
      ["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"],
      ["HRANDFIELD", "nokey", "-4611686018427387903", "WITHVALUES"],
      ["HRANDFIELD", "nokey", "9223372036854775807"],
    ]);
  });

  it("HRANDFIELD picks existing fields, distinct for a positive count", async () => {
    const fields = Array.from({ length: 40 }, (_, i) => [`f${i}`, `v${i}`]).flat();
    await diff.run("HSET", "h", ...fields);
    const valueOf = new Map(pairs(fields).map((p) => JSON.parse(p) as [string, string]));
    for (const count of ["1", "5", "13", "14", "39", "40", "41", "1000"]) {
      await diff.run("HRANDFIELD", "h", count);
      await diff.run("HRANDFIELD", "h", count, "WITHVALUES");
      const picked = bulkTexts(engineRun(diff, "HRANDFIELD", "h", count));
      expect(picked.length).toBe(Math.min(Number(count), 40));
      expect(new Set(picked).size).toBe(picked.length);
      for (const f of picked) expect(valueOf.has(f)).toBe(true);
      const withValues = pairs(bulkTexts(engineRun(diff, "HRANDFIELD", "h", count, "WITHVALUES")));
      expect(new Set(withValues).size).toBe(withValues.length);
      for (const p of withValues) {
        const [f, v] = JSON.parse(p) as [string, string];
        expect(valueOf.get(f)).toBe(v);
      }
    }
    for (const count of ["-1", "-5", "-40", "-200"]) {
      await diff.run("HRANDFIELD", "h", count);
      await diff.run("HRANDFIELD", "h", count, "WITHVALUES");
      const picked = bulkTexts(engineRun(diff, "HRANDFIELD", "h", count));
      expect(picked.length).toBe(-Number(count));
      for (const f of picked) expect(valueOf.has(f)).toBe(true);
      const withValues = pairs(bulkTexts(engineRun(diff, "HRANDFIELD", "h", count, "WITHVALUES")));
      expect(withValues.length).toBe(-Number(count));
      for (const p of withValues) {
        const [f, v] = JSON.parse(p) as [string, string];
        expect(valueOf.get(f)).toBe(v);
      }
    }
    // Many draws with repetition reach every field.
    const seen = new Set(bulkTexts(engineRun(diff, "HRANDFIELD", "h", "-2000")));
    expect(seen.size).toBe(40);
    await diff.run("HRANDFIELD", "h");
    const one = engineRun(diff, "HRANDFIELD", "h");
    expect(one.type === "bulk" && one.value !== null && valueOf.has(text(one.value))).toBe(true);
  });

  it("HSCAN errors, options, and full scans of small hashes", async () => {
    await diff.runAll([
      ["HSCAN", "nokey", "0"],
      ["HSCAN", "nokey", "0", "COUNT", "0"],
      ["HSCAN", "nokey", "x"],
      ["HSET", "h", "a", "1", "b", "2", "ab", "3"],
      ["HSCAN", "h", "x"],
      ["HSCAN", "h", "1.5"],
      ["HSCAN", "h", "-"],
      ["HSCAN", "h", "+"],
      ["HSCAN", "h", " 1"],
      ["HSCAN", "h", "18446744073709551616"],
      ["HSCAN", "h", "-18446744073709551616"],
      ["HSCAN", "h", "0", "COUNT", "0"],
      ["HSCAN", "h", "0", "COUNT", "-1"],
      ["HSCAN", "h", "0", "COUNT", "x"],
      ["HSCAN", "h", "0", "MATCH"],
      ["HSCAN", "h", "0", "FOO", "bar"],
      ["HSCAN", "h", "0", "TYPE", "string"],
      ["HSCAN", "h", "0", "COUNT", "5", "COUNT"],
    ]);
    await expectSameFullScan(diff, "HSCAN", "h");
    await expectSameFullScan(diff, "HSCAN", "h", ["MATCH", "a*"]);
    await expectSameFullScan(diff, "HSCAN", "h", ["MATCH", "[b]", "COUNT", "1"]);
    // Odd but valid cursors (an empty string, signs, 2^64-1) still give a valid page.
    for (const cursor of ["", "+0", "-0", "18446744073709551615", "-1"]) {
      const page = engineRun(diff, "HSCAN", "h", cursor);
      expect(page.type).toBe("array");
    }
  });

  it("large hashes: 5,000 fields through growth, scans and shrinking", async () => {
    const n = 5000;
    for (let start = 0; start < n; start += 500) {
      const args: string[] = [];
      for (let i = start; i < start + 500; i++) args.push(`field:${i}`, `value:${i * 7}`);
      await diff.run("HSET", "big", ...args);
    }
    await diff.run("HLEN", "big");
    await diff.run("HGET", "big", "field:4999");
    await diff.run("HMGET", "big", "field:0", "field:2500", "field:5000");
    await diff.run("HGETALL", "big");
    await diff.run("HKEYS", "big");
    await diff.run("HVALS", "big");
    await expectSameFullScan(diff, "HSCAN", "big");
    await expectSameFullScan(diff, "HSCAN", "big", ["COUNT", "100"]);
    await expectSameFullScan(diff, "HSCAN", "big", ["MATCH", "field:1*", "COUNT", "1000"]);
    // Delete most fields so the table shrinks, checking along the way.
    for (let start = 0; start < n - 50; start += 500) {
      const args: string[] = [];
      for (let i = start; i < Math.min(start + 500, n - 50); i++) args.push(`field:${i}`);
      await diff.run("HDEL", "big", ...args);
      await diff.run("HLEN", "big");
    }
    await diff.run("HGETALL", "big");
    await expectSameFullScan(diff, "HSCAN", "big", ["COUNT", "3"]);
    await diff.run("HRANDFIELD", "big", "10");
  });

  it("random command sequences", async () => {
    const key = fc.constantFrom("h1", "h2", "str");
    const field = fc.constantFrom("a", "b", "c", "", "f\u0000", "long-field-name");
    const value = fc.oneof(
      fc.constantFrom("", "0", "-1", "10", "9223372036854775807", "1.5", "abc"),
      fc.string({ maxLength: 20 }),
    );
    const incr = fc.constantFrom("1", "-1", "100", "9223372036854775807", "-9223372036854775808", "x");
    const floatIncr = fc.constantFrom("0.5", "-2.25", "3", "1e3", "inf", "x");
    // HINCRBYFLOAT gets a field of its own: Redis adds in long double, which
    // rounds sums past about 19 significant digits (9223372036854775807 - 2.25),
    // while Trireme adds exact decimals (docs/hashes-and-sets.md).
    const floatField = fc.constant("flt");
    const anyField = fc.oneof(field, floatField);
    const command = fc.oneof(
      fc.tuple(fc.constant("HSET"), key, field, value),
      fc.tuple(fc.constant("HSET"), key, field, value, field, value),
      fc.tuple(fc.constant("HSETNX"), key, field, value),
      fc.tuple(fc.constant("HGET"), key, anyField),
      fc.tuple(fc.constant("HMGET"), key, anyField, anyField),
      fc.tuple(fc.constant("HDEL"), key, anyField, field),
      fc.tuple(fc.constant("HLEN"), key),
      fc.tuple(fc.constant("HSTRLEN"), key, anyField),
      fc.tuple(fc.constant("HEXISTS"), key, anyField),
      fc.tuple(fc.constant("HKEYS"), key),
      fc.tuple(fc.constant("HVALS"), key),
      fc.tuple(fc.constant("HGETALL"), key),
      fc.tuple(fc.constant("HINCRBY"), key, field, incr),
      fc.tuple(fc.constant("HINCRBYFLOAT"), key, floatField, floatIncr),
      fc.tuple(fc.constant("HRANDFIELD"), key, fc.constantFrom("1", "2", "-3", "10")),
      fc.tuple(fc.constant("SET"), key, value),
      fc.tuple(fc.constant("DEL"), key),
      fc.tuple(fc.constant("TYPE"), key),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 50, size: "max" }), async (commands) => {
        await diff.reset();
        await diff.runAll(commands);
        for (const k of ["h1", "h2"]) {
          await diff.run("HGETALL", k);
          const type = (await diff.redis.send("TYPE", k)).value;
          if (type.type === "simple" && type.value === "hash") await expectSameFullScan(diff, "HSCAN", k);
        }
      }),
      { numRuns: 100 },
    );
  });
});
