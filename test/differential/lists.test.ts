import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Differential } from "./harness.ts";
import { Engine } from "../../runtime/engine.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { encodeReply } from "../../runtime/resp.ts";
import { text, toBytes, type Arg } from "../../runtime/bytes.ts";
import { coreModule } from "../helpers/core-bytes.ts";

let diff: Differential;
beforeAll(async () => { diff = await Differential.create(); });
afterAll(() => diff.close());
beforeEach(async () => { await diff.reset(); });

const LONG_MAX = "9223372036854775807";
const LONG_MIN = "-9223372036854775808";
const bin = new Uint8Array([0, 255, 13, 10, 0, 128]);

describe("lists against redis-server", () => {
  it("LPUSH RPUSH LPUSHX RPUSHX LLEN", async () => {
    await diff.runAll([
      ["LPUSH", "l", "a"],
      ["LPUSH", "l", "b", "c", "d"],
      ["RPUSH", "l", "x", "y"],
      ["LRANGE", "l", "0", "-1"],
      ["LLEN", "l"],
      ["LPUSHX", "l", "p1", "p2"],
      ["RPUSHX", "l", "r1"],
      ["LPUSHX", "nope", "a"],
      ["RPUSHX", "nope", "a", "b"],
      ["EXISTS", "nope"],
      ["LLEN", "nope"],
      ["LRANGE", "l", "0", "-1"],
      ["RPUSH", "e", ""],
      ["RPUSH", "e", "", ""],
      ["LRANGE", "e", "0", "-1"],
      ["RPUSH", "bin", bin, "a\u0000b", "\u0000"],
      ["LRANGE", "bin", "0", "-1"],
      ["SET", "s", "v"],
      ["LPUSH", "s", "a"],
      ["RPUSH", "s", "a"],
      ["LPUSHX", "s", "a"],
      ["RPUSHX", "s", "a"],
      ["LLEN", "s"],
      ["LPUSH", "l"],
      ["RPUSH"],
      ["LPUSHX", "l"],
      ["RPUSHX", "l"],
      ["LLEN"],
      ["LLEN", "l", "extra"],
      ["TYPE", "l"],
    ]);
  });

  it("LPOP and RPOP with and without count", async () => {
    await diff.runAll([
      ["RPUSH", "l", "1", "2", "3", "4", "5"],
      ["LPOP", "l"],
      ["RPOP", "l"],
      ["LPOP", "l", "0"],
      ["RPOP", "l", "0"],
      ["LPOP", "l", "1"],
      ["RPOP", "l", "1"],
      ["RPUSH", "l", "a", "b", "c"],
      ["LPOP", "l", "2"],
      ["RPOP", "l", "2"],
      ["RPOP", "l", LONG_MAX],
      ["EXISTS", "l"],
      ["LPOP", "nope"],
      ["RPOP", "nope"],
      ["LPOP", "nope", "0"],
      ["LPOP", "nope", "3"],
      ["RPOP", "nope", "3"],
      ["LPOP", "nope", "-1"],
      ["LPOP", "nope", "abc"],
      ["LPOP", "nope", "9223372036854775808"],
      ["LPOP", "nope", "-0"],
      ["LPOP", "nope", "1.5"],
      ["RPUSH", "l", "a"],
      ["LPOP", "l", "-1"],
      ["RPOP", "l", "-5"],
      ["LPOP", "l", "x"],
      ["LPOP", "l", "1", "2"],
      ["RPOP", "l", "1", "2"],
      ["LPOP"],
      ["RPOP"],
      ["SET", "s", "v"],
      ["LPOP", "s"],
      ["RPOP", "s", "0"],
      ["RPOP", "s", "-1"],
      ["RPOP", "s", "2"],
      ["RPUSH", "l", "", "b"],
      ["LPOP", "l", "5"],
      ["EXISTS", "l"],
    ]);
  });

  it("LRANGE and LINDEX with negative, out of range and huge indexes", async () => {
    await diff.run("RPUSH", "l", "a", "b", "c", "d", "e");
    const indexes = ["0", "1", "4", "5", "-1", "-5", "-6", "-100", "100", LONG_MAX, LONG_MIN, "2"];
    for (const start of indexes) {
      for (const stop of indexes) await diff.run("LRANGE", "l", start, stop);
      await diff.run("LINDEX", "l", start);
    }
    await diff.runAll([
      ["LRANGE", "l", "0", "9223372036854775808"],
      ["LRANGE", "l", "a", "1"],
      ["LRANGE", "l", "1", "b"],
      ["LRANGE", "l", " 1", "2"],
      ["LRANGE", "l", "+1", "2"],
      ["LRANGE", "l", "01", "2"],
      ["LRANGE", "nope", "0", "-1"],
      ["LRANGE", "nope", "x", "-1"],
      ["LINDEX", "l", "x"],
      ["LINDEX", "nope", "x"],
      ["LINDEX", "nope", "0"],
      ["LINDEX", "l", "9223372036854775808"],
      ["SET", "s", "v"],
      ["LRANGE", "s", "0", "-1"],
      ["LRANGE", "s", "x", "-1"],
      ["LINDEX", "s", "0"],
      ["LINDEX", "s", "x"],
      ["LRANGE", "l", "0"],
      ["LRANGE", "l", "0", "1", "2"],
      ["LINDEX", "l"],
      ["LINDEX", "l", "0", "1"],
    ]);
  });

  it("LSET", async () => {
    await diff.runAll([
      ["RPUSH", "l", "a", "b", "c"],
      ["LSET", "l", "0", "A"],
      ["LSET", "l", "-1", "C"],
      ["LSET", "l", "1", ""],
      ["LSET", "l", "1", "a much longer element than before"],
      ["LSET", "l", "-3", bin],
      ["LRANGE", "l", "0", "-1"],
      ["LSET", "l", "3", "x"],
      ["LSET", "l", "-4", "x"],
      ["LSET", "l", LONG_MAX, "x"],
      ["LSET", "l", LONG_MIN, "x"],
      ["LSET", "l", "x", "x"],
      ["LSET", "nope", "0", "x"],
      ["LSET", "nope", "x", "x"],
      ["SET", "s", "v"],
      ["LSET", "s", "0", "x"],
      ["LSET", "s", "x", "x"],
      ["LSET", "l", "0"],
      ["LSET", "l", "0", "x", "y"],
      ["LRANGE", "l", "0", "-1"],
    ]);
  });

  it("LINSERT", async () => {
    await diff.runAll([
      ["RPUSH", "l", "a", "b", "c", "b"],
      ["LINSERT", "l", "BEFORE", "b", "x"],
      ["LINSERT", "l", "after", "b", "y"],
      ["LINSERT", "l", "AfTeR", "c", ""],
      ["LINSERT", "l", "before", "a", "first"],
      ["LINSERT", "l", "after", "b", "z"],
      ["LINSERT", "l", "before", "missing", "z"],
      ["LINSERT", "l", "before", "", bin],
      ["LRANGE", "l", "0", "-1"],
      ["LINSERT", "l", "middle", "a", "z"],
      ["LINSERT", "nope", "before", "a", "z"],
      ["LINSERT", "nope", "middle", "a", "z"],
      ["EXISTS", "nope"],
      ["SET", "s", "v"],
      ["LINSERT", "s", "before", "a", "z"],
      ["LINSERT", "s", "middle", "a", "z"],
      ["LINSERT", "l", "before", "a"],
      ["LINSERT", "l", "before", "a", "b", "c"],
    ]);
  });

  it("LREM", async () => {
    await diff.runAll([
      ["RPUSH", "l", "a", "b", "a", "c", "a", "b", "a"],
      ["LREM", "l", "1", "a"],
      ["LRANGE", "l", "0", "-1"],
      ["LREM", "l", "-2", "a"],
      ["LRANGE", "l", "0", "-1"],
      ["LREM", "l", "0", "b"],
      ["LRANGE", "l", "0", "-1"],
      ["LREM", "l", "5", "zzz"],
      ["LREM", "l", LONG_MAX, "a"],
      ["LREM", "l", LONG_MIN, "c"],
      ["EXISTS", "l"],
      ["RPUSH", "l", "", "x", "", bin, bin],
      ["LREM", "l", "0", ""],
      ["LREM", "l", "-1", bin],
      ["LRANGE", "l", "0", "-1"],
      ["LREM", "l", "x", "a"],
      ["LREM", "nope", "1", "a"],
      ["LREM", "nope", "x", "a"],
      ["SET", "s", "v"],
      ["LREM", "s", "0", "a"],
      ["LREM", "s", "x", "a"],
      ["LREM", "l", "0"],
      ["LREM", "l", "0", "a", "b"],
    ]);
  });

  it("LTRIM", async () => {
    const cases = [
      ["0", "-1"], ["1", "-2"], ["0", "0"], ["-1", "-1"], ["2", "1"], ["5", "10"], ["-100", "100"],
      ["0", LONG_MAX], [LONG_MIN, "1"], ["3", "-100"], ["-3", "-2"],
    ];
    for (const [start, stop] of cases) {
      await diff.run("DEL", "l");
      await diff.run("RPUSH", "l", "a", "b", "c", "d", "e");
      await diff.run("LTRIM", "l", start!, stop!);
      await diff.run("LRANGE", "l", "0", "-1");
      await diff.run("EXISTS", "l");
    }
    await diff.runAll([
      ["LTRIM", "l", "x", "1"],
      ["LTRIM", "l", "1", "x"],
      ["LTRIM", "nope", "0", "1"],
      ["LTRIM", "nope", "x", "1"],
      ["SET", "s", "v"],
      ["LTRIM", "s", "0", "1"],
      ["LTRIM", "s", "x", "1"],
      ["LTRIM", "l", "0"],
    ]);
  });

  it("LPOS with RANK, COUNT and MAXLEN", async () => {
    await diff.run("RPUSH", "l", "a", "b", "c", "a", "b", "a", "", bin, "a");
    const options: Arg[][] = [
      [], ["RANK", "1"], ["RANK", "2"], ["RANK", "-1"], ["RANK", "-3"], ["RANK", "9"], ["RANK", LONG_MAX],
      ["RANK", "-" + LONG_MAX], ["RANK", LONG_MIN], ["COUNT", "0"], ["COUNT", "2"], ["COUNT", LONG_MAX],
      ["MAXLEN", "0"], ["MAXLEN", "3"], ["MAXLEN", LONG_MAX], ["RANK", "2", "COUNT", "2"], ["RANK", "-2", "COUNT", "0"],
      ["RANK", "2", "COUNT", "0", "MAXLEN", "5"], ["RANK", "-1", "MAXLEN", "2"], ["COUNT", "1", "RANK", "-2"],
      ["RANK", LONG_MIN, "COUNT", "1"], ["RANK", LONG_MIN, "COUNT", "2", "MAXLEN", "4"], ["rank", "1", "count", "3", "maxlen", "9"],
      ["RANK", "1", "RANK", "2"],
    ];
    for (const element of ["a", "b", "", "zz", bin]) {
      for (const opts of options) await diff.run("LPOS", "l", element, ...opts);
    }
    await diff.runAll([
      ["LPOS", "l", "a", "RANK", "0"],
      ["LPOS", "l", "a", "RANK", "x"],
      ["LPOS", "l", "a", "RANK", "9223372036854775808"],
      ["LPOS", "l", "a", "COUNT", "-1"],
      ["LPOS", "l", "a", "COUNT", "x"],
      ["LPOS", "l", "a", "MAXLEN", "-1"],
      ["LPOS", "l", "a", "MAXLEN", "x"],
      ["LPOS", "l", "a", "RANK"],
      ["LPOS", "l", "a", "COUNT"],
      ["LPOS", "l", "a", "BOGUS", "1"],
      ["LPOS", "l", "a", "COUNT", "1", "extra"],
      ["LPOS", "nope", "a"],
      ["LPOS", "nope", "a", "COUNT", "0"],
      ["LPOS", "nope", "a", "RANK", "0"],
      ["LPOS", "nope", "a", "COUNT", "-1"],
      ["SET", "s", "v"],
      ["LPOS", "s", "a"],
      ["LPOS", "s", "a", "RANK", "0"],
      ["LPOS", "s", "a", "COUNT", "1"],
      ["LPOS", "l"],
    ]);
  });

  it("LMOVE and RPOPLPUSH", async () => {
    await diff.runAll([
      ["RPUSH", "src", "a", "b", "c"],
      ["LMOVE", "src", "dst", "LEFT", "RIGHT"],
      ["LMOVE", "src", "dst", "right", "left"],
      ["LMOVE", "src", "dst", "LEFT", "LEFT"],
      ["LRANGE", "dst", "0", "-1"],
      ["EXISTS", "src"],
      ["LMOVE", "dst", "dst", "LEFT", "RIGHT"],
      ["LMOVE", "dst", "dst", "RIGHT", "RIGHT"],
      ["LRANGE", "dst", "0", "-1"],
      ["RPOPLPUSH", "dst", "dst"],
      ["RPOPLPUSH", "dst", "other"],
      ["LRANGE", "dst", "0", "-1"],
      ["LRANGE", "other", "0", "-1"],
      ["RPUSH", "one", "x"],
      ["LMOVE", "one", "one", "LEFT", "RIGHT"],
      ["LRANGE", "one", "0", "-1"],
      ["RPOPLPUSH", "one", "two"],
      ["EXISTS", "one"],
      ["LMOVE", "nope", "dst", "LEFT", "LEFT"],
      ["RPOPLPUSH", "nope", "dst"],
      ["LMOVE", "nope", "dst", "UP", "LEFT"],
      ["LMOVE", "two", "dst", "LEFT", "DOWN"],
      ["SET", "s", "v"],
      ["LMOVE", "s", "dst", "LEFT", "LEFT"],
      ["LMOVE", "two", "s", "LEFT", "LEFT"],
      ["LMOVE", "nope", "s", "LEFT", "LEFT"],
      ["RPOPLPUSH", "two", "s"],
      ["RPOPLPUSH", "s", "two"],
      ["LMOVE", "s", "two", "BAD", "LEFT"],
      ["LRANGE", "two", "0", "-1"],
      ["LMOVE", "two", "dst", "LEFT"],
      ["RPOPLPUSH", "two"],
      ["RPOPLPUSH", "two", "dst", "x"],
      ["RPUSH", "b", bin, ""],
      ["LMOVE", "b", "c", "LEFT", "RIGHT"],
      ["LMOVE", "b", "c", "LEFT", "RIGHT"],
      ["LRANGE", "c", "0", "-1"],
    ]);
  });

  it("LMPOP", async () => {
    await diff.runAll([
      ["RPUSH", "a", "1", "2", "3"],
      ["RPUSH", "b", "x", "y"],
      ["LMPOP", "2", "nope", "a", "LEFT"],
      ["LMPOP", "2", "nope", "a", "RIGHT", "COUNT", "10"],
      ["EXISTS", "a"],
      ["LMPOP", "3", "a", "nope", "b", "left", "count", "1"],
      ["LMPOP", "1", "nope", "LEFT"],
      ["LMPOP", "1", "b", "RIGHT", "COUNT", LONG_MAX],
      ["SET", "s", "v"],
      ["RPUSH", "c", "q"],
      ["LMPOP", "2", "s", "c", "LEFT"],
      ["LMPOP", "2", "c", "s", "LEFT"],
      ["LMPOP", "2", "nope", "s", "LEFT"],
      ["LMPOP", "0", "a", "LEFT"],
      ["LMPOP", "-1", "a", "LEFT"],
      ["LMPOP", "x", "a", "LEFT"],
      ["LMPOP", LONG_MAX, "a", "LEFT"],
      ["LMPOP", "2", "a", "LEFT"],
      ["LMPOP", "1", "a", "MIDDLE"],
      ["LMPOP", "1", "a", "LEFT", "COUNT"],
      ["LMPOP", "1", "a", "LEFT", "COUNT", "0"],
      ["LMPOP", "1", "a", "LEFT", "COUNT", "-1"],
      ["LMPOP", "1", "a", "LEFT", "COUNT", "x"],
      ["LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"],
      ["LMPOP", "1", "a", "LEFT", "EXTRA"],
      ["LMPOP", "1", "s", "LEFT", "COUNT", "0"],
      ["LMPOP", "1", "a"],
      ["LMPOP", "1"],
    ]);
  });

  it("large lists: growth, middle edits and shrinking", async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `e${i}`);
    const big = "x".repeat(5000);
    await diff.runAll([
      ["RPUSH", "l", ...many],
      ["LPUSH", "l", ...many.slice(0, 3000)],
      ["LLEN", "l"],
      ["LINDEX", "l", "0"],
      ["LINDEX", "l", "6500"],
      ["LINDEX", "l", "-1"],
      ["LINDEX", "l", "-6500"],
      ["LRANGE", "l", "2990", "3010"],
      ["LRANGE", "l", "-20", "-1"],
      ["LSET", "l", "5000", big],
      ["LSET", "l", "5001", ""],
      ["LINSERT", "l", "BEFORE", "e7000", big],
      ["LINSERT", "l", "AFTER", "e7000", "after"],
      ["LRANGE", "l", "4995", "5005"],
      ["LPOS", "l", "e7000"],
      ["LPOS", "l", "e100", "RANK", "-1"],
      ["LPOS", "l", "e100", "COUNT", "0"],
      ["LREM", "l", "0", "e5"],
      ["LREM", "l", "-1", "e6"],
      ["LPOP", "l", "2500"],
      ["RPOP", "l", "2500"],
      ["LLEN", "l"],
      ["LTRIM", "l", "100", "-100"],
      ["LRANGE", "l", "0", "-1"],
      ["LMPOP", "1", "l", "RIGHT", "COUNT", "4000"],
      ["LLEN", "l"],
      ["LTRIM", "l", "1", "0"],
      ["EXISTS", "l"],
    ]);
  });

  it("random sequences of list commands", async () => {
    const key = fc.constantFrom("a", "b", "s");
    const element = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom("x", "y", "", "\u0000", "a\u0000b", "zz") },
      { weight: 1, arbitrary: fc.constantFrom("m".repeat(300), "n".repeat(4500)) },
    );
    const index = fc.oneof(fc.integer({ min: -12, max: 12 }).map(String), fc.constantFrom(LONG_MAX, LONG_MIN, "x"));
    const count = fc.oneof(fc.integer({ min: -3, max: 8 }).map(String), fc.constantFrom(LONG_MAX, "x"));
    const end = fc.constantFrom("LEFT", "RIGHT", "left", "UP");
    const elements = fc.array(element, { minLength: 1, maxLength: 6 });
    const command: fc.Arbitrary<string[]> = fc.oneof(
      fc.tuple(fc.constantFrom("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"), key, elements).map(([c, k, e]) => [c, k, ...e]),
      fc.tuple(fc.constantFrom("LPOP", "RPOP"), key).map((t) => [...t]),
      fc.tuple(fc.constantFrom("LPOP", "RPOP"), key, count).map((t) => [...t]),
      fc.tuple(fc.constant("LLEN"), key).map((t) => [...t]),
      fc.tuple(fc.constant("LRANGE"), key, index, index).map((t) => [...t]),
      fc.tuple(fc.constant("LINDEX"), key, index).map((t) => [...t]),
      fc.tuple(fc.constant("LSET"), key, index, element).map((t) => [...t]),
      fc.tuple(fc.constant("LINSERT"), key, fc.constantFrom("BEFORE", "AFTER", "x"), element, element).map((t) => [...t]),
      fc.tuple(fc.constant("LREM"), key, count, element).map((t) => [...t]),
      fc.tuple(fc.constant("LTRIM"), key, index, index).map((t) => [...t]),
      fc.tuple(fc.constant("LPOS"), key, element, fc.constantFrom([], ["RANK", "-1"], ["RANK", "2"], ["COUNT", "0"], ["COUNT", "2", "RANK", "-2"], ["MAXLEN", "3"], ["RANK", "0"]))
        .map(([c, k, e, o]) => [c, k, e, ...o]),
      fc.tuple(fc.constant("LMOVE"), key, key, end, end).map((t) => [...t]),
      fc.tuple(fc.constant("RPOPLPUSH"), key, key).map((t) => [...t]),
      fc.tuple(fc.constant("LMPOP"), fc.constantFrom(["1", "a"], ["2", "a", "b"], ["2", "b", "s"], ["3", "s", "a", "b"]), end, fc.constantFrom([], ["COUNT", "2"], ["COUNT", "0"]))
        .map(([c, k, e, o]) => [c, ...k, e, ...o]),
      fc.tuple(fc.constantFrom("SET", "DEL"), key).map(([c, k]) => (c === "SET" ? [c, k, "v"] : [c, k])),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 100 }), async (commands) => {
        await diff.reset();
        await diff.runAll(commands);
        await diff.runAll([["LRANGE", "a", "0", "-1"], ["LRANGE", "b", "0", "-1"], ["TYPE", "s"]]);
      }),
      { numRuns: 400 },
    );
  });
});

describe("list effects", () => {
  async function recording(): Promise<{ engine: Engine; effects: string[]; records: EffectRecord[]; run: (...args: Arg[]) => string }> {
    const records: EffectRecord[] = [];
    const engine = await Engine.create(coreModule(), { onEffect: (r) => records.push(r) });
    const session = engine.newSession();
    const effects: string[] = [];
    return {
      engine, effects, records,
      run: (...args: Arg[]) => {
        const before = records.length;
        const reply = text(encodeReply(engine.execute(session, args.map(toBytes)), 2));
        for (const r of records.slice(before)) effects.push(r.args.map((a) => text(a)).join(" "));
        return reply;
      },
    };
  }

  it("LMPOP propagates the pop it made; the others propagate themselves, and no-ops nothing", async () => {
    const { effects, run } = await recording();
    run("RPUSH", "a", "1", "2", "3");
    run("LMPOP", "2", "nope", "a", "RIGHT", "COUNT", "10");
    run("RPUSH", "a", "1", "2", "3");
    run("LMPOP", "1", "a", "LEFT");
    run("LMPOP", "1", "nope", "LEFT");
    run("RPOPLPUSH", "a", "b");
    run("LMOVE", "a", "b", "LEFT", "RIGHT");
    run("LPOP", "b", "0");
    run("LPOP", "nope");
    run("LREM", "b", "0", "zz");
    run("LTRIM", "b", "0", "-1");
    run("LINSERT", "b", "BEFORE", "zz", "x");
    run("RPOP", "b", "5");
    expect(effects).toEqual([
      "RPUSH a 1 2 3",
      "RPOP a 3",
      "RPUSH a 1 2 3",
      "LPOP a 1",
      "RPOPLPUSH a b",
      "LMOVE a b LEFT RIGHT",
      "RPOP b 5",
    ]);
  });

  it("replaying the effects of random commands rebuilds the same lists", async () => {
    const source = await recording();
    const commands: Arg[][] = [];
    for (let i = 0; i < 2000; i++) {
      const k = i % 3 === 0 ? "a" : "b";
      const r = (i * 7919) % 13;
      if (r < 4) commands.push(["RPUSH", k, `v${i % 17}`, `w${i % 5}`]);
      else if (r < 6) commands.push(["LPUSH", k, `v${i % 17}`]);
      else if (r === 6) commands.push(["LMPOP", "2", "a", "b", i % 2 ? "LEFT" : "RIGHT", "COUNT", "3"]);
      else if (r === 7) commands.push(["LREM", k, String((i % 5) - 2), `v${i % 17}`]);
      else if (r === 8) commands.push(["LINSERT", k, "AFTER", `w${i % 5}`, "ins"]);
      else if (r === 9) commands.push(["LMOVE", "a", "b", "RIGHT", "LEFT"]);
      else if (r === 10) commands.push(["LSET", k, "-2", `set${i}`]);
      else if (r === 11) commands.push(["LTRIM", k, "1", "-2"]);
      else commands.push(["RPOP", k, "2"]);
    }
    for (const c of commands) source.run(...c);
    const replica = await recording();
    for (const record of source.records) replica.engine.apply(record);
    for (const k of ["a", "b"]) expect(replica.run("LRANGE", k, "0", "-1")).toBe(source.run("LRANGE", k, "0", "-1"));
  });
});
