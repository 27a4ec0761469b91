// runtime/numbers.ts against redis-server 7.0: formatDouble must print what
// Redis prints with "%.17g" (ZSCORE), and addDecimalTexts must give the text
// INCRBYFLOAT gives (long double arithmetic, "%.17Lf"). The expected outputs
// come from the oracle at test time, never from the implementation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { RespClient } from "../helpers/resp-client.ts";
import { startPrivateRedis, type RunningRedis } from "../helpers/redis-server.ts";
import { addDecimalTexts, formatDouble } from "../../runtime/numbers.ts";
import { text } from "../../runtime/bytes.ts";
import type { RespValue } from "../../runtime/resp.ts";

let oracle: RunningRedis;
let redis: RespClient;
beforeAll(async () => {
  oracle = await startPrivateRedis();
  redis = await RespClient.connect(oracle.port);
});
afterAll(async () => {
  redis.close();
  await oracle.stop();
});

function replyText(v: RespValue): string {
  if (v.type === "bulk" && v.value !== null) return text(v.value);
  if (v.type === "error") return `-${v.value}`;
  return JSON.stringify(v);
}

/**
 * What Redis's ZSCORE prints for each double (ZADD reads JS's shortest
 * round-trip text back exactly). Redis stores a -0 score as 0, so -0 cannot
 * be checked this way and is left out of the samples.
 */
async function redisScores(values: readonly number[]): Promise<string[]> {
  const commands = values.flatMap((v, i) => [["ZADD", "z", String(v), `m${i}`], ["ZSCORE", "z", `m${i}`]]);
  const replies = await redis.pipeline([["DEL", "z"], ...commands]);
  return replies.slice(1).filter((_, i) => i % 2 === 1).map((r) => replyText(r.value));
}

/** What INCRBYFLOAT replies for each (start, increment) pair. */
async function redisIncrements(pairs: readonly (readonly [string, string])[]): Promise<string[]> {
  const commands = pairs.flatMap(([a, b]) => [["SET", "f", a], ["INCRBYFLOAT", "f", b]]);
  const replies = await redis.pipeline(commands);
  return replies.filter((_, i) => i % 2 === 1).map((r) => replyText(r.value));
}

function ours(a: string, b: string): string {
  const r = addDecimalTexts(a, b);
  if (r === null) return "-ERR value is not a valid float";
  if (r === "overflow") return "-ERR increment would produce NaN or Infinity";
  return r;
}

describe("formatDouble is C's %.17g", () => {
  it("for chosen doubles", async () => {
    const values = [0, 1, -1, 0.1, 0.2, 0.30000000000000004, 1 / 3, 2 / 3, 1e16, 1e17, 12345678901234567, 1e21, 1e22,
      1.5e300, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2.2250738585072014e-308, 1e-4, 1e-5, 0.00012345,
      123456.789, 9007199254740993, 100, 1e100, 5e-324, Infinity, -Infinity, 3.14159, 99999999999999999, 0.5, 1e15 + 0.3,
      1000000000000000.25, 1000000000000000.75, 0.5000000000000000555, 2 ** -18, 3 * 2 ** -20, 2 ** 60 + 2 ** 8,
      99999999999999999.5, 9.999999999999999e22];
    expect(values.map(formatDouble)).toEqual(await redisScores(values));
  });

  it("for random doubles", async () => {
    const values = fc.sample(fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)), 3000);
    values.push(...fc.sample(fc.double({ noNaN: true, min: -1e6, max: 1e6 }).filter((d) => !Object.is(d, -0)), 2000));
    // Doubles with few significant bits, where rounding to 17 digits can be an exact tie.
    values.push(...fc.sample(fc.tuple(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: -30, max: 60 }))
      .map(([m, e]) => m * 2 ** e), 2000));
    values.push(...fc.sample(fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 1000), 1000));
    expect(values.map(formatDouble)).toEqual(await redisScores(values));
  });
});

describe("addDecimalTexts is INCRBYFLOAT", () => {
  it("for random pairs of decimal, exponent and integer texts", async () => {
    const digits = fc.stringMatching(/^[0-9]{1,25}$/);
    const decimal = fc.tuple(fc.constantFrom("", "-", "+"), digits, fc.option(digits), fc.option(fc.integer({ min: -40, max: 40 })))
      .map(([sign, whole, fraction, exponent]) =>
        `${sign}${whole}${fraction === null ? "" : `.${fraction}`}${exponent === null ? "" : `e${exponent}`}`);
    const number = fc.oneof(
      decimal,
      fc.double({ noNaN: true }).map(String),
      fc.integer().map(String),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      fc.integer({ min: -100000, max: 100000 }).map((n) => (n / 100).toFixed(2)),
      fc.constantFrom("0.1", "0.2", "-0.3", "1e-17", "5e-18", "0x1p-3", "inf", "-inf", "1e4000", "-1e4000", "1e-4000", " 1", "1."),
    );
    const pairs = fc.sample(fc.tuple(number, number), 5000);
    const expected = await redisIncrements(pairs);
    const mismatches = pairs
      .map(([a, b], i) => ({ a, b, redis: expected[i], ours: ours(a, b) }))
      .filter((m) => m.redis !== m.ours);
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it("for sums that need the 64-bit significand's rounding", async () => {
    const pairs: Array<[string, string]> = [];
    for (let e = 15; e <= 24; e++) {
      for (const small of ["1", "0.5", "0.25", "3", "7.5", "0.1", "-1", "-0.5"]) pairs.push([`1e${e}`, small]);
    }
    for (let k = 60; k <= 66; k++) {
      const p = 2n ** BigInt(k);
      for (const d of [-3n, -2n, -1n, 0n, 1n, 2n, 3n]) pairs.push([String(p + d), "1"], [String(p + d), "0.5"]);
    }
    const expected = await redisIncrements(pairs);
    expect(pairs.map(([a, b]) => ours(a, b))).toEqual(expected);
  });
});
