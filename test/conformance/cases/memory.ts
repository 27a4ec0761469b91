// Many keys: the core's linear memory grows (views re-taken after
// memory.grow), every key stays readable, and freed memory is reused.
import type { EngineCase } from "../case.ts";

const KEY_COUNT = 50_000;

export const memoryCases: EngineCase[] = [
  {
    name: "memory: 50,000 keys grow the core's memory and all stay readable",
    async run({ open, expect }) {
      const s = await open();
      const memory = () => s.engine.core.x.memory.buffer.byteLength;
      const bytesBefore = memory();
      const usedBefore = s.engine.usedMemory();
      for (let i = 0; i < KEY_COUNT; i++) s.command("SET", `key:${i}`, `value:${i}:${"x".repeat(i % 40)}`);
      expect(s.command("DBSIZE")).toBe(KEY_COUNT);
      expect(memory()).toBeGreaterThan(bytesBefore);
      const used = s.engine.usedMemory();
      // At least the bytes of the keys and values themselves.
      expect(used - usedBefore).toBeGreaterThan(KEY_COUNT * 20);
      for (let i = 0; i < KEY_COUNT; i += 997) {
        expect(s.command("GET", `key:${i}`)).toBe(`value:${i}:${"x".repeat(i % 40)}`);
      }
      expect(s.command("GET", `key:${KEY_COUNT - 1}`)).toBe(`value:${KEY_COUNT - 1}:${"x".repeat((KEY_COUNT - 1) % 40)}`);
      expect(s.command("FLUSHDB")).toBe("OK");
      expect(s.engine.usedMemory()).toBeLessThanOrEqual(usedBefore + 1024 * 1024);
      // Memory never shrinks, but freed blocks are reused: a second round fits.
      const grown = memory();
      for (let i = 0; i < KEY_COUNT; i++) s.command("SET", `key:${i}`, `value:${i}:${"x".repeat(i % 40)}`);
      expect(s.command("DBSIZE")).toBe(KEY_COUNT);
      expect(memory()).toBeLessThanOrEqual(grown * 1.5);
    },
  },
];
