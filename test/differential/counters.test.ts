// INCR, DECR, INCRBY, DECRBY and MGET against redis-server, one command per
// call (the harness) and, for the same sequences, in one batch through the
// core's executor: both must give Redis's bytes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Differential } from "./harness.ts";
import { Engine } from "../../runtime/engine.ts";
import { concatBytes, text } from "../../runtime/bytes.ts";
import { coreModule } from "../helpers/core-bytes.ts";

let diff: Differential;
beforeAll(async () => { diff = await Differential.create(); });
afterAll(() => diff.close());
beforeEach(async () => { await diff.reset(); });

/** Runs the commands on both sides one by one, then again on fresh state as one batch. */
async function checkBoth(commands: string[][]): Promise<void> {
  await diff.runAll(commands);
  await diff.redis.send("FLUSHALL");
  await diff.redis.send("SELECT", "0");
  const expected = text(concatBytes((await diff.redis.pipeline(commands)).map((r) => r.bytes)));
  const engine = await Engine.create(coreModule());
  const actual = engine.executeBatch(engine.newSession(), commands);
  expect(text(actual.replies)).toBe(expected);
}

describe("counters and MGET against redis-server", () => {
  it("INCR family: integers, limits, bad values, wrong types, TTL kept", async () => {
    await checkBoth([
      ["INCR", "n"], ["INCR", "n"], ["DECR", "n"], ["DECR", "m"], ["INCRBY", "n", "100"], ["DECRBY", "n", "-7"],
      ["INCRBY", "n", "-9223372036854775808"], ["INCRBY", "n", "9223372036854775807"],
      ["SET", "max", "9223372036854775807"], ["INCR", "max"], ["INCRBY", "max", "0"], ["DECR", "max"], ["GET", "max"],
      ["SET", "min", "-9223372036854775808"], ["DECR", "min"], ["DECRBY", "min", "1"], ["INCR", "min"],
      ["DECRBY", "x", "-9223372036854775808"], ["DECRBY", "x", "-9223372036854775807"], ["INCRBY", "x", "-1"],
      ["SET", "s", " 1"], ["INCR", "s"], ["SET", "s", "+1"], ["INCR", "s"], ["SET", "s", "01"], ["INCR", "s"],
      ["SET", "s", "-0"], ["INCR", "s"], ["SET", "s", ""], ["INCR", "s"], ["SET", "s", "1.5"], ["INCR", "s"],
      ["SET", "s", "9223372036854775808"], ["INCR", "s"], ["SET", "s", "0"], ["INCR", "s"], ["GET", "s"],
      ["INCRBY", "s", "abc"], ["INCRBY", "s", ""], ["INCRBY", "s", "1 "], ["INCRBY", "s", "99999999999999999999"],
      ["DECRBY", "s", "-"], ["INCRBY", "s", "007"],
      ["SET", "t", "10", "EX", "100"], ["INCR", "t"], ["GET", "t"],
      ["INCR"], ["INCR", "a", "b"], ["INCRBY", "a"], ["DECRBY", "a", "1", "2"], ["DECR"],
    ]);
  });

  it("MGET: strings, missing keys, other types, repeats, binary keys", async () => {
    await checkBoth([
      ["SET", "a", "1"], ["SET", "b", ""], ["SET", "bin\u0000\r\n", "v\u0000"],
      ["MGET", "a", "b", "missing", "a", "bin\u0000\r\n"], ["MGET", "missing"], ["MGET", ""],
      ["INCR", "c"], ["MGET", "c", "a"], ["MGET"],
    ]);
  });

  it("random counter sequences", async () => {
    const key = fc.constantFrom("a", "b", "");
    const amount = fc.oneof(
      fc.constantFrom("0", "-1", "9223372036854775807", "-9223372036854775808", "x", "", "01"),
      fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map(String),
      fc.integer({ min: -1000, max: 1000 }).map(String),
    );
    const command = fc.oneof(
      fc.tuple(fc.constantFrom("INCR", "DECR", "GET"), key),
      fc.tuple(fc.constantFrom("INCRBY", "DECRBY", "SET"), key, amount),
      fc.tuple(fc.constant("MGET"), key, key),
      fc.tuple(fc.constant("DEL"), key),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
        await diff.reset();
        await checkBoth(commands.map((c) => [...c]));
      }),
      { numRuns: 40 },
    );
  });
});
