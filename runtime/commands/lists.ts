// List commands, with Redis 7.0's semantics and error texts.
//
// The elements live in the core (core-wasm/list.ts); handlers parse and
// validate every argument, find the key, then make one core call per element
// pushed or one per range read, and read ranges back from the output buffer.
//
// The pop and push paths are plain functions (pushElements, popElements,
// moveElement, popFirstNonEmpty) so the blocking commands (BLPOP, BRPOP,
// BLMOVE, BLMPOP), which the server serves when a key gets elements, run the
// same code. What each propagates, as Redis 7.0 does:
//   LPOP/RPOP [count], LMOVE, RPOPLPUSH  -> themselves (they are deterministic)
//   LMPOP                                -> LPOP|RPOP key n, n being what it popped
//   BLPOP/BRPOP (later)                  -> LPOP|RPOP key
//   BLMPOP (later)                       -> LPOP|RPOP key n
//   BLMOVE/BRPOPLPUSH (later)            -> LMOVE/RPOPLPUSH
// Commands that change nothing (a pop of a missing key, LREM with no match,
// LTRIM keeping everything) leave ctx.dirty at 0 and propagate nothing.

import type { CommandContext } from "../context.ts";
import { keynum, range, type CommandDef } from "./spec.ts";
import { Errors, ErrorReply, NullArray, OK, type Reply } from "../reply.ts";
import { ValueType } from "../core.ts";
import { isWord } from "../bytes.ts";
import { parseI64, parseLong } from "../numbers.ts";
import { NotifyClass } from "../notify.ts";

/** The list functions of the core (core-wasm/list.ts). */
export interface ListCore {
  list_new(): number;
  list_len(l: number): number;
  list_push(l: number, where: number, ptr: number, len: number): number;
  list_pop(l: number, where: number, n: number): number;
  list_move(src: number, from: number, dst: number, to: number): number;
  list_range(l: number, start: number, n: number): number;
  list_set(l: number, index: number, ptr: number, len: number): void;
  list_insert(l: number, pivotPtr: number, pivotLen: number, ptr: number, len: number, after: number): number;
  list_remove(l: number, ptr: number, len: number, limit: number, fromTail: number): number;
  list_delete_range(l: number, start: number, n: number): void;
  list_pos(l: number, ptr: number, len: number, rank: number, count: number, maxlen: number, reverse: number): number;
  list_bytes(l: number): number;
  list_check(l: number): number;
}

/** OBJECT ENCODING tag of lists: "quicklist" (runtime/encodings.ts), as Redis 7.0 reports. */
const ENC_QUICKLIST = 0;

/** The end of a list: head ("left") or tail ("right"), numbered as the core does. */
export type End = 0 | 1;
export const HEAD: End = 0;
export const TAIL: End = 1;

// LPOS RANK of LONG_MIN: Redis negates it in place (undefined behaviour that
// wraps), which leaves a search from the tail that never stops on COUNT.
const LONG_MIN = -(1n << 63n);

const Msg = {
  mustBePositive: Errors.mustBePositive,
  numkeys: new ErrorReply("ERR numkeys should be greater than 0"),
  countPositive: new ErrorReply("ERR count should be greater than 0"),
  rankZero: new ErrorReply(
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... " +
    "or use negative to start from the end of the list",
  ),
  countNegative: new ErrorReply("ERR COUNT can't be negative"),
  maxlenNegative: new ErrorReply("ERR MAXLEN can't be negative"),
} as const;

function lists(ctx: CommandContext): ListCore {
  return ctx.core.exportsAs<ListCore>();
}

/** LEFT or RIGHT, or null (Redis answers a syntax error). */
export function parseEnd(arg: Uint8Array): End | null {
  if (isWord(arg, "left")) return HEAD;
  if (isWord(arg, "right")) return TAIL;
  return null;
}

/** The list object of an entry. */
function listOf(ctx: CommandContext, entry: number): number {
  return ctx.core.x.ks_entry_object(entry);
}

/** The entry of a list key, 0 if absent, or WRONGTYPE. */
export function findList(ctx: CommandContext, key: Uint8Array): number | ErrorReply {
  return ctx.findTyped(key, ValueType.list);
}

/** Creates an empty list at an absent key and returns its entry. */
function createList(ctx: CommandContext, key: Uint8Array): number {
  const core = ctx.core;
  const obj = lists(ctx).list_new();
  return core.x.ks_add_object(ctx.db, core.stage1(key), key.length, ValueType.list, ENC_QUICKLIST, obj);
}

/** Reads n length-prefixed elements the core wrote to the output. */
function readElements(ctx: CommandContext, n: number): Uint8Array[] {
  const out = ctx.core.output();
  const items: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) items[i] = out.bytes();
  return items;
}

/**
 * Pushes elements one by one at an end of the list at `key`, creating it
 * unless onlyIfExists (LPUSHX/RPUSHX). Returns the new length (0 when
 * onlyIfExists and the key is absent) or WRONGTYPE.
 */
export function pushElements(
  ctx: CommandContext, key: Uint8Array, elements: readonly Uint8Array[], end: End, onlyIfExists: boolean,
): number | ErrorReply {
  let entry = findList(ctx, key);
  if (entry instanceof ErrorReply) return entry;
  if (entry === 0) {
    if (onlyIfExists) return 0;
    entry = createList(ctx, key);
  }
  const l = listOf(ctx, entry);
  const core = ctx.core;
  const x = lists(ctx);
  let length = x.list_len(l);
  for (const element of elements) length = x.list_push(l, end, core.stage1(element), element.length);
  ctx.dirty += elements.length;
  ctx.notify(NotifyClass.list, end === HEAD ? "lpush" : "rpush", key);
  return length;
}

/** Deletes the key of a list that has become empty (a "del" event). */
function deleteIfEmpty(ctx: CommandContext, key: Uint8Array, entry: number): void {
  if (lists(ctx).list_len(listOf(ctx, entry)) !== 0) return;
  ctx.core.x.ks_delete_entry(ctx.db, entry);
  ctx.notify(NotifyClass.generic, "del", key);
}

/**
 * Pops up to `count` elements from an end of the list at `entry` (found
 * with findList, not empty), deletes the key if it empties, and returns the
 * elements in the order they came off.
 */
export function popElements(ctx: CommandContext, key: Uint8Array, entry: number, end: End, count: number): Uint8Array[] {
  const l = listOf(ctx, entry);
  const x = lists(ctx);
  const n = x.list_pop(l, end, Math.min(count, x.list_len(l)));
  const items = readElements(ctx, n);
  ctx.notify(NotifyClass.list, end === HEAD ? "lpop" : "rpop", key);
  deleteIfEmpty(ctx, key, entry);
  ctx.dirty += n;
  return items;
}

/**
 * LMOVE's core: pops from `srcKey` at `from` and pushes onto `dstKey` at
 * `to`. Null if the source is absent; WRONGTYPE if either key holds another
 * type (the source is checked first, as Redis does). Returns the element.
 */
export function moveElement(
  ctx: CommandContext, srcKey: Uint8Array, dstKey: Uint8Array, from: End, to: End,
): Uint8Array | null | ErrorReply {
  const src = findList(ctx, srcKey);
  if (src instanceof ErrorReply) return src;
  if (src === 0) return null;
  let dst = findList(ctx, dstKey);
  if (dst instanceof ErrorReply) return dst;
  if (dst === 0) dst = createList(ctx, dstKey);
  // Creating the destination added an entry but moved none: src is still valid.
  const x = lists(ctx);
  const srcList = listOf(ctx, src);
  x.list_move(srcList, from, listOf(ctx, dst), to);
  const element = readElements(ctx, 1)[0]!;
  // Redis reports the push before the pop (lmoveHandlePush runs first).
  ctx.notify(NotifyClass.list, to === HEAD ? "lpush" : "rpush", dstKey);
  ctx.notify(NotifyClass.list, from === HEAD ? "lpop" : "rpop", srcKey);
  deleteIfEmpty(ctx, srcKey, src);
  ctx.dirty++;
  return element;
}

/**
 * LMPOP's core: pops up to `count` from the first key that holds a
 * non-empty list. Returns [key, elements] or null when every key is absent,
 * or WRONGTYPE met before that. Propagates LPOP|RPOP key n.
 */
export function popFirstNonEmpty(
  ctx: CommandContext, keys: readonly Uint8Array[], end: End, count: number,
): [Uint8Array, Uint8Array[]] | null | ErrorReply {
  for (const key of keys) {
    const entry = findList(ctx, key);
    if (entry instanceof ErrorReply) return entry;
    if (entry === 0) continue;
    const items = popElements(ctx, key, entry, end, count);
    ctx.rewrite(end === HEAD ? "LPOP" : "RPOP", key, String(items.length));
    return [key, items];
  }
  return null;
}

// LPUSH key element [element ...]   RPUSH ...   LPUSHX ...   RPUSHX ...
function pushCommand(end: End, onlyIfExists: boolean) {
  return (ctx: CommandContext, args: Uint8Array[]): Reply => pushElements(ctx, args[1]!, args.slice(2), end, onlyIfExists);
}

// LPOP key [count]   RPOP key [count]
function popCommand(end: End) {
  return (ctx: CommandContext, args: Uint8Array[]): Reply => {
    if (args.length > 3) return Errors.wrongArity(ctx.name);
    const hasCount = args.length === 3;
    let count = 1;
    if (hasCount) {
      const parsed = parseLong(args[2]!);
      if (parsed === null || parsed < 0) return Msg.mustBePositive;
      count = parsed;
    }
    const entry = findList(ctx, args[1]!);
    if (entry instanceof ErrorReply) return entry;
    if (entry === 0) return hasCount ? NullArray.instance : null;
    if (count === 0) return [];
    const items = popElements(ctx, args[1]!, entry, end, count);
    return hasCount ? items : items[0]!;
  };
}

// LLEN key
function llen(ctx: CommandContext, args: Uint8Array[]): Reply {
  const entry = findList(ctx, args[1]!);
  if (entry instanceof ErrorReply) return entry;
  return entry === 0 ? 0 : lists(ctx).list_len(listOf(ctx, entry));
}

/** Clamps LRANGE/LTRIM's start and stop to the list: [start, stop] or null if empty. */
function clampRange(start: number, stop: number, length: number): [number, number] | null {
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return null;
  if (stop >= length) stop = length - 1;
  return [start, stop];
}

// LRANGE key start stop
function lrange(ctx: CommandContext, args: Uint8Array[]): Reply {
  const start = parseLong(args[2]!);
  const stop = parseLong(args[3]!);
  if (start === null || stop === null) return Errors.notInteger;
  const entry = findList(ctx, args[1]!);
  if (entry instanceof ErrorReply) return entry;
  if (entry === 0) return [];
  const l = listOf(ctx, entry);
  const x = lists(ctx);
  const span = clampRange(start, stop, x.list_len(l));
  if (span === null) return [];
  const n = span[1] - span[0] + 1;
  x.list_range(l, span[0], n);
  return readElements(ctx, n);
}

// LINDEX key index
function lindex(ctx: CommandContext, args: Uint8Array[]): Reply {
  const entry = findList(ctx, args[1]!);
  if (entry instanceof ErrorReply) return entry;
  if (entry === 0) return null;
  let index = parseLong(args[2]!);
  if (index === null) return Errors.notInteger;
  const l = listOf(ctx, entry);
  const x = lists(ctx);
  const length = x.list_len(l);
  if (index < 0) index += length;
  if (index < 0 || index >= length) return null;
  x.list_range(l, index, 1);
  return readElements(ctx, 1)[0]!;
}

// LSET key index element
function lset(ctx: CommandContext, args: Uint8Array[]): Reply {
  const entry = findList(ctx, args[1]!);
  if (entry instanceof ErrorReply) return entry;
  if (entry === 0) return Errors.noSuchKey;
  let index = parseLong(args[2]!);
  if (index === null) return Errors.notInteger;
  const l = listOf(ctx, entry);
  const x = lists(ctx);
  const length = x.list_len(l);
  if (index < 0) index += length;
  if (index < 0 || index >= length) return Errors.outOfRange;
  const element = args[3]!;
  x.list_set(l, index, ctx.core.stage1(element), element.length);
  ctx.dirty++;
  ctx.notify(NotifyClass.list, "lset", args[1]!);
  return OK;
}

// LINSERT key BEFORE | AFTER pivot element
function linsert(ctx: CommandContext, args: Uint8Array[]): Reply {
  let after: number;
  if (isWord(args[2]!, "after")) after = 1;
  else if (isWord(args[2]!, "before")) after = 0;
  else return Errors.syntax;
  const entry = findList(ctx, args[1]!);
  if (entry instanceof ErrorReply) return entry;
  if (entry === 0) return 0;
  const pivot = args[3]!;
  const element = args[4]!;
  const core = ctx.core;
  core.stage(pivot, element);
  const length = lists(ctx).list_insert(listOf(ctx, entry), core.at[0]!, pivot.length, core.at[1]!, element.length, after);
  if (length > 0) {
    ctx.dirty++;
    ctx.notify(NotifyClass.list, "linsert", args[1]!);
  }
  return length;
}

// LREM key count element
function lrem(ctx: CommandContext, args: Uint8Array[]): Reply {
  const count = parseLong(args[2]!);
  if (count === null) return Errors.notInteger;
  const entry = findList(ctx, args[1]!);
  if (entry instanceof ErrorReply) return entry;
  if (entry === 0) return 0;
  const l = listOf(ctx, entry);
  const x = lists(ctx);
  const limit = Math.min(Math.abs(count), x.list_len(l));
  const element = args[3]!;
  const removed = x.list_remove(l, ctx.core.stage1(element), element.length, limit, count < 0 ? 1 : 0);
  if (removed > 0) {
    ctx.notify(NotifyClass.list, "lrem", args[1]!);
    deleteIfEmpty(ctx, args[1]!, entry);
    ctx.dirty += removed;
  }
  return removed;
}

// LTRIM key start stop
function ltrim(ctx: CommandContext, args: Uint8Array[]): Reply {
  const start = parseLong(args[2]!);
  const stop = parseLong(args[3]!);
  if (start === null || stop === null) return Errors.notInteger;
  const entry = findList(ctx, args[1]!);
  if (entry instanceof ErrorReply) return entry;
  if (entry === 0) return OK;
  const l = listOf(ctx, entry);
  const x = lists(ctx);
  const length = x.list_len(l);
  const span = clampRange(start, stop, length);
  const left = span === null ? length : span[0];
  const right = span === null ? 0 : length - span[1] - 1;
  x.list_delete_range(l, 0, left);
  x.list_delete_range(l, length - left - right, right);
  ctx.notify(NotifyClass.list, "ltrim", args[1]!);
  deleteIfEmpty(ctx, args[1]!, entry);
  ctx.dirty += left + right;
  return OK;
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
function lpos(ctx: CommandContext, args: Uint8Array[]): Reply {
  let rank = 1;
  let rankIsLongMin = false;
  let count = -1; // -1: no COUNT option
  let maxlen = 0;
  for (let i = 3; i < args.length; i++) {
    const more = i + 1 < args.length;
    const opt = args[i]!;
    if (more && isWord(opt, "rank")) {
      const v = parseI64(args[++i]!);
      if (v === null) return Errors.notInteger;
      if (v === 0n) return Msg.rankZero;
      rankIsLongMin = v === LONG_MIN;
      rank = Number(v);
    } else if (more && isWord(opt, "count")) {
      const v = parseLong(args[++i]!);
      if (v === null || v < 0) return Msg.countNegative;
      count = v;
    } else if (more && isWord(opt, "maxlen")) {
      const v = parseLong(args[++i]!);
      if (v === null || v < 0) return Msg.maxlenNegative;
      maxlen = v;
    } else {
      return Errors.syntax;
    }
  }
  const entry = findList(ctx, args[1]!);
  if (entry instanceof ErrorReply) return entry;
  if (entry === 0) return count === -1 ? null : [];
  const l = listOf(ctx, entry);
  const x = lists(ctx);
  const length = x.list_len(l);
  const reverse = rank < 0;
  let limitCount = count === -1 ? 1 : count;
  if (rankIsLongMin) {
    rank = 1;
    if (count !== -1) limitCount = 0;
  }
  const absRank = Math.min(Math.abs(rank), length + 1);
  const element = args[2]!;
  const found = x.list_pos(
    l, ctx.core.stage1(element), element.length, absRank, Math.min(limitCount, length), Math.min(maxlen, length), reverse ? 1 : 0,
  );
  const out = ctx.core.output();
  const indexes: number[] = new Array(found);
  for (let i = 0; i < found; i++) indexes[i] = out.u32();
  if (count === -1) return found > 0 ? indexes[0]! : null;
  return indexes;
}

// LMOVE source destination LEFT | RIGHT LEFT | RIGHT
function lmove(ctx: CommandContext, args: Uint8Array[]): Reply {
  const from = parseEnd(args[3]!);
  const to = parseEnd(args[4]!);
  if (from === null || to === null) return Errors.syntax;
  return moveElement(ctx, args[1]!, args[2]!, from, to);
}

// RPOPLPUSH source destination
function rpoplpush(ctx: CommandContext, args: Uint8Array[]): Reply {
  return moveElement(ctx, args[1]!, args[2]!, TAIL, HEAD);
}

/** LMPOP's (and BLMPOP's) arguments from `numkeysAt` on: keys, end, count; or the error. */
export function parseMpop(args: readonly Uint8Array[], numkeysAt: number): { keys: Uint8Array[]; end: End; count: number } | ErrorReply {
  const numkeys = parseLong(args[numkeysAt]!);
  if (numkeys === null || numkeys < 1) return Msg.numkeys;
  const endAt = numkeysAt + numkeys + 1;
  if (endAt >= args.length) return Errors.syntax;
  const end = parseEnd(args[endAt]!);
  if (end === null) return Errors.syntax;
  let count = -1;
  for (let i = endAt + 1; i < args.length; i++) {
    if (count === -1 && isWord(args[i]!, "count") && i + 1 < args.length) {
      const v = parseLong(args[++i]!);
      if (v === null || v < 1) return Msg.countPositive;
      count = v;
    } else {
      return Errors.syntax;
    }
  }
  return { keys: args.slice(numkeysAt + 1, endAt) as Uint8Array[], end, count: count === -1 ? 1 : count };
}

// LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count]
function lmpop(ctx: CommandContext, args: Uint8Array[]): Reply {
  const parsed = parseMpop(args, 1);
  if (parsed instanceof ErrorReply) return parsed;
  const popped = popFirstNonEmpty(ctx, parsed.keys, parsed.end, parsed.count);
  return popped === null ? NullArray.instance : popped;
}

const PUSH_COMPLEXITY =
  "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";

export const listCommands: CommandDef[] = [
  {
    name: "lpush", arity: -3, flags: ["write", "denyoom", "fast"], keys: [range(1, 1)],
    acl: ["write", "list", "fast"], group: "list", since: "1.0.0", complexity: PUSH_COMPLEXITY,
    summary: "Prepend one or multiple elements to a list", handler: pushCommand(HEAD, false),
  },
  {
    name: "rpush", arity: -3, flags: ["write", "denyoom", "fast"], keys: [range(1, 1)],
    acl: ["write", "list", "fast"], group: "list", since: "1.0.0", complexity: PUSH_COMPLEXITY,
    summary: "Append one or multiple elements to a list", handler: pushCommand(TAIL, false),
  },
  {
    name: "lpushx", arity: -3, flags: ["write", "denyoom", "fast"], keys: [range(1, 1)],
    acl: ["write", "list", "fast"], group: "list", since: "2.2.0", complexity: PUSH_COMPLEXITY,
    summary: "Prepend an element to a list, only if the list exists", handler: pushCommand(HEAD, true),
  },
  {
    name: "rpushx", arity: -3, flags: ["write", "denyoom", "fast"], keys: [range(1, 1)],
    acl: ["write", "list", "fast"], group: "list", since: "2.2.0", complexity: PUSH_COMPLEXITY,
    summary: "Append an element to a list, only if the list exists", handler: pushCommand(TAIL, true),
  },
  {
    name: "lpop", arity: -2, flags: ["write", "fast"], keys: [range(1, 1)],
    acl: ["write", "list", "fast"], group: "list", since: "1.0.0", complexity: "O(N) where N is the number of elements returned",
    summary: "Remove and get the first elements in a list", handler: popCommand(HEAD),
  },
  {
    name: "rpop", arity: -2, flags: ["write", "fast"], keys: [range(1, 1)],
    acl: ["write", "list", "fast"], group: "list", since: "1.0.0", complexity: "O(N) where N is the number of elements returned",
    summary: "Remove and get the last elements in a list", handler: popCommand(TAIL),
  },
  {
    name: "llen", arity: 2, flags: ["readonly", "fast"], keys: [range(1, 1)],
    acl: ["read", "list", "fast"], group: "list", since: "1.0.0", complexity: "O(1)",
    summary: "Get the length of a list", handler: llen,
  },
  {
    name: "lrange", arity: 4, flags: ["readonly"], keys: [range(1, 1)],
    acl: ["read", "list", "slow"], group: "list", since: "1.0.0",
    complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
    summary: "Get a range of elements from a list", handler: lrange,
  },
  {
    name: "lindex", arity: 3, flags: ["readonly"], keys: [range(1, 1)],
    acl: ["read", "list", "slow"], group: "list", since: "1.0.0",
    complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
    summary: "Get an element from a list by its index", handler: lindex,
  },
  {
    name: "lset", arity: 4, flags: ["write", "denyoom"], keys: [range(1, 1)],
    acl: ["write", "list", "slow"], group: "list", since: "1.0.0",
    complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
    summary: "Set the value of an element in a list by its index", handler: lset,
  },
  {
    name: "linsert", arity: 5, flags: ["write", "denyoom"], keys: [range(1, 1)],
    acl: ["write", "list", "slow"], group: "list", since: "2.2.0",
    complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
    summary: "Insert an element before or after another element in a list", handler: linsert,
  },
  {
    name: "lrem", arity: 4, flags: ["write"], keys: [range(1, 1)],
    acl: ["write", "list", "slow"], group: "list", since: "1.0.0",
    complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
    summary: "Remove elements from a list", handler: lrem,
  },
  {
    name: "ltrim", arity: 4, flags: ["write"], keys: [range(1, 1)],
    acl: ["write", "list", "slow"], group: "list", since: "1.0.0",
    complexity: "O(N) where N is the number of elements to be removed by the operation.",
    summary: "Trim a list to the specified range", handler: ltrim,
  },
  {
    name: "lpos", arity: -3, flags: ["readonly"], keys: [range(1, 1)],
    acl: ["read", "list", "slow"], group: "list", since: "6.0.6",
    complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
    summary: "Return the index of matching elements on a list", handler: lpos,
  },
  {
    name: "lmove", arity: 5, flags: ["write", "denyoom"], keys: [range(1, 1), range(2, 2)],
    acl: ["write", "list", "slow"], group: "list", since: "6.2.0", complexity: "O(1)",
    summary: "Pop an element from a list, push it to another list and return it", handler: lmove,
  },
  {
    name: "rpoplpush", arity: 3, flags: ["write", "denyoom"], keys: [range(1, 1), range(2, 2)],
    acl: ["write", "list", "slow"], group: "list", since: "1.2.0", complexity: "O(1)",
    summary: "Remove the last element in a list, prepend it to another list and return it", handler: rpoplpush,
  },
  {
    name: "lmpop", arity: -4, flags: ["write", "movablekeys"], keys: [keynum(1, 1, 1)],
    acl: ["write", "list", "slow"], group: "list", since: "7.0.0",
    complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
    summary: "Pop elements from a list", handler: lmpop,
  },
];
