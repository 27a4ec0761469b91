// Sorted sets in-process: what a differential test against Redis 7.0 cannot
// check — the 7.2 WITHSCORE extension, the effect records (replaying them
// must rebuild the same sets), memory returned on delete, and deep copies.
import { describe, expect, it } from "vitest";
import { Engine } from "../../runtime/engine.ts";
import { encodeReply } from "../../runtime/resp.ts";
import { toBytes, text, type Arg } from "../../runtime/bytes.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { coreModule } from "../helpers/core-bytes.ts";

async function engine(onEffect?: (r: EffectRecord) => void): Promise<Engine> {
  return Engine.create(coreModule(), { seed: 7, onEffect });
}

function resp(e: Engine, protocol: 2 | 3, ...args: Arg[]): string {
  const session = e.newSession();
  session.protocol = protocol;
  return text(encodeReply(e.execute(session, args.map(toBytes)), protocol));
}

describe("ZRANK/ZREVRANK WITHSCORE (Redis 7.2 extension)", () => {
  it("replies [rank, score], a null array for a missing member or key, and checks its option", async () => {
    const e = await engine();
    resp(e, 2, "ZADD", "z", "1.5", "a", "2", "b", "-inf", "c");
    expect(resp(e, 2, "ZRANK", "z", "a", "WITHSCORE")).toBe("*2\r\n:1\r\n$3\r\n1.5\r\n");
    expect(resp(e, 2, "ZREVRANK", "z", "a", "withscore")).toBe("*2\r\n:1\r\n$3\r\n1.5\r\n");
    expect(resp(e, 3, "ZRANK", "z", "c", "WITHSCORE")).toBe("*2\r\n:0\r\n,-inf\r\n");
    expect(resp(e, 2, "ZRANK", "z", "nope", "WITHSCORE")).toBe("*-1\r\n");
    expect(resp(e, 2, "ZRANK", "nokey", "a", "WITHSCORE")).toBe("*-1\r\n");
    expect(resp(e, 3, "ZRANK", "nokey", "a", "WITHSCORE")).toBe("_\r\n");
    expect(resp(e, 2, "ZRANK", "z", "a", "WITHSCORES")).toBe("-ERR syntax error\r\n");
    expect(resp(e, 2, "ZRANK", "z", "a", "WITHSCORE", "x")).toBe("-ERR wrong number of arguments for 'zrank' command\r\n");
    expect(resp(e, 2, "ZRANK", "z", "a")).toBe(":1\r\n");
  });
});

describe("effect records", () => {
  it("replaying what a sequence propagated rebuilds the same sets", async () => {
    const records: EffectRecord[] = [];
    const primary = await engine((r) => records.push(r));
    const commands: Arg[][] = [
      ["ZADD", "a", "1", "x", "2", "y", "3", "z", "0.1", "w"],
      ["ZINCRBY", "a", "0.2", "w"],
      ["ZADD", "a", "INCR", "0.3", "w"],
      ["ZADD", "a", "INCR", "GT", "-1", "w"],
      ["ZINCRBY", "a", "0", "x"],
      ["ZADD", "b", "5", "x", "6", "q"],
      ["ZUNIONSTORE", "u", "2", "a", "b", "WEIGHTS", "0.1", "0.7"],
      ["ZMPOP", "2", "nokey", "a", "MAX", "COUNT", "2"],
      ["ZPOPMIN", "b"],
      ["ZRANGESTORE", "r", "u", "0", "1"],
      ["ZREMRANGEBYSCORE", "u", "(5", "+inf"],
      ["ZRANDMEMBER", "u", "2"],
    ];
    for (const c of commands) primary.execute(primary.newSession(), c.map(toBytes));

    const shown = records.map((r) => r.args.map(text).join(" "));
    // Float results propagate as the resulting score; ZMPOP as the pop it made.
    expect(shown).toContain("ZADD a 0.30000000000000004 w");
    expect(shown).toContain("ZADD a 0.60000000000000009 w");
    expect(shown).toContain("ZPOPMAX a 2");
    expect(shown.some((s) => s.startsWith("ZINCRBY"))).toBe(false);
    expect(shown.some((s) => s.startsWith("ZRANDMEMBER"))).toBe(false);
    expect(shown.some((s) => s.startsWith("ZADD a INCR GT"))).toBe(false);

    const replica = await engine();
    for (const r of records) replica.apply(r);
    for (const key of ["a", "b", "u", "r"]) {
      expect(resp(replica, 2, "ZRANGE", key, "0", "-1", "WITHSCORES"), key)
        .toBe(resp(primary, 2, "ZRANGE", key, "0", "-1", "WITHSCORES"));
    }
  });
});

describe("memory", () => {
  it("returns every byte when sets are emptied or deleted", async () => {
    const e = await engine();
    const s = e.newSession();
    const run = (...args: Arg[]) => e.execute(s, args.map(toBytes));
    const cycle = () => {
      for (let i = 0; i < 2000; i++) run("ZADD", "z", String(i % 17), `member-${i}-${"x".repeat(i % 50)}`);
      run("ZUNIONSTORE", "u", "1", "z");
      run("ZINTERSTORE", "i", "2", "z", "u");
      run("ZRANGESTORE", "r", "z", "0", "99");
      run("ZUNION", "2", "z", "u", "WITHSCORES");
      run("ZSCAN", "z", "0", "COUNT", "1000");
      const full = e.usedMemory();
      run("ZREMRANGEBYRANK", "z", "0", "999");
      run("ZPOPMIN", "z", "500");
      run("ZREMRANGEBYSCORE", "z", "-inf", "+inf");
      run("DEL", "u", "i", "r");
      expect(run("DBSIZE")).toBe(0);
      return full;
    };
    // The first cycle grows the shared buffers (output, scratch, entry vector)
    // to their high-water mark; they are reused, not leaked.
    cycle();
    const before = e.usedMemory();
    const full = cycle();
    expect(full - before).toBeGreaterThan(2000 * 40);
    expect(e.usedMemory()).toBe(before);
  });

  it("a copied set is deep: changing the copy leaves the original", async () => {
    const e = await engine();
    const s = e.newSession();
    const run = (...args: Arg[]) => e.execute(s, args.map(toBytes));
    for (let i = 0; i < 300; i++) run("ZADD", "z", String(i % 7), `m${i}`);
    const x = e.core.x;
    const src = x.ks_find(0, e.core.stage1(toBytes("z")), 1, 0);
    x.ks_copy_entry(0, src, 0, e.core.stage1(toBytes("c")), 1);
    const original = resp(e, 2, "ZRANGE", "z", "0", "-1", "WITHSCORES");
    expect(resp(e, 2, "ZRANGE", "c", "0", "-1", "WITHSCORES")).toBe(original);
    expect(resp(e, 2, "ZRANK", "c", "m150")).toBe(resp(e, 2, "ZRANK", "z", "m150"));
    run("ZREMRANGEBYRANK", "c", "0", "149");
    run("ZADD", "c", "100", "new");
    expect(resp(e, 2, "ZRANGE", "z", "0", "-1", "WITHSCORES")).toBe(original);
    expect(resp(e, 2, "ZCARD", "c")).toBe(":151\r\n");
  });
});
