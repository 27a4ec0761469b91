// Snapshots across engines and hosts: an image (a copy of the core's memory,
// runtime/snapshot.ts) restores into another engine with the same data and
// the same future; an image taken on Node restores on this host; and this
// host, given the same commands, takes the very same image, byte for byte —
// the image format is the same on Node, workerd and in the browser.
import type { Store, StoreOptions } from "../../../runtime/store.ts";
import type { EngineCase } from "../case.ts";

/** The LSN the fixture image claims to cover. */
export const FIXTURE_LSN = 77;
const FIXTURE_CLOCK_MS = 1_700_000_000_000;

/** Options that make a store's image depend only on its commands: a fixed seed and clock, no expiry timer. */
export const FIXTURE_OPTIONS: StoreOptions = {
  seed: 2024,
  clock: () => FIXTURE_CLOCK_MS,
  activeExpireIntervalMs: 0,
};

/** Writes the fixture's data: every type, two databases, a TTL, deletions. */
export function writeFixture(s: Store): void {
  for (let i = 0; i < 400; i++) s.command("SET", `k:${i}`, `v:${i}`);
  for (let i = 0; i < 400; i += 3) s.command("DEL", `k:${i}`);
  s.command("RPUSH", "list", "a", "b", "c", "d");
  s.command("LPOP", "list");
  s.command("SADD", "set", "x", "y", "z");
  s.command("ZADD", "zset", "1", "one", "2", "two", "3", "three");
  s.command("ZREM", "zset", "two");
  s.command("HSET", "hash", "f1", "v1", "f2", "v2");
  s.command("PFADD", "hll", "a", "b", "c");
  s.command("INCRBY", "counter", "41");
  s.command("PEXPIREAT", "k:1", String(FIXTURE_CLOCK_MS + 3_600_000));
  s.command("SELECT", "3");
  s.command("SET", "db3", "three");
  s.command("SELECT", "0");
}

/** Checks, through commands, that a store holds exactly the fixture's data. */
function expectFixture(s: Store, expect: (actual: unknown) => { toBe(v: unknown): void; toEqual(v: unknown): void }): void {
  expect(s.command("DBSIZE")).toBe(400 - 134 + 6);
  expect(s.command("GET", "k:0")).toBe(null);
  expect(s.command("GET", "k:2")).toBe("v:2");
  expect(s.command("GET", "k:399")).toBe(null);
  expect(s.command("GET", "k:398")).toBe("v:398");
  expect(s.command("PEXPIRETIME", "k:1")).toBe(FIXTURE_CLOCK_MS + 3_600_000);
  expect(s.command("LRANGE", "list", "0", "-1")).toEqual(["b", "c", "d"]);
  expect((s.command("SMEMBERS", "set") as string[]).slice().sort()).toEqual(["x", "y", "z"]);
  expect(s.command("ZRANGE", "zset", "0", "-1", "WITHSCORES")).toEqual(["one", "1", "three", "3"]);
  expect(s.command("HGET", "hash", "f2")).toBe("v2");
  expect(s.command("PFCOUNT", "hll")).toBe(3);
  expect(s.command("GET", "counter")).toBe("41");
  s.command("SELECT", "3");
  expect(s.command("GET", "db3")).toBe("three");
  s.command("SELECT", "0");
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Commands whose replies depend on the RNG and the tables' layout, then writes. */
const further: string[][] = [
  ["SRANDMEMBER", "set", "-5"], ["ZRANDMEMBER", "zset", "-4", "WITHSCORES"], ["HRANDFIELD", "hash", "-3"],
  ["RANDOMKEY"], ["SCAN", "0", "COUNT", "5"], ["KEYS", "k:1*"], ["SPOP", "set"], ["LPUSH", "list", "n"],
  ["SET", "new", "value"], ["DEL", "k:5", "k:8"], ["ZINCRBY", "zset", "0.5", "one"], ["HDEL", "hash", "f1"],
  ["SCAN", "0", "COUNT", "1000"],
];

export const snapshotCases: EngineCase[] = [
  {
    name: "snapshot: an image restores into another engine with the same data, and both go on alike",
    async run({ open, restore, expect }) {
      const original = await open(FIXTURE_OPTIONS);
      writeFixture(original);
      const image = original.snapshot(FIXTURE_LSN);
      const restored = await restore(image, { clock: FIXTURE_OPTIONS.clock, activeExpireIntervalMs: 0 });
      expectFixture(restored, expect);
      expectFixture(original, expect);
      for (const args of further) expect(restored.command(...args)).toEqual(original.command(...args));
      expect(restored.engine.usedMemory()).toBe(original.engine.usedMemory());
    },
  },
  {
    name: "snapshot: an image taken on Node restores here, and this host takes the same image byte for byte",
    async run({ open, restore, imageFromNode, expect }) {
      expect(imageFromNode).toBeInstanceOf(Uint8Array);
      const restored = await restore(imageFromNode!, { clock: FIXTURE_OPTIONS.clock, activeExpireIntervalMs: 0 });
      expectFixture(restored, expect);
      const local = await open(FIXTURE_OPTIONS);
      writeFixture(local);
      expect(sameBytes(local.snapshot(FIXTURE_LSN), imageFromNode!)).toBe(true);
    },
  },
  {
    name: "snapshot: a corrupted or truncated image is refused with a SnapshotError",
    async run({ open, restore, expect }) {
      const s = await open(FIXTURE_OPTIONS);
      writeFixture(s);
      const image = s.snapshot(FIXTURE_LSN);
      const flipped = image.slice();
      flipped[image.length >> 1]! ^= 0x40;
      for (const bad of [flipped, image.slice(0, image.length - 1)]) {
        let refused: unknown;
        try {
          await restore(bad);
        } catch (error) {
          refused = error;
        }
        expect(refused instanceof Error ? refused.name : refused).toBe("SnapshotError");
      }
    },
  },
];

/** The fixture's image, taken by a store that `open` makes (on Node, for the other hosts). */
export async function takeFixtureImage(open: (options: StoreOptions) => Promise<Store>): Promise<Uint8Array> {
  const s = await open(FIXTURE_OPTIONS);
  try {
    writeFixture(s);
    return s.snapshot(FIXTURE_LSN);
  } finally {
    s.close();
  }
}
