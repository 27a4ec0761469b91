// COMMAND: the command table as every host sees it.
import type { EngineCase } from "../case.ts";

export const commandCases: EngineCase[] = [
  {
    name: "command: COUNT, LIST and GETKEYS describe the same table in every host",
    async run({ open, expect }) {
      const s = await open();
      const count = s.command("COMMAND", "COUNT") as number;
      const all = s.command("COMMAND") as unknown[][];
      expect(all.length).toBe(count);
      const list = s.command("COMMAND", "LIST") as string[];
      for (const entry of all) expect(list.includes(entry[0] as string), `${String(entry[0])} in COMMAND LIST`).toBe(true);
      expect(s.command("COMMAND", "GETKEYS", "SET", "k", "v")).toEqual(["k"]);
    },
  },
];
