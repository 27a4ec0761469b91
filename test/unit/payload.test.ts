// Log record payloads: the effects of a native run, encoded straight from the
// core's effect region, are the same bytes as the same effects encoded as
// records, and decode back to them.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeEffects, encodeEffects, PayloadBuilder } from "../../runtime/log/payload.ts";
import type { EffectRecord } from "../../runtime/effects.ts";

/** The core's effect region for these effects: [db u32][argc u32] then [len u32][bytes] per argument. */
function region(effects: readonly EffectRecord[]): Uint8Array {
  let total = 0;
  for (const e of effects) total += 8 + e.args.reduce((n, a) => n + 4 + a.length, 0);
  // At an odd offset of a larger buffer, as a view into the core's memory would be.
  const backing = new Uint8Array(total + 3);
  const out = backing.subarray(3);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = 0;
  for (const e of effects) {
    view.setUint32(at, e.db, true);
    view.setUint32(at + 4, e.args.length, true);
    at += 8;
    for (const a of e.args) {
      view.setUint32(at, a.length, true);
      out.set(a, at + 4);
      at += 4 + a.length;
    }
  }
  return out;
}

const effect = fc.record({
  db: fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 1_000_000 })),
  args: fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 12 }),
});

describe("payloads from the core's effect region", () => {
  it("are byte for byte the payload of the same effects as records, and decode back to them", () => {
    fc.assert(
      fc.property(fc.array(effect, { minLength: 1, maxLength: 20 }), (effects) => {
        const builder = new PayloadBuilder();
        builder.addEffectRegion(region(effects), effects.length);
        const fromRegion = builder.bytes();
        expect(Buffer.from(fromRegion).equals(Buffer.from(encodeEffects(effects)))).toBe(true);
        expect(decodeEffects(fromRegion)).toEqual(effects.map((e) => ({ db: e.db, args: e.args.map((a) => Uint8Array.from(a)) })));
      }),
      { numRuns: 300 },
    );
  });

  it("build up in one buffer, from records and regions mixed, as the payload of all of them; cleared, it starts again", () => {
    const builder = new PayloadBuilder();
    fc.assert(
      // Up to 40 pieces of up to 20 effects of up to 12 arguments of up to 300 bytes: past the builder's first 16 KB.
      fc.property(fc.array(fc.oneof(effect.map((e) => [e]), fc.array(effect, { minLength: 1, maxLength: 20 })), { minLength: 1, maxLength: 40 }), (pieces) => {
        builder.clear();
        const all: EffectRecord[] = [];
        for (const piece of pieces) {
          // A one-effect piece goes as a record (the JS path), a longer one as a region (a native run).
          if (piece.length === 1) builder.addEffect(piece[0]!);
          else builder.addEffectRegion(region(piece), piece.length);
          all.push(...piece);
        }
        expect(builder.count).toBe(all.length);
        expect(Buffer.from(builder.bytes()).equals(Buffer.from(encodeEffects(all)))).toBe(true);
      }),
      { numRuns: 200 },
    );
    builder.clear();
    expect(builder.count).toBe(0);
    expect(builder.bytes().length).toBe(0);
    // A region of one large value (sized exactly, not by the bound) after a small one.
    const small: EffectRecord = { db: 3, args: [Uint8Array.of(83, 69, 84), Uint8Array.of(107), Uint8Array.of(118)] };
    const large: EffectRecord = { db: 0, args: [Uint8Array.of(83, 69, 84), Uint8Array.of(98, 105, 103), new Uint8Array(3 * 1024 * 1024).fill(7)] };
    builder.addEffectRegion(region([small]), 1);
    builder.addEffectRegion(region([large]), 1);
    expect(Buffer.from(builder.bytes()).equals(Buffer.from(encodeEffects([small, large])))).toBe(true);
    builder.clear();
    builder.addEffect(small);
    expect(Buffer.from(builder.bytes()).equals(Buffer.from(encodeEffects([small])))).toBe(true);
  });
});
