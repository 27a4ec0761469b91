import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Differential } from "./harness.ts";
import { Engine } from "../../runtime/engine.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import type { Reply } from "../../runtime/reply.ts";
import { toBytes, type Arg } from "../../runtime/bytes.ts";
import { coreModule } from "../helpers/core-bytes.ts";

let diff: Differential;
beforeAll(async () => { diff = await Differential.create(); });
afterAll(() => diff.close());
beforeEach(async () => { await diff.reset(); });

const HLL_REGISTERS = 16384;

/** An HLL value built by hand: header (magic, encoding, cached count) and body. */
function hll(encoding: number, body: readonly number[], cache: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0x80], magic = "HYLL"): Uint8Array {
  const bytes = new Uint8Array(16 + body.length);
  bytes.set(toBytes(magic).subarray(0, 4), 0);
  bytes[4] = encoding;
  bytes.set(cache, 8);
  bytes.set(body, 16);
  return bytes;
}

const xzero = (n: number): number[] => [0x40 | ((n - 1) >> 8), (n - 1) & 0xff];
const val = (value: number, run: number): number => 0x80 | ((value - 1) << 2) | (run - 1);

function elements(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`${prefix}${i}`);
  return out;
}

/** Runs a command on both sides, then GET of each key on both: the bytes must be identical. */
async function step(command: Arg[], ...keys: string[]): Promise<void> {
  await diff.run(...command);
  for (const key of keys) await diff.run("GET", key);
}

/** PFADD of many elements, in chunks that keep the argument lists small. */
async function addMany(key: string, items: readonly string[], chunk = 5000): Promise<void> {
  for (let i = 0; i < items.length; i += chunk) await step(["PFADD", key, ...items.slice(i, i + chunk)], key);
}

function bulk(value: { type: string; value?: unknown }): Uint8Array {
  if (value.type !== "bulk" || !(value.value instanceof Uint8Array)) throw new Error(`not a bulk string: ${value.type}`);
  return value.value;
}

function engineGet(engine: Engine, key: string): Uint8Array {
  const reply = engine.execute(engine.newSession(), [toBytes("GET"), toBytes(key)]);
  if (!(reply instanceof Uint8Array)) throw new Error("GET gave no string");
  return reply;
}

describe("HyperLogLog against redis-server", () => {
  it("small sets stay sparse and have Redis's bytes after every step", async () => {
    await step(["PFADD", "h"], "h");
    await step(["PFADD", "h"], "h");
    await step(["PFCOUNT", "h"], "h");
    await step(["PFADD", "h", "a"], "h");
    await step(["PFADD", "h", "a"], "h");
    await step(["PFADD", "h", "b", "c", "d"], "h");
    await step(["PFCOUNT", "h"], "h");
    await step(["PFADD", "h", "a", "b"], "h"); // no register changes: the cache stays valid
    await step(["PFCOUNT", "h"], "h");
    await step(["PFADD", "h", "", "\u0000", "a\u0000b", "é", "x".repeat(1000)], "h");
    await step(["PFDEBUG", "ENCODING", "h"], "h");
    await step(["PFDEBUG", "DECODE", "h"], "h");
    for (let i = 0; i < 60; i++) await step(["PFADD", "h", `one-by-one-${i}`], "h");
    await step(["PFCOUNT", "h"], "h");
    await step(["PFDEBUG", "DECODE", "h"], "h");
    await step(["PFADD", "new", "x", "y"], "new");
    await step(["PFCOUNT", "new"], "new");
  });

  it("sets of 100 to 50,000 elements turn dense at Redis's point, with the same counts", async () => {
    for (const size of [100, 500, 1000, 2000, 3000]) {
      const key = `s${size}`;
      await addMany(key, elements(`${key}-`, 0, size), 100);
      await diff.run("PFDEBUG", "ENCODING", key);
      await step(["PFCOUNT", key], key);
    }
    await addMany("big", elements("big-", 0, 50_000));
    await diff.run("PFDEBUG", "ENCODING", "big");
    await step(["PFCOUNT", "big"], "big");
    await step(["PFADD", "big", ...elements("big-", 0, 100)], "big");
    await step(["PFCOUNT", "big"], "big");
    // One element at a time across the sparse -> dense boundary (about 1700
    // elements make 3000 bytes), comparing the bytes after each.
    await addMany("edge", elements("edge-", 0, 1400), 100);
    for (let i = 1400; i < 2100; i++) {
      await step(["PFADD", "edge", `edge-${i}`], "edge");
      if (i % 50 === 0) await step(["PFCOUNT", "edge"], "edge");
    }
    await diff.run("PFDEBUG", "ENCODING", "edge");
    await step(["PFCOUNT", "edge"], "edge");
  });

  it("PFMERGE of sparse and dense values, missing keys, and the destination as a source", async () => {
    await diff.run("PFADD", "sp1", ...elements("a", 0, 50));
    await diff.run("PFADD", "sp2", ...elements("a", 25, 90));
    await addMany("dense", elements("d", 0, 5000));
    await step(["PFMERGE", "m1", "sp1", "sp2"], "m1");
    await step(["PFCOUNT", "m1"], "m1");
    await step(["PFMERGE", "m2", "sp1", "dense"], "m2");
    await diff.run("PFDEBUG", "ENCODING", "m2");
    await step(["PFCOUNT", "m2"], "m2");
    await step(["PFMERGE", "sp1", "sp2"], "sp1");
    await step(["PFMERGE", "sp2", "dense", "nokey"], "sp2");
    await step(["PFMERGE", "dense", "sp1", "m1"], "dense");
    await step(["PFCOUNT", "dense"], "dense");
    await step(["PFMERGE", "empty"], "empty");
    await step(["PFMERGE", "empty2", "nokey1", "nokey2"], "empty2");
    await step(["PFCOUNT", "empty"], "empty");
    await step(["PFMERGE", "empty", "empty"], "empty");
    // A sparse merge that grows past hll-sparse-max-bytes becomes dense.
    await addMany("wide1", elements("w1-", 0, 1500), 500);
    await addMany("wide2", elements("w2-", 0, 1500), 500);
    await step(["PFMERGE", "wide", "wide1", "wide2"], "wide");
    await diff.run("PFDEBUG", "ENCODING", "wide");
    await step(["PFCOUNT", "wide"], "wide");
    await diff.run("PFMERGE");
  });

  it("PFCOUNT of several keys merges without changing them", async () => {
    await diff.run("PFADD", "a", ...elements("x", 0, 100));
    await diff.run("PFADD", "b", ...elements("x", 50, 300));
    await addMany("c", elements("y", 0, 20_000));
    await diff.run("PFCOUNT", "a", "b");
    await diff.run("GET", "a");
    await diff.run("GET", "b");
    await diff.run("PFCOUNT", "a", "b", "c", "nokey");
    await diff.run("PFCOUNT", "nokey", "nokey2");
    await diff.run("PFCOUNT", "a", "a");
    await diff.run("GET", "c");
    await diff.run("PFCOUNT");
    await diff.run("PFADD");
  });

  it("strings that are not HLLs, and corrupted HLLs", async () => {
    const values: Array<[string, Uint8Array | string]> = [
      ["plain", "foo"],
      ["int", "12345"],
      ["empty", ""],
      ["short", hll(1, []).subarray(0, 15)],
      ["magic", hll(1, xzero(HLL_REGISTERS), undefined, "HYLX")],
      ["encoding2", hll(2, xzero(HLL_REGISTERS))],
      ["denseshort", hll(0, new Array(12287).fill(0))],
      ["denselong", hll(0, new Array(12289).fill(0))],
      ["noops", hll(1, [])], // valid header, no registers: corrupt
      ["toofew", hll(1, xzero(8192))],
      ["toomany", hll(1, [...xzero(HLL_REGISTERS), 0x00])],
      ["valpastend", hll(1, [...xzero(HLL_REGISTERS - 2), val(3, 4)])],
      ["cutxzero", hll(1, [0x3f, 0x3f, 0x3f, 0x3e, 0x7f])], // last XZERO's second byte is the terminator
      ["cachedcorrupt", hll(1, xzero(100), [42, 0, 0, 0, 0, 0, 0, 0])],
    ];
    for (const [key, value] of values) await diff.run("SET", key, value);
    for (const [key] of values) {
      await diff.run("PFCOUNT", key);
      await diff.run("GET", key);
      await diff.run("PFCOUNT", key, "nokey");
      await diff.run("PFMERGE", "dest", key);
      await diff.run("PFDEBUG", "ENCODING", key);
      await diff.run("PFDEBUG", "DECODE", key);
      await diff.run("PFDEBUG", "TODENSE", key);
      await diff.run("PFADD", key, "a");
      await diff.run("GET", key);
    }
    await diff.run("EXISTS", "dest");
  });

  it("a corrupted sparse value keeps the registers PFADD set before the error", async () => {
    // Registers 0..8191 exist; an element that lands beyond them fails, the earlier ones stay.
    await diff.run("SET", "half", hll(1, xzero(8192)));
    await step(["PFADD", "half", ...elements("e", 0, 40)], "half");
    await step(["PFCOUNT", "half"], "half");
  });

  it("the cached cardinality: PFCOUNT stores it, PFADD invalidates it, a valid cache is trusted", async () => {
    await step(["PFADD", "h", "a", "b", "c"], "h");
    await step(["PFCOUNT", "h"], "h");
    await step(["PFADD", "h", "c"], "h");
    await step(["PFADD", "h", "zz"], "h");
    await step(["PFCOUNT", "h"], "h");
    // A client may put any count in a valid cache; both sides return it unchecked.
    await step(["SET", "c", hll(1, xzero(HLL_REGISTERS), [1, 2, 3, 4, 5, 6, 7, 0x7f])], "c");
    await diff.run("PFCOUNT", "c");
    await step(["SET", "c2", hll(1, xzero(HLL_REGISTERS), [7, 0, 0, 0, 0, 0, 0, 0])], "c2");
    await diff.run("PFCOUNT", "c2");
    await step(["PFADD", "c2", "x"], "c2");
    await diff.run("PFCOUNT", "c2");
    await step(["SET", "d", hll(0, new Array(12288).fill(0), [9, 0, 0, 0, 0, 0, 0, 0x80])], "d");
    await step(["PFCOUNT", "d"], "d");
    await step(["PFADD", "d", "one"], "d");
    await step(["PFCOUNT", "d"], "d");
  });

  it("hand-built values with large registers and merges of runs", async () => {
    // Dense with registers above what sparse can hold, merged into a sparse destination.
    const dense = new Array(12288).fill(0);
    dense[0] = 40; // register 0 = 40
    dense[100] = 0xff; dense[101] = 0xff; dense[102] = 0xff; // registers 133..136 = 63
    await diff.run("SET", "hi", hll(0, dense));
    await step(["PFCOUNT", "hi"], "hi");
    await step(["PFADD", "sp", "a", "b"], "sp");
    await step(["PFMERGE", "sp", "hi"], "sp");
    await step(["PFCOUNT", "sp"], "sp");
    await step(["PFDEBUG", "GETREG", "hi"], "hi");
    // Sparse runs: VAL runs of several registers, ZERO and XZERO mixed.
    const body = [val(3, 4), val(3, 4), 0x00, val(32, 1), ...xzero(100), val(1, 2), ...xzero(HLL_REGISTERS - 8 - 1 - 1 - 100 - 2)];
    await diff.run("SET", "runs", hll(1, body));
    await step(["PFCOUNT", "runs"], "runs");
    await step(["PFDEBUG", "DECODE", "runs"], "runs");
    await step(["PFADD", "runs", ...elements("r", 0, 30)], "runs");
    await step(["PFDEBUG", "DECODE", "runs"], "runs");
    await step(["PFMERGE", "runs2", "runs", "sp"], "runs2");
    await step(["PFCOUNT", "runs", "runs2", "hi"], "runs");
  });

  it("PFDEBUG subcommands and errors", async () => {
    await diff.run("PFADD", "h", "a", "b", "c");
    await diff.run("SET", "s", "not an hll");
    await diff.run("PFDEBUG", "ENCODING", "h");
    await diff.run("PFDEBUG", "decode", "h");
    await diff.run("PFDEBUG", "GETREG", "h"); // converts to dense
    await diff.run("GET", "h");
    await diff.run("PFDEBUG", "ENCODING", "h");
    await diff.run("PFDEBUG", "DECODE", "h");
    await diff.run("PFDEBUG", "TODENSE", "h");
    await diff.run("PFADD", "h2", "x");
    await diff.run("PFDEBUG", "TODENSE", "h2");
    await diff.run("GET", "h2");
    await diff.run("PFDEBUG", "BoGus", "h");
    await diff.run("PFDEBUG", "BoGus", "nokey");
    await diff.run("PFDEBUG", "ENCODING", "nokey");
    await diff.run("PFDEBUG", "ENCODING", "s");
    await diff.run("PFDEBUG", "ENCODING");
    await diff.run("PFDEBUG", "ENCODING", "h", "extra");
  });

  it("values copied between Redis and Trireme (GET on one, SET on the other) keep working both ways", async () => {
    // Built on Redis only, then copied into Trireme.
    await diff.redis.send("PFADD", "fromRedis", ...elements("r", 0, 300));
    await diff.redis.send("PFADD", "fromRedisDense", ...elements("rd", 0, 8000));
    // Built on Trireme only, then copied into Redis.
    const engine = diff.engine;
    engine.execute(diff.session, ["PFADD", "fromTrireme", ...elements("t", 0, 300)].map(toBytes));
    engine.execute(diff.session, ["PFADD", "fromTriremeDense", ...elements("td", 0, 8000)].map(toBytes));
    engine.execute(diff.session, ["PFCOUNT", "fromTriremeDense"].map(toBytes));
    for (const key of ["fromRedis", "fromRedisDense"]) {
      const value = bulk((await diff.redis.send("GET", key)).value);
      engine.execute(diff.session, [toBytes("SET"), toBytes(key), value]);
    }
    for (const key of ["fromTrireme", "fromTriremeDense"]) {
      const value = engineGet(engine, key);
      await diff.redis.send("SET", key, value);
    }
    for (const key of ["fromRedis", "fromRedisDense", "fromTrireme", "fromTriremeDense"]) {
      await step(["PFCOUNT", key], key);
      await step(["PFADD", key, ...elements("more", 0, 200)], key);
      await step(["PFCOUNT", key], key);
    }
    await step(["PFMERGE", "all", "fromRedis", "fromTrireme", "fromRedisDense", "fromTriremeDense"], "all");
    await step(["PFCOUNT", "all"], "all");
    await diff.run("PFCOUNT", "fromRedis", "fromTrireme");
  });

  it("random PFADD/PFCOUNT/PFMERGE/SET sequences", async () => {
    const key = fc.constantFrom("a", "b", "c");
    const element = fc.oneof(fc.integer({ min: 0, max: 400 }).map((n) => `e${n}`), fc.string({ maxLength: 8 }));
    const command = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.constant("PFADD"), key, fc.array(element, { maxLength: 12 })).map(([c, k, els]) => [c, k, ...els]) },
      { weight: 1, arbitrary: fc.tuple(key, fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 50, max: 3000 }))
        .map(([k, from, n]) => ["PFADD", k, ...elements("bulk", from, from + n)]) },
      { weight: 2, arbitrary: fc.tuple(fc.constant("PFCOUNT"), key).map((c) => [...c]) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("PFCOUNT"), key, key).map((c) => [...c]) },
      { weight: 2, arbitrary: fc.tuple(fc.constant("PFMERGE"), key, fc.array(key, { maxLength: 3 })).map(([c, k, ks]) => [c, k, ...ks]) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("DEL"), key).map((c) => [...c]) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("SET"), key, fc.constantFrom("x", "HYLL")).map((c) => [...c]) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("PFDEBUG"), fc.constantFrom("TODENSE", "ENCODING"), key).map((c) => [...c]) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
        await diff.reset();
        for (const c of commands) {
          await diff.run(...c);
          await diff.run("GET", c[1]!);
        }
        for (const k of ["a", "b", "c"]) await diff.run("GET", k);
      }),
      { numRuns: 100 },
    );
  });
});

describe("HyperLogLog effects", () => {
  it("replaying the propagated commands gives the same bytes", async () => {
    const records: EffectRecord[] = [];
    const engine = await Engine.create(coreModule(), { onEffect: (r) => records.push(r) });
    const session = engine.newSession();
    const run = (...args: Arg[]): Reply => engine.execute(session, args.map(toBytes));
    run("PFADD", "a", ...elements("a", 0, 200));
    run("PFCOUNT", "a");
    run("PFADD", "b", ...elements("b", 0, 4000));
    run("PFADD", "c", "x");
    run("PFDEBUG", "GETREG", "c");
    run("PFADD", "d", "y");
    run("PFDEBUG", "TODENSE", "d");
    run("PFMERGE", "m", "a", "b", "nokey");
    run("PFCOUNT", "m");
    run("PFCOUNT", "a", "b"); // no change, nothing to propagate
    run("SET", "half", hll(1, xzero(8192)));
    expect(run("PFADD", "half", ...elements("e", 0, 40))).toMatchObject({ message: "INVALIDOBJ Corrupted HLL object detected" });
    expect(records.some((r) => new TextDecoder().decode(r.args[0]) === "PFDEBUG" && new TextDecoder().decode(r.args[1]) === "TODENSE"
      && new TextDecoder().decode(r.args[2]) === "c")).toBe(true);

    const replica = await Engine.create(coreModule());
    for (const record of records) replica.apply(record);
    for (const key of ["a", "b", "c", "d", "m", "half"]) {
      expect(engineGet(replica, key)).toEqual(engineGet(engine, key));
    }
    // PFCOUNT stored its count in the header on both.
    expect(engineGet(replica, "a")[15]! & 0x80).toBe(0);
  });

  it("a value that grows or turns dense in place keeps its key's expiry", async () => {
    let now = 1_000_000;
    const engine = await Engine.create(coreModule(), { clock: () => now });
    const session = engine.newSession();
    const run = (...args: Arg[]): Reply => engine.execute(session, args.map(toBytes));
    run("SET", "filler", "x", "PX", "5000");
    run("PFADD", "h", "a");
    run("SET", "h", engineGet(engine, "h"), "PX", "10000");
    run("PFADD", "h", ...elements("grow", 0, 3000)); // sparse growth, then dense
    run("PFDEBUG", "TODENSE", "h");
    const x = engine.core.x;
    const key = toBytes("h");
    const e = x.ks_find(0, engine.core.stage1(key), key.length, 0);
    expect(x.ks_get_expire(0, e)).toBe(1_010_000);
    expect(run("PFCOUNT", "h")).toBeGreaterThan(2900);
    now += 10_001;
    expect(run("GET", "h")).toBeNull();
    expect(run("GET", "filler")).toBeNull();
  });
});
