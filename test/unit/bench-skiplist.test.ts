// The benchmark's JS sorted-set baseline must be a correct sorted set, or
// the comparison means nothing: checked against sorting on random operations.
import { expect, it } from "vitest";
import fc from "fast-check";
import { JsSortedSet } from "../../bench/baseline/skiplist.ts";

it("the baseline skiplist ranks and ranges like a sorted array", () => {
  const op = fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: -5, max: 5 }));
  fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
    const z = new JsSortedSet();
    const model = new Map<string, number>();
    for (const [m, score] of ops) {
      const member = `m${m}`;
      expect(z.add(score, member)).toBe(model.has(member) ? 0 : 1);
      model.set(member, score);
    }
    const sorted = [...model].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([m]) => m);
    expect(z.size).toBe(sorted.length);
    sorted.forEach((m, i) => expect(z.rank(m)).toBe(i));
    expect(z.rank("absent")).toBeNull();
    expect(z.range(0, -1)).toEqual(sorted);
    expect(z.range(2, 4)).toEqual(sorted.slice(2, 5));
    expect(z.range(-3, -1)).toEqual(sorted.slice(-3));
  }), { numRuns: 200 });
});
