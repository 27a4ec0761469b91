// Log record payloads: the core writes a native run's effects in the payload
// format itself, byte for byte what the JS path encodes for the same effects;
// a payload builds up from both and decodes back to the effects.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeEffects, encodeEffects, PayloadBuilder } from "../../runtime/log/payload.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { Engine } from "../../runtime/engine.ts";
import { encodeCommand } from "../../runtime/resp.ts";
import { concatBytes } from "../../runtime/bytes.ts";
import { coreModule } from "../helpers/core-bytes.ts";

const te = new TextEncoder();

const effect = fc.record({
  db: fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 1_000_000 })),
  args: fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 12 }),
});

/** Native writes (core-wasm/exec.ts) over a few keys, with values short and long, text and binary. */
const value = fc.oneof(fc.string({ maxLength: 8 }).map((v) => te.encode(v)), fc.uint8Array({ minLength: 60, maxLength: 400 }));
const key = fc.constantFrom("a", "b", "counter", "l", "z", "h", "s", "k".repeat(70)).map((k) => te.encode(k));
const nativeWrite = fc.oneof(
  fc.tuple(key, value).map(([k, v]) => [te.encode("SET"), k, v]),
  fc.tuple(key, value, key, value).map(([k, v, k2, v2]) => [te.encode("MSET"), k, v, k2, v2]),
  key.map((k) => [te.encode("INCR"), k]),
  fc.tuple(key, fc.integer({ min: -1000, max: 1000 })).map(([k, n]) => [te.encode("INCRBY"), k, te.encode(String(n))]),
  fc.tuple(key, value).map(([k, v]) => [te.encode("RPUSH"), k, v]),
  key.map((k) => [te.encode("LPOP"), k]),
  fc.tuple(key, fc.integer({ min: -99, max: 99 }), value).map(([k, n, m]) => [te.encode("ZADD"), k, te.encode(String(n)), m]),
  fc.tuple(key, value, value).map(([k, f, v]) => [te.encode("HSET"), k, f, v]),
  fc.tuple(key, value).map(([k, m]) => [te.encode("SADD"), k, m]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => [te.encode("DEL"), ...ks]),
);

describe("payloads", () => {
  it("the core writes a native run's effects as the payload of the same effects, in any database", async () => {
    const runs = fc.array(fc.record({ db: fc.integer({ min: 0, max: 15 }), commands: fc.array(nativeWrite, { minLength: 1, maxLength: 12 }) }), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(runs, async (runs) => {
        // The core's region as a durable primary takes it, against the JS path's records of the same commands.
        const native = await Engine.create(coreModule(), { seed: 3 });
        native.onEffect = () => {};
        const regions: Uint8Array[] = [];
        let count = 0;
        native.onEffectRegion = (region, n) => {
          regions.push(region.slice());
          count += n;
        };
        const single = await Engine.create(coreModule(), { seed: 3 });
        const records: EffectRecord[] = [];
        single.onEffect = (e) => records.push({ db: e.db, args: e.args.map((a) => a.slice()) });
        for (const run of runs) {
          const session = native.newSession();
          session.db = run.db;
          const input = concatBytes(run.commands.map((c) => encodeCommand(c)));
          expect(native.executeNativePrefix(session, input).consumed).toBe(input.length);
          const other = single.newSession();
          other.db = run.db;
          for (const c of run.commands) single.execute(other, c);
        }
        const payload = concatBytes(regions);
        expect(count).toBe(records.length);
        if (records.length === 0) return;
        expect(Buffer.from(payload).equals(Buffer.from(encodeEffects(records)))).toBe(true);
        expect(decodeEffects(payload)).toEqual(records);
      }),
      { numRuns: 150 },
    );
  });

  it("build up in one buffer, from records and encoded effects mixed, as the payload of all of them; cleared, it starts again", () => {
    const builder = new PayloadBuilder();
    fc.assert(
      // Up to 40 pieces of up to 20 effects of up to 12 arguments of up to 300 bytes: past the builder's first 16 KB.
      fc.property(fc.array(fc.oneof(effect.map((e) => [e]), fc.array(effect, { minLength: 1, maxLength: 20 })), { minLength: 1, maxLength: 40 }), (pieces) => {
        builder.clear();
        const all: EffectRecord[] = [];
        for (const piece of pieces) {
          // A one-effect piece goes as a record (the JS path), a longer one encoded (a native run's region).
          if (piece.length === 1) builder.addEffect(piece[0]!);
          else builder.addEncoded(encodeEffects(piece), piece.length);
          all.push(...piece);
        }
        expect(builder.count).toBe(all.length);
        expect(Buffer.from(builder.bytes()).equals(Buffer.from(encodeEffects(all)))).toBe(true);
        expect(decodeEffects(builder.bytes())).toEqual(all.map((e) => ({ db: e.db, args: e.args.map((a) => Uint8Array.from(a)) })));
      }),
      { numRuns: 200 },
    );
    builder.clear();
    expect(builder.count).toBe(0);
    expect(builder.bytes().length).toBe(0);
    // One large value after a small one.
    const small: EffectRecord = { db: 3, args: [Uint8Array.of(83, 69, 84), Uint8Array.of(107), Uint8Array.of(118)] };
    const large: EffectRecord = { db: 0, args: [Uint8Array.of(83, 69, 84), Uint8Array.of(98, 105, 103), new Uint8Array(3 * 1024 * 1024).fill(7)] };
    builder.addEncoded(encodeEffects([small]), 1);
    builder.addEncoded(encodeEffects([large]), 1);
    expect(Buffer.from(builder.bytes()).equals(Buffer.from(encodeEffects([small, large])))).toBe(true);
    builder.clear();
    builder.addEffect(small);
    expect(Buffer.from(builder.bytes()).equals(Buffer.from(encodeEffects([small])))).toBe(true);
  });
});
