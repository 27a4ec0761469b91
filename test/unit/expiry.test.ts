// Expiry with a clock the test controls: keys past their time are gone on
// every path that reads them (and their deletion is propagated as DEL before
// the command's own effect), active expiry deletes keys nobody reads, and
// what is propagated replays to the same state.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Fixture, START_MS } from "./engine-fixture.ts";
import { Engine } from "../../runtime/engine.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { toBytes } from "../../runtime/bytes.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { plain } from "./engine-fixture.ts";

interface AccessCase {
  /** Commands run before the key "k" (set to expire in 1 s) expires. */
  setup?: string[][];
  command: string[];
  reply: unknown;
  /** Effect records of the command, in order. */
  effects: string[];
  /** DBSIZE of db 0 afterwards (DBSIZE counts expired keys not yet deleted). */
  dbsize: number;
}

const EXPIRED_ON_ACCESS: Record<string, AccessCase> = {
  "GET": { command: ["GET", "k"], reply: null, effects: ["DEL k"], dbsize: 0 },
  "EXISTS": { command: ["EXISTS", "k", "k"], reply: 0, effects: ["DEL k"], dbsize: 0 },
  "TYPE": { command: ["TYPE", "k"], reply: "none", effects: ["DEL k"], dbsize: 0 },
  "TTL": { command: ["TTL", "k"], reply: -2, effects: ["DEL k"], dbsize: 0 },
  "PTTL": { command: ["PTTL", "k"], reply: -2, effects: ["DEL k"], dbsize: 0 },
  "EXPIRETIME": { command: ["EXPIRETIME", "k"], reply: -2, effects: ["DEL k"], dbsize: 0 },
  "PEXPIRETIME": { command: ["PEXPIRETIME", "k"], reply: -2, effects: ["DEL k"], dbsize: 0 },
  "TOUCH": { command: ["TOUCH", "k"], reply: 0, effects: ["DEL k"], dbsize: 0 },
  "OBJECT ENCODING": { command: ["OBJECT", "ENCODING", "k"], reply: null, effects: ["DEL k"], dbsize: 0 },
  "OBJECT IDLETIME": { command: ["OBJECT", "IDLETIME", "k"], reply: null, effects: ["DEL k"], dbsize: 0 },
  "OBJECT REFCOUNT": { command: ["OBJECT", "REFCOUNT", "k"], reply: null, effects: ["DEL k"], dbsize: 0 },
  "OBJECT FREQ": { command: ["OBJECT", "FREQ", "k"], reply: null, effects: ["DEL k"], dbsize: 0 },
  "PERSIST": { command: ["PERSIST", "k"], reply: 0, effects: ["DEL k"], dbsize: 0 },
  "EXPIRE": { command: ["EXPIRE", "k", "100"], reply: 0, effects: ["DEL k"], dbsize: 0 },
  "DEL": { command: ["DEL", "k"], reply: 0, effects: ["DEL k"], dbsize: 0 },
  "UNLINK": { command: ["UNLINK", "k"], reply: 0, effects: ["DEL k"], dbsize: 0 },
  "SET": { command: ["SET", "k", "w"], reply: "OK", effects: ["DEL k", "SET k w"], dbsize: 1 },
  "SET NX": { command: ["SET", "k", "w", "NX"], reply: "OK", effects: ["DEL k", "SET k w"], dbsize: 1 },
  "RENAME source": { command: ["RENAME", "k", "x"], reply: { error: "ERR no such key" }, effects: ["DEL k"], dbsize: 0 },
  "RENAME destination": {
    setup: [["SET", "other", "o"]], command: ["RENAME", "other", "k"], reply: "OK",
    effects: ["DEL k", "RENAME other k"], dbsize: 1,
  },
  "RENAMENX destination": {
    setup: [["SET", "other", "o"]], command: ["RENAMENX", "other", "k"], reply: 1,
    effects: ["DEL k", "RENAMENX other k"], dbsize: 1,
  },
  "MOVE source": { command: ["MOVE", "k", "1"], reply: 0, effects: ["DEL k"], dbsize: 0 },
  "MOVE destination": {
    setup: [["MOVE", "k", "1"], ["SET", "k", "live"]], command: ["MOVE", "k", "1"], reply: 1,
    effects: ["db1: DEL k", "MOVE k 1"], dbsize: 0,
  },
  "COPY source": { command: ["COPY", "k", "x"], reply: 0, effects: ["DEL k"], dbsize: 0 },
  "COPY destination": {
    setup: [["SET", "other", "o"]], command: ["COPY", "other", "k"], reply: 1,
    effects: ["DEL k", "COPY other k"], dbsize: 2,
  },
  "SCAN": { command: ["SCAN", "0"], reply: ["0", []], effects: ["DEL k"], dbsize: 0 },
  // Keys the pattern rules out are not looked at, so not expired either.
  "SCAN MATCH": { command: ["SCAN", "0", "MATCH", "x*"], reply: ["0", []], effects: [], dbsize: 1 },
  "SCAN TYPE string": { command: ["SCAN", "0", "TYPE", "string"], reply: ["0", []], effects: ["DEL k"], dbsize: 0 },
  // Redis's order of filters: the type lookup expires the key, whose type is
  // then "none", and the expiry check that follows finds nothing to expire.
  "SCAN TYPE none": { command: ["SCAN", "0", "TYPE", "none"], reply: ["0", ["k"]], effects: ["DEL k"], dbsize: 0 },
  // KEYS hides expired keys without deleting them, as Redis 7.0 does.
  "KEYS": { command: ["KEYS", "*"], reply: [], effects: [], dbsize: 1 },
  "RANDOMKEY": { command: ["RANDOMKEY"], reply: null, effects: ["DEL k"], dbsize: 0 },
  "DBSIZE": { command: ["DBSIZE"], reply: 1, effects: [], dbsize: 1 },
};

describe("lazy expiry", () => {
  for (const [name, c] of Object.entries(EXPIRED_ON_ACCESS)) {
    it(`${name} finds an expired key gone and propagates its DEL`, async () => {
      const f = await Fixture.create();
      f.run("SET", "k", "v");
      expect(f.run("PEXPIRE", "k", "1000")).toBe(1);
      f.advance(999);
      expect(f.run("PTTL", "k")).toBe(1);
      for (const s of c.setup ?? []) f.run(...s);
      f.takeEffects();
      f.advance(1);
      expect(f.run(...c.command)).toEqual(c.reply);
      expect(f.takeEffects()).toEqual(c.effects);
      expect(f.engine.stats.expiredKeys).toBe(c.effects.filter((e) => e.endsWith("DEL k")).length);
      expect(f.engine.stats.evictedKeys).toBe(0);
      f.session.db = 0;
      expect(f.run("DBSIZE")).toBe(c.dbsize);
    });
  }

  it("a key is live until the millisecond of its expiry", async () => {
    const f = await Fixture.create();
    f.run("SET", "k", "v");
    f.run("PEXPIREAT", "k", String(START_MS + 5000));
    f.advance(4999);
    expect(f.run("GET", "k")).toBe("v");
    expect(f.run("TTL", "k")).toBe(0);
    expect(f.run("PTTL", "k")).toBe(1);
    f.advance(1);
    expect(f.run("GET", "k")).toBe(null);
  });

  it("a clock with fractions of a millisecond (performance.now-based) counts whole milliseconds", async () => {
    let now = START_MS + 0.75;
    const engine = await Engine.create(coreModule(), { seed: 7, clock: () => now });
    const session = { db: 0, protocol: 2 as const };
    const run = (...args: string[]) => plain(engine.execute(session, args.map(toBytes)));
    expect(run("SET", "k", "v", "PX", "1000")).toBe("OK");
    expect(run("PEXPIRETIME", "k")).toBe(START_MS + 1000);
    expect(run("SET", "g", "v", "EX", "1", "GET")).toBe(null);
    now += 999.5; // START_MS + 1000.25: the millisecond of the expiry
    expect(run("GET", "k")).toBe(null);
  });
});

describe("active expiry", () => {
  it("deletes expired keys nobody reads, in every database, and propagates DEL for each", async () => {
    const f = await Fixture.create();
    for (let db = 0; db < 3; db++) {
      f.session.db = db;
      for (let i = 0; i < 1000; i++) {
        f.run("SET", `short:${i}`, "v", "PX", String(1000 + i));
        f.run("SET", `long:${i}`, "v", "EX", "3600");
        f.run("SET", `forever:${i}`, "v");
      }
    }
    f.takeEffects();
    f.advance(500);
    expect(f.engine.activeExpire()).toBe(0);
    expect(f.takeEffects()).toEqual([]);
    f.advance(2000);
    // Each call looks at 20 or more keys of each database, walking its
    // volatile keys in order, so 2000 volatile keys per database take at most
    // 100 calls; a call goes on while more than 10% of what it saw expired.
    let deleted = 0;
    let calls = 0;
    while (deleted < 3000 && calls < 100) {
      deleted += f.engine.activeExpire();
      calls++;
    }
    expect(deleted).toBe(3000);
    const effects = f.takeEffects();
    expect(effects).toHaveLength(3000);
    for (const e of effects) expect(e).toMatch(/^(db[12]: )?DEL short:\d+$/);
    expect(new Set(effects).size).toBe(3000);
    expect(f.engine.stats.expiredKeys).toBe(3000);
    expect(f.engine.stats.evictedKeys).toBe(0);
    for (let db = 0; db < 3; db++) {
      f.session.db = db;
      expect(f.run("DBSIZE")).toBe(2000);
      expect(f.run("KEYS", "short:*")).toEqual([]);
      expect(f.engine.core.x.ks_expires_count(db)).toBe(1000);
    }
    expect(f.takeEffects()).toEqual([]);
  });

  it("a database of only expired keys is emptied in one call", async () => {
    const f = await Fixture.create();
    for (let i = 0; i < 5000; i++) f.run("SET", `gone:${i}`, "v", "PX", "10");
    f.advance(10);
    expect(f.engine.activeExpire()).toBe(5000);
    expect(f.run("DBSIZE")).toBe(0);
    expect(f.takeEffects().filter((e) => e.startsWith("DEL gone:"))).toHaveLength(5000);
  });

  it("keys not yet due are never deleted", async () => {
    const f = await Fixture.create();
    for (let i = 0; i < 500; i++) f.run("SET", `k:${i}`, "v", "PX", String(100 + i));
    f.advance(349);
    for (let call = 0; call < 100; call++) f.engine.activeExpire();
    // Due at START+100 .. START+349: 250 keys; the other 250 remain.
    expect(f.run("DBSIZE")).toBe(250);
    expect(f.engine.stats.expiredKeys).toBe(250);
    const left = (f.run("KEYS", "*") as string[]).map((k) => Number(k.slice(2))).sort((a, b) => a - b);
    expect(left[0]).toBe(250);
  });
});

describe("effects of the expiry commands", () => {
  it("relative and absolute expiries propagate PEXPIREAT of the absolute time, with their options", async () => {
    const f = await Fixture.create();
    f.run("SET", "k", "v");
    f.takeEffects();
    expect(f.run("EXPIRE", "k", "100")).toBe(1);
    expect(f.run("PEXPIRE", "k", "2500", "XX")).toBe(1);
    expect(f.run("EXPIREAT", "k", String(START_MS / 1000 + 7), "lt")).toBe(0);
    expect(f.run("EXPIREAT", "k", String(START_MS / 1000 + 2), "lt")).toBe(1);
    expect(f.run("PEXPIREAT", "k", String(START_MS + 9))).toBe(1);
    expect(f.run("PEXPIRE", "k", "100", "NX")).toBe(0);
    expect(f.takeEffects()).toEqual([
      `PEXPIREAT k ${START_MS + 100_000}`,
      `PEXPIREAT k ${START_MS + 2500} XX`,
      `PEXPIREAT k ${START_MS + 2000} lt`,
      `PEXPIREAT k ${START_MS + 9}`,
    ]);
  });

  it("an expiry at or before now deletes the key and propagates DEL", async () => {
    const f = await Fixture.create();
    for (const cmd of [["EXPIRE", "k", "0"], ["PEXPIRE", "k", "-5"], ["EXPIREAT", "k", "1"], ["PEXPIREAT", "k", String(START_MS)]]) {
      f.run("SET", "k", "v");
      f.takeEffects();
      expect(f.run(...cmd)).toBe(1);
      expect(f.takeEffects()).toEqual(["DEL k"]);
      expect(f.run("EXISTS", "k")).toBe(0);
    }
    // Deleted by the command, not expired by the server.
    expect(f.engine.stats.expiredKeys).toBe(0);
    f.run("SET", "k", "v");
    expect(f.run("PEXPIREAT", "k", String(START_MS + 1))).toBe(1);
    expect(f.run("EXISTS", "k")).toBe(1);
  });

  it("PERSIST, RENAME, MOVE, COPY, SWAPDB propagate themselves; no-ops propagate nothing", async () => {
    const f = await Fixture.create();
    f.run("SET", "a", "1");
    f.run("SET", "b", "2", "EX", "100");
    f.takeEffects();
    f.run("PERSIST", "a");
    f.run("PERSIST", "b");
    f.run("RENAME", "a", "a");
    f.run("RENAME", "a", "c");
    f.run("RENAMENX", "c", "b");
    f.run("MOVE", "c", "1");
    f.run("COPY", "b", "b2", "DB", "2", "REPLACE");
    f.run("COPY", "b", "b");
    f.run("SWAPDB", "1", "2");
    f.run("TOUCH", "b");
    f.run("TTL", "b");
    expect(f.takeEffects()).toEqual([
      "PERSIST b", "RENAME a c", "MOVE c 1", "COPY b b2 DB 2 REPLACE", "SWAPDB 1 2",
    ]);
  });

  it("replaying the effect records at their times rebuilds the same keyspace", async () => {
    const key = fc.constantFrom("a", "b", "c");
    const db = fc.constantFrom("0", "1");
    const step = fc.oneof(
      fc.tuple(fc.constant("SET"), key, fc.constantFrom("1", "v")),
      fc.tuple(fc.constant("SET"), key, fc.constant("v"), fc.constant("PX"), fc.integer({ min: 1, max: 3000 }).map(String)),
      fc.tuple(fc.constantFrom("DEL", "PERSIST", "GET", "TTL"), key),
      fc.tuple(fc.constantFrom("EXPIRE", "PEXPIRE"), key, fc.integer({ min: -2, max: 3 }).map(String)),
      fc.tuple(fc.constant("PEXPIRE"), key, fc.integer({ min: 1, max: 4000 }).map(String), fc.constantFrom("NX", "XX", "GT", "LT")),
      fc.tuple(fc.constantFrom("RENAME", "RENAMENX", "COPY"), key, key),
      fc.tuple(fc.constant("MOVE"), key, db),
      fc.tuple(fc.constant("SWAPDB"), db, db),
      fc.tuple(fc.constant("SELECT"), db),
      fc.tuple(fc.constant("advance"), fc.integer({ min: 0, max: 2500 }).map(String)),
    );
    await fc.assert(fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
      const f = await Fixture.create();
      const timed: Array<{ at: number; record: EffectRecord }> = [];
      f.engine.onEffect = (record) => timed.push({ at: f.now, record });
      for (const s of steps) {
        if (s[0] === "advance") f.advance(Number(s[1]));
        else f.run(...s);
      }
      let replayNow = START_MS;
      const replica = await Engine.create(coreModule(), { seed: 99, clock: () => replayNow });
      for (const { at, record } of timed) {
        replayNow = at;
        replica.apply(record);
      }
      replayNow = f.now;
      for (const d of [0, 1]) {
        const primary = { db: d, protocol: 2 as const };
        const copy = { db: d, protocol: 2 as const };
        const keys = (plain(f.engine.execute(primary, [toBytes("KEYS"), toBytes("*")])) as string[]).sort();
        expect((plain(replica.execute(copy, [toBytes("KEYS"), toBytes("*")])) as string[]).sort()).toEqual(keys);
        for (const k of keys) {
          for (const cmd of ["GET", "PEXPIRETIME"]) {
            const args = [toBytes(cmd), toBytes(k)];
            expect(plain(replica.execute(copy, args))).toEqual(plain(f.engine.execute(primary, args)));
          }
        }
      }
    }), { numRuns: 150 });
  });
});
