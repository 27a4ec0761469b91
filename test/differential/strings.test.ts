import { afterAll, beforeAll, beforeEach, describe, it } from "vitest";
import fc from "fast-check";
import { Differential } from "./harness.ts";

let diff: Differential;
beforeAll(async () => { diff = await Differential.create(); });
afterAll(() => diff.close());
beforeEach(async () => { await diff.reset(); });

describe("strings against redis-server", () => {
  it("GET and SET with their options and errors", async () => {
    await diff.runAll([
      ["GET", "missing"],
      ["SET", "k", "v"],
      ["GET", "k"],
      ["SET", "k", "w", "NX"],
      ["SET", "k", "w", "XX", "GET"],
      ["SET", "k2", "w", "XX"],
      ["SET", "k", "x", "NX", "GET"],
      ["SET", "k", "x", "EX", "0"],
      ["SET", "k", "x", "EX", "-5"],
      ["SET", "k", "x", "EX", "abc"],
      ["SET", "k", "x", "EX", "100", "PX", "100"],
      ["SET", "k", "x", "KEEPTTL", "EX", "100"],
      ["SET", "k", "x", "NX", "XX"],
      ["SET", "k", "x", "BOGUS"],
      ["SET", "k", "x", "EX"],
      ["SET", "k", "x", "EX", "9223372036854775807"],
      ["SET", "k", "x", "PX", "9223372036854775807"],
      ["SET", "", ""],
      ["GET", ""],
      ["SET", "bin", "a\u0000b\r\nc"],
      ["GET", "bin"],
      ["SET"],
      ["GET", "a", "b"],
      ["NOSUCHCOMMAND", "a", "b"],
      ["DEL", "k", "bin", "nope"],
      ["EXISTS", "k", "k", "", "nope"],
      ["TYPE", ""],
      ["TYPE", "nope"],
      ["DBSIZE"],
      ["SELECT", "3"],
      ["GET", ""],
      ["SELECT", "16"],
      ["SELECT", "-1"],
      ["SELECT", "x"],
      ["FLUSHDB", "bogus"],
      ["FLUSHALL", "SYNC"],
      ["DBSIZE"],
    ]);
  });

  it("random SET/GET/DEL sequences", async () => {
    const key = fc.constantFrom("a", "b", "c", "", "k\u0000");
    const value = fc.oneof(fc.constantFrom("", "0", "-1", "9223372036854775808"), fc.string({ maxLength: 50 }));
    const command = fc.oneof(
      fc.tuple(fc.constant("SET"), key, value),
      fc.tuple(fc.constant("SET"), key, value, fc.constantFrom("NX", "XX", "GET", "KEEPTTL")),
      fc.tuple(fc.constant("GET"), key),
      fc.tuple(fc.constant("DEL"), key, key),
      fc.tuple(fc.constant("EXISTS"), key),
      fc.tuple(fc.constant("TYPE"), key),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
        await diff.reset();
        await diff.runAll(commands);
      }),
      { numRuns: 50 },
    );
  });
});
