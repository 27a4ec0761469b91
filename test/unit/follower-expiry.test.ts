// Follower mode (Engine.following), what a read replica or a standby runs,
// with a clock the test controls. As on a Redis replica, a key past its
// expiry is hidden from every read but kept, with no DEL and no count of an
// expired key; the records of the primary's log act on it as they did on the
// primary, whose DEL removes it. Nothing expires actively and nothing is
// evicted. An engine that leaves the mode (a standby promoted) expires keys
// again. test/unit/follower.test.ts runs the log follower over it;
// test/differential/replica-expiry.test.ts compares it with a Redis replica.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Fixture, START_MS, plain } from "./engine-fixture.ts";
import { Engine } from "../../runtime/engine.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { text, toBytes, type Arg } from "../../runtime/bytes.ts";
import { coreModule } from "../helpers/core-bytes.ts";

/** A follower: an engine in follower mode whose clock the test moves; `apply` feeds it log records. */
async function follower(options: { maxmemory?: number; maxmemoryPolicy?: "allkeys-lru" } = {}): Promise<Fixture & { apply(...args: Arg[]): unknown }> {
  const f = await Fixture.create({ following: true, ...options });
  return Object.assign(f, {
    apply: (...args: Arg[]) => plain(f.engine.apply({ db: f.session.db, args: args.map(toBytes) })),
  });
}

/** Reads of key "k" once it has expired: Redis 7.0.15's replica answers the same (docs/compatibility.md). */
const HIDDEN_READS: Record<string, { command: string[]; reply: unknown }> = {
  "GET": { command: ["GET", "k"], reply: null },
  "MGET": { command: ["MGET", "k", "other"], reply: [null, "o"] },
  "STRLEN": { command: ["STRLEN", "k"], reply: 0 },
  "EXISTS": { command: ["EXISTS", "k", "k", "other"], reply: 1 },
  "TYPE": { command: ["TYPE", "k"], reply: "none" },
  "TTL": { command: ["TTL", "k"], reply: -2 },
  "PTTL": { command: ["PTTL", "k"], reply: -2 },
  "EXPIRETIME": { command: ["EXPIRETIME", "k"], reply: -2 },
  "PEXPIRETIME": { command: ["PEXPIRETIME", "k"], reply: -2 },
  "TOUCH": { command: ["TOUCH", "k", "other"], reply: 1 },
  "OBJECT ENCODING": { command: ["OBJECT", "ENCODING", "k"], reply: null },
  "OBJECT IDLETIME": { command: ["OBJECT", "IDLETIME", "k"], reply: null },
  "KEYS": { command: ["KEYS", "*"], reply: ["other"] },
  "SCAN": { command: ["SCAN", "0"], reply: ["0", ["other"]] },
  "SCAN MATCH": { command: ["SCAN", "0", "MATCH", "k*"], reply: ["0", []] },
  "SCAN TYPE string": { command: ["SCAN", "0", "TYPE", "string"], reply: ["0", ["other"]] },
  // A primary's type lookup deletes the key, which then passes as "none"; a
  // replica's keeps it, and the expiry check after the type leaves it out.
  "SCAN TYPE none": { command: ["SCAN", "0", "TYPE", "none"], reply: ["0", []] },
  "RANDOMKEY": { command: ["RANDOMKEY"], reply: "other" },
  // DBSIZE counts the keys stored, expired or not, as Redis's replica does.
  "DBSIZE": { command: ["DBSIZE"], reply: 2 },
};

describe("follower mode: reads", () => {
  for (const [name, c] of Object.entries(HIDDEN_READS)) {
    it(`${name} does not see an expired key, which stays for the primary's records`, async () => {
      const f = await follower();
      expect(f.engine.following).toBe(true);
      f.apply("SET", "k", "v", "PXAT", String(START_MS + 1000));
      f.apply("SET", "other", "o");
      f.advance(999);
      expect(f.run("PTTL", "k")).toBe(1);
      f.takeEffects();
      f.advance(1);
      expect(f.run(...c.command)).toEqual(c.reply);
      // Nothing deleted, nothing propagated, nothing counted.
      expect(f.takeEffects()).toEqual([]);
      expect(f.engine.stats.expiredKeys).toBe(0);
      expect(f.run("DBSIZE")).toBe(2);
      // The primary had made it persistent in time: the record finds it whole.
      expect(f.apply("PERSIST", "k")).toBe(1);
      expect(f.run("GET", "k")).toBe("v");
      expect(f.run("TTL", "k")).toBe(-1);
    });
  }

  it("reads through the batched executor hide the key too", async () => {
    const f = await follower();
    f.apply("SET", "k", "v", "PXAT", String(START_MS + 10));
    f.takeEffects();
    f.advance(10);
    const r = f.engine.executeBatch(f.session, [["GET", "k"], ["EXISTS", "k"], ["GET", "k"]]);
    expect(text(r.replies)).toBe("$-1\r\n:0\r\n$-1\r\n");
    expect(f.takeEffects()).toEqual([]);
    expect(f.run("DBSIZE")).toBe(1);
  });

  it("RANDOMKEY finds the one live key among many expired ones, and nil when all are expired", async () => {
    const f = await follower();
    for (let i = 0; i < 2000; i++) f.apply("SET", `gone:${i}`, "v", "PXAT", String(START_MS + 5));
    f.apply("SET", "live", "v", "PXAT", String(START_MS + 50));
    f.takeEffects();
    f.advance(5);
    for (let i = 0; i < 20; i++) expect(f.run("RANDOMKEY")).toBe("live");
    f.advance(45);
    expect(f.run("RANDOMKEY")).toBe(null);
    expect(f.run("DBSIZE")).toBe(2001);
    expect(f.takeEffects()).toEqual([]);
  });
});

describe("follower mode: the primary's records", () => {
  it("act on an expired key as they did on the primary, which ran them in time; its DEL removes it", async () => {
    // The primary: k expires at +1000; at +900 it is extended, then persisted, then expires at last.
    const primary = await Fixture.create();
    primary.run("SET", "k", "v", "PX", "1000");
    primary.advance(900);
    expect(primary.run("PEXPIRE", "k", "1000")).toBe(1);
    primary.advance(900);
    expect(primary.run("SET", "k", "w", "KEEPTTL")).toBe("OK");
    primary.advance(999);
    expect(primary.run("GET", "k")).toBe(null);
    const records = primary.effects.slice();
    expect(primary.takeEffects()).toEqual([
      `SET k v PXAT ${START_MS + 1000}`, `PEXPIREAT k ${START_MS + 1900}`, "SET k w KEEPTTL", "DEL k",
    ]);

    // A follower that lags: each record comes a second late, and clients read meanwhile.
    const f = await follower();
    const read = () => [f.run("GET", "k"), f.run("EXISTS", "k"), f.run("TTL", "k"), f.run("DBSIZE")];
    f.advance(1100);
    expect(plain(f.engine.apply(records[0]!))).toBe("OK");
    expect(read()).toEqual([null, 0, -2, 1]);
    f.advance(900);
    expect(plain(f.engine.apply(records[1]!))).toBe(1);
    expect(read()).toEqual([null, 0, -2, 1]);
    f.now = START_MS + 1850;
    expect(read()).toEqual(["v", 1, 0, 1]);
    f.now = START_MS + 2800;
    expect(plain(f.engine.apply(records[2]!))).toBe("OK");
    f.now = START_MS + 1899;
    expect(f.run("GET", "k")).toBe("w");
    f.now = START_MS + 3800;
    expect(read()).toEqual([null, 0, -2, 1]);
    expect(plain(f.engine.apply(records[3]!))).toBe(1);
    expect(read()).toEqual([null, 0, -2, 0]);
    // What the follower propagated to its observers is what it applied, nothing of its own.
    expect(f.takeEffects()).toEqual([
      `SET k v PXAT ${START_MS + 1000}`, `PEXPIREAT k ${START_MS + 1900}`, "SET k w KEEPTTL", "DEL k",
    ]);
    expect(f.engine.stats.expiredKeys).toBe(0);
  });

  it("a PEXPIREAT applied late sets the primary's time even if it has passed here, on any engine (recovery too)", async () => {
    // Recovery replays with the clock of the restart: the key must stay for what the log does next.
    const recovering = await Fixture.create();
    const apply = (...args: string[]) => plain(recovering.engine.apply({ db: 0, args: args.map(toBytes) }));
    recovering.advance(5000);
    expect(apply("SET", "k", "5")).toBe("OK");
    expect(apply("PEXPIREAT", "k", String(START_MS + 1000))).toBe(1);
    expect(apply("INCR", "k")).toBe(6);
    expect(apply("PEXPIREAT", "k", String(START_MS + 2000))).toBe(1);
    expect(recovering.takeEffects()).toEqual(["SET k 5", `PEXPIREAT k ${START_MS + 1000}`, "INCR k", `PEXPIREAT k ${START_MS + 2000}`]);
    // Not a follower: once serving, the key expires here as any other.
    expect(recovering.run("GET", "k")).toBe(null);
    expect(recovering.takeEffects()).toEqual(["DEL k"]);
  });

  it("a lagging follower, read at any time, ends with the primary's keyspace", async () => {
    const key = fc.constantFrom("a", "b", "c");
    const db = fc.constantFrom("0", "1");
    const step = fc.oneof(
      fc.tuple(fc.constant("SET"), key, fc.constantFrom("1", "v")),
      fc.tuple(fc.constant("SET"), key, fc.constant("v"), fc.constant("PX"), fc.integer({ min: 1, max: 3000 }).map(String)),
      fc.tuple(fc.constant("SET"), key, fc.constant("w"), fc.constant("KEEPTTL")),
      fc.tuple(fc.constantFrom("DEL", "PERSIST", "GET", "TTL", "INCR"), key),
      fc.tuple(fc.constantFrom("EXPIRE", "PEXPIRE"), key, fc.integer({ min: -2, max: 3 }).map(String)),
      fc.tuple(fc.constant("PEXPIRE"), key, fc.integer({ min: 1, max: 4000 }).map(String), fc.constantFrom("NX", "XX", "GT", "LT")),
      fc.tuple(fc.constant("RPUSH"), key, fc.constant("x")),
      fc.tuple(fc.constantFrom("RENAME", "RENAMENX", "COPY"), key, key),
      fc.tuple(fc.constant("MOVE"), key, db),
      fc.tuple(fc.constant("SELECT"), db),
      fc.tuple(fc.constant("advance"), fc.integer({ min: 0, max: 2500 }).map(String)),
    );
    const reads = [["GET"], ["EXISTS"], ["TTL"], ["TYPE"], ["OBJECT", "ENCODING"], ["LRANGE", "0", "-1"]];
    const run = fc.record({
      steps: fc.array(step, { maxLength: 60 }),
      // Per record: how late the follower applies it (ms), and whether clients read everything first.
      lags: fc.array(fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.boolean()), { minLength: 60, maxLength: 60 }),
    });
    await fc.assert(fc.asyncProperty(run, async ({ steps, lags }) => {
      const p = await Fixture.create();
      const timed: Array<{ at: number; record: EffectRecord }> = [];
      p.engine.onEffect = (record) => timed.push({ at: p.now, record });
      for (const s of steps) {
        if (s[0] === "advance") p.advance(Number(s[1]));
        else p.run(...s);
      }
      let now = START_MS;
      const f = await Engine.create(coreModule(), { seed: 99, clock: () => now, following: true });
      const session = { db: 0, protocol: 2 as const };
      const readAll = () => {
        for (const d of [0, 1]) {
          session.db = d;
          for (const k of ["a", "b", "c"]) for (const r of reads) f.execute(session, [r[0]!, k, ...r.slice(1)].map(toBytes));
          f.execute(session, [toBytes("SCAN"), toBytes("0"), toBytes("TYPE"), toBytes("none")]);
          f.execute(session, [toBytes("RANDOMKEY")]);
          f.activeExpire();
        }
      };
      timed.forEach(({ at, record }, i) => {
        const [lag, readFirst] = lags[i % lags.length]!;
        now = Math.max(now, at + lag);
        if (readFirst) readAll();
        f.apply(record);
      });
      now += 5000;
      readAll();
      expect(f.stats.expiredKeys).toBe(0);
      // Compared at the start time, when no key had expired yet: every key stored, with its value and expiry.
      now = START_MS;
      p.now = START_MS;
      for (const d of [0, 1]) {
        const onPrimary = { db: d, protocol: 2 as const };
        const onFollower = { db: d, protocol: 2 as const };
        const both = (...args: string[]) => [plain(p.engine.execute(onPrimary, args.map(toBytes))), plain(f.execute(onFollower, args.map(toBytes)))];
        const [dbsize, followerDbsize] = both("DBSIZE");
        expect(followerDbsize).toBe(dbsize);
        const [keys, followerKeys] = both("KEYS", "*") as string[][];
        expect(followerKeys!.sort()).toEqual(keys!.sort());
        for (const k of keys!) {
          for (const cmd of [["TYPE"], ["GET"], ["LRANGE", "0", "-1"], ["PEXPIRETIME"]]) {
            const [a, b] = both(cmd[0]!, k, ...cmd.slice(1));
            expect(b).toEqual(a);
          }
        }
      }
    }), { numRuns: 100 });
  });
});

describe("follower mode: no expiry or eviction of its own", () => {
  it("active expiry does nothing", async () => {
    const f = await follower();
    for (let i = 0; i < 100; i++) f.apply("SET", `k:${i}`, "v", "PXAT", String(START_MS + 10));
    f.takeEffects();
    f.advance(10);
    for (let i = 0; i < 20; i++) expect(f.engine.activeExpire()).toBe(0);
    expect(f.run("DBSIZE")).toBe(100);
    expect(f.run("KEYS", "*")).toEqual([]);
    expect(f.takeEffects()).toEqual([]);
  });

  it("maxmemory evicts nothing and refuses nothing: the primary evicts, and its DELs come with the log", async () => {
    const f = await follower({ maxmemory: 1, maxmemoryPolicy: "allkeys-lru" });
    for (let i = 0; i < 100; i++) expect(f.apply("SET", `k:${i}`, "v")).toBe("OK");
    expect(f.run("DBSIZE")).toBe(100);
    expect(f.run("GET", "k:7")).toBe("v");
    expect(f.engine.overMemoryLimit()).toBe(false);
    expect(f.engine.stats.evictedKeys).toBe(0);
    expect(f.takeEffects().filter((e) => !e.startsWith("SET"))).toEqual([]);
  });

  it("a write not from the log (servers refuse those) deletes the expired key it meets, never adding a second one", async () => {
    const f = await follower();
    f.apply("RPUSH", "k", "a");
    f.apply("PEXPIREAT", "k", String(START_MS + 10));
    f.apply("SET", "s", "1", "PXAT", String(START_MS + 10));
    f.advance(10);
    f.takeEffects();
    expect(f.run("RPUSH", "k", "b")).toBe(1);
    expect(f.run("LRANGE", "k", "0", "-1")).toEqual(["b"]);
    // The batched executor hands writes to the engine, which does the same.
    const r = f.engine.executeBatch(f.session, [["INCR", "s"], ["GET", "s"]]);
    expect(text(r.replies)).toBe(":1\r\n$1\r\n1\r\n");
    expect(f.run("DBSIZE")).toBe(2);
    expect(f.takeEffects()).toEqual(["DEL k", "RPUSH k b", "DEL s", "INCR s"]);
    // The mode holds for the reads after them.
    f.apply("SET", "t", "v", "PXAT", String(START_MS + 10));
    expect(f.run("GET", "t")).toBe(null);
    expect(f.run("DBSIZE")).toBe(3);
  });
});

describe("leaving follower mode (a standby promoted)", () => {
  it("keys past their expiry are deleted on access and by active expiry, with their DEL", async () => {
    const f = await follower();
    f.apply("SET", "a", "v", "PXAT", String(START_MS + 10));
    f.apply("SET", "b", "v", "PXAT", String(START_MS + 10));
    f.advance(10);
    expect(f.run("GET", "a")).toBe(null);
    expect(f.engine.activeExpire()).toBe(0);
    expect(f.run("DBSIZE")).toBe(2);
    f.takeEffects();
    f.engine.following = false;
    expect(f.run("GET", "a")).toBe(null);
    expect(f.takeEffects()).toEqual(["DEL a"]);
    expect(f.engine.activeExpire()).toBe(1);
    expect(f.takeEffects()).toEqual(["DEL b"]);
    expect(f.run("DBSIZE")).toBe(0);
    expect(f.engine.stats.expiredKeys).toBe(2);
  });

  it("an engine restored from a snapshot takes the mode it is given, not the image's", async () => {
    const f = await follower();
    f.apply("SET", "k", "v", "PXAT", String(START_MS + 10));
    const image = f.engine.snapshot(1);
    const now = START_MS + 10;
    const restored = await Engine.fromSnapshot(coreModule(), image, { clock: () => now });
    expect(restored.following).toBe(false);
    const session = restored.newSession();
    expect(plain(restored.execute(session, [toBytes("GET"), toBytes("k")]))).toBe(null);
    expect(plain(restored.execute(session, [toBytes("DBSIZE")]))).toBe(0);
    const again = await Engine.fromSnapshot(coreModule(), image, { clock: () => now, following: true });
    expect(plain(again.execute(again.newSession(), [toBytes("DBSIZE")]))).toBe(1);
    expect(plain(again.execute(again.newSession(), [toBytes("GET"), toBytes("k")]))).toBe(null);
  });
});
