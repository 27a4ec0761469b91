// Keys and databases: DEL, EXISTS, TYPE, DBSIZE, SELECT, FLUSHDB, FLUSHALL.
import type { EngineCase } from "../case.ts";
import { expectReplyError } from "./strings.ts";

export const keyCases: EngineCase[] = [
  {
    name: "keys: DEL, EXISTS, TYPE and DBSIZE",
    async run({ open, expect }) {
      const s = await open();
      s.command("SET", "a", "1");
      s.command("SET", "b", "2");
      expect(s.command("DBSIZE")).toBe(2);
      expect(s.command("EXISTS", "a", "a", "b", "c")).toBe(3);
      expect(s.command("TYPE", "a")).toBe("string");
      expect(s.command("TYPE", "c")).toBe("none");
      expect(s.command("DEL", "a", "c")).toBe(1);
      expect(s.command("DEL", "a")).toBe(0);
      expect(s.command("DBSIZE")).toBe(1);
    },
  },
  {
    name: "keys: SELECT isolates databases; FLUSHDB and FLUSHALL",
    async run({ open, expect }) {
      const s = await open({ databases: 4 });
      s.command("SET", "k", "zero");
      expect(s.command("SELECT", "3")).toBe("OK");
      expect(s.db).toBe(3);
      expect(s.command("GET", "k")).toBeNull();
      s.command("SET", "k", "three");
      s.command("SET", "only3", "x");
      expect(s.command("DBSIZE")).toBe(2);
      expectReplyError(expect, () => s.command("SELECT", "4"), "ERR DB index is out of range");
      expectReplyError(expect, () => s.command("SELECT", "one"), "ERR value is not an integer or out of range");
      expect(s.db).toBe(3);
      s.command("SELECT", "0");
      expect(s.command("GET", "k")).toBe("zero");
      s.command("SELECT", "3");
      expect(s.command("FLUSHDB")).toBe("OK");
      expect(s.command("DBSIZE")).toBe(0);
      s.command("SELECT", "0");
      expect(s.command("DBSIZE")).toBe(1);
      s.command("SELECT", "2");
      s.command("SET", "k", "two");
      expect(s.command("FLUSHALL")).toBe("OK");
      for (const db of ["0", "1", "2", "3"]) {
        s.command("SELECT", db);
        expect(s.command("DBSIZE"), `db ${db} after FLUSHALL`).toBe(0);
      }
    },
  },
  {
    name: "keys: two stores over the same core are independent",
    async run({ open, expect }) {
      const a = await open();
      const b = await open();
      a.command("SET", "k", "a");
      expect(b.command("GET", "k")).toBeNull();
      b.command("SET", "k", "b");
      expect(a.command("GET", "k")).toBe("a");
    },
  },
];
