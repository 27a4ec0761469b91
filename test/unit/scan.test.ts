// SCAN's guarantee: a full iteration returns every key that was present
// for the whole iteration, however the table grows, shrinks or rehashes in
// between calls; a key may come back more than once only if the table
// changed. Without changes, every key comes back exactly once.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Fixture } from "./engine-fixture.ts";

interface ScanLoop {
  /** Every key returned, in order, with repeats. */
  returned: string[];
  calls: number;
}

/** Runs SCAN to the end, calling `between(call)` after each call. */
function scanAll(f: Fixture, options: string[], between: (call: number) => void): ScanLoop {
  const returned: string[] = [];
  let cursor = "0";
  let calls = 0;
  do {
    const [next, keys] = f.run("SCAN", cursor, ...options) as [string, string[]];
    returned.push(...keys);
    cursor = next;
    calls++;
    if (calls > 1_000_000) throw new Error("SCAN did not finish");
    between(calls);
  } while (cursor !== "0");
  return { returned, calls };
}

describe("SCAN", () => {
  it("returns each key exactly once when nothing changes", async () => {
    const f = await Fixture.create();
    for (let i = 0; i < 5000; i++) f.run("SET", `k:${i}`, "v");
    for (const count of ["1", "10", "97", "10000"]) {
      const { returned, calls } = scanAll(f, ["COUNT", count], () => {});
      expect(returned.length).toBe(5000);
      expect(new Set(returned).size).toBe(5000);
      if (count === "10000") expect(calls).toBe(1);
    }
  });

  it("returns every key present for the whole scan while the table grows and shrinks", async () => {
    const f = await Fixture.create();
    const stable = 2000;
    for (let i = 0; i < stable; i++) f.run("SET", `stable:${i}`, "v");
    // Between SCAN calls: grow to 40,000 extra keys (the table doubles
    // several times), delete them all (it shrinks again), and once more.
    let temp = 0;
    let phase: "grow" | "shrink" = "grow";
    let cycles = 0;
    let maxSize = 0;
    const everInserted = new Set<string>();
    const { returned, calls } = scanAll(f, ["COUNT", "10"], () => {
      if (cycles >= 2) return;
      if (phase === "grow") {
        for (let i = 0; i < 1000; i++, temp++) {
          f.run("SET", `temp:${temp}`, "v");
          everInserted.add(`temp:${temp}`);
        }
        if (temp === 40_000) phase = "shrink";
      } else {
        for (let i = 0; i < 2000; i++) f.run("DEL", `temp:${--temp}`);
        if (temp === 0) {
          phase = "grow";
          cycles++;
        }
      }
      maxSize = Math.max(maxSize, f.run("DBSIZE") as number);
    });
    expect(maxSize).toBe(stable + 40_000);
    expect(cycles).toBe(2);
    const seen = new Set(returned);
    for (let i = 0; i < stable; i++) expect(seen.has(`stable:${i}`)).toBe(true);
    for (const k of seen) expect(k.startsWith("stable:") || everInserted.has(k)).toBe(true);
    expect(calls).toBeGreaterThan(20);
  });

  it("keeps the guarantee under random inserts and deletes between calls", async () => {
    const batch = fc.record({ insert: fc.nat({ max: 3000 }), remove: fc.nat({ max: 3000 }) });
    await fc.assert(fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 60 }), fc.constantFrom("1", "5", "50"), async (batches, count) => {
      const f = await Fixture.create();
      for (let i = 0; i < 300; i++) f.run("SET", `stable:${i}`, "v");
      const live: string[] = [];
      let next = 0;
      const { returned } = scanAll(f, ["COUNT", count], (call) => {
        const b = batches[call - 1];
        if (b === undefined) return;
        for (let i = 0; i < b.insert; i++) {
          const k = `t:${next++}`;
          f.run("SET", k, "v");
          live.push(k);
        }
        for (let i = 0; i < b.remove && live.length > 0; i++) f.run("DEL", live.pop()!);
      });
      const seen = new Set(returned);
      for (let i = 0; i < 300; i++) expect(seen.has(`stable:${i}`)).toBe(true);
    }), { numRuns: 25 });
  });

  it("filters by MATCH and TYPE without losing matching keys", async () => {
    const f = await Fixture.create();
    for (let i = 0; i < 1000; i++) f.run("SET", `user:${i}`, "v");
    for (let i = 0; i < 1000; i++) f.run("SET", `order:${i}`, "v");
    let extra = 0;
    // Growing faster than the scan advances for ever would keep it from
    // ending (in Redis too), so the noise stops after a while.
    const { returned } = scanAll(f, ["MATCH", "user:*", "COUNT", "7", "TYPE", "string"], (call) => {
      if (call <= 100) for (let i = 0; i < 200; i++) f.run("SET", `noise:${extra++}`, "v");
    });
    expect(new Set(returned).size).toBe(1000);
    for (const k of returned) expect(k).toMatch(/^user:\d+$/);
  });

  it("accepts cursors above 32 bits, as Redis's 64-bit cursors", async () => {
    const f = await Fixture.create();
    for (let i = 0; i < 100; i++) f.run("SET", `k:${i}`, "v");
    const [next] = f.run("SCAN", "18446744073709551615", "COUNT", "1") as [string, string[]];
    expect(next).toBe("0");
  });
});
