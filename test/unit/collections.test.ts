// Engine-level properties of the hash and set types that a differential test
// cannot see: the scan guarantee under concurrent changes and resizes, memory
// returned when collections are deleted, and deep copies (COPY's core path).
import { describe, expect, it } from "vitest";
import { Engine } from "../../runtime/engine.ts";
import { encodeReply, parseValue, type RespValue } from "../../runtime/resp.ts";
import { text, toBytes, type Arg } from "../../runtime/bytes.ts";
import { coreModule } from "../helpers/core-bytes.ts";

async function newEngine(): Promise<{ engine: Engine; run: (...args: Arg[]) => RespValue }> {
  const engine = await Engine.create(coreModule(), { seed: 12345 });
  const session = engine.newSession();
  const run = (...args: Arg[]): RespValue => {
    const parsed = parseValue(encodeReply(engine.execute(session, args.map(toBytes)), 2));
    if (parsed === "incomplete") throw new Error("incomplete");
    return parsed.value;
  };
  return { engine, run };
}

function texts(v: RespValue): string[] {
  if (v.type !== "array" || v.value === null) throw new Error(`not an array: ${JSON.stringify(v)}`);
  return v.value.map((x) => {
    if (x.type !== "bulk" || x.value === null) throw new Error("not a bulk");
    return text(x.value);
  });
}

function scanPage(v: RespValue): { cursor: string; items: string[] } {
  if (v.type !== "array" || v.value === null) throw new Error("not a scan reply");
  const cursor = v.value[0]!;
  if (cursor.type !== "bulk" || cursor.value === null) throw new Error("bad cursor");
  return { cursor: text(cursor.value), items: texts(v.value[1]!) };
}

describe("HSCAN and SSCAN under concurrent changes", () => {
  for (const kind of ["hash", "set"] as const) {
    it(`a ${kind} scan returns every element present for the whole scan, through growth and shrinking`, async () => {
      const { run } = await newEngine();
      const add = (prefix: string, from: number, to: number) => {
        const args: string[] = [];
        for (let i = from; i < to; i++) {
          if (kind === "hash") args.push(`${prefix}:${i}`, `v${i}`);
          else args.push(`${prefix}:${i}`);
        }
        run(kind === "hash" ? "HSET" : "SADD", "k", ...args);
      };
      const remove = (prefix: string, from: number, to: number) => {
        const args: string[] = [];
        for (let i = from; i < to; i++) args.push(`${prefix}:${i}`);
        run(kind === "hash" ? "HDEL" : "SREM", "k", ...args);
      };
      const size = () => Number((run(kind === "hash" ? "HLEN" : "SCARD", "k") as { value: bigint }).value);
      const stable = 5000;
      add("keep", 0, stable);
      add("gone", 0, 3000);
      const seen = new Set<string>();
      let cursor = "0";
      let step = 0;
      let added = 0;
      let removedGone = 0;
      let largest = 0;
      let smallestAfterGrowth = Infinity;
      do {
        const page = scanPage(run(kind === "hash" ? "HSCAN" : "SSCAN", "k", cursor, "COUNT", "20"));
        const items = kind === "hash" ? page.items.filter((_, i) => i % 2 === 0) : page.items;
        for (const item of items) seen.add(item);
        cursor = page.cursor;
        step++;
        // First the collection grows several times over, then most of it goes,
        // so the scan crosses rehashes in both directions.
        if (step <= 150) {
          add("tmp", added, added + 200);
          added += 200;
        } else if (step <= 200) {
          remove("tmp", 0, added);
          if (removedGone < 3000) {
            remove("gone", removedGone, removedGone + 1000);
            removedGone += 1000;
          }
        }
        largest = Math.max(largest, size());
        if (step > 160) smallestAfterGrowth = Math.min(smallestAfterGrowth, size());
      } while (cursor !== "0" && step < 100_000);
      expect(cursor).toBe("0");
      expect(largest).toBeGreaterThanOrEqual(stable + 3000 + 150 * 200 - 1);
      expect(smallestAfterGrowth).toBeLessThanOrEqual(stable);
      for (let i = 0; i < stable; i++) {
        if (!seen.has(`keep:${i}`)) throw new Error(`keep:${i} was never returned`);
      }
      for (const item of seen) expect(/^(keep|gone|tmp):\d+$/.test(item)).toBe(true);
    });
  }
});

describe("memory and copies", () => {
  it("deleting hashes and sets gives back all of their memory", async () => {
    const { engine, run } = await newEngine();
    const fill = () => {
      for (let start = 0; start < 20_000; start += 1000) {
        const hashArgs: string[] = [];
        const setArgs: string[] = [];
        for (let i = start; i < start + 1000; i++) {
          hashArgs.push(`field-${i}`, `value-${i}-${"x".repeat(i % 50)}`);
          setArgs.push(`member-${i}`);
        }
        run("HSET", "h", ...hashArgs);
        run("SADD", "s", ...setArgs);
      }
      run("SUNIONSTORE", "u", "s");
      run("SPOP", "u", "5000");
      run("HDEL", "h", "field-1", "field-2");
    };
    const empty = () => {
      run("DEL", "h");
      run("SREM", "s", ...Array.from({ length: 20_000 }, (_, i) => `member-${i}`));
      expect(run("EXISTS", "s")).toEqual({ type: "integer", value: 0n });
      run("FLUSHALL");
    };
    // The first round grows the core's reusable buffers (scratch, output,
    // entry vectors); the second must end where it started.
    fill();
    empty();
    const baseline = engine.usedMemory();
    fill();
    expect(engine.usedMemory()).toBeGreaterThan(baseline + 1_000_000);
    empty();
    expect(engine.usedMemory()).toBe(baseline);
  });

  it("a copied hash or set is independent of its source", async () => {
    const { engine, run } = await newEngine();
    run("HSET", "h", ...Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]).flat());
    run("SADD", "s", ...Array.from({ length: 300 }, (_, i) => `m${i}`));
    const core = engine.core;
    for (const [src, dst] of [["h", "h2"], ["s", "s2"]] as const) {
      const e = core.x.ks_find(0, core.stage1(toBytes(src)), src.length, 0);
      core.x.ks_copy_entry(0, e, 0, core.stage1(toBytes(dst)), dst.length);
    }
    run("HSET", "h", "f0", "changed", "new", "x");
    run("HDEL", "h", "f1");
    run("SREM", "s", "m0");
    run("SADD", "s", "extra");
    const copy = texts(run("HGETALL", "h2"));
    const copied = new Map<string, string>();
    for (let i = 0; i < copy.length; i += 2) copied.set(copy[i]!, copy[i + 1]!);
    expect(copied.size).toBe(300);
    for (let i = 0; i < 300; i++) expect(copied.get(`f${i}`)).toBe(`v${i}`);
    expect(texts(run("SMEMBERS", "s2")).sort()).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`).sort());
    expect(run("TYPE", "h2")).toEqual({ type: "simple", value: "hash" });
    expect(run("TYPE", "s2")).toEqual({ type: "simple", value: "set" });
    run("DEL", "h", "s");
    expect(run("HLEN", "h2")).toEqual({ type: "integer", value: 300n });
    expect(run("SISMEMBER", "s2", "m0")).toEqual({ type: "integer", value: 1n });
  });
});
