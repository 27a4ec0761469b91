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

export const keyCommands: CommandDef[] = [
  {
    name: "del", arity: -2, flags: ["write"], keys: [range(1, -1)],
    acl: ["keyspace", "write", "slow"], group: "generic", since: "1.0.0", complexity: "O(N) where N is the number of keys that will be removed.",
    summary: "Deletes one or more keys.", handler: del,
  },
  {
    name: "exists", arity: -2, flags: ["readonly", "fast"], keys: [range(1, -1)],
    acl: ["keyspace", "read", "fast"], group: "generic", since: "1.0.0", complexity: "O(N) where N is the number of keys to check.",
    summary: "Determines whether one or more keys exist.", handler: exists,
  },
  {
    name: "type", arity: 2, flags: ["readonly", "fast"], keys: [range(1, 1)],
    acl: ["keyspace", "read", "fast"], group: "generic", since: "1.0.0", complexity: "O(1)",
    summary: "Determines the type of value stored at a key.", handler: type,
  },
  {
    name: "select", arity: 2, flags: ["loading", "stale", "fast"], keys: [],
    acl: ["connection", "fast"], group: "connection", since: "1.0.0", complexity: "O(1)",
    summary: "Changes the selected database.", handler: select,
  },
  {
    name: "flushdb", arity: -1, flags: ["write"], keys: [],
    acl: ["keyspace", "write", "slow", "dangerous"], group: "server", since: "1.0.0", complexity: "O(N) where N is the number of keys in the selected database",
    summary: "Remove all keys from the current database.", handler: flushdb,
  },
  {
    name: "flushall", arity: -1, flags: ["write"], keys: [],
    acl: ["keyspace", "write", "slow", "dangerous"], group: "server", since: "1.0.0", complexity: "O(N) where N is the total number of keys in all databases",
    summary: "Removes all keys from all databases.", handler: flushall,
  },
  {
    name: "dbsize", arity: 1, flags: ["readonly", "fast"], keys: [],
    acl: ["keyspace", "read", "fast"], group: "server", since: "1.0.0", complexity: "O(1)",
    summary: "Returns the number of keys in the database.", handler: dbsize,
  },
];
