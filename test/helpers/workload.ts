// A random workload over every command family, for tests that compare two
// engines (replay of effect records, snapshot and restore): command
// templates whose `k`, `m`, `n`, `f`, `t` words are filled in from random
// picks, and fast-check's description of one step.
import fc from "fast-check";

const keys = ["a", "b", "c", "d", "{x}e"];
const members = ["m1", "m2", "m3", "m4", "", "m\u0000z"];

// Command templates over every family; `k`, `m`, `n`, `f`, `t` are filled in.
export const templates: string[][] = [
  ["SET", "k", "m"], ["SET", "k", "n", "EX", "t"], ["SET", "k", "m", "PX", "t", "GET"], ["SET", "k", "m", "KEEPTTL"],
  ["SETEX", "k", "t", "m"], ["PSETEX", "k", "t", "m"], ["GETEX", "k", "EX", "t"], ["GETEX", "k", "PERSIST"], ["GETDEL", "k"],
  ["APPEND", "k", "m"], ["INCR", "k"], ["INCRBY", "k", "n"], ["INCRBYFLOAT", "k", "f"], ["SETRANGE", "k", "n", "m"],
  ["SETBIT", "k", "n", "1"], ["BITOP", "OR", "k", "k", "k"], ["MSET", "k", "m", "k", "n"], ["GETSET", "k", "m"],
  ["DEL", "k"], ["UNLINK", "k", "k"], ["RENAME", "k", "k"], ["RENAMENX", "k", "k"], ["COPY", "k", "k", "REPLACE"],
  ["MOVE", "k", "1"], ["SWAPDB", "0", "1"], ["EXPIRE", "k", "t"], ["PEXPIRE", "k", "t", "GT"], ["EXPIREAT", "k", "n"],
  ["PERSIST", "k"], ["FLUSHDB"],
  ["HSET", "k", "m", "n", "m", "m"], ["HDEL", "k", "m"], ["HINCRBY", "k", "m", "n"], ["HINCRBYFLOAT", "k", "m", "f"],
  ["HSETNX", "k", "m", "n"],
  ["LPUSH", "k", "m", "m"], ["RPUSH", "k", "m"], ["LPOP", "k"], ["RPOP", "k", "2"], ["LSET", "k", "0", "m"],
  ["LINSERT", "k", "BEFORE", "m", "m"], ["LREM", "k", "0", "m"], ["LTRIM", "k", "1", "-1"], ["LMOVE", "k", "k", "LEFT", "RIGHT"],
  ["LMPOP", "2", "k", "k", "LEFT", "COUNT", "2"],
  ["SADD", "k", "m", "m", "m"], ["SREM", "k", "m"], ["SPOP", "k"], ["SPOP", "k", "2"], ["SMOVE", "k", "k", "m"],
  ["SINTERSTORE", "k", "k", "k"], ["SUNIONSTORE", "k", "k", "k"], ["SDIFFSTORE", "k", "k", "k"],
  ["ZADD", "k", "n", "m", "f", "m"], ["ZADD", "k", "INCR", "f", "m"], ["ZINCRBY", "k", "f", "m"], ["ZREM", "k", "m"],
  ["ZPOPMIN", "k"], ["ZPOPMAX", "k", "2"], ["ZMPOP", "1", "k", "MIN"], ["ZREMRANGEBYRANK", "k", "0", "1"],
  ["ZUNIONSTORE", "k", "2", "k", "k", "WEIGHTS", "1", "f"], ["ZINTERSTORE", "k", "2", "k", "k", "AGGREGATE", "MAX"],
  ["ZRANGESTORE", "k", "k", "0", "-1"], ["ZDIFFSTORE", "k", "2", "k", "k"],
  ["PFADD", "k", "m", "m"], ["PFMERGE", "k", "k"],
  ["GET", "k"], ["LRANGE", "k", "0", "-1"], ["SMEMBERS", "k"], ["ZRANGE", "k", "0", "-1"], ["HGETALL", "k"], ["TTL", "k"],
];

export const step = fc.record({
  template: fc.integer({ min: 0, max: templates.length - 1 }),
  picks: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 8, maxLength: 8 }),
  db: fc.integer({ min: 0, max: 2 }),
  advanceMs: fc.constantFrom(0, 0, 0, 5, 250, 1500),
});

export function instantiate(template: string[], picks: number[]): string[] {
  let p = 0;
  const pick = () => picks[p++ % picks.length]!;
  return template.map((word, i) => {
    if (i === 0) return word;
    switch (word) {
      case "k": return keys[pick() % keys.length]!;
      case "m": return members[pick() % members.length]!;
      case "n": return String((pick() % 21) - 5);
      case "f": return ["0.1", "-2.5", "1e3", "3", "0"][pick() % 5]!;
      case "t": return String(1 + (pick() % 3));
      default: return word;
    }
  });
}
