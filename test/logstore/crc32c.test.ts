// CRC32C from the Wasm core, against published test vectors (the check value
// of the CRC catalogue and RFC 3720's iSCSI examples) and against a bitwise
// reference written here from the definition.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadCrc32c, type Crc32c } from "../../runtime/log/crc32c.ts";
import { coreModule } from "../helpers/core-bytes.ts";

const crc32c: Crc32c = await loadCrc32c(coreModule());
const ascii = (s: string) => new TextEncoder().encode(s);

/** CRC32C by its definition: reflected polynomial 0x82F63B78, one bit at a time. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe("CRC32C test vectors", () => {
  it('"123456789" gives the catalogue check value 0xE3069283', () => {
    expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
  });

  it("the empty input gives 0", () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it("RFC 3720 B.4: 32 bytes of zeros, of ones, ascending and descending", () => {
    // (The RFC lists each CRC's bytes least significant first: "aa 36 91 8a" is 0x8A9136AA.)
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it("RFC 3720 B.4: an iSCSI read command PDU", () => {
    const pdu = new Uint8Array(48);
    pdu.set([0x01, 0xc0], 0);
    pdu.set([0x14], 16);
    pdu.set([0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28], 20);
    pdu.set([0x02], 40);
    // The RFC lists the CRC's bytes least significant first: 56 3a 96 d9.
    expect(crc32c(pdu)).toBe(0xd9963a56);
  });

  it("is unsigned (values above 2^31 come back positive)", () => {
    expect(crc32c(ascii("123456789"))).toBeGreaterThan(2 ** 31);
  });
});

describe("CRC32C against the bitwise reference", () => {
  it("agrees on random inputs at every alignment and length", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(15), (bytes, shift) => {
      // A view at an odd offset exercises the core's bytewise head and tail loops.
      const padded = new Uint8Array(bytes.length + shift);
      padded.set(bytes, shift);
      expect(crc32c(padded.subarray(shift))).toBe(reference(bytes));
    }), { numRuns: 500 });
  });

  it("chains: crc32c(b, crc32c(a)) equals crc32c(a ++ b)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
      const joined = new Uint8Array(a.length + b.length);
      joined.set(a);
      joined.set(b, a.length);
      expect(crc32c(b, crc32c(a))).toBe(crc32c(joined));
    }), { numRuns: 300 });
  });

  it("handles inputs larger than the staging chunk (64 KiB) in one call", () => {
    const big = Uint8Array.from({ length: 200_003 }, (_, i) => (i * 2654435761) >>> 24);
    expect(crc32c(big)).toBe(reference(big));
  });
});
