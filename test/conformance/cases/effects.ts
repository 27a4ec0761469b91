// Effect records through onEffect: what the log will store. Relative expiry
// becomes absolute, no-op writes record nothing, the database travels with
// the record, and replaying the records rebuilds the same data.
import type { EffectRecord } from "../../../runtime/effects.ts";
import type { EngineCase } from "../case.ts";

const decoder = new TextDecoder();
const words = (r: EffectRecord) => r.args.map((a) => decoder.decode(a));

export const effectCases: EngineCase[] = [
  {
    name: "effects: writes are delivered through onEffect in deterministic form",
    async run({ open, expect }) {
      const records: EffectRecord[] = [];
      const s = await open({ onEffect: (r) => records.push(r) });
      s.command("SET", "a", "1");
      s.command("GET", "a");
      s.command("DEL", "missing");
      s.command("SET", "a", "2", "NX");
      const before = Date.now();
      s.command("SET", "b", "2", "PX", "60000");
      const after = Date.now();
      s.command("SELECT", "5");
      s.command("SET", "c", "3");
      s.command("DEL", "c");
      s.command("FLUSHALL");
      const shown = records.map((r) => [r.db, ...words(r)]);
      expect(shown.length).toBe(5);
      expect(shown[0]).toEqual([0, "SET", "a", "1"]);
      const [db, command, key, value, option, at] = shown[1]!;
      expect([db, command, key, value, option]).toEqual([0, "SET", "b", "2", "PXAT"]);
      expect(Number(at)).toBeGreaterThanOrEqual(before + 60000);
      expect(Number(at)).toBeLessThanOrEqual(after + 60000);
      expect(shown[2]).toEqual([5, "SET", "c", "3"]);
      expect(shown[3]).toEqual([5, "DEL", "c"]);
      expect(shown[4]).toEqual([5, "FLUSHALL"]);
      for (const r of records) for (const a of r.args) expect(a).toBeInstanceOf(Uint8Array);
    },
  },
  {
    name: "effects: replaying the records in another store gives the same data",
    async run({ open, expect }) {
      const records: EffectRecord[] = [];
      const s = await open({ onEffect: (r) => records.push(r) });
      s.command("SET", "a", "1");
      s.command("SET", "b", new Uint8Array([0, 1, 2]));
      s.command("SET", "t", "v", "EX", "3600");
      s.command("SELECT", "1");
      s.command("SET", "a", "one");
      s.command("DEL", "nothing");
      s.command("SELECT", "0");
      s.command("DEL", "a");
      const replica = await open({ bytes: true });
      for (const r of records) replica.engine.apply(r);
      expect(replica.command("GET", "a")).toBeNull();
      expect(replica.command("GET", "b")).toEqual(new Uint8Array([0, 1, 2]));
      expect(replica.command("GET", "t")).toEqual(new TextEncoder().encode("v"));
      expect(replica.command("DBSIZE")).toBe(2);
      replica.command("SELECT", "1");
      expect(replica.command("GET", "a")).toEqual(new TextEncoder().encode("one"));
    },
  },
];
