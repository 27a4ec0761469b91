// Log frames and payloads: round trips, and that every torn or damaged tail
// is found, with the offset where the valid records end.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadCrc32c } from "../../runtime/log/crc32c.ts";
import {
  FRAME_OVERHEAD_BYTES, decodeFrames, encodeFrame, encodeFrames, scanFrames, type LogRecord,
} from "../../runtime/log/frame.ts";
import { decodeEffects, encodeEffects, PayloadError } from "../../runtime/log/payload.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { coreModule } from "../helpers/core-bytes.ts";

const crc32c = await loadCrc32c(coreModule());
const te = new TextEncoder();

function record(lsn: number, epoch: number, text: string): LogRecord {
  return { lsn, epoch, payload: te.encode(text) };
}

describe("frames", () => {
  it("lay out length, checksum, LSN, epoch and payload, little-endian", () => {
    const f = encodeFrame(0x1_0000_0002, 7, te.encode("hey"), crc32c);
    expect(f.length).toBe(FRAME_OVERHEAD_BYTES + 3);
    const v = new DataView(f.buffer);
    expect(v.getUint32(0, true)).toBe(12 + 3);
    expect(v.getUint32(8, true)).toBe(2);
    expect(v.getUint32(12, true)).toBe(1);
    expect(v.getUint32(16, true)).toBe(7);
    expect(new TextDecoder().decode(f.subarray(20))).toBe("hey");
    // The checksum covers the length and everything after the checksum field.
    const covered = new Uint8Array([...f.subarray(0, 4), ...f.subarray(8)]);
    expect(v.getUint32(4, true)).toBe(crc32c(covered));
  });

  it("round-trip any records, binary payloads and empty ones included", () => {
    fc.assert(fc.property(
      fc.array(fc.record({ epoch: fc.nat(0xffff_ffff), payload: fc.uint8Array({ maxLength: 200 }) }), { maxLength: 20 }),
      fc.nat(2 ** 40),
      (items, start) => {
        const records = items.map((r, i) => ({ lsn: start + 1 + i, epoch: r.epoch, payload: r.payload }));
        const bytes = encodeFrames(records, crc32c);
        // One record's frame (what the primary seals) is the same bytes.
        expect(Buffer.concat(records.map((r) => encodeFrame(r.lsn, r.epoch, r.payload, crc32c)))).toEqual(Buffer.from(bytes));
        const decoded = decodeFrames(bytes, crc32c);
        expect(decoded.fault).toBeUndefined();
        expect(decoded.validEnd).toBe(bytes.length);
        expect(decoded.records.map((r) => ({ ...r, payload: [...r.payload] })))
          .toEqual(records.map((r) => ({ ...r, payload: [...r.payload] })));
      },
    ), { numRuns: 200 });
  });

  it("refuse LSNs outside 1..2^53-1 and epochs outside u32", () => {
    expect(() => encodeFrame(0, 1, new Uint8Array(0), crc32c)).toThrow(RangeError);
    expect(() => encodeFrame(2 ** 53, 1, new Uint8Array(0), crc32c)).toThrow(RangeError);
    expect(() => encodeFrame(1, 2 ** 32, new Uint8Array(0), crc32c)).toThrow(RangeError);
  });
});

describe("torn and corrupt tails", () => {
  const records = [record(1, 1, "first"), record(2, 1, "second record"), record(3, 2, "third")];
  const bytes = encodeFrames(records, crc32c);
  const ends = [0];
  for (const r of records) ends.push(ends[ends.length - 1]! + FRAME_OVERHEAD_BYTES + r.payload.length);

  it("a tail cut at any byte is reported as torn, at the end of the last whole record", () => {
    for (let cut = 0; cut < bytes.length; cut++) {
      const scan = scanFrames(bytes.subarray(0, cut), crc32c);
      const lastWhole = ends.filter((e) => e <= cut).pop()!;
      expect(scan.validEnd).toBe(lastWhole);
      expect(scan.frames.length).toBe(ends.indexOf(lastWhole));
      if (cut === lastWhole) expect(scan.fault).toBeUndefined();
      else expect(scan.fault?.kind).toBe("torn");
    }
  });

  it("a flipped bit anywhere is detected, and nothing from the damaged frame on is returned", () => {
    for (let at = 0; at < bytes.length; at++) {
      for (const bit of [0, 3, 7]) {
        const damaged = bytes.slice();
        damaged[at]! ^= 1 << bit;
        const scan = scanFrames(damaged, crc32c);
        const frameIndex = ends.findIndex((e, i) => at >= e && at < ends[i + 1]!);
        expect(scan.fault, `byte ${at} bit ${bit}`).toBeDefined();
        expect(scan.validEnd).toBe(ends[frameIndex]);
        expect(scan.frames.length).toBe(frameIndex);
      }
    }
  });

  it("garbage after valid records is cut at the last valid record", () => {
    const garbage = new Uint8Array([...bytes, ...te.encode("garbage that is not a frame at all....")]);
    const scan = scanFrames(garbage, crc32c);
    expect(scan.validEnd).toBe(bytes.length);
    expect(scan.frames.map((f) => f.lsn)).toEqual([1, 2, 3]);
    expect(scan.fault).toBeDefined();
  });

  it("a length field beyond the frame limit is a fault, not an allocation", () => {
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(ends[2]!, 0xffff_fff0, true);
    const scan = scanFrames(huge, crc32c, { frameBytesMax: 1024 });
    expect(scan.fault?.kind).toBe("length");
    expect(scan.validEnd).toBe(ends[2]);
  });

  it("optionally checks that LSNs follow each other and epochs never decrease", () => {
    expect(scanFrames(bytes, crc32c, { expectLsn: 1, minEpoch: 0 }).fault).toBeUndefined();
    expect(scanFrames(bytes, crc32c, { expectLsn: 2 }).fault?.kind).toBe("sequence");
    const gap = encodeFrames([record(1, 1, "a"), record(3, 1, "b")], crc32c);
    expect(scanFrames(gap, crc32c, { expectLsn: 1 }).frames.length).toBe(1);
    const back = encodeFrames([record(1, 2, "a"), record(2, 1, "b")], crc32c);
    const scan = scanFrames(back, crc32c, { minEpoch: 0 });
    expect(scan.fault?.kind).toBe("sequence");
    expect(scan.frames.length).toBe(1);
  });
});

describe("payloads of effect records", () => {
  const effect = (db: number, ...args: (string | Uint8Array)[]): EffectRecord =>
    ({ db, args: args.map((a) => (typeof a === "string" ? te.encode(a) : a)) });

  it("are RESP arrays of the database and the arguments", () => {
    const payload = encodeEffects([effect(3, "SET", "k", "v")]);
    expect(new TextDecoder().decode(payload)).toBe("*4\r\n$1\r\n3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  });

  it("hold several effects (one transaction) and round-trip binary arguments", () => {
    fc.assert(fc.property(
      fc.array(fc.record({ db: fc.nat(10_000), args: fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 6 }) }), { minLength: 1, maxLength: 8 }),
      (effects) => {
        const decoded = decodeEffects(encodeEffects(effects));
        expect(decoded.map((e) => ({ db: e.db, args: e.args.map((a) => [...a]) })))
          .toEqual(effects.map((e) => ({ db: e.db, args: e.args.map((a) => [...a]) })));
      },
    ), { numRuns: 200 });
    const multi = [effect(0, "SET", "a", new Uint8Array([0, 13, 10, 255])), effect(1, "DEL", "b")];
    expect(decodeEffects(encodeEffects(multi))).toEqual(multi);
  });

  it("reject malformed payloads with an error instead of guessing", () => {
    const good = encodeEffects([effect(0, "SET", "k", "v")]);
    expect(() => decodeEffects(new Uint8Array(0))).toThrow(PayloadError);
    expect(() => decodeEffects(good.subarray(0, good.length - 1))).toThrow(PayloadError);
    expect(() => decodeEffects(te.encode("*1\r\n$1\r\n0\r\n"))).toThrow(PayloadError);
    expect(() => decodeEffects(te.encode("*2\r\n$1\r\nx\r\n$3\r\nDEL\r\n"))).toThrow(PayloadError);
    expect(() => encodeEffects([])).toThrow(RangeError);
  });
});
