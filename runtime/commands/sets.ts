// Set commands. A set is a table of members in the core (core-wasm/set.ts);
// the keyspace entry points at it. Intersections, unions and differences run
// entirely in the core over the set objects of the keys (the smallest set
// first for SINTER); only the result is copied out, or nothing at all for the
// *STORE commands. SPOP propagates SREM of the members it chose (or DEL when
// it took them all), so replay does not depend on chance.

import { registerZsetSource } from "./zsets.ts";
import type { CommandContext } from "../context.ts";
import { keynum, range, type CommandDef } from "./spec.ts";
import { ErrorReply, Errors, SetReply, type Reply } from "../reply.ts";
import { ValueType } from "../core.ts";
import { parseLong } from "../numbers.ts";
import { isWord } from "../bytes.ts";
import { NotifyClass } from "../notify.ts";
import {
  ENC_HASHTABLE, stageRecords, stagePointers, readBulks, parseScanCursor, invalidCursor, coreCursor,
  parseScanOptions, matches, scanReply, parseRandomCount, deleteIfEmpty, RANDOM_REPLY_MAX, randomReplyTooLarge,
} from "./collections.ts";

/** The core's set functions (core-wasm/set.ts). */
interface SetExports {
  set_new(): number;
  set_free(s: number): void;
  set_card(s: number): number;
  set_has(s: number, mptr: number, mlen: number): number;
  set_add(s: number, mptr: number, mlen: number): number;
  set_add_batch(s: number, recs: number, n: number): number;
  set_rem_batch(s: number, recs: number, n: number): number;
  set_has_batch(s: number, recs: number, n: number): void;
  set_members(s: number): number;
  set_scan(s: number, cursor: number, count: number): number;
  set_random(s: number, count: number, unique: number): number;
  set_pop(s: number, count: number): number;
  set_inter(sets: number, n: number, limit: number, dst: number, countOnly: number): number;
  set_union(sets: number, n: number, dst: number): number;
  set_diff(sets: number, n: number, dst: number): number;
}

function sx(ctx: CommandContext): SetExports {
  return ctx.core.exportsAs<SetExports>();
}

interface FoundSet {
  entry: number;
  set: number;
}

/** The set at key (entry and object), null if absent, or WRONGTYPE. */
function lookupSet(ctx: CommandContext, key: Uint8Array): FoundSet | null | ErrorReply {
  const e = ctx.findTyped(key, ValueType.set);
  if (e instanceof ErrorReply) return e;
  if (e === 0) return null;
  return { entry: e, set: ctx.core.x.ks_entry_object(e) };
}

function addSetKey(ctx: CommandContext, key: Uint8Array, set: number): number {
  const core = ctx.core;
  return core.x.ks_add_object(ctx.db, core.stage1(key), key.length, ValueType.set, ENC_HASHTABLE, set);
}

/** Members as records read from the core's output after a call that wrote n of them. */
function members(ctx: CommandContext, n: number): Uint8Array[] {
  return readBulks(ctx.core, n);
}

// SADD key member [member ...]
function sadd(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupSet(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  const x = sx(ctx);
  let set: number;
  if (found === null) {
    set = x.set_new();
    addSetKey(ctx, args[1]!, set);
  } else {
    set = found.set;
  }
  const added = x.set_add_batch(set, stageRecords(ctx.core, args, 2), args.length - 2);
  if (added > 0) ctx.notify(NotifyClass.set, "sadd", args[1]!);
  ctx.dirty += added;
  return added;
}

// SREM key member [member ...]
function srem(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupSet(ctx, args[1]!);
  if (found === null || found instanceof ErrorReply) return found ?? 0;
  const x = sx(ctx);
  const removed = x.set_rem_batch(found.set, stageRecords(ctx.core, args, 2), args.length - 2);
  const emptied = deleteIfEmpty(ctx, found.entry, x.set_card(found.set));
  if (removed > 0) ctx.notify(NotifyClass.set, "srem", args[1]!);
  if (emptied) ctx.notify(NotifyClass.generic, "del", args[1]!);
  ctx.dirty += removed;
  return removed;
}

// SCARD key
function scard(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupSet(ctx, args[1]!);
  if (found === null || found instanceof ErrorReply) return found ?? 0;
  return sx(ctx).set_card(found.set);
}

// SISMEMBER key member
function sismember(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupSet(ctx, args[1]!);
  if (found === null || found instanceof ErrorReply) return found ?? 0;
  const member = args[2]!;
  return sx(ctx).set_has(found.set, ctx.core.stage1(member), member.length);
}

// SMISMEMBER key member [member ...]
function smismember(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupSet(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  const n = args.length - 2;
  const replies: Reply[] = new Array(n).fill(0);
  if (found === null) return replies;
  sx(ctx).set_has_batch(found.set, stageRecords(ctx.core, args, 2), n);
  const out = ctx.core.output();
  for (let i = 0; i < n; i++) replies[i] = out.u32();
  return replies;
}

// SMEMBERS key
function smembers(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookupSet(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  if (found === null) return new SetReply([]);
  return new SetReply(members(ctx, sx(ctx).set_members(found.set)));
}

// Members per propagated SREM when SPOP takes many, so no record grows without bound.
const SPOP_PROPAGATE_BATCH = 1024;

// SPOP key [count]
function spop(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length > 3) return Errors.syntax;
  const key = args[1]!;
  const x = sx(ctx);
  if (args.length === 2) {
    const found = lookupSet(ctx, key);
    if (found === null || found instanceof ErrorReply) return found;
    x.set_pop(found.set, 1);
    const member = members(ctx, 1)[0]!;
    const emptied = deleteIfEmpty(ctx, found.entry, x.set_card(found.set));
    ctx.notify(NotifyClass.set, "spop", key);
    if (emptied) ctx.notify(NotifyClass.generic, "del", key);
    ctx.dirty++;
    ctx.rewrite("SREM", key, member);
    return member;
  }
  const count = parseLong(args[2]!);
  if (count === null || count < 0) return Errors.mustBePositive;
  const found = lookupSet(ctx, key);
  if (found instanceof ErrorReply) return found;
  if (found === null || count === 0) return new SetReply([]);
  const size = x.set_card(found.set);
  ctx.notify(NotifyClass.set, "spop", key);
  if (count >= size) {
    const all = members(ctx, x.set_members(found.set));
    ctx.core.x.ks_delete_entry(ctx.db, found.entry);
    ctx.notify(NotifyClass.generic, "del", key);
    ctx.dirty++;
    ctx.rewrite("DEL", key);
    return new SetReply(all);
  }
  const popped = members(ctx, x.set_pop(found.set, count));
  ctx.dirty++;
  for (let i = 0; i < popped.length; i += SPOP_PROPAGATE_BATCH) {
    ctx.propagate(ctx.db, "SREM", key, ...popped.slice(i, i + SPOP_PROPAGATE_BATCH));
  }
  return new SetReply(popped);
}

// SRANDMEMBER key [count]
function srandmember(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length > 3) return Errors.syntax;
  const x = sx(ctx);
  if (args.length === 2) {
    const found = lookupSet(ctx, args[1]!);
    if (found === null || found instanceof ErrorReply) return found;
    x.set_random(found.set, 1, 1);
    return members(ctx, 1)[0]!;
  }
  const parsed = parseRandomCount(args[2]!);
  if (parsed instanceof ErrorReply) return parsed;
  const count = Number(parsed);
  const found = lookupSet(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  if (found === null || count === 0) return [];
  const unique = count > 0;
  const wanted = unique ? Math.min(count, x.set_card(found.set)) : -count;
  if (wanted > RANDOM_REPLY_MAX) return randomReplyTooLarge;
  return members(ctx, x.set_random(found.set, wanted, unique ? 1 : 0));
}

// SMOVE source destination member
function smove(ctx: CommandContext, args: Uint8Array[]): Reply {
  const src = lookupSet(ctx, args[1]!);
  const dstEntry = ctx.find(args[2]!);
  if (src === null) return 0;
  if (src instanceof ErrorReply) return src;
  if (dstEntry !== 0 && ctx.core.x.ks_entry_type(dstEntry) !== ValueType.set) return Errors.wrongType;
  const x = sx(ctx);
  const core = ctx.core;
  const member = args[3]!;
  const dstSet = dstEntry === 0 ? 0 : core.x.ks_entry_object(dstEntry);
  if (dstSet === src.set) return x.set_has(src.set, core.stage1(member), member.length);
  if (x.set_rem_batch(src.set, stageRecords(core, args, 3), 1) === 0) return 0;
  ctx.notify(NotifyClass.set, "srem", args[1]!);
  if (deleteIfEmpty(ctx, src.entry, x.set_card(src.set))) ctx.notify(NotifyClass.generic, "del", args[1]!);
  let target = dstSet;
  if (target === 0) {
    target = x.set_new();
    addSetKey(ctx, args[2]!, target);
  }
  if (x.set_add(target, core.stage1(member), member.length) === 1) ctx.notify(NotifyClass.set, "sadd", args[2]!);
  ctx.dirty++;
  return 1;
}

/**
 * The set objects of keys, in order, with null for a missing key; or
 * WRONGTYPE if any key holds another type (checked for every key, as Redis).
 * `reportMisses`: a write command's read lookups, whose misses it reports
 * (the engine reports those of read-only commands).
 */
function lookupSets(ctx: CommandContext, keys: readonly Uint8Array[], reportMisses = false): Array<number | null> | ErrorReply {
  const sets: Array<number | null> = [];
  for (const key of keys) {
    const found = lookupSet(ctx, key);
    if (found === null && reportMisses) ctx.keyMiss(key);
    if (found instanceof ErrorReply) return found;
    sets.push(found === null ? null : found.set);
  }
  return sets;
}

type SetOp = "inter" | "union" | "diff";

/**
 * Computes an operation over the sets of keys. With `store`, returns a new
 * set object holding the result (possibly empty); without, writes the
 * members to the core's output and returns their count.
 */
function compute(ctx: CommandContext, op: SetOp, sets: Array<number | null>, store: boolean): number {
  const x = sx(ctx);
  const dst = store ? x.set_new() : 0;
  const present = sets.filter((s): s is number => s !== null);
  let count = 0;
  if (op === "inter") {
    if (present.length === sets.length) count = x.set_inter(stagePointers(ctx.core, present), present.length, 0, dst, 0);
  } else if (op === "union") {
    const tmp = dst !== 0 ? dst : x.set_new();
    count = x.set_union(stagePointers(ctx.core, present), present.length, tmp);
    if (dst === 0) {
      x.set_members(tmp);
      x.set_free(tmp);
    }
  } else if (sets[0] !== null) {
    count = x.set_diff(stagePointers(ctx.core, present), present.length, dst);
  }
  return store ? dst : count;
}

function readGeneric(ctx: CommandContext, op: SetOp, keys: readonly Uint8Array[]): Reply {
  const sets = lookupSets(ctx, keys);
  if (sets instanceof ErrorReply) return sets;
  return new SetReply(members(ctx, compute(ctx, op, sets, false)));
}

/** A STORE command: the result replaces the destination ("<op>store"), or an empty one deletes it ("del"). */
function storeGeneric(ctx: CommandContext, op: SetOp, dstKey: Uint8Array, keys: readonly Uint8Array[]): Reply {
  const sets = lookupSets(ctx, keys, true);
  if (sets instanceof ErrorReply) return sets;
  const x = sx(ctx);
  const result = compute(ctx, op, sets, true);
  const size = x.set_card(result);
  const old = ctx.find(dstKey);
  if (old !== 0) {
    ctx.core.x.ks_delete_entry(ctx.db, old);
    ctx.dirty++;
  }
  if (size === 0) {
    x.set_free(result);
    if (old !== 0) ctx.notify(NotifyClass.generic, "del", dstKey);
    return 0;
  }
  ctx.withoutNewKeyEvents(old !== 0, () => addSetKey(ctx, dstKey, result));
  ctx.notify(NotifyClass.set, `s${op}store`, dstKey);
  ctx.dirty++;
  return size;
}

// SINTER key [key ...]
function sinter(ctx: CommandContext, args: Uint8Array[]): Reply {
  return readGeneric(ctx, "inter", args.slice(1));
}
// SUNION key [key ...]
function sunion(ctx: CommandContext, args: Uint8Array[]): Reply {
  return readGeneric(ctx, "union", args.slice(1));
}
// SDIFF key [key ...]
function sdiff(ctx: CommandContext, args: Uint8Array[]): Reply {
  return readGeneric(ctx, "diff", args.slice(1));
}
// SINTERSTORE destination key [key ...]
function sinterstore(ctx: CommandContext, args: Uint8Array[]): Reply {
  return storeGeneric(ctx, "inter", args[1]!, args.slice(2));
}
// SUNIONSTORE destination key [key ...]
function sunionstore(ctx: CommandContext, args: Uint8Array[]): Reply {
  return storeGeneric(ctx, "union", args[1]!, args.slice(2));
}
// SDIFFSTORE destination key [key ...]
function sdiffstore(ctx: CommandContext, args: Uint8Array[]): Reply {
  return storeGeneric(ctx, "diff", args[1]!, args.slice(2));
}

const numkeysNotPositive = new ErrorReply("ERR numkeys should be greater than 0");
const tooManyNumkeys = new ErrorReply("ERR Number of keys can't be greater than number of args");
const limitNegative = new ErrorReply("ERR LIMIT can't be negative");

// SINTERCARD numkeys key [key ...] [LIMIT limit]
function sintercard(ctx: CommandContext, args: Uint8Array[]): Reply {
  const numkeys = parseLong(args[1]!);
  if (numkeys === null || numkeys < 1) return numkeysNotPositive;
  if (numkeys > args.length - 2) return tooManyNumkeys;
  let limit = 0;
  for (let i = 2 + numkeys; i < args.length; i++) {
    if (isWord(args[i]!, "limit") && i + 1 < args.length) {
      const n = parseLong(args[++i]!);
      if (n === null || n < 0) return limitNegative;
      limit = n;
    } else {
      return Errors.syntax;
    }
  }
  const sets = lookupSets(ctx, args.slice(2, 2 + numkeys));
  if (sets instanceof ErrorReply) return sets;
  if (sets.includes(null)) return 0;
  const present = sets as number[];
  // The core counts in 32 bits; no set holds more members than that.
  const coreLimit = Math.min(limit, 0xffffffff);
  return sx(ctx).set_inter(stagePointers(ctx.core, present), present.length, coreLimit, 0, 1);
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
function sscan(ctx: CommandContext, args: Uint8Array[]): Reply {
  const cursor = parseScanCursor(args[2]!);
  if (cursor === null) return invalidCursor;
  const found = lookupSet(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  if (found === null) return scanReply(0, []);
  const options = parseScanOptions(args, 3);
  if (options instanceof ErrorReply) return options;
  const next = sx(ctx).set_scan(found.set, coreCursor(cursor), options.count);
  const out = ctx.core.output();
  const items: Reply[] = [];
  while (!out.done) {
    const member = out.bytes();
    if (matches(options.pattern, member)) items.push(member);
  }
  return scanReply(next, items);
}

const key1 = [range(1, 1)];
const allKeys = [range(1, -1)];
const storeKeys = [range(1, 1), range(2, -1)];

export const setCommands: CommandDef[] = [
  {
    name: "sadd", arity: -3, flags: ["write", "denyoom", "fast"], keys: key1,
    acl: ["write", "set", "fast"], group: "set", since: "1.0.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    summary: "Add one or more members to a set", handler: sadd,
  },
  {
    name: "srem", arity: -3, flags: ["write", "fast"], keys: key1,
    acl: ["write", "set", "fast"], group: "set", since: "1.0.0", complexity: "O(N) where N is the number of members to be removed.",
    summary: "Remove one or more members from a set", handler: srem,
  },
  {
    name: "scard", arity: 2, flags: ["readonly", "fast"], keys: key1,
    acl: ["read", "set", "fast"], group: "set", since: "1.0.0", complexity: "O(1)",
    summary: "Get the number of members in a set", handler: scard,
  },
  {
    name: "sismember", arity: 3, flags: ["readonly", "fast"], keys: key1,
    acl: ["read", "set", "fast"], group: "set", since: "1.0.0", complexity: "O(1)",
    summary: "Determine if a given value is a member of a set", handler: sismember,
  },
  {
    name: "smismember", arity: -3, flags: ["readonly", "fast"], keys: key1,
    acl: ["read", "set", "fast"], group: "set", since: "6.2.0", complexity: "O(N) where N is the number of elements being checked for membership",
    summary: "Returns the membership associated with the given elements for a set", handler: smismember,
  },
  {
    name: "smembers", arity: 2, flags: ["readonly"], keys: key1,
    acl: ["read", "set", "slow"], group: "set", since: "1.0.0", complexity: "O(N) where N is the set cardinality.",
    summary: "Get all the members in a set", handler: smembers,
  },
  {
    name: "spop", arity: -2, flags: ["write", "fast"], keys: key1,
    acl: ["write", "set", "fast"], group: "set", since: "1.0.0",
    complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
    summary: "Remove and return one or multiple random members from a set", handler: spop,
  },
  {
    name: "srandmember", arity: -2, flags: ["readonly"], keys: key1,
    acl: ["read", "set", "slow"], group: "set", since: "1.0.0",
    complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
    summary: "Get one or multiple random members from a set", handler: srandmember,
  },
  {
    name: "smove", arity: 4, flags: ["write", "fast"], keys: [range(1, 1), range(2, 2)],
    acl: ["write", "set", "fast"], group: "set", since: "1.0.0", complexity: "O(1)",
    summary: "Move a member from one set to another", handler: smove,
  },
  {
    name: "sinter", arity: -2, flags: ["readonly"], keys: allKeys,
    acl: ["read", "set", "slow"], group: "set", since: "1.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    summary: "Intersect multiple sets", handler: sinter,
  },
  {
    name: "sintercard", arity: -3, flags: ["readonly", "movablekeys"], keys: [keynum(1, 1, 1)],
    acl: ["read", "set", "slow"], group: "set", since: "7.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    summary: "Intersect multiple sets and return the cardinality of the result", handler: sintercard,
  },
  {
    name: "sunion", arity: -2, flags: ["readonly"], keys: allKeys,
    acl: ["read", "set", "slow"], group: "set", since: "1.0.0", complexity: "O(N) where N is the total number of elements in all given sets.",
    summary: "Add multiple sets", handler: sunion,
  },
  {
    name: "sdiff", arity: -2, flags: ["readonly"], keys: allKeys,
    acl: ["read", "set", "slow"], group: "set", since: "1.0.0", complexity: "O(N) where N is the total number of elements in all given sets.",
    summary: "Subtract multiple sets", handler: sdiff,
  },
  {
    name: "sinterstore", arity: -3, flags: ["write", "denyoom"], keys: storeKeys,
    acl: ["write", "set", "slow"], group: "set", since: "1.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    summary: "Intersect multiple sets and store the resulting set in a key", handler: sinterstore,
  },
  {
    name: "sunionstore", arity: -3, flags: ["write", "denyoom"], keys: storeKeys,
    acl: ["write", "set", "slow"], group: "set", since: "1.0.0", complexity: "O(N) where N is the total number of elements in all given sets.",
    summary: "Add multiple sets and store the resulting set in a key", handler: sunionstore,
  },
  {
    name: "sdiffstore", arity: -3, flags: ["write", "denyoom"], keys: storeKeys,
    acl: ["write", "set", "slow"], group: "set", since: "1.0.0", complexity: "O(N) where N is the total number of elements in all given sets.",
    summary: "Subtract multiple sets and store the resulting set in a key", handler: sdiffstore,
  },
  {
    name: "sscan", arity: -3, flags: ["readonly"], keys: key1,
    acl: ["read", "set", "slow"], group: "set", since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    summary: "Incrementally iterate Set elements", handler: sscan,
  },
];

// A plain set is a valid source for ZUNION/ZINTER/ZDIFF, every member with score 1.
registerZsetSource(ValueType.set, (ctx, entry) => members(ctx, sx(ctx).set_members(ctx.core.x.ks_entry_object(entry))));
