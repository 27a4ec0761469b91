// Bitmap commands against redis-server 7.0: SETBIT, GETBIT, BITCOUNT,
// BITPOS and BITOP, with BYTE and BIT ranges, edge offsets, binary values,
// errors, and random sequences compared byte for byte.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Differential } from "./harness.ts";
import { utf8, type Arg } from "../../runtime/bytes.ts";

let diff: Differential;
beforeAll(async () => { diff = await Differential.create(); });
afterAll(() => diff.close());
beforeEach(async () => { await diff.reset(); });

const bytes = (...values: number[]) => new Uint8Array(values);

// Indexes worth trying against a short string: inside, at and past both
// ends, and the i64 extremes.
const INDEXES = ["0", "1", "2", "7", "8", "15", "16", "23", "-1", "-2", "-8", "-9", "-24", "-25", "100",
  "9223372036854775807", "-9223372036854775808"];

describe("bitmap commands against redis-server", () => {
  it("SETBIT and GETBIT: growth, offsets, values, errors", async () => {
    await diff.runAll([
      ["SETBIT", "k", "0", "1"],
      ["GET", "k"],
      ["SETBIT", "k", "0", "1"],
      ["SETBIT", "k", "0", "0"],
      ["SETBIT", "k", "7", "1"],
      ["SETBIT", "k", "100", "1"],
      ["GET", "k"],
      ["STRLEN", "k"],
      ["GETBIT", "k", "100"],
      ["GETBIT", "k", "99"],
      ["GETBIT", "k", "7"],
      ["GETBIT", "k", "101"],
      ["GETBIT", "k", "1000000"],
      ["GETBIT", "k", "4294967295"],
      ["GETBIT", "k", "4294967296"],
      ["GETBIT", "k", "-1"],
      ["GETBIT", "k", "x"],
      ["GETBIT", "k", "01"],
      ["GETBIT", "missing", "5"],
      ["GETBIT", "missing", "-5"],
      ["SETBIT", "k", "4294967296", "1"],
      ["SETBIT", "k", "9223372036854775807", "1"],
      ["SETBIT", "k", "-1", "1"],
      ["SETBIT", "k", "1.5", "1"],
      ["SETBIT", "k", "1", "2"],
      ["SETBIT", "k", "1", "-1"],
      ["SETBIT", "k", "1", "x"],
      ["SETBIT", "k", "1", ""],
      ["SETBIT", "k", "1", "01"],
      ["SETBIT", "k", "x", "2"],
      ["SETBIT", "missing", "1", "2"],
      ["EXISTS", "missing"],
      ["SETBIT", "k", "1"],
      ["GETBIT", "k"],
      ["SET", "n", "12"],
      ["SETBIT", "n", "6", "0"],
      ["GET", "n"],
      ["SET", "bin", bytes(0, 0xff, 0)],
      ["SETBIT", "bin", "8", "0"],
      ["SETBIT", "bin", "23", "1"],
      ["GET", "bin"],
    ]);
  });

  it("BITCOUNT with BYTE and BIT ranges", async () => {
    await diff.run("SET", "k", bytes(0xff, 0x0f, 0xa5));
    await diff.run("SET", "e", "");
    for (const s of INDEXES) {
      for (const t of INDEXES) {
        await diff.run("BITCOUNT", "k", s, t);
        await diff.run("BITCOUNT", "k", s, t, "BIT");
        await diff.run("BITCOUNT", "k", s, t, "byte");
      }
    }
    await diff.runAll([
      ["BITCOUNT", "k"],
      ["BITCOUNT", "e"],
      ["BITCOUNT", "e", "0", "-1"],
      ["BITCOUNT", "e", "0", "-1", "BIT"],
      ["BITCOUNT", "missing"],
      ["BITCOUNT", "missing", "x"],
      ["BITCOUNT", "missing", "0", "1", "BOGUS"],
      ["BITCOUNT", "k", "0"],
      ["BITCOUNT", "k", "0", "1", "BOGUS"],
      ["BITCOUNT", "k", "0", "1", "BIT", "extra"],
      ["BITCOUNT", "k", "x", "1"],
      ["BITCOUNT", "k", "0", "x"],
      ["BITCOUNT", "k", "x", "1", "BOGUS"],
      ["BITCOUNT", "k", "0", "1", "BITS"],
      ["BITCOUNT", "k", "0", "9223372036854775808"],
      ["SET", "n", "1234567"],
      ["BITCOUNT", "n"],
      ["BITCOUNT", "n", "1", "3"],
      ["BITCOUNT"],
    ]);
  });

  it("BITPOS with BYTE and BIT ranges, explicit and implicit ends", async () => {
    const values = [bytes(0xff, 0xff, 0xff), bytes(0, 0, 0), bytes(0xff, 0xf0, 0x00), bytes(0x00, 0x0f, 0xff),
      bytes(0x80), bytes(0x7f), bytes(0xfe, 0x01), utf8("")];
    for (const v of values) {
      await diff.run("SET", "k", v);
      for (const bit of ["0", "1"]) {
        await diff.run("BITPOS", "k", bit);
        for (const s of INDEXES) {
          await diff.run("BITPOS", "k", bit, s);
          for (const t of INDEXES) {
            await diff.run("BITPOS", "k", bit, s, t);
            await diff.run("BITPOS", "k", bit, s, t, "BIT");
            await diff.run("BITPOS", "k", bit, s, t, "BYTE");
          }
        }
      }
    }
    await diff.runAll([
      ["BITPOS", "missing", "0"],
      ["BITPOS", "missing", "1"],
      ["BITPOS", "missing", "1", "x"],
      ["BITPOS", "missing", "2"],
      ["BITPOS", "missing", "x"],
      ["BITPOS", "k", "2"],
      ["BITPOS", "k", "-1"],
      ["BITPOS", "k", "01"],
      ["BITPOS", "k", "1", "x"],
      ["BITPOS", "k", "1", "0", "x"],
      ["BITPOS", "k", "1", "0", "1", "BOGUS"],
      ["BITPOS", "k", "1", "0", "x", "BOGUS"],
      ["BITPOS", "k", "1", "0", "x", "BIT"],
      ["BITPOS", "k", "1", "x", "1", "BOGUS"],
      ["BITPOS", "k", "1", "0", "1", "BIT", "extra"],
      ["BITPOS", "k"],
    ]);
  });

  it("BITPOS over long strings crosses word boundaries", async () => {
    const long = new Uint8Array(300);
    long[257] = 0x04;
    const ones = new Uint8Array(300).fill(0xff);
    ones[290] = 0xbf;
    await diff.runAll([
      ["SET", "z", long],
      ["SET", "o", ones],
      ["BITPOS", "z", "1"],
      ["BITPOS", "z", "1", "3"],
      ["BITPOS", "z", "1", "9", "2061", "BIT"],
      ["BITPOS", "z", "1", "9", "2060", "BIT"],
      ["BITPOS", "z", "1", "258"],
      ["BITPOS", "z", "0", "5"],
      ["BITPOS", "o", "0"],
      ["BITPOS", "o", "0", "291"],
      ["BITPOS", "o", "0", "291", "-1"],
      ["BITPOS", "o", "0", "3", "2320", "BIT"],
      ["BITPOS", "o", "1", "-1"],
      ["BITCOUNT", "z"],
      ["BITCOUNT", "o"],
      ["BITCOUNT", "o", "13", "2329", "BIT"],
    ]);
  });

  it("BITOP with keys of different lengths and missing keys", async () => {
    await diff.runAll([
      ["SET", "a", bytes(0xff, 0x0f, 0xf0, 0x55)],
      ["SET", "b", bytes(0x0f)],
      ["SET", "c", bytes(0x00, 0xff)],
      ["SET", "empty", ""],
    ]);
    for (const op of ["AND", "OR", "XOR"]) {
      const sources: string[][] = [["a"], ["a", "b"], ["b", "a"], ["a", "b", "c"], ["a", "missing"], ["missing", "a"],
        ["missing"], ["missing", "missing"], ["empty"], ["empty", "a"], ["a", "a"]];
      for (const src of sources) {
        await diff.run("BITOP", op, "dest", ...src);
        await diff.run("GET", "dest");
        await diff.run("EXISTS", "dest");
      }
    }
    await diff.runAll([
      ["BITOP", "NOT", "dest", "a"],
      ["GET", "dest"],
      ["BITOP", "NOT", "dest", "missing"],
      ["EXISTS", "dest"],
      ["BITOP", "NOT", "dest", "a", "b"],
      ["BITOP", "not", "dest", "empty"],
      ["BITOP", "and", "a", "a", "b"],
      ["GET", "a"],
      ["BITOP", "NAND", "dest", "a"],
      ["BITOP", "AND", "dest"],
      ["BITOP", "AND"],
      ["SET", "n", "123"],
      ["BITOP", "OR", "n2", "n"],
      ["GET", "n2"],
      ["SETEX", "ttl", "1000", "x"],
      ["BITOP", "OR", "ttl", "n"],
    ]);
    // The destination loses its TTL, as with SET.
    const pttl = await diff.redis.send("PTTL", "ttl");
    expect(pttl.value).toEqual({ type: "integer", value: -1n });
    const x = diff.engine.core.x;
    const e = x.ks_peek(0, diff.engine.core.stage1(utf8("ttl")), 3);
    expect(x.ks_get_expire(0, e)).toBe(-1);
    await diff.runAll([
      ["BITOP", "AND", "ttl", "missing"],
      ["EXISTS", "ttl"],
    ]);
  });

  it("random bitmap command sequences give the same replies as Redis", async () => {
    const key = fc.constantFrom("a", "b", "c");
    const offset = fc.oneof(fc.integer({ min: 0, max: 80 }).map(String), fc.constantFrom("-1", "4294967296", "x"));
    const index = fc.oneof(fc.integer({ min: -12, max: 12 }).map(String), fc.constantFrom("100", "-100"));
    const value = fc.uint8Array({ maxLength: 10 });
    const command: fc.Arbitrary<Arg[]> = fc.oneof(
      fc.tuple(fc.constant("SET"), key, value),
      fc.tuple(fc.constant("SETBIT"), key, offset, fc.constantFrom("0", "1", "2")),
      fc.tuple(fc.constant("GETBIT"), key, offset),
      fc.tuple(fc.constant("BITCOUNT"), key),
      fc.tuple(fc.constant("BITCOUNT"), key, index, index),
      fc.tuple(fc.constant("BITCOUNT"), key, index, index, fc.constantFrom("BIT", "BYTE")),
      fc.tuple(fc.constant("BITPOS"), key, fc.constantFrom("0", "1")),
      fc.tuple(fc.constant("BITPOS"), key, fc.constantFrom("0", "1"), index),
      fc.tuple(fc.constant("BITPOS"), key, fc.constantFrom("0", "1"), index, index),
      fc.tuple(fc.constant("BITPOS"), key, fc.constantFrom("0", "1"), index, index, fc.constantFrom("BIT", "BYTE")),
      fc.tuple(fc.constant("BITOP"), fc.constantFrom("AND", "OR", "XOR"), key, key, key),
      fc.tuple(fc.constant("BITOP"), fc.constant("NOT"), key, key),
      fc.tuple(fc.constant("GET"), key),
      fc.tuple(fc.constant("APPEND"), key, value),
      fc.tuple(fc.constant("SETRANGE"), key, fc.integer({ min: 0, max: 12 }).map(String), value),
      fc.tuple(fc.constant("DEL"), key),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
        await diff.reset();
        await diff.runAll(commands);
      }),
      { numRuns: 300 },
    );
  });
});
