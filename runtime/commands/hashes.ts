// Hash commands. A hash is a table of field -> value in the core
// (core-wasm/hash.ts); the keyspace entry points at it. Handlers validate
// every argument first, then make one batched core call per command and copy
// out only what the reply needs. HINCRBYFLOAT propagates the HSET of its
// result, so replay never redoes float arithmetic.

import type { CommandContext } from "../context.ts";
import { range, type CommandDef } from "./spec.ts";
import { ErrorReply, Errors, MapReply, OK, type Reply } from "../reply.ts";
import { ValueType } from "../core.ts";
import { ascii, isWord } from "../bytes.ts";
import { NotifyClass } from "../notify.ts";
import { addDecimalTexts, inI64Range, parseI64 } from "../numbers.ts";
import {
  ENC_HASHTABLE, stageRecords, readBulks, parseScanCursor, invalidCursor, coreCursor, parseScanOptions,
  matches, scanReply, parseRandomCount, deleteIfEmpty, RANDOM_REPLY_MAX, randomReplyTooLarge,
} from "./collections.ts";

/** The core's hash functions (core-wasm/hash.ts). */
interface HashExports {
  hash_new(): number;
  hash_len(h: number): number;
  hash_set(h: number, fptr: number, flen: number, vptr: number, vlen: number, nx: number): number;
  hash_set_batch(h: number, recs: number, pairs: number): number;
  hash_get(h: number, fptr: number, flen: number): number;
  hash_value_ptr(e: number): number;
  hash_value_len(e: number): number;
  hash_get_batch(h: number, recs: number, n: number): void;
  hash_del_batch(h: number, recs: number, n: number): number;
  hash_all(h: number, want: number): number;
  hash_scan(h: number, cursor: number, count: number): number;
  hash_random(h: number, count: number, unique: number, withValues: number): number;
}

const WANT_FIELDS = 1;
const WANT_VALUES = 2;

function hx(ctx: CommandContext): HashExports {
  return ctx.core.exportsAs<HashExports>();
}

interface FoundHash {
  entry: number;
  hash: number;
}

/** The hash at key (entry and object), null if absent, or WRONGTYPE. */
function lookupHash(ctx: CommandContext, key: Uint8Array): FoundHash | null | ErrorReply {
  const e = ctx.findTyped(key, ValueType.hash);
  if (e instanceof ErrorReply) return e;
  if (e === 0) return null;
  return { entry: e, hash: ctx.core.x.ks_entry_object(e) };
}

/** The hash at key, created empty if absent, or WRONGTYPE. */
function lookupOrCreateHash(ctx: CommandContext, key: Uint8Array): FoundHash | ErrorReply {
  const found = lookupHash(ctx, key);
  if (found !== null) return found;
  const h = hx(ctx).hash_new();
  const core = ctx.core;
  const e = core.x.ks_add_object(ctx.db, core.stage1(key), key.length, ValueType.hash, ENC_HASHTABLE, h);
  return { entry: e, hash: h };
}

/** The value of a field, copied out, or null. */
function getField(ctx: CommandContext, h: number, field: Uint8Array): Uint8Array | null {
  const x = hx(ctx);
  const e = x.hash_get(h, ctx.core.stage1(field), field.length);
  if (e === 0) return null;
  return ctx.core.bytes(x.hash_value_ptr(e), x.hash_value_len(e));
}

function setField(ctx: CommandContext, h: number, field: Uint8Array, value: Uint8Array): void {
  const core = ctx.core;
  core.stage(field, value);
  hx(ctx).hash_set(h, core.at[0]!, field.length, core.at[1]!, value.length, 0);
}

// HSET key field value [field value ...]
function hset(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length % 2 !== 0) return Errors.wrongArity(ctx.name);
  const found = lookupOrCreateHash(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  const pairs = (args.length - 2) / 2;
  const created = hx(ctx).hash_set_batch(found.hash, stageRecords(ctx.core, args, 2), pairs);
  ctx.notify(NotifyClass.hash, "hset", args[1]!);
  ctx.dirty += pairs;
  return ctx.name === "hmset" ? OK : created;
}

// HSETNX key field value
function hsetnx(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupHash(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  if (found !== null && getField(ctx, found.hash, args[2]!) !== null) return 0;
  const created = lookupOrCreateHash(ctx, args[1]!);
  if (created instanceof ErrorReply) return created;
  setField(ctx, created.hash, args[2]!, args[3]!);
  ctx.notify(NotifyClass.hash, "hset", args[1]!);
  ctx.dirty++;
  return 1;
}

// HGET key field
function hget(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupHash(ctx, args[1]!);
  if (found === null || found instanceof ErrorReply) return found;
  return getField(ctx, found.hash, args[2]!);
}

// HMGET key field [field ...]
function hmget(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupHash(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  const n = args.length - 2;
  const values: Reply[] = new Array(n).fill(null);
  if (found === null) return values;
  hx(ctx).hash_get_batch(found.hash, stageRecords(ctx.core, args, 2), n);
  const out = ctx.core.output();
  for (let i = 0; i < n; i++) {
    if (out.u32() === 1) values[i] = out.bytes();
  }
  return values;
}

// HDEL key field [field ...]
function hdel(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupHash(ctx, args[1]!);
  if (found === null || found instanceof ErrorReply) return found ?? 0;
  const x = hx(ctx);
  const deleted = x.hash_del_batch(found.hash, stageRecords(ctx.core, args, 2), args.length - 2);
  const removed = deleteIfEmpty(ctx, found.entry, x.hash_len(found.hash));
  if (deleted > 0) ctx.notify(NotifyClass.hash, "hdel", args[1]!);
  if (removed) ctx.notify(NotifyClass.generic, "del", args[1]!);
  ctx.dirty += deleted;
  return deleted;
}

// HLEN key
function hlen(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupHash(ctx, args[1]!);
  if (found === null || found instanceof ErrorReply) return found ?? 0;
  return hx(ctx).hash_len(found.hash);
}

// HSTRLEN key field
function hstrlen(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupHash(ctx, args[1]!);
  if (found === null || found instanceof ErrorReply) return found ?? 0;
  const x = hx(ctx);
  const field = args[2]!;
  const e = x.hash_get(found.hash, ctx.core.stage1(field), field.length);
  return e === 0 ? 0 : x.hash_value_len(e);
}

// HEXISTS key field
function hexists(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupHash(ctx, args[1]!);
  if (found === null || found instanceof ErrorReply) return found ?? 0;
  const field = args[2]!;
  return hx(ctx).hash_get(found.hash, ctx.core.stage1(field), field.length) === 0 ? 0 : 1;
}

/** Every field and/or value, as records read from the core. */
function readAll(ctx: CommandContext, h: number, want: number): Uint8Array[] {
  const n = hx(ctx).hash_all(h, want);
  return readBulks(ctx.core, want === (WANT_FIELDS | WANT_VALUES) ? n * 2 : n);
}

// HKEYS key
function hkeys(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupHash(ctx, args[1]!);
  if (found === null || found instanceof ErrorReply) return found ?? [];
  return readAll(ctx, found.hash, WANT_FIELDS);
}

// HVALS key
function hvals(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupHash(ctx, args[1]!);
  if (found === null || found instanceof ErrorReply) return found ?? [];
  return readAll(ctx, found.hash, WANT_VALUES);
}

// HGETALL key
function hgetall(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupHash(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  if (found === null) return new MapReply([]);
  const items = readAll(ctx, found.hash, WANT_FIELDS | WANT_VALUES);
  const entries: Array<[Reply, Reply]> = new Array(items.length / 2);
  for (let i = 0; i < entries.length; i++) entries[i] = [items[2 * i]!, items[2 * i + 1]!];
  return new MapReply(entries);
}

const hashNotInteger = new ErrorReply("ERR hash value is not an integer");
const hashNotFloat = new ErrorReply("ERR hash value is not a float");
const incrNotFinite = new ErrorReply("ERR value is NaN or Infinity");

// HINCRBY key field increment
function hincrby(ctx: CommandContext, args: Uint8Array[]): Reply {
  const incr = parseI64(args[3]!);
  if (incr === null) return Errors.notInteger;
  const found = lookupHash(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  let current = 0n;
  const old = found === null ? null : getField(ctx, found.hash, args[2]!);
  if (old !== null) {
    const parsed = parseI64(old);
    if (parsed === null) return hashNotInteger;
    current = parsed;
  }
  const result = current + incr;
  if (!inI64Range(result)) return Errors.overflow;
  const target = lookupOrCreateHash(ctx, args[1]!);
  if (target instanceof ErrorReply) return target;
  setField(ctx, target.hash, args[2]!, new TextEncoder().encode(String(result)));
  ctx.notify(NotifyClass.hash, "hincrby", args[1]!);
  ctx.dirty++;
  return result;
}

const INFINITY_TEXT = /^[+-]?inf(inity)?$/i;

// HINCRBYFLOAT key field increment
function hincrbyfloat(ctx: CommandContext, args: Uint8Array[]): Reply {
  const incrText = ascii(args[3]!);
  const incrCheck = addDecimalTexts("0", incrText);
  if (incrCheck === null) return Errors.notFloat;
  if (incrCheck === "overflow") return INFINITY_TEXT.test(incrText) ? incrNotFinite : Errors.notFloat;
  const found = lookupHash(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  let currentText = "0";
  const old = found === null ? null : getField(ctx, found.hash, args[2]!);
  if (old !== null) {
    currentText = ascii(old);
    if (addDecimalTexts(currentText, "0") === null) return hashNotFloat;
  }
  const sum = addDecimalTexts(currentText, incrText);
  if (sum === null) return hashNotFloat;
  if (sum === "overflow") return Errors.nanOrInfinity;
  const target = lookupOrCreateHash(ctx, args[1]!);
  if (target instanceof ErrorReply) return target;
  const value = new TextEncoder().encode(sum);
  setField(ctx, target.hash, args[2]!, value);
  ctx.notify(NotifyClass.hash, "hincrbyfloat", args[1]!);
  ctx.dirty++;
  ctx.rewrite("HSET", args[1]!, args[2]!, value);
  return value;
}

const randomWithValuesOutOfRange = new ErrorReply("ERR value is out of range");
// LONG_MAX / 2, the bound Redis puts on a count WITH VALUES (it doubles the reply).
const WITHVALUES_COUNT_MAX = 4611686018427387903n;

// HRANDFIELD key [count [WITHVALUES]]
function hrandfield(ctx: CommandContext, args: Uint8Array[]): Reply {
  let count = 0;
  let withValues = false;
  if (args.length >= 3) {
    const n = parseRandomCount(args[2]!);
    if (n instanceof ErrorReply) return n;
    if (args.length > 4 || (args.length === 4 && !isWord(args[3]!, "withvalues"))) return Errors.syntax;
    if (args.length === 4) {
      withValues = true;
      if (n < -WITHVALUES_COUNT_MAX || n > WITHVALUES_COUNT_MAX) return randomWithValuesOutOfRange;
    }
    count = Number(n);
  }
  const found = lookupHash(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  const x = hx(ctx);
  if (args.length === 2) {
    if (found === null) return null;
    x.hash_random(found.hash, 1, 1, 0);
    return readBulks(ctx.core, 1)[0]!;
  }
  if (found === null || count === 0) return [];
  const size = x.hash_len(found.hash);
  const unique = count > 0;
  const wanted = unique ? Math.min(count, size) : -count;
  if (wanted > RANDOM_REPLY_MAX) return randomReplyTooLarge;
  const n = x.hash_random(found.hash, wanted, unique ? 1 : 0, withValues ? 1 : 0);
  const items = readBulks(ctx.core, withValues ? n * 2 : n);
  if (!withValues) return items;
  if (ctx.session.protocol === 3) {
    const pairs: Reply[] = new Array(n);
    for (let i = 0; i < n; i++) pairs[i] = [items[2 * i]!, items[2 * i + 1]!];
    return pairs;
  }
  return items;
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
function hscan(ctx: CommandContext, args: Uint8Array[]): Reply {
  const cursor = parseScanCursor(args[2]!);
  if (cursor === null) return invalidCursor;
  const found = lookupHash(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  if (found === null) return scanReply(0, []);
  const options = parseScanOptions(args, 3);
  if (options instanceof ErrorReply) return options;
  const next = hx(ctx).hash_scan(found.hash, coreCursor(cursor), options.count);
  const out = ctx.core.output();
  const items: Reply[] = [];
  while (!out.done) {
    const field = out.bytes();
    const value = out.bytes();
    if (!matches(options.pattern, field)) continue;
    items.push(field, value);
  }
  return scanReply(next, items);
}

const key1 = [range(1, 1)];

export const hashCommands: CommandDef[] = [
  {
    name: "hset", arity: -4, flags: ["write", "denyoom", "fast"], keys: key1,
    acl: ["write", "hash", "fast"], group: "hash", since: "2.0.0",
    complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
    summary: "Set the string value of a hash field", handler: hset,
  },
  {
    name: "hsetnx", arity: 4, flags: ["write", "denyoom", "fast"], keys: key1,
    acl: ["write", "hash", "fast"], group: "hash", since: "2.0.0", complexity: "O(1)",
    summary: "Set the value of a hash field, only if the field does not exist", handler: hsetnx,
  },
  {
    name: "hget", arity: 3, flags: ["readonly", "fast"], keys: key1,
    acl: ["read", "hash", "fast"], group: "hash", since: "2.0.0", complexity: "O(1)",
    summary: "Get the value of a hash field", handler: hget,
  },
  {
    name: "hmget", arity: -3, flags: ["readonly", "fast"], keys: key1,
    acl: ["read", "hash", "fast"], group: "hash", since: "2.0.0", complexity: "O(N) where N is the number of fields being requested.",
    summary: "Get the values of all the given hash fields", handler: hmget,
  },
  {
    name: "hmset", arity: -4, flags: ["write", "denyoom", "fast"], keys: key1,
    acl: ["write", "hash", "fast"], group: "hash", since: "2.0.0", complexity: "O(N) where N is the number of fields being set.",
    summary: "Set multiple hash fields to multiple values", handler: hset,
  },
  {
    name: "hdel", arity: -3, flags: ["write", "fast"], keys: key1,
    acl: ["write", "hash", "fast"], group: "hash", since: "2.0.0", complexity: "O(N) where N is the number of fields to be removed.",
    summary: "Delete one or more hash fields", handler: hdel,
  },
  {
    name: "hlen", arity: 2, flags: ["readonly", "fast"], keys: key1,
    acl: ["read", "hash", "fast"], group: "hash", since: "2.0.0", complexity: "O(1)",
    summary: "Get the number of fields in a hash", handler: hlen,
  },
  {
    name: "hstrlen", arity: 3, flags: ["readonly", "fast"], keys: key1,
    acl: ["read", "hash", "fast"], group: "hash", since: "3.2.0", complexity: "O(1)",
    summary: "Get the length of the value of a hash field", handler: hstrlen,
  },
  {
    name: "hexists", arity: 3, flags: ["readonly", "fast"], keys: key1,
    acl: ["read", "hash", "fast"], group: "hash", since: "2.0.0", complexity: "O(1)",
    summary: "Determine if a hash field exists", handler: hexists,
  },
  {
    name: "hkeys", arity: 2, flags: ["readonly"], keys: key1,
    acl: ["read", "hash", "slow"], group: "hash", since: "2.0.0", complexity: "O(N) where N is the size of the hash.",
    summary: "Get all the fields in a hash", handler: hkeys,
  },
  {
    name: "hvals", arity: 2, flags: ["readonly"], keys: key1,
    acl: ["read", "hash", "slow"], group: "hash", since: "2.0.0", complexity: "O(N) where N is the size of the hash.",
    summary: "Get all the values in a hash", handler: hvals,
  },
  {
    name: "hgetall", arity: 2, flags: ["readonly"], keys: key1,
    acl: ["read", "hash", "slow"], group: "hash", since: "2.0.0", complexity: "O(N) where N is the size of the hash.",
    summary: "Get all the fields and values in a hash", handler: hgetall,
  },
  {
    name: "hincrby", arity: 4, flags: ["write", "denyoom", "fast"], keys: key1,
    acl: ["write", "hash", "fast"], group: "hash", since: "2.0.0", complexity: "O(1)",
    summary: "Increment the integer value of a hash field by the given number", handler: hincrby,
  },
  {
    name: "hincrbyfloat", arity: 4, flags: ["write", "denyoom", "fast"], keys: key1,
    acl: ["write", "hash", "fast"], group: "hash", since: "2.6.0", complexity: "O(1)",
    summary: "Increment the float value of a hash field by the given amount", handler: hincrbyfloat,
  },
  {
    name: "hrandfield", arity: -2, flags: ["readonly"], keys: key1,
    acl: ["read", "hash", "slow"], group: "hash", since: "6.2.0", complexity: "O(N) where N is the number of fields returned",
    summary: "Get one or multiple random fields from a hash", handler: hrandfield,
  },
  {
    name: "hscan", arity: -3, flags: ["readonly"], keys: key1,
    acl: ["read", "hash", "slow"], group: "hash", since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    summary: "Incrementally iterate hash fields and associated values", handler: hscan,
  },
];
