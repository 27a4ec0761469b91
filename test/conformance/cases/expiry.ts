// Expiry on the host's real clock: lazy expiry on access, and the store's
// active-expiry timer deleting keys nobody touches.
import type { EffectRecord } from "../../../runtime/effects.ts";
import type { EngineCase } from "../case.ts";

const decoder = new TextDecoder();
const show = (r: EffectRecord) => `${r.db}:${r.args.map((a) => decoder.decode(a)).join(" ")}`;

export const expiryCases: EngineCase[] = [
  {
    name: "expiry: a key set with a short PX is gone after it elapses",
    async run({ open, expect, sleep }) {
      const effects: string[] = [];
      const s = await open({ activeExpireIntervalMs: 0, onEffect: (r) => effects.push(show(r)) });
      s.command("SET", "short", "v", "PX", "40");
      s.command("SET", "long", "v", "PX", "60000");
      s.command("SET", "forever", "v");
      expect(s.command("GET", "short")).toBe("v");
      await sleep(120);
      expect(s.command("GET", "short")).toBeNull();
      expect(s.command("EXISTS", "short", "long", "forever")).toBe(2);
      // The core deleted the key when it was read, and said so as a DEL record.
      expect(effects.filter((e) => e.startsWith("0:DEL"))).toEqual(["0:DEL short"]);
    },
  },
  {
    name: "expiry: active expiry deletes expired keys nobody reads",
    async run({ open, expect, sleep }) {
      let deleted = 0;
      const s = await open({ activeExpireIntervalMs: 10, onEffect: (r) => { if (decoder.decode(r.args[0]) === "DEL") deleted++; } });
      for (let i = 0; i < 30; i++) s.command("SET", `k${i}`, "v", "PX", "20");
      s.command("SET", "stays", "v");
      expect(s.command("DBSIZE")).toBe(31);
      for (let waited = 0; waited < 2000 && deleted < 30; waited += 50) await sleep(50);
      expect(deleted).toBe(30);
      expect(s.command("DBSIZE")).toBe(1);
    },
  },
];
