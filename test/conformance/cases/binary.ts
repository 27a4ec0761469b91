// Binary-safe keys and values through the embedded API with bytes: true.
import type { EngineCase } from "../case.ts";

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

export const binaryCases: EngineCase[] = [
  {
    name: "binary: every byte value survives SET/GET with bytes: true",
    async run({ open, expect }) {
      const s = await open({ bytes: true });
      const value = new Uint8Array(512);
      for (let i = 0; i < value.length; i++) value[i] = i & 0xff;
      const key = new Uint8Array([0, 255, 13, 10, 0]);
      expect(s.command("SET", key, value)).toBe("OK");
      const got = s.command("GET", key);
      expect(got).toBeInstanceOf(Uint8Array);
      expect(got).toEqual(value);
      expect(s.command("GET", new Uint8Array([0, 255, 13, 10]))).toBeNull();
      // Strings given as arguments are UTF-8; replies stay bytes.
      s.command("SET", "text", "é");
      expect(s.command("GET", "text")).toEqual(new Uint8Array([0xc3, 0xa9]));
      // Status and integer replies are not bulk strings and stay JS values.
      expect(s.command("EXISTS", key)).toBe(1);
      expect(s.command("TYPE", key)).toBe("string");
    },
  },
  {
    name: "binary: an empty value and a 1 MB value",
    async run({ open, expect }) {
      const s = await open({ bytes: true });
      s.command("SET", "empty", new Uint8Array(0));
      expect(s.command("GET", "empty")).toEqual(new Uint8Array(0));
      const big = new Uint8Array(1 << 20);
      for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 12) & 0xff;
      s.command("SET", "big", big);
      const got = s.command("GET", "big") as Uint8Array;
      expect(got.length).toBe(big.length);
      // Compared here rather than with toEqual, which is slow on a megabyte.
      expect(firstDifference(got, big), "first differing byte").toBe(-1);
    },
  },
];
