// The list core (core-wasm/list.ts) against a plain JS array model, with its
// invariants checked after every operation. Elements are sized so that
// chunks fill, split, merge and shrink (small ones, ones near the 4 KiB chunk
// size, and ones larger than a chunk).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadCore, type Core } from "../../runtime/core.ts";
import { coreModule } from "../helpers/core-bytes.ts";

interface ListCore {
  list_new(): number;
  list_len(l: number): number;
  list_push(l: number, where: number, ptr: number, len: number): number;
  list_pop(l: number, where: number, n: number): number;
  list_move(src: number, from: number, dst: number, to: number): number;
  list_range(l: number, start: number, n: number): number;
  list_set(l: number, index: number, ptr: number, len: number): void;
  list_insert(l: number, pp: number, pl: number, ptr: number, len: number, after: number): number;
  list_remove(l: number, ptr: number, len: number, limit: number, fromTail: number): number;
  list_delete_range(l: number, start: number, n: number): void;
  list_pos(l: number, ptr: number, len: number, rank: number, count: number, maxlen: number, reverse: number): number;
  list_check(l: number): number;
}

async function open(): Promise<{ core: Core; x: ListCore }> {
  const core = await loadCore(coreModule());
  core.x.ks_init(1, 1, 0);
  return { core, x: core.exportsAs<ListCore>() };
}

function element(tag: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (tag + i * 7) & 0xff;
  if (size > 0) b[0] = tag & 0xff;
  return b;
}

function readAll(core: Core, n: number): number[][] {
  const out = core.output();
  const items: number[][] = [];
  for (let i = 0; i < n; i++) items.push([...out.bytes()]);
  return items;
}

function contents(core: Core, x: ListCore, l: number): number[][] {
  const n = x.list_len(l);
  x.list_range(l, 0, n);
  return readAll(core, n);
}

const sizes = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 12 }) },
  { weight: 2, arbitrary: fc.integer({ min: 100, max: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 2000, max: 5000 }) },
);
const tag = fc.integer({ min: 0, max: 5 });
const op = fc.oneof(
  fc.record({ kind: fc.constant("push" as const), where: fc.integer({ min: 0, max: 1 }), tag, size: sizes, times: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant("pop" as const), where: fc.integer({ min: 0, max: 1 }), n: fc.integer({ min: 0, max: 400 }) }),
  fc.record({ kind: fc.constant("set" as const), index: fc.nat(), tag, size: sizes }),
  fc.record({ kind: fc.constant("insert" as const), pivot: tag, after: fc.integer({ min: 0, max: 1 }), tag, size: sizes }),
  fc.record({ kind: fc.constant("remove" as const), tag, limit: fc.integer({ min: 0, max: 50 }), fromTail: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ kind: fc.constant("delete" as const), start: fc.nat(), n: fc.nat({ max: 500 }) }),
  fc.record({ kind: fc.constant("pos" as const), tag, rank: fc.integer({ min: 1, max: 4 }), count: fc.integer({ min: 0, max: 5 }), maxlen: fc.nat({ max: 400 }), reverse: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ kind: fc.constant("move" as const), from: fc.integer({ min: 0, max: 1 }), to: fc.integer({ min: 0, max: 1 }) }),
);

// The elements of tag t all compare equal when they have the same size, so a
// model element is identified by [tag, size] through its bytes.
const key = (e: ArrayLike<number>): string => Array.from(e).join(",");

describe("list core against an array model", () => {
  it("random operations keep the same contents and the invariants", async () => {
    const { core, x } = await open();
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
        const l = x.list_new();
        const model: number[][] = [];
        const small: Record<number, Uint8Array> = {};
        const pivotOf = (t: number) => (small[t] ??= element(t, 3));
        for (const o of ops) {
          switch (o.kind) {
            case "push": {
              for (let k = 0; k < o.times; k++) {
                const e = element(o.tag, o.size === 0 || k % 3 === 0 ? 3 : o.size);
                x.list_push(l, o.where, core.stage1(e), e.length);
                if (o.where === 0) model.unshift([...e]); else model.push([...e]);
              }
              break;
            }
            case "pop": {
              const n = x.list_pop(l, o.where, o.n);
              const got = readAll(core, n);
              const want = o.where === 0 ? model.splice(0, o.n) : model.splice(Math.max(0, model.length - o.n)).reverse();
              expect(got).toEqual(want);
              break;
            }
            case "set": {
              if (model.length === 0) break;
              const i = o.index % model.length;
              const e = element(o.tag, o.size);
              x.list_set(l, i, core.stage1(e), e.length);
              model[i] = [...e];
              break;
            }
            case "insert": {
              const p = pivotOf(o.pivot);
              const e = element(o.tag, o.size);
              core.stage(p, e);
              const r = x.list_insert(l, core.at[0]!, p.length, core.at[1]!, e.length, o.after);
              const at = model.findIndex((m) => key(m) === key(p));
              if (at < 0) expect(r).toBe(-1);
              else {
                model.splice(at + o.after, 0, [...e]);
                expect(r).toBe(model.length);
              }
              break;
            }
            case "remove": {
              const p = pivotOf(o.tag);
              const r = x.list_remove(l, core.stage1(p), p.length, o.limit, o.fromTail);
              const idx = model.map((m, i) => (key(m) === key(p) ? i : -1)).filter((i) => i >= 0);
              const chosen = o.fromTail ? idx.reverse() : idx;
              const drop = new Set(o.limit === 0 ? chosen : chosen.slice(0, o.limit));
              expect(r).toBe(drop.size);
              const kept = model.filter((_, i) => !drop.has(i));
              model.length = 0;
              model.push(...kept);
              break;
            }
            case "delete": {
              if (model.length === 0) break;
              const start = o.start % model.length;
              const n = Math.min(o.n, model.length - start);
              x.list_delete_range(l, start, n);
              model.splice(start, n);
              break;
            }
            case "pos": {
              const p = pivotOf(o.tag);
              const found = x.list_pos(l, core.stage1(p), p.length, o.rank, o.count, o.maxlen, o.reverse);
              const out = core.output();
              const got: number[] = [];
              for (let i = 0; i < found; i++) got.push(out.u32());
              const limit = o.maxlen === 0 ? model.length : Math.min(o.maxlen, model.length);
              const order = [...model.keys()];
              if (o.reverse) order.reverse();
              const want: number[] = [];
              let matches = 0;
              for (const i of order.slice(0, limit)) {
                if (key(model[i]!) === key(p) && ++matches >= o.rank) {
                  want.push(i);
                  if (want.length === o.count) break;
                }
              }
              expect(got).toEqual(want);
              break;
            }
            case "move": {
              const moved = x.list_move(l, o.from, l, o.to);
              if (model.length === 0) expect(moved).toBe(0);
              else {
                const e = o.from === 0 ? model.shift()! : model.pop()!;
                if (o.to === 0) model.unshift(e); else model.push(e);
                expect(readAll(core, 1)).toEqual([e]);
              }
              break;
            }
          }
          expect(x.list_check(l)).toBe(0);
          expect(x.list_len(l)).toBe(model.length);
        }
        expect(contents(core, x, l)).toEqual(model);
        x.list_delete_range(l, 0, x.list_len(l));
        expect(x.list_check(l)).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it("a 100,000-element list grows and shrinks back to nothing", async () => {
    const { core, x } = await open();
    const before = core.x.mem_used();
    const l = x.list_new();
    for (let i = 0; i < 100_000; i++) {
      const e = new TextEncoder().encode(`element:${i}`);
      x.list_push(l, i % 2, core.stage1(e), e.length);
    }
    expect(x.list_check(l)).toBe(0);
    const perElement = (core.x.mem_used() - before) / 100_000;
    // "element:NNNNN" is 13-14 bytes: packed with a 1-byte length, plus chunk slack.
    expect(perElement).toBeLessThan(24);
    x.list_range(l, 50_000, 1);
    expect(new TextDecoder().decode(readAll(core, 1).map((b) => new Uint8Array(b))[0])).toBe("element:1");
    for (let i = 0; i < 1000; i++) x.list_pop(l, i % 2, 100);
    expect(x.list_len(l)).toBe(0);
    expect(x.list_check(l)).toBe(0);
  });

  it("copies are deep, and freeing a list gives back every byte", async () => {
    const { core, x } = await open();
    const key = (k: string) => new TextEncoder().encode(k);
    const addList = (k: string, l: number) => core.x.ks_add_object(0, core.stage1(key(k)), k.length, 1, 0, l);
    const build = () => {
      const l = x.list_new();
      for (let i = 0; i < 10_000; i++) {
        const e = element(i % 7, i % 100 === 0 ? 5000 : i % 40);
        x.list_push(l, i % 2, core.stage1(e), e.length);
      }
      return l;
    };
    // Warm up the keyspace's tables and the output buffer (which keeps its
    // size), so that only the lists' own memory is counted below.
    const warm = build();
    contents(core, x, warm);
    addList("warm", warm);
    core.x.ks_delete(0, core.stage1(key("warm")), 4);
    const before = core.x.mem_used();
    const l = build();
    const e = addList("src", l);
    const copyEntry = core.x.ks_copy_entry(0, e, 0, core.stage1(key("dst")), 3);
    const copy = core.x.ks_entry_object(copyEntry);
    expect(x.list_check(copy)).toBe(0);
    const original = contents(core, x, copy);
    expect(contents(core, x, l)).toEqual(original);
    x.list_pop(l, 0, 5000);
    const z = element(9, 9);
    x.list_set(l, 0, core.stage1(z), z.length);
    expect(contents(core, x, copy)).toEqual(original);
    core.x.ks_delete(0, core.stage1(key("src")), 3);
    core.x.ks_delete(0, core.stage1(key("dst")), 3);
    expect(core.x.mem_used()).toBe(before);
  });
});
