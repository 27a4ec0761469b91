// Reply shapes by protocol: RESP3 gives maps, sets and nulls as such; RESP2
// flattens maps into arrays and sets into arrays, as most clients expect.
import type { EngineCase } from "../case.ts";

const getKeySpec = () => new Map<string, unknown>([
  ["flags", new Set(["RO", "access"])],
  ["begin_search", new Map<string, unknown>([["type", "index"], ["spec", new Map([["index", 1]])]])],
  ["find_keys", new Map<string, unknown>([
    ["type", "range"],
    ["spec", new Map([["lastkey", 0], ["keystep", 1], ["limit", 0]])],
  ])],
]);

export const resp3Cases: EngineCase[] = [
  {
    name: "resp3: protocol 3 returns maps and sets, protocol 2 arrays",
    async run({ open, expect }) {
      const s3 = await open({ protocol: 3 });
      expect(s3.command("COMMAND", "INFO", "get", "nosuch")).toEqual([
        [
          "get", 2, new Set(["readonly", "fast"]), 1, 1, 1, new Set(["@read", "@string", "@fast"]),
          new Set(), new Set([getKeySpec()]), new Set(),
        ],
        null,
      ]);
      expect(s3.command("COMMAND", "DOCS", "get")).toEqual(new Map([
        ["get", new Map<string, unknown>([
          ["summary", "Get the value of a key"],
          ["since", "1.0.0"],
          ["group", "string"],
          ["complexity", "O(1)"],
          ["arguments", [new Map<string, unknown>([["name", "key"], ["type", "key"], ["key_spec_index", 0]])]],
        ])],
      ]));
      expect(s3.command("GET", "missing")).toBeNull();

      const s2 = await open({ protocol: 2 });
      expect(s2.command("COMMAND", "DOCS", "get")).toEqual([
        "get",
        [
          "summary", "Get the value of a key", "since", "1.0.0", "group", "string", "complexity", "O(1)",
          "arguments", [["name", "key", "type", "key", "key_spec_index", 0]],
        ],
      ]);
      const info = s2.command("COMMAND", "INFO", "get") as unknown[][];
      expect(info[0]![2]).toEqual(["readonly", "fast"]);
    },
  },
];
