// maxmemory and its policies, with a clock the test controls (LRU idle
// times are in seconds, as Redis's LRU clock). The limit is set relative to
// the memory in use after loading, so each test asks for a known number of
// evictions: "room for about N fewer keys".
import { describe, expect, it } from "vitest";
import { Fixture } from "./engine-fixture.ts";
import type { EvictionPolicy } from "../../runtime/engine.ts";

const OOM = { error: "OOM command not allowed when used memory > 'maxmemory'." };
const VALUE = "x".repeat(100);

async function fixture(policy: EvictionPolicy, samples = 5): Promise<Fixture> {
  return Fixture.create({ maxmemoryPolicy: policy, maxmemorySamples: samples });
}

/** Sets keys prefix:0..count-1 (with a TTL in seconds if given) and returns the bytes each took. */
function load(f: Fixture, prefix: string, count: number, ttlSeconds?: number): number {
  const before = f.engine.usedMemory();
  for (let i = 0; i < count; i++) {
    if (ttlSeconds === undefined) f.run("SET", `${prefix}:${i}`, VALUE);
    else f.run("SET", `${prefix}:${i}`, VALUE, "EX", String(ttlSeconds));
  }
  return (f.engine.usedMemory() - before) / count;
}

/** Lowers maxmemory so that about `keys` keys of `perKey` bytes must go. */
function squeeze(f: Fixture, keys: number, perKey: number): void {
  f.engine.maxmemory = Math.floor(f.engine.usedMemory() - keys * perKey);
}

/** The keys evicted since the last call, from the DEL effect records. */
function evicted(f: Fixture): string[] {
  return f.takeEffects().filter((e) => /^(db\d+: )?DEL /.test(e)).map((e) => e.replace(/^(db\d+: )?DEL /, ""));
}

function index(key: string): number {
  return Number(key.slice(key.indexOf(":") + 1));
}

describe("noeviction", () => {
  it("refuses writes that may grow memory with Redis's OOM error, and serves everything else", async () => {
    const f = await fixture("noeviction");
    load(f, "k", 200);
    f.engine.maxmemory = f.engine.usedMemory();
    // At the limit but not over it: allowed, and it goes over.
    expect(f.run("SET", "one-more", VALUE)).toBe("OK");
    f.takeEffects();
    expect(f.run("SET", "k:0", "small")).toEqual(OOM);
    expect(f.run("SET", "new", "v")).toEqual(OOM);
    expect(f.run("COPY", "k:1", "copy")).toEqual(OOM);
    expect(f.takeEffects()).toEqual([]);
    // Reads, and writes not flagged denyoom, still run.
    expect(f.run("GET", "k:0")).toBe(VALUE);
    expect(f.run("EXISTS", "k:0", "k:1")).toBe(2);
    expect(f.run("DBSIZE")).toBe(201);
    expect(f.run("EXPIRE", "k:5", "100")).toBe(1);
    expect(f.run("RENAME", "k:6", "renamed")).toBe("OK");
    expect(f.run("DEL", "k:0", "k:1", "k:2")).toBe(3);
    // Memory is back under the limit: writes are accepted again.
    expect(f.run("SET", "new", "v")).toBe("OK");
    expect(f.engine.stats.evictedKeys).toBe(0);
    expect(f.run("DBSIZE")).toBe(199);
  });
});

describe("allkeys-lru", () => {
  it("evicts keys idle longest and keeps the ones recently used", async () => {
    const f = await fixture("allkeys-lru", 10);
    const perKey = load(f, "cold", 900);
    f.advance(100_000);
    load(f, "hot", 200);
    f.advance(50_000);
    // Reading makes these cold keys recently used again.
    for (let i = 0; i < 100; i++) f.run("GET", `cold:${i}`);
    f.advance(50_000);
    f.takeEffects();
    squeeze(f, 200, perKey);
    expect(f.run("SET", "trigger", "v")).toBe("OK");
    const gone = evicted(f);
    expect(gone.length).toBeGreaterThanOrEqual(190);
    for (const k of gone) {
      expect(k.startsWith("cold:")).toBe(true);
      expect(index(k)).toBeGreaterThanOrEqual(100);
    }
    expect(f.engine.stats.evictedKeys).toBe(gone.length);
    expect(f.engine.stats.expiredKeys).toBe(0);
    expect(f.engine.usedMemory()).toBeLessThanOrEqual(f.engine.maxmemory + 1000);
    for (const k of gone) expect(f.run("EXISTS", k)).toBe(0);
    expect(f.run("EXISTS", "hot:0", "hot:199", "cold:0", "cold:99", "trigger")).toBe(5);
  });

  it("prefers the idlest of its samples: evicted keys are much older than the survivors", async () => {
    const f = await fixture("allkeys-lru", 5);
    const before = f.engine.usedMemory();
    for (let i = 0; i < 500; i++) {
      f.run("SET", `k:${i}`, VALUE);
      f.advance(1000);
    }
    const perKey = (f.engine.usedMemory() - before) / 500;
    f.takeEffects();
    squeeze(f, 100, perKey);
    f.run("GET", "k:0");
    const gone = evicted(f).map(index);
    expect(gone.length).toBeGreaterThanOrEqual(95);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // The oldest of 5 uniform samples sits near the first sixth on average.
    expect(mean(gone)).toBeLessThan(150);
    const survivors = (f.run("KEYS", "k:*") as string[]).map(index);
    expect(mean(survivors)).toBeGreaterThan(250);
  });
});

describe("allkeys-random", () => {
  it("evicts keys with and without a TTL, from every database", async () => {
    const f = await fixture("allkeys-random");
    const perKey = load(f, "plain", 300);
    load(f, "volatile", 300, 3600);
    f.session.db = 1;
    load(f, "other", 600);
    f.session.db = 0;
    f.takeEffects();
    squeeze(f, 300, perKey);
    expect(f.run("GET", "plain:0")).not.toEqual(OOM);
    const effects = f.takeEffects();
    const inDb1 = effects.filter((e) => e.startsWith("db1: DEL other:")).length;
    const inDb0 = effects.filter((e) => e.startsWith("DEL ")).map((e) => e.slice(4));
    expect(inDb0.length + inDb1).toBe(effects.length);
    expect(effects.length).toBeGreaterThanOrEqual(290);
    expect(inDb1).toBeGreaterThan(75);
    expect(inDb0.length).toBeGreaterThan(75);
    expect(inDb0.filter((k) => k.startsWith("plain:")).length).toBeGreaterThan(25);
    expect(inDb0.filter((k) => k.startsWith("volatile:")).length).toBeGreaterThan(25);
    expect(f.engine.stats.evictedKeys).toBe(effects.length);
  });
});

describe("volatile policies", () => {
  for (const policy of ["volatile-lru", "volatile-random", "volatile-ttl"] as const) {
    it(`${policy} evicts only keys with a TTL, then refuses writes with OOM`, async () => {
      const f = await fixture(policy);
      const perKey = load(f, "keep", 300);
      load(f, "ttl", 100, 3600);
      f.takeEffects();
      squeeze(f, 50, perKey);
      expect(f.run("SET", "a", "v")).toBe("OK");
      const first = evicted(f);
      expect(first.length).toBeGreaterThanOrEqual(45);
      for (const k of first) expect(k.startsWith("ttl:")).toBe(true);
      // Now ask for more room than all volatile keys together hold.
      squeeze(f, 200, perKey);
      expect(f.run("SET", "b", "v")).toEqual(OOM);
      const rest = evicted(f);
      expect(first.length + rest.length).toBe(100);
      for (const k of rest) expect(k.startsWith("ttl:")).toBe(true);
      expect(f.engine.core.x.ks_expires_count(0)).toBe(0);
      expect(f.run("SET", "b", "v")).toEqual(OOM);
      expect(f.run("GET", "keep:7")).toBe(VALUE);
      expect(f.run("DBSIZE")).toBe(301);
      expect(f.engine.stats.evictedKeys).toBe(100);
      expect(f.engine.stats.expiredKeys).toBe(0);
    });
  }

  it("volatile-ttl evicts the keys closest to expiry", async () => {
    const f = await fixture("volatile-ttl", 10);
    load(f, "keep", 100);
    const before = f.engine.usedMemory();
    for (let i = 0; i < 300; i++) f.run("SET", `t:${i}`, VALUE, "EX", String(1000 + 10 * i));
    const perKey = (f.engine.usedMemory() - before) / 300;
    f.takeEffects();
    squeeze(f, 50, perKey);
    f.run("GET", "keep:0");
    const gone = evicted(f).map(index);
    expect(gone.length).toBeGreaterThanOrEqual(45);
    const mean = gone.reduce((a, b) => a + b, 0) / gone.length;
    expect(mean).toBeLessThan(60);
  });

  it("volatile-lru evicts idle volatile keys before recently used ones", async () => {
    const f = await fixture("volatile-lru", 10);
    load(f, "keep", 200);
    const perKey = load(f, "old", 200, 86400);
    f.advance(100_000);
    load(f, "new", 100, 86400);
    f.advance(10_000);
    f.takeEffects();
    squeeze(f, 80, perKey);
    f.run("GET", "keep:0");
    const gone = evicted(f);
    expect(gone.length).toBeGreaterThanOrEqual(75);
    for (const k of gone) expect(k.startsWith("old:")).toBe(true);
  });
});

describe("expired and evicted keys are counted apart", () => {
  it("keeps expired_keys and evicted_keys separate", async () => {
    const f = await fixture("allkeys-random");
    const perKey = load(f, "k", 100);
    load(f, "short", 10, 1);
    f.advance(1000);
    expect(f.run("GET", "short:0")).toBe(null);
    expect(f.engine.activeExpire()).toBe(9);
    expect(f.engine.stats.expiredKeys).toBe(10);
    squeeze(f, 20, perKey);
    f.run("GET", "k:0");
    expect(f.engine.stats.expiredKeys).toBe(10);
    expect(f.engine.stats.evictedKeys).toBeGreaterThanOrEqual(18);
    expect(f.engine.stats.evictedKeys + f.engine.stats.expiredKeys).toBe(f.takeEffects().filter((e) => e.startsWith("DEL ")).length);
  });
});
