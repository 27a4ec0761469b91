import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Differential } from "./harness.ts";
import { allCommands, commandTable } from "../../runtime/commands/table.ts";
import { encodeReply, parseValue, type RespValue } from "../../runtime/resp.ts";
import { text, toBytes } from "../../runtime/bytes.ts";
import { RespClient } from "../helpers/resp-client.ts";
import { keynum, keysOfCall, range, type CommandDef } from "../../runtime/commands/spec.ts";
import { commandInfo } from "../../runtime/commands/command.ts";

let diff: Differential;
beforeAll(async () => { diff = await Differential.create(); });
afterAll(() => diff.close());
beforeEach(async () => { await diff.reset(); });

/** Every name COMMAND LIST should give: each command, then its subcommands. */
const tableNames = allCommands.flatMap((c) => [c.name, ...(c.subcommands ?? []).map((s) => s.name)]);

function plain(v: RespValue): unknown {
  switch (v.type) {
    case "bulk": return v.value === null ? null : text(v.value);
    case "array": return v.value === null ? null : v.value.map(plain);
    case "set": return v.value.map(plain);
    case "map": return v.value.map(([k, x]) => [plain(k), plain(x)]);
    case "integer": return Number(v.value);
    case "simple": return `+${v.value}`;
    case "error": return `-${v.value}`;
    default: return v;
  }
}

function parsed(bytes: Uint8Array): unknown {
  const r = parseValue(bytes);
  if (r === "incomplete") throw new Error("incomplete reply");
  return plain(r.value);
}

/**
 * Redis lists a container's subcommands in the order of its seeded dict, so
 * for COMMAND INFO/DOCS of a container the subcommand entries are compared
 * as a set; everything else must be equal.
 */
function sortSubcommands(value: unknown, kind: "info" | "docs"): unknown {
  if (kind === "info") {
    // [[name, arity, flags, first, last, step, acl, tips, keyspecs, subcommands]]
    return (value as unknown[][]).map((entry) => entry === null ? null : entry.map((part, i) =>
      i === 9 ? (part as unknown[]).map((x) => JSON.stringify(x)).sort() : part));
  }
  // RESP2 docs: [name, [k, v, k, v, ...]]: sort the pairs of the "subcommands" value.
  const flat = value as unknown[];
  return flat.map((item, i) => {
    if (i % 2 === 0) return item;
    const fields = item as unknown[];
    return fields.map((f, j) => {
      if (j === 0 || fields[j - 1] !== "subcommands") return f;
      const pairs: string[] = [];
      const subs = f as unknown[];
      for (let k = 0; k < subs.length; k += 2) pairs.push(JSON.stringify([subs[k], subs[k + 1]]));
      return pairs.sort();
    });
  });
}

async function compareUnordered(kind: "info" | "docs", name: string): Promise<void> {
  const args = ["COMMAND", kind.toUpperCase(), name];
  const expected = (await diff.redis.send(...args)).bytes;
  const actual = encodeReply(diff.engine.execute(diff.session, args.map(toBytes)), 2);
  expect(sortSubcommands(parsed(actual), kind)).toEqual(sortSubcommands(parsed(expected), kind));
}

/**
 * Deliberate differences from Redis 7.0: options Trireme takes from later
 * Redis versions. Their COMMAND INFO is compared with the arity replaced.
 */
const LATER_REDIS_ARITY: Record<string, { arity: number; why: string }> = {
  zrank: { arity: -3, why: "WITHSCORE, from Redis 7.2" },
  zrevrank: { arity: -3, why: "WITHSCORE, from Redis 7.2" },
};

describe("COMMAND INFO and DOCS against redis-server, for every command in the table", () => {
  for (const def of allCommands) {
    it(`COMMAND INFO ${def.name}`, async () => {
      const later = LATER_REDIS_ARITY[def.name];
      if (later !== undefined) {
        const expected = parsed((await diff.redis.send("COMMAND", "INFO", def.name)).bytes) as unknown[][];
        const actual = parsed(encodeReply(diff.engine.execute(diff.session, ["COMMAND", "INFO", def.name].map(toBytes)), 2)) as unknown[][];
        expect(actual[0]![1]).toEqual(parsed(encodeReply(later.arity, 2)));
        expected[0]![1] = actual[0]![1];
        expect(actual).toEqual(expected);
      } else if (def.subcommands === undefined) {
        await diff.run("COMMAND", "INFO", def.name);
      } else {
        await compareUnordered("info", def.name);
        for (const s of def.subcommands) await diff.run("COMMAND", "INFO", s.name);
      }
    });
    it(`COMMAND DOCS ${def.name}`, async () => {
      if (def.subcommands === undefined) {
        await diff.run("COMMAND", "DOCS", def.name);
      } else {
        await compareUnordered("docs", def.name);
        for (const s of def.subcommands) await diff.run("COMMAND", "DOCS", s.name);
      }
    });
  }
});

describe("COMMAND against redis-server", () => {
  it("INFO and DOCS of several names, unknown names, any case, full names", async () => {
    await diff.runAll([
      ["COMMAND", "INFO", "get", "NoSuch", "SET", "command|COUNT", "get|x", "a|b|c", "", "Del"],
      ["COMMAND", "DOCS", "nosuch"],
      ["COMMAND", "DOCS", "get", "nosuch", "DEL", "command|list", "exists"],
      ["command", "info", "dbsize", "flushall", "select", "type"],
    ]);
  });

  it("errors: unknown subcommand, arity, LIST syntax", async () => {
    await diff.runAll([
      ["COMMAND", "BOGUS"],
      ["COMMAND", "bogus", "x\r\ny"],
      ["COMMAND", "COUNT", "x"],
      ["COMMAND", "HELP", "x"],
      ["COMMAND", "GETKEYS"],
      ["COMMAND", "GETKEYS", "get"],
      ["COMMAND", "LIST", "x"],
      ["COMMAND", "LIST", "FILTERBY"],
      ["COMMAND", "LIST", "FILTERBY", "PATTERN"],
      ["COMMAND", "LIST", "FILTERBY", "bogus", "x"],
      ["COMMAND", "LIST", "FILTERBY", "PATTERN", "a", "b"],
      ["COMMAND", "LIST", "FILTERBY", "MODULE", "nosuchmodule"],
      ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuchcategory"],
      ["COMMAND", "HELP"],
      ["command", "help"],
    ]);
  });

  it("GETKEYS and GETKEYSANDFLAGS", async () => {
    await diff.runAll([
      ["COMMAND", "GETKEYS", "get", "k"],
      ["COMMAND", "GETKEYS", "GET", "k"],
      ["COMMAND", "GETKEYS", "set", "k", "v"],
      ["COMMAND", "GETKEYS", "set", "k", "v", "get"],
      ["COMMAND", "GETKEYS", "set", "k"],
      ["COMMAND", "GETKEYS", "del", "a", "b", "c"],
      ["COMMAND", "GETKEYS", "exists", "a", "a"],
      ["COMMAND", "GETKEYS", "type", "a", "b"],
      ["COMMAND", "GETKEYS", "dbsize", "a"],
      ["COMMAND", "GETKEYS", "flushdb", "async"],
      ["COMMAND", "GETKEYS", "nosuch", "a"],
      ["COMMAND", "GETKEYS", "command", "info", "get"],
      ["COMMAND", "GETKEYS", "command", "nosuchsub", "x"],
      ["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"],
      ["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "GET", "EX", "10"],
      ["COMMAND", "GETKEYSANDFLAGS", "del", "a", "b"],
      ["COMMAND", "GETKEYSANDFLAGS", "get", "a"],
      ["COMMAND", "GETKEYSANDFLAGS", "exists", "a"],
      ["COMMAND", "GETKEYSANDFLAGS", "select", "1"],
    ]);
  });

  it("RESP3 shapes of INFO and DOCS are the same bytes", async () => {
    const resp3 = await RespClient.connect(diff.oraclePort);
    try {
      await resp3.send("HELLO", "3");
      const session = diff.engine.newSession();
      session.protocol = 3;
      for (const args of [
        ["COMMAND", "INFO", "get", "set", "del", "nosuch"],
        ["COMMAND", "DOCS", "get", "set", "flushdb", "command|list"],
        ["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"],
        ["COMMAND", "INFO", "command|count"],
      ]) {
        const expected = text((await resp3.send(...args)).bytes);
        const actual = text(encodeReply(diff.engine.execute(session, args.map(toBytes)), 3));
        expect(actual, args.join(" ")).toBe(expected);
      }
    } finally {
      resp3.close();
    }
  });
});

describe("COMMAND COUNT and LIST follow the table", () => {
  const run = (...args: string[]) => parsed(encodeReply(diff.engine.execute(diff.session, args.map(toBytes)), 2));
  const redisList = async (...filter: string[]) =>
    parsed((await diff.redis.send("COMMAND", "LIST", ...filter)).bytes) as string[];

  it("COUNT is the number of top-level commands in the table", () => {
    expect(run("COMMAND", "COUNT")).toBe(commandTable.size);
    expect(commandTable.size).toBe(allCommands.length);
  });

  it("LIST names every command and subcommand of the table, each a real Redis command", async () => {
    const list = run("COMMAND", "LIST") as string[];
    expect([...list].sort()).toEqual([...tableNames].sort());
    const redis = new Set(await redisList());
    expect(list.filter((name) => !redis.has(name))).toEqual([]);
  });

  it("COMMAND alone describes every top-level command, as COMMAND INFO does", () => {
    const all = run("COMMAND") as unknown[][];
    expect(all.map((entry) => entry[0])).toEqual(allCommands.map((c) => c.name));
    expect(all).toEqual(run("COMMAND", "INFO"));
    for (const entry of all) expect([entry]).toEqual(run("COMMAND", "INFO", entry[0] as string));
  });

  it("FILTERBY ACLCAT and PATTERN select the same table commands Redis selects", async () => {
    const table = new Set(tableNames);
    for (const filter of [
      ["ACLCAT", "read"], ["ACLCAT", "WRITE"], ["ACLCAT", "keyspace"], ["ACLCAT", "fast"], ["ACLCAT", "slow"],
      ["ACLCAT", "connection"], ["ACLCAT", "dangerous"], ["ACLCAT", "string"],
      ["PATTERN", "*"], ["PATTERN", "command*"], ["PATTERN", "*E*"], ["PATTERN", "?et"], ["PATTERN", "command|[dh]*"],
    ]) {
      const expected = (await redisList("FILTERBY", ...filter)).filter((name) => table.has(name)).sort();
      const actual = (run("COMMAND", "LIST", "FILTERBY", ...filter) as string[]).sort();
      expect(actual, filter.join(" ")).toEqual(expected);
    }
  });
});

// Commands of families not on this branch, described with their metadata from
// Redis 7.0.15 (arity, flags, ACL categories, key specs): the key-spec
// machinery (keynum, several ranges, steps, "from the end") must give what
// Redis gives, so that families can be added as data.
const noop = () => null;
const otherFamilies: CommandDef[] = [
  {
    name: "zunionstore", arity: -4, flags: ["write", "denyoom"], acl: ["write", "sortedset", "slow"],
    keys: [range(1, 1, 1, ["OW", "update"]), keynum(2, 1, 1, ["RO", "access"])],
    group: "sorted-set", since: "2.0.0", summary: "", handler: noop,
  },
  {
    name: "mset", arity: -3, flags: ["write", "denyoom"], acl: ["write", "string", "slow"],
    keys: [range(1, -1, 2, ["OW", "update"])], tips: ["request_policy:multi_shard", "response_policy:all_succeeded"],
    group: "string", since: "1.0.1", summary: "", handler: noop,
  },
  {
    name: "smove", arity: 4, flags: ["write", "fast"], acl: ["write", "set", "fast"],
    keys: [range(1, 1, 1, ["RW", "access", "delete"]), range(2, 2, 1, ["RW", "insert"])],
    group: "set", since: "1.0.0", summary: "", handler: noop,
  },
  {
    name: "pfmerge", arity: -2, flags: ["write", "denyoom"], acl: ["write", "hyperloglog", "slow"],
    keys: [range(1, 1, 1, ["RW", "access", "insert"]), range(2, -1, 1, ["RO", "access"])],
    group: "hyperloglog", since: "2.8.9", summary: "", handler: noop,
  },
  {
    name: "blpop", arity: -3, flags: ["write", "noscript", "blocking"], acl: ["write", "list", "slow", "blocking"],
    keys: [range(1, -2, 1, ["RW", "access", "delete"])],
    group: "list", since: "2.0.0", summary: "", handler: noop,
  },
  {
    name: "lmpop", arity: -4, flags: ["write"], acl: ["write", "list", "slow"],
    keys: [keynum(1, 1, 1, ["RW", "access", "delete"])],
    group: "list", since: "7.0.0", summary: "", handler: noop,
  },
  {
    name: "sintercard", arity: -3, flags: ["readonly"], acl: ["read", "set", "slow"],
    keys: [keynum(1, 1, 1, ["RO", "access"])],
    group: "set", since: "7.0.0", summary: "", handler: noop,
  },
  {
    name: "eval", arity: -3, flags: ["noscript", "stale", "skip_monitor", "may_replicate", "no_mandatory_keys"], acl: ["slow", "scripting"],
    keys: [keynum(2, 1, 1, ["RW", "access", "update"], "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")],
    group: "scripting", since: "2.6.0", summary: "", handler: noop,
  },
];

describe("key specs of other families' commands, as Redis derives them", () => {
  for (const def of otherFamilies) {
    it(`COMMAND INFO ${def.name}`, async () => {
      const expected = parsed((await diff.redis.send("COMMAND", "INFO", def.name)).bytes) as unknown[];
      expect(parsed(encodeReply(commandInfo(def), 2))).toEqual(expected[0]);
    });
  }

  it("the keys of calls, or no keys where Redis finds none", async () => {
    const calls = [
      ["zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"],
      ["zunionstore", "d", "3", "a", "b"],
      ["zunionstore", "d", "x", "a"],
      ["mset", "a", "1", "b", "2"],
      ["smove", "src", "dst", "m"],
      ["pfmerge", "d", "a", "b", "c"],
      ["pfmerge", "d"],
      ["blpop", "a", "b", "0"],
      ["lmpop", "2", "a", "b", "LEFT"],
      ["lmpop", "0", "a", "LEFT"],
      ["lmpop", "-1", "a", "LEFT"],
      ["sintercard", "2", "a", "b", "LIMIT", "3"],
      ["eval", "return 1", "2", "k1", "k2", "arg"],
      ["eval", "return 1", "0"],
    ];
    const byName = new Map(otherFamilies.map((d) => [d.name, d]));
    for (const call of calls) {
      const reply = (await diff.redis.send("COMMAND", "GETKEYS", ...call)).value;
      const keys = keysOfCall(byName.get(call[0]!)!, call.map(toBytes));
      const ours = keys === null || keys.length === 0 ? null : keys.map((k) => call[k.position]);
      if (reply.type === "error") {
        expect(ours, `${call.join(" ")}: Redis says ${reply.value}`).toBeNull();
      } else {
        const redisKeys = plain(reply) as string[];
        // EVAL is no_mandatory_keys: Redis answers an empty list where no key is found.
        expect(ours ?? [], call.join(" ")).toEqual(redisKeys);
      }
    }
  });
});
