// fast-check generators of command sequences over every family the engine
// has (strings, bitmaps, counters, keys and expiry, lists, hashes, sets,
// sorted sets, HyperLogLog), for tests that send the same random sequence to Trireme and
// to redis-server: over the wire (test/server/wire-differential.test.ts) and
// for keyspace notifications (test/server/notifications.test.ts).
//
// Every command here has a deterministic reply, so the two servers must
// answer with the same bytes: no random members (SPOP, SRANDMEMBER,
// HRANDFIELD, RANDOMKEY, ZRANDMEMBER), no reads of expiry times (TTL depends on the instant the
// server reads its clock, and so does PEXPIRETIME after a relative EXPIRE:
// the two servers run it a few microseconds apart, sometimes across a
// millisecond), no unordered listings (KEYS, SCAN, SMEMBERS, SINTER, SUNION,
// SDIFF, HKEYS, HVALS, HGETALL, HSCAN, SSCAN): set and hash contents are
// read through counts, membership and single fields instead.
// OBJECT ENCODING is left out: sorted sets, sets and hashes report
// "skiplist"/"hashtable" where Redis reports "listpack"/"intset" (known
// differences of those families, not of the wire).
// A handful of key names shared by all families makes WRONGTYPE, missing
// keys, renames over other types and empty collections common.
import fc from "fast-check";

export type Command = string[];

/** Absolute expiry far in the future (ms): the same on both servers, never reached during a test. */
const FUTURE_MS = 4_102_444_800_000; // 2100-01-01

export const keyName = fc.constantFrom("a", "b", "c", "d", "k\u0000\u00ff");
const small = fc.constantFrom("", "0", "1", "-1", "10", "v", "hello", "9223372036854775807", "3.5", "x".repeat(50));
const value = fc.oneof({ weight: 3, arbitrary: small }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
const index = fc.integer({ min: -6, max: 6 }).map(String);
const count = fc.constantFrom("0", "1", "2", "5");
const keys = fc.array(keyName, { minLength: 1, maxLength: 3 });
const member = fc.constantFrom("m1", "m2", "m3", "", "a\u0000b");
const score = fc.constantFrom("0", "1", "-1", "1.5", "inf", "-inf", "2.25", "1e10");
const bound = fc.oneof(score, score.map((s) => `(${s}`));
const lexBound = fc.oneof(fc.constantFrom("-", "+"), member.map((m) => `[${m}`), member.map((m) => `(${m}`));
const end = fc.constantFrom("LEFT", "RIGHT");
const withScores = fc.constantFrom([] as string[], ["WITHSCORES"]);

export const stringCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.tuple(keyName, value, fc.constantFrom([], ["NX"], ["XX"], ["GET"], ["KEEPTTL"], ["PXAT", String(FUTURE_MS)], ["EX", "1000"]))
    .map(([k, v, o]) => ["SET", k, v, ...o]),
  fc.tuple(keyName, value).map(([k, v]) => ["SETNX", k, v]),
  fc.tuple(keyName, value).map(([k, v]) => ["SETEX", k, "1000", v]),
  keyName.map((k) => ["GET", k]),
  fc.tuple(keyName, value).map(([k, v]) => ["GETSET", k, v]),
  keyName.map((k) => ["GETDEL", k]),
  fc.tuple(keyName, fc.constantFrom([], ["PERSIST"], ["PXAT", String(FUTURE_MS)], ["EXAT", "1"])).map(([k, o]) => ["GETEX", k, ...o]),
  keys.map((ks) => ["MGET", ...ks]),
  fc.tuple(keyName, value, keyName, value).map(([a, v, b, w]) => ["MSET", a, v, b, w]),
  fc.tuple(keyName, value, keyName, value).map(([a, v, b, w]) => ["MSETNX", a, v, b, w]),
  fc.tuple(keyName, value).map(([k, v]) => ["APPEND", k, v]),
  keyName.map((k) => ["STRLEN", k]),
  fc.tuple(keyName, index, index).map(([k, a, b]) => ["GETRANGE", k, a, b]),
  fc.tuple(keyName, fc.integer({ min: 0, max: 8 }).map(String), value).map(([k, o, v]) => ["SETRANGE", k, o, v]),
  fc.tuple(fc.constantFrom("INCR", "DECR"), keyName).map(([c, k]) => [c, k]),
  fc.tuple(fc.constantFrom("INCRBY", "DECRBY"), keyName, fc.constantFrom("1", "-3", "x", "9223372036854775807")).map(([c, k, n]) => [c, k, n]),
  fc.tuple(keyName, fc.constantFrom("1.5", "-0.25", "1e3", "x")).map(([k, n]) => ["INCRBYFLOAT", k, n]),
  fc.tuple(keyName, fc.integer({ min: 0, max: 40 }).map(String), fc.constantFrom("0", "1")).map(([k, o, b]) => ["SETBIT", k, o, b]),
  fc.tuple(keyName, fc.integer({ min: 0, max: 40 }).map(String)).map(([k, o]) => ["GETBIT", k, o]),
  keyName.map((k) => ["BITCOUNT", k]),
  fc.tuple(keyName, fc.constantFrom("0", "1")).map(([k, b]) => ["BITPOS", k, b]),
  fc.tuple(fc.constantFrom("AND", "OR", "XOR"), keyName, keys).map(([op, d, ks]) => ["BITOP", op, d, ...ks]),
  fc.tuple(keyName, keyName).map(([a, b]) => ["LCS", a, b]),
);

export const keyCommand: fc.Arbitrary<Command> = fc.oneof(
  keys.map((ks) => ["DEL", ...ks]),
  keys.map((ks) => ["UNLINK", ...ks]),
  keys.map((ks) => ["EXISTS", ...ks]),
  keyName.map((k) => ["TYPE", k]),
  fc.tuple(fc.constantFrom("RENAME", "RENAMENX"), keyName, keyName).map(([c, a, b]) => [c, a, b]),
  fc.tuple(keyName, keyName, fc.constantFrom([], ["REPLACE"], ["DB", "1"])).map(([a, b, o]) => ["COPY", a, b, ...o]),
  fc.tuple(keyName, fc.constantFrom("1", "2")).map(([k, db]) => ["MOVE", k, db]),
  fc.tuple(keyName, fc.constantFrom("1000", "-1", "0"), fc.constantFrom([], ["NX"], ["XX"], ["GT"], ["LT"])).map(([k, t, o]) => ["EXPIRE", k, t, ...o]),
  fc.tuple(keyName, fc.constantFrom(String(FUTURE_MS), String(FUTURE_MS + 1000), "1")).map(([k, t]) => ["PEXPIREAT", k, t]),
  keyName.map((k) => ["PERSIST", k]),
  fc.constant<Command>(["DBSIZE"]),
  fc.constantFrom<Command>(["SELECT", "0"], ["SELECT", "1"]),
);

export const listCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.tuple(fc.constantFrom("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"), keyName, fc.array(value, { minLength: 1, maxLength: 4 })).map(([c, k, vs]) => [c, k, ...vs]),
  fc.tuple(fc.constantFrom("LPOP", "RPOP"), keyName, fc.constantFrom([], ["0"], ["1"], ["3"])).map(([c, k, n]) => [c, k, ...n]),
  keyName.map((k) => ["LLEN", k]),
  fc.tuple(keyName, index, index).map(([k, a, b]) => ["LRANGE", k, a, b]),
  fc.tuple(keyName, index).map(([k, i]) => ["LINDEX", k, i]),
  fc.tuple(keyName, index, value).map(([k, i, v]) => ["LSET", k, i, v]),
  fc.tuple(keyName, fc.constantFrom("BEFORE", "AFTER"), value, value).map(([k, w, p, v]) => ["LINSERT", k, w, p, v]),
  fc.tuple(keyName, fc.constantFrom("0", "1", "-1", "2"), value).map(([k, n, v]) => ["LREM", k, n, v]),
  fc.tuple(keyName, index, index).map(([k, a, b]) => ["LTRIM", k, a, b]),
  fc.tuple(keyName, value).map(([k, v]) => ["LPOS", k, v]),
  fc.tuple(keyName, keyName, end, end).map(([s, d, a, b]) => ["LMOVE", s, d, a, b]),
  fc.tuple(keyName, keyName).map(([s, d]) => ["RPOPLPUSH", s, d]),
  fc.tuple(keys, end, count.filter((c) => c !== "0")).map(([ks, e, n]) => ["LMPOP", String(ks.length), ...ks, e, "COUNT", n]),
  fc.tuple(fc.constantFrom("BLPOP", "BRPOP"), keys).map(([c, ks]) => [c, ...ks, "0.01"]),
);

export const zsetCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.tuple(keyName, fc.subarray(["NX", "XX", "GT", "LT", "CH"], { maxLength: 2 }), fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 3 }))
    .map(([k, f, ps]) => ["ZADD", k, ...f, ...ps.flat()]),
  fc.tuple(keyName, score, member).map(([k, s, m]) => ["ZINCRBY", k, s, m]),
  fc.tuple(keyName, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ["ZREM", k, ...ms]),
  fc.tuple(keyName, member).map(([k, m]) => ["ZSCORE", k, m]),
  keyName.map((k) => ["ZCARD", k]),
  fc.tuple(fc.constantFrom("ZRANK", "ZREVRANK"), keyName, member).map(([c, k, m]) => [c, k, m]),
  fc.tuple(keyName, index, index, withScores).map(([k, a, b, w]) => ["ZRANGE", k, a, b, ...w]),
  fc.tuple(keyName, bound, bound, withScores).map(([k, a, b, w]) => ["ZRANGE", k, a, b, "BYSCORE", ...w]),
  fc.tuple(keyName, lexBound, lexBound).map(([k, a, b]) => ["ZRANGEBYLEX", k, a, b]),
  fc.tuple(keyName, bound, bound).map(([k, a, b]) => ["ZCOUNT", k, a, b]),
  fc.tuple(keyName, index, index).map(([k, a, b]) => ["ZREMRANGEBYRANK", k, a, b]),
  fc.tuple(keyName, bound, bound).map(([k, a, b]) => ["ZREMRANGEBYSCORE", k, a, b]),
  fc.tuple(keyName, lexBound, lexBound).map(([k, a, b]) => ["ZREMRANGEBYLEX", k, a, b]),
  fc.tuple(fc.constantFrom("ZPOPMIN", "ZPOPMAX"), keyName, fc.constantFrom([], ["0"], ["2"])).map(([c, k, n]) => [c, k, ...n]),
  fc.tuple(keys, fc.constantFrom("MIN", "MAX")).map(([ks, w]) => ["ZMPOP", String(ks.length), ...ks, w]),
  fc.tuple(keyName, keyName, index, index).map(([d, s, a, b]) => ["ZRANGESTORE", d, s, a, b]),
  fc.tuple(fc.constantFrom("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"), keyName, keys).map(([c, d, ks]) => [c, d, String(ks.length), ...ks]),
  fc.tuple(fc.constantFrom("ZUNION", "ZINTER", "ZDIFF"), keys).map(([c, ks]) => [c, String(ks.length), ...ks, "WITHSCORES"]),
  fc.tuple(fc.constantFrom("BZPOPMIN", "BZPOPMAX"), keyName).map(([c, k]) => [c, k, "0.01"]),
);

const field = fc.constantFrom("f1", "f2", "", "f\u0000");
const setMember = fc.constantFrom("m1", "m2", "a\u0000b", "1");
const fields = fc.array(field, { minLength: 1, maxLength: 3 });
const setMembers = fc.array(setMember, { minLength: 1, maxLength: 3 });

export const hashCommand: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom("HSET", "HMSET"), keyName, fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 3 }))
      .map(([c, k, ps]) => [c, k, ...ps.flat()]),
  },
  fc.tuple(keyName, field, value).map(([k, f, v]) => ["HSETNX", k, f, v]),
  fc.tuple(keyName, field).map(([k, f]) => ["HGET", k, f]),
  fc.tuple(keyName, fields).map(([k, fs]) => ["HMGET", k, ...fs]),
  fc.tuple(keyName, fields).map(([k, fs]) => ["HDEL", k, ...fs]),
  fc.tuple(fc.constantFrom("HSTRLEN", "HEXISTS"), keyName, field).map(([c, k, f]) => [c, k, f]),
  keyName.map((k) => ["HLEN", k]),
  fc.tuple(keyName, field, fc.constantFrom("1", "-3", "x", "9223372036854775807")).map(([k, f, n]) => ["HINCRBY", k, f, n]),
  fc.tuple(keyName, field, fc.constantFrom("1.5", "-0.25", "1e3", "x", "inf")).map(([k, f, n]) => ["HINCRBYFLOAT", k, f, n]),
);

export const setCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(keyName, setMembers).map(([k, ms]) => ["SADD", k, ...ms]) },
  fc.tuple(keyName, setMembers).map(([k, ms]) => ["SREM", k, ...ms]),
  keyName.map((k) => ["SCARD", k]),
  fc.tuple(keyName, setMember).map(([k, m]) => ["SISMEMBER", k, m]),
  fc.tuple(keyName, setMembers).map(([k, ms]) => ["SMISMEMBER", k, ...ms]),
  fc.tuple(keyName, keyName, setMember).map(([s, d, m]) => ["SMOVE", s, d, m]),
  fc.tuple(fc.constantFrom("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), keyName, keys).map(([c, d, ks]) => [c, d, ...ks]),
  fc.tuple(keys, fc.constantFrom([] as string[], ["LIMIT", "1"], ["LIMIT", "0"])).map(([ks, l]) => ["SINTERCARD", String(ks.length), ...ks, ...l]),
);

export const hyperloglogCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.tuple(keyName, fc.array(fc.constantFrom("e1", "e2", "e3", "e4"), { maxLength: 3 })).map(([k, es]) => ["PFADD", k, ...es]),
  keys.map((ks) => ["PFCOUNT", ...ks]),
  fc.tuple(keyName, keys).map(([d, ks]) => ["PFMERGE", d, ...ks]),
);

/** One command from any family, weighted towards the bigger families. */
export const anyCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: stringCommand },
  { weight: 3, arbitrary: keyCommand },
  { weight: 3, arbitrary: listCommand },
  { weight: 3, arbitrary: zsetCommand },
  { weight: 3, arbitrary: hashCommand },
  { weight: 3, arbitrary: setCommand },
  { weight: 1, arbitrary: hyperloglogCommand },
);

/** A sequence of commands, possibly wrapped in MULTI/EXEC. */
export const commandSequence = (maxLength: number): fc.Arbitrary<Command[]> =>
  fc.tuple(fc.array(anyCommand, { minLength: 1, maxLength }), fc.boolean()).map(([cs, multi]) =>
    multi && cs.length > 1 ? [...cs.slice(0, 1), ["MULTI"], ...cs.slice(1), ["EXEC"]] : cs);
