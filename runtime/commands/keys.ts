// Generic key commands: existence, deletion, type, databases.

import type { CommandContext } from "../context.ts";
import { range, type CommandDef } from "./spec.ts";
import { Errors, OK, SimpleString, type Reply } from "../reply.ts";
import { TYPE_NAMES } from "../core.ts";
import { isWord } from "../bytes.ts";
import { parseLong } from "../numbers.ts";

// DEL key [key ...]
function del(ctx: CommandContext, args: Uint8Array[]): Reply {
  const core = ctx.core;
  let deleted = 0;
  for (let i = 1; i < args.length; i++) {
    const key = args[i]!;
    deleted += core.x.ks_delete(ctx.db, core.stage1(key), key.length);
  }
  ctx.dirty += deleted;
  return deleted;
}

// EXISTS key [key ...]
function exists(ctx: CommandContext, args: Uint8Array[]): Reply {
  let n = 0;
  for (let i = 1; i < args.length; i++) if (ctx.findNoTouch(args[i]!) !== 0) n++;
  return n;
}

// TYPE key
function type(ctx: CommandContext, args: Uint8Array[]): Reply {
  const e = ctx.findNoTouch(args[1]!);
  return new SimpleString(e === 0 ? "none" : TYPE_NAMES[ctx.core.x.ks_entry_type(e)]!);
}

// SELECT index
function select(ctx: CommandContext, args: Uint8Array[]): Reply {
  const index = parseLong(args[1]!);
  if (index === null) return Errors.notInteger;
  if (index < 0 || index >= ctx.engine.databases) return Errors.dbIndexOutOfRange;
  ctx.session.db = index;
  return OK;
}

function flushMode(args: Uint8Array[]): Reply | null {
  if (args.length > 2) return Errors.syntax;
  if (args.length === 2 && !isWord(args[1]!, "async") && !isWord(args[1]!, "sync")) return Errors.syntax;
  return null;
}

// FLUSHDB [ASYNC | SYNC]
function flushdb(ctx: CommandContext, args: Uint8Array[]): Reply {
  const bad = flushMode(args);
  if (bad !== null) return bad;
  ctx.core.x.ks_flush(ctx.db);
  ctx.dirty++;
  ctx.rewrite("FLUSHDB");
  return OK;
}

// FLUSHALL [ASYNC | SYNC]
function flushall(ctx: CommandContext, args: Uint8Array[]): Reply {
  const bad = flushMode(args);
  if (bad !== null) return bad;
  for (let db = 0; db < ctx.engine.databases; db++) ctx.core.x.ks_flush(db);
  ctx.dirty++;
  ctx.rewrite("FLUSHALL");
  return OK;
}

// DBSIZE
function dbsize(ctx: CommandContext): Reply {
  return ctx.core.x.ks_dbsize(ctx.db);
}

const FLUSH_HISTORY = [
  ["4.0.0", "Added the `ASYNC` flushing mode modifier."],
  ["6.2.0", "Added the `SYNC` flushing mode modifier."],
] as const;

const FLUSH_ARGUMENTS: CommandDef["arguments"] = [
  {
    name: "async", type: "oneof", flags: ["optional"], arguments: [
      { name: "async", type: "pure-token", token: "ASYNC", since: "4.0.0" },
      { name: "sync", type: "pure-token", token: "SYNC", since: "6.2.0" },
    ],
  },
];

export const keyCommands: CommandDef[] = [
  {
    name: "del", arity: -2, flags: ["write"], keys: [range(1, -1, 1, ["RM", "delete"])],
    acl: ["keyspace", "write", "slow"], group: "generic", since: "1.0.0",
    complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
    summary: "Delete a key", tips: ["request_policy:multi_shard", "response_policy:agg_sum"],
    arguments: [{ name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] }],
    handler: del,
  },
  {
    name: "exists", arity: -2, flags: ["readonly", "fast"], keys: [range(1, -1, 1, ["RO"])],
    acl: ["keyspace", "read", "fast"], group: "generic", since: "1.0.0", complexity: "O(N) where N is the number of keys to check.",
    summary: "Determine if a key exists", tips: ["request_policy:multi_shard", "response_policy:agg_sum"],
    history: [["3.0.3", "Accepts multiple `key` arguments."]],
    arguments: [{ name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] }],
    handler: exists,
  },
  {
    name: "type", arity: 2, flags: ["readonly", "fast"], keys: [range(1, 1, 1, ["RO"])],
    acl: ["keyspace", "read", "fast"], group: "generic", since: "1.0.0", complexity: "O(1)",
    summary: "Determine the type stored at key",
    arguments: [{ name: "key", type: "key", keySpecIndex: 0 }],
    handler: type,
  },
  {
    name: "select", arity: 2, flags: ["loading", "stale", "fast"], keys: [],
    acl: ["connection", "fast"], group: "connection", since: "1.0.0", complexity: "O(1)",
    summary: "Change the selected database for the current connection",
    arguments: [{ name: "index", type: "integer" }],
    handler: select,
  },
  {
    name: "flushdb", arity: -1, flags: ["write"], keys: [],
    acl: ["keyspace", "write", "slow", "dangerous"], group: "server", since: "1.0.0", complexity: "O(N) where N is the number of keys in the selected database",
    summary: "Remove all keys from the current database", tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
    history: FLUSH_HISTORY, arguments: FLUSH_ARGUMENTS,
    handler: flushdb,
  },
  {
    name: "flushall", arity: -1, flags: ["write"], keys: [],
    acl: ["keyspace", "write", "slow", "dangerous"], group: "server", since: "1.0.0", complexity: "O(N) where N is the total number of keys in all databases",
    summary: "Remove all keys from all databases", tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
    history: FLUSH_HISTORY, arguments: FLUSH_ARGUMENTS,
    handler: flushall,
  },
  {
    name: "dbsize", arity: 1, flags: ["readonly", "fast"], keys: [],
    acl: ["keyspace", "read", "fast"], group: "server", since: "1.0.0", complexity: "O(1)",
    summary: "Return the number of keys in the selected database", tips: ["request_policy:all_shards", "response_policy:agg_sum"],
    handler: dbsize,
  },
];
