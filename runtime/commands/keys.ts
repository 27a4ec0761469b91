// Generic key commands: existence, deletion, type, renaming, moving and
// copying between databases, iteration (KEYS, SCAN, RANDOMKEY), expiry
// (EXPIRE and friends, TTL and friends, PERSIST) and OBJECT introspection.
//
// Expiry times are exact i64 Unix milliseconds (BigInt here, i64 in the
// core), as in Redis, so every value a client can set reads back exactly.
// What is propagated is deterministic: relative expiries become PEXPIREAT of
// the absolute time, and an expiry already in the past becomes a DEL of the
// key, as Redis 7.0 does. Keys found expired on access are deleted by the
// core and propagated as DEL by the engine (the key log).

import type { CommandContext } from "../context.ts";
import { range, type CommandDef } from "./spec.ts";
import { ErrorReply, Errors, OK, SimpleString, type Reply } from "../reply.ts";
import { TYPE_NAMES, ValueType } from "../core.ts";
import { isWord, bytesEqual, ascii, lowerAscii } from "../bytes.ts";
import { parseI64, parseLong } from "../numbers.ts";
import { globMatch, matchesAll } from "../glob.ts";
import { encodingName } from "../encodings.ts";
import { NotifyClass } from "../notify.ts";

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

const sameObject = new ErrorReply("ERR source and destination objects are the same");
const invalidCursor = new ErrorReply("ERR invalid cursor");
const lfuNotSelected = new ErrorReply(
  "ERR An LFU maxmemory policy is not selected, access frequency not tracked. " +
  "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
);
const lfuSelected = new ErrorReply(
  "ERR An LFU maxmemory policy is selected, idle time not tracked. " +
  "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
);

/** Redis's getIntFromObjectOrReply: an i64 that must also fit in a C int. */
function parseInt32(arg: Uint8Array, message?: string): number | ErrorReply {
  const v = parseLong(arg);
  if (v === null) return message === undefined ? Errors.notInteger : new ErrorReply(`ERR ${message}`);
  if (v < INT_MIN || v > INT_MAX) {
    return new ErrorReply(message === undefined
      ? `ERR value is out of range, value must between ${INT_MIN} and ${INT_MAX}`
      : `ERR ${message}`);
  }
  return v;
}

/** A database index given to MOVE / COPY DB, validated as Redis's selectDb does. */
function parseDbIndex(ctx: CommandContext, arg: Uint8Array): number | ErrorReply {
  const v = parseInt32(arg);
  if (v instanceof ErrorReply) return v;
  if (v < 0 || v >= ctx.engine.databases) return Errors.dbIndexOutOfRange;
  return v;
}

/** The bytes up to the first NUL: what C string functions see of an argument. */
function cString(arg: Uint8Array): Uint8Array {
  const nul = arg.indexOf(0);
  return nul < 0 ? arg : arg.subarray(0, nul);
}

function findIn(ctx: CommandContext, db: number, key: Uint8Array, flags = 0): number {
  return ctx.core.x.ks_find(db, ctx.core.stage1(key), key.length, flags);
}

// DEL key [key ...]
function del(ctx: CommandContext, args: Uint8Array[]): Reply {
  const core = ctx.core;
  let deleted = 0;
  for (let i = 1; i < args.length; i++) {
    const key = args[i]!;
    if (core.x.ks_delete(ctx.db, core.stage1(key), key.length) === 0) continue;
    deleted++;
    ctx.notify(NotifyClass.generic, "del", key);
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

// TOUCH key [key ...]
function touch(ctx: CommandContext, args: Uint8Array[]): Reply {
  let n = 0;
  for (let i = 1; i < args.length; i++) if (ctx.find(args[i]!) !== 0) n++;
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

// RENAME key newkey / RENAMENX key newkey
function renameGeneric(ctx: CommandContext, args: Uint8Array[], nx: boolean): Reply {
  const src = args[1]!;
  const dst = args[2]!;
  const x = ctx.core.x;
  const e = ctx.find(src);
  if (e === 0) return Errors.noSuchKey;
  // Renaming a key to itself changes nothing (and propagates nothing).
  if (bytesEqual(src, dst)) return nx ? 0 : OK;
  // Entry pointers stay valid across these calls: finding and deleting other
  // keys unlinks and frees only those entries, it never moves `e`.
  const old = ctx.find(dst);
  if (old !== 0) {
    if (nx) return 0;
    x.ks_delete_entry(ctx.db, old);
  }
  x.ks_move_entry(ctx.db, e, ctx.db, ctx.core.stage1(dst), dst.length);
  ctx.dirty++;
  ctx.notify(NotifyClass.generic, "rename_from", src);
  ctx.notify(NotifyClass.generic, "rename_to", dst);
  return nx ? 1 : OK;
}

function rename(ctx: CommandContext, args: Uint8Array[]): Reply {
  return renameGeneric(ctx, args, false);
}

function renamenx(ctx: CommandContext, args: Uint8Array[]): Reply {
  return renameGeneric(ctx, args, true);
}

// MOVE key db
function move(ctx: CommandContext, args: Uint8Array[]): Reply {
  const key = args[1]!;
  const dst = parseDbIndex(ctx, args[2]!);
  if (dst instanceof ErrorReply) return dst;
  if (dst === ctx.db) return sameObject;
  const e = ctx.find(key);
  if (e === 0) return 0;
  if (findIn(ctx, dst, key) !== 0) return 0;
  ctx.core.x.ks_move_entry(ctx.db, e, dst, ctx.core.stage1(key), key.length);
  ctx.dirty++;
  ctx.notify(NotifyClass.generic, "move_from", key);
  ctx.notify(NotifyClass.generic, "move_to", key, dst);
  return 1;
}

// COPY source destination [DB destination-db] [REPLACE]
function copy(ctx: CommandContext, args: Uint8Array[]): Reply {
  let replace = false;
  let dstDb = ctx.db;
  for (let i = 3; i < args.length; i++) {
    const a = args[i]!;
    if (isWord(a, "replace")) {
      replace = true;
    } else if (isWord(a, "db") && i + 1 < args.length) {
      const db = parseDbIndex(ctx, args[++i]!);
      if (db instanceof ErrorReply) return db;
      dstDb = db;
    } else {
      return Errors.syntax;
    }
  }
  const src = args[1]!;
  const dst = args[2]!;
  if (dstDb === ctx.db && bytesEqual(src, dst)) return sameObject;
  const x = ctx.core.x;
  const e = ctx.find(src);
  if (e === 0) {
    ctx.keyMiss(src);
    return 0;
  }
  const old = findIn(ctx, dstDb, dst);
  if (old !== 0) {
    if (!replace) return 0;
    x.ks_delete_entry(dstDb, old);
  }
  x.ks_copy_entry(ctx.db, e, dstDb, ctx.core.stage1(dst), dst.length);
  ctx.dirty++;
  ctx.notify(NotifyClass.generic, "copy_to", dst, dstDb);
  return 1;
}

// SWAPDB index1 index2
function swapdb(ctx: CommandContext, args: Uint8Array[]): Reply {
  const a = parseInt32(args[1]!, "invalid first DB index");
  if (a instanceof ErrorReply) return a;
  const b = parseInt32(args[2]!, "invalid second DB index");
  if (b instanceof ErrorReply) return b;
  const n = ctx.engine.databases;
  if (a < 0 || a >= n || b < 0 || b >= n) return Errors.dbIndexOutOfRange;
  ctx.core.x.ks_swap(a, b);
  ctx.dirty++;
  return OK;
}

// KEYS pattern
function keys(ctx: CommandContext, args: Uint8Array[]): Reply {
  const pattern = args[1]!;
  const all = matchesAll(pattern);
  const core = ctx.core;
  const count = core.x.ks_keys(ctx.db);
  const view = core.dataView();
  const mem = core.u8();
  let at = core.x.io_out_ptr();
  const result: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const len = view.getUint32(at, true);
    const key = mem.subarray(at + 4, at + 4 + len);
    at += 8 + len;
    if (all || globMatch(pattern, key)) result.push(key.slice());
  }
  return result;
}

/**
 * A SCAN cursor as Redis parses it: strtoul in base 10 over the argument as
 * a C string, refusing leading space, trailing garbage and overflow. A '-'
 * wraps modulo 2^64 as strtoul does; an empty string is cursor 0.
 */
export function parseScanCursor(arg: Uint8Array): bigint | null {
  const s = cString(arg);
  if (s.length === 0) return 0n;
  const first = s[0]!;
  if (first === 32 || (first >= 9 && first <= 13)) return null;
  let i = 0;
  let negative = false;
  if (first === 43 || first === 45) {
    negative = first === 45;
    i = 1;
  }
  if (i === s.length) return null;
  let v = 0n;
  for (; i < s.length; i++) {
    const d = s[i]! - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10n + BigInt(d);
    if (v > U64_MAX) return null;
  }
  return negative ? (U64_MAX + 1n - v) & U64_MAX : v;
}

const SCAN_EXPIRED_FLAG = 0x100;

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
function scan(ctx: CommandContext, args: Uint8Array[]): Reply {
  const cursor = parseScanCursor(args[1]!);
  if (cursor === null) return invalidCursor;
  let count = 10;
  let pattern: Uint8Array | null = null;
  let typeName: string | null = null;
  for (let i = 2; i < args.length; i += 2) {
    const a = args[i]!;
    const hasValue = i + 1 < args.length;
    if (isWord(a, "count") && hasValue) {
      const n = parseLong(args[i + 1]!);
      if (n === null) return Errors.notInteger;
      if (n < 1) return Errors.syntax;
      count = n;
    } else if (isWord(a, "match") && hasValue) {
      pattern = matchesAll(args[i + 1]!) ? null : args[i + 1]!;
    } else if (isWord(a, "type") && hasValue) {
      typeName = lowerAscii(cString(args[i + 1]!));
    } else {
      return Errors.syntax;
    }
  }
  const core = ctx.core;
  // The core cursor is 32 bits; higher bits of a client's cursor select no
  // bucket in any table this core can hold, and Redis's step discards them.
  // A count beyond 2^28 already covers any table the core can hold.
  const next = core.x.ks_scan(ctx.db, Number(cursor & 0xffffffffn), Math.min(count, 1 << 28));
  const found: Array<{ key: Uint8Array; type: number; expired: boolean }> = [];
  const out = core.output();
  while (!out.done) {
    const key = out.bytes();
    const word = out.u32();
    found.push({ key, type: word & 0xff, expired: (word & SCAN_EXPIRED_FLAG) !== 0 });
  }
  // Filter in Redis's order: pattern, then type (a lookup, which expires the
  // key, so an expired key has type "none"), then expiry: an expired key
  // still stored is left out (and expired; a follower only hides it).
  const result: Uint8Array[] = [];
  for (const { key, type, expired } of found) {
    if (pattern !== null && !globMatch(pattern, key)) continue;
    if (typeName !== null) {
      let name: string;
      if (expired) {
        ctx.findNoTouch(key);
        name = "none";
      } else {
        name = TYPE_NAMES[type] ?? "none";
      }
      if (name !== typeName) continue;
    }
    if (expired && ctx.core.x.ks_peek(ctx.db, ctx.core.stage1(key), key.length) !== 0) {
      ctx.findNoTouch(key);
      continue;
    }
    result.push(key);
  }
  return [new TextEncoder().encode(String(next)), result];
}

// RANDOMKEY
function randomkey(ctx: CommandContext): Reply {
  const e = ctx.core.x.ks_random_key(ctx.db);
  return e === 0 ? null : ctx.core.entryKey(e);
}

// ---- expiry ---------------------------------------------------------------

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/**
 * EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX | XX | GT | LT], as
 * Redis's expireGenericCommand: options, then the number, then overflow in
 * the unit conversion or when adding the base time, then the key.
 */
function expireGeneric(ctx: CommandContext, args: Uint8Array[], relative: boolean, seconds: boolean): Reply {
  let flags = 0;
  for (let i = 3; i < args.length; i++) {
    const a = cString(args[i]!);
    if (isWord(a, "nx")) flags |= EXPIRE_NX;
    else if (isWord(a, "xx")) flags |= EXPIRE_XX;
    else if (isWord(a, "gt")) flags |= EXPIRE_GT;
    else if (isWord(a, "lt")) flags |= EXPIRE_LT;
    else return new ErrorReply(`ERR Unsupported option ${ascii(a).replace(/[\r\n]/g, " ")}`);
  }
  if ((flags & EXPIRE_NX) !== 0 && (flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) !== 0) {
    return new ErrorReply("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if ((flags & EXPIRE_GT) !== 0 && (flags & EXPIRE_LT) !== 0) {
    return new ErrorReply("ERR GT and LT options at the same time are not compatible");
  }
  let when = parseI64(args[2]!);
  if (when === null) return Errors.notInteger;
  if (seconds) {
    if (when > I64_MAX / 1000n || when < I64_MIN / 1000n) return Errors.invalidExpire(ctx.name);
    when *= 1000n;
  }
  const base = relative ? BigInt(Math.floor(ctx.now)) : 0n;
  if (when > I64_MAX - base) return Errors.invalidExpire(ctx.name);
  when += base;

  const key = args[1]!;
  const x = ctx.core.x;
  const e = ctx.find(key);
  if (e === 0) return 0;
  if (flags !== 0) {
    const current = x.ks_get_expire_i64(ctx.db, e);
    if ((flags & EXPIRE_NX) !== 0 && current !== -1n) return 0;
    if ((flags & EXPIRE_XX) !== 0 && current === -1n) return 0;
    // No expiry counts as an infinite one: never less, never greater.
    if ((flags & EXPIRE_GT) !== 0 && (current === -1n || when <= current)) return 0;
    if ((flags & EXPIRE_LT) !== 0 && current !== -1n && when >= current) return 0;
  }
  ctx.dirty++;
  // A record applied from the log (recovery, a follower) sets the time the
  // primary set, even one past here: the key lives on until the primary's DEL
  // comes, as in Redis (checkAlreadyExpired is false while loading and on a replica).
  if (when <= BigInt(Math.floor(ctx.now)) && !ctx.engine.applyingLog) {
    x.ks_delete_entry(ctx.db, e);
    ctx.notify(NotifyClass.generic, "del", key);
    ctx.rewrite("DEL", key);
    return 1;
  }
  x.ks_set_expire_i64(ctx.db, e, when);
  ctx.notify(NotifyClass.generic, "expire", key);
  ctx.rewrite("PEXPIREAT", key, String(when), ...args.slice(3));
  return 1;
}

function expire(ctx: CommandContext, args: Uint8Array[]): Reply {
  return expireGeneric(ctx, args, true, true);
}
function pexpire(ctx: CommandContext, args: Uint8Array[]): Reply {
  return expireGeneric(ctx, args, true, false);
}
function expireat(ctx: CommandContext, args: Uint8Array[]): Reply {
  return expireGeneric(ctx, args, false, true);
}
function pexpireat(ctx: CommandContext, args: Uint8Array[]): Reply {
  return expireGeneric(ctx, args, false, false);
}

/** TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 if no key, -1 if no expiry. */
function ttlGeneric(ctx: CommandContext, args: Uint8Array[], milliseconds: boolean, absolute: boolean): Reply {
  const e = ctx.findNoTouch(args[1]!);
  if (e === 0) return -2;
  const at = ctx.core.x.ks_get_expire_i64(ctx.db, e);
  if (at === -1n) return -1;
  let ttl = absolute ? at : at - BigInt(Math.floor(ctx.now));
  if (ttl < 0n) ttl = 0n;
  const result = milliseconds ? ttl : (ttl + 500n) / 1000n;
  return Number.isSafeInteger(Number(result)) ? Number(result) : result;
}

function ttl(ctx: CommandContext, args: Uint8Array[]): Reply {
  return ttlGeneric(ctx, args, false, false);
}
function pttl(ctx: CommandContext, args: Uint8Array[]): Reply {
  return ttlGeneric(ctx, args, true, false);
}
function expiretime(ctx: CommandContext, args: Uint8Array[]): Reply {
  return ttlGeneric(ctx, args, false, true);
}
function pexpiretime(ctx: CommandContext, args: Uint8Array[]): Reply {
  return ttlGeneric(ctx, args, true, true);
}

// PERSIST key
function persist(ctx: CommandContext, args: Uint8Array[]): Reply {
  const e = ctx.find(args[1]!);
  if (e === 0) return 0;
  if (ctx.core.x.ks_persist(ctx.db, e) === 0) return 0;
  ctx.dirty++;
  ctx.notify(NotifyClass.generic, "persist", args[1]!);
  return 1;
}

// ---- OBJECT ---------------------------------------------------------------

// Redis shares one object for each integer 0..9999 (refcount INT_MAX) unless
// an LRU or LFU policy with maxmemory needs per-key access times.
const SHARED_INTEGERS = 10000n;
const SHARED_REFCOUNT = 2147483647;

function usesLfu(ctx: CommandContext): boolean {
  return (ctx.engine.maxmemoryPolicy as string).endsWith("-lfu");
}

// OBJECT ENCODING key
function objectEncoding(ctx: CommandContext, args: Uint8Array[]): Reply {
  const e = ctx.findNoTouch(args[2]!);
  if (e === 0) return null;
  const x = ctx.core.x;
  return new TextEncoder().encode(encodingName(x.ks_entry_type(e), x.ks_entry_encoding(e)));
}

// OBJECT REFCOUNT key
function objectRefcount(ctx: CommandContext, args: Uint8Array[]): Reply {
  const e = ctx.findNoTouch(args[2]!);
  if (e === 0) return null;
  const x = ctx.core.x;
  if (x.ks_entry_type(e) === ValueType.string && encodingName(ValueType.string, x.ks_entry_encoding(e)) === "int") {
    const policy = ctx.engine.maxmemoryPolicy as string;
    const perKeyAccess = ctx.engine.maxmemory > 0 && (policy.endsWith("-lru") || policy.endsWith("-lfu"));
    const v = parseI64(ctx.core.entryString(e));
    if (!perKeyAccess && v !== null && v >= 0n && v < SHARED_INTEGERS) return SHARED_REFCOUNT;
  }
  return 1;
}

// OBJECT IDLETIME key
function objectIdletime(ctx: CommandContext, args: Uint8Array[]): Reply {
  const e = ctx.findNoTouch(args[2]!);
  if (e === 0) return null;
  if (usesLfu(ctx)) return lfuSelected;
  return ctx.core.x.ks_entry_idle_seconds(e);
}

// OBJECT FREQ key
function objectFreq(ctx: CommandContext, args: Uint8Array[]): Reply {
  const e = ctx.findNoTouch(args[2]!);
  if (e === 0) return null;
  // No LFU policy exists in this engine yet, so access frequency is never tracked.
  return lfuNotSelected;
}

const OBJECT_HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
].map((line) => new SimpleString(line));

// OBJECT HELP
function objectHelp(): Reply {
  return OBJECT_HELP;
}

// OBJECT alone is resolved to a subcommand by the engine; this is never called.
function objectContainer(): Reply {
  return Errors.syntax;
}

const objectKeyed = {
  arity: 3, flags: ["readonly"], keys: [range(2, 2)], acl: ["keyspace", "read", "slow"], group: "generic",
} as const;

export const keyCommands: CommandDef[] = [
  {
    name: "del", arity: -2, flags: ["write"], keys: [range(1, -1)],
    acl: ["keyspace", "write", "slow"], group: "generic", since: "1.0.0", complexity: "O(N) where N is the number of keys that will be removed.",
    summary: "Deletes one or more keys.", handler: del,
  },
  {
    name: "unlink", arity: -2, flags: ["write", "fast"], keys: [range(1, -1)],
    acl: ["keyspace", "write", "fast"], group: "generic", since: "4.0.0",
    complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
    summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", handler: del,
  },
  {
    name: "exists", arity: -2, flags: ["readonly", "fast"], keys: [range(1, -1)],
    acl: ["keyspace", "read", "fast"], group: "generic", since: "1.0.0", complexity: "O(N) where N is the number of keys to check.",
    summary: "Determines whether one or more keys exist.", handler: exists,
  },
  {
    name: "touch", arity: -2, flags: ["readonly", "fast"], keys: [range(1, -1)],
    acl: ["keyspace", "read", "fast"], group: "generic", since: "3.2.1", complexity: "O(N) where N is the number of keys that will be touched.",
    summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.", handler: touch,
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
  {
    name: "rename", arity: 3, flags: ["write"], keys: [range(1, 1), range(2, 2)],
    acl: ["keyspace", "write", "slow"], group: "generic", since: "1.0.0", complexity: "O(1)",
    summary: "Rename a key", handler: rename,
  },
  {
    name: "renamenx", arity: 3, flags: ["write", "fast"], keys: [range(1, 1), range(2, 2)],
    acl: ["keyspace", "write", "fast"], group: "generic", since: "1.0.0", complexity: "O(1)",
    summary: "Rename a key, only if the new key does not exist", handler: renamenx,
  },
  {
    name: "move", arity: 3, flags: ["write", "fast"], keys: [range(1, 1)],
    acl: ["keyspace", "write", "fast"], group: "generic", since: "1.0.0", complexity: "O(1)",
    summary: "Move a key to another database", handler: move,
  },
  {
    name: "copy", arity: -3, flags: ["write", "denyoom"], keys: [range(1, 1), range(2, 2)],
    acl: ["keyspace", "write", "slow"], group: "generic", since: "6.2.0",
    complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
    summary: "Copy a key", handler: copy,
  },
  {
    name: "swapdb", arity: 3, flags: ["write", "fast"], keys: [],
    acl: ["keyspace", "write", "fast", "dangerous"], group: "server", since: "4.0.0",
    complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
    summary: "Swaps two Redis databases", handler: swapdb,
  },
  {
    name: "keys", arity: 2, flags: ["readonly"], keys: [],
    acl: ["keyspace", "read", "slow", "dangerous"], group: "generic", since: "1.0.0",
    complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
    summary: "Find all keys matching the given pattern", handler: keys,
  },
  {
    name: "scan", arity: -2, flags: ["readonly"], keys: [],
    acl: ["keyspace", "read", "slow"], group: "generic", since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
    summary: "Incrementally iterate the keys space", handler: scan,
  },
  {
    name: "randomkey", arity: 1, flags: ["readonly"], keys: [],
    acl: ["keyspace", "read", "slow"], group: "generic", since: "1.0.0", complexity: "O(1)",
    summary: "Return a random key from the keyspace", handler: randomkey,
  },
  {
    name: "expire", arity: -3, flags: ["write", "fast"], keys: [range(1, 1)],
    acl: ["keyspace", "write", "fast"], group: "generic", since: "1.0.0", complexity: "O(1)",
    summary: "Set a key's time to live in seconds", handler: expire,
  },
  {
    name: "pexpire", arity: -3, flags: ["write", "fast"], keys: [range(1, 1)],
    acl: ["keyspace", "write", "fast"], group: "generic", since: "2.6.0", complexity: "O(1)",
    summary: "Set a key's time to live in milliseconds", handler: pexpire,
  },
  {
    name: "expireat", arity: -3, flags: ["write", "fast"], keys: [range(1, 1)],
    acl: ["keyspace", "write", "fast"], group: "generic", since: "1.2.0", complexity: "O(1)",
    summary: "Set the expiration for a key as a UNIX timestamp", handler: expireat,
  },
  {
    name: "pexpireat", arity: -3, flags: ["write", "fast"], keys: [range(1, 1)],
    acl: ["keyspace", "write", "fast"], group: "generic", since: "2.6.0", complexity: "O(1)",
    summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds", handler: pexpireat,
  },
  {
    name: "ttl", arity: 2, flags: ["readonly", "fast"], keys: [range(1, 1)],
    acl: ["keyspace", "read", "fast"], group: "generic", since: "1.0.0", complexity: "O(1)",
    summary: "Get the time to live for a key in seconds", handler: ttl,
  },
  {
    name: "pttl", arity: 2, flags: ["readonly", "fast"], keys: [range(1, 1)],
    acl: ["keyspace", "read", "fast"], group: "generic", since: "2.6.0", complexity: "O(1)",
    summary: "Get the time to live for a key in milliseconds", handler: pttl,
  },
  {
    name: "expiretime", arity: 2, flags: ["readonly", "fast"], keys: [range(1, 1)],
    acl: ["keyspace", "read", "fast"], group: "generic", since: "7.0.0", complexity: "O(1)",
    summary: "Get the expiration Unix timestamp for a key", handler: expiretime,
  },
  {
    name: "pexpiretime", arity: 2, flags: ["readonly", "fast"], keys: [range(1, 1)],
    acl: ["keyspace", "read", "fast"], group: "generic", since: "7.0.0", complexity: "O(1)",
    summary: "Get the expiration Unix timestamp for a key in milliseconds", handler: pexpiretime,
  },
  {
    name: "persist", arity: 2, flags: ["write", "fast"], keys: [range(1, 1)],
    acl: ["keyspace", "write", "fast"], group: "generic", since: "2.2.0", complexity: "O(1)",
    summary: "Remove the expiration from a key", handler: persist,
  },
  {
    name: "object", arity: -2, flags: [], keys: [],
    acl: ["slow"], group: "generic", since: "2.2.3", complexity: "Depends on subcommand.",
    summary: "A container for object introspection commands", handler: objectContainer,
    subcommands: [
      {
        name: "object|encoding", ...objectKeyed, since: "2.2.3", complexity: "O(1)",
        summary: "Inspect the internal encoding of a Redis object", handler: objectEncoding,
      },
      {
        name: "object|freq", ...objectKeyed, since: "4.0.0", complexity: "O(1)",
        summary: "Get the logarithmic access frequency counter of a Redis object", handler: objectFreq,
      },
      {
        name: "object|help", arity: 2, flags: ["loading", "stale"], keys: [],
        acl: ["keyspace", "slow"], group: "generic", since: "6.2.0", complexity: "O(1)",
        summary: "Show helpful text about the different subcommands", handler: objectHelp,
      },
      {
        name: "object|idletime", ...objectKeyed, since: "2.2.3", complexity: "O(1)",
        summary: "Get the time since a Redis object was last accessed", handler: objectIdletime,
      },
      {
        name: "object|refcount", ...objectKeyed, since: "2.2.3", complexity: "O(1)",
        summary: "Get the number of references to the value of the key", handler: objectRefcount,
      },
    ],
  },
];
