// Sorted set commands, with Redis 7.0's semantics and error texts.
//
// The data lives in the core (core-wasm/zset.ts): a skiplist with spans plus
// a member index. Handlers parse and validate every argument first, in the
// order Redis checks them (so the same bad command gets the same error), then
// make one core call per member or one per range, and build the reply from
// what the core wrote to its output buffer ([len][member][score f64] records).
//
// Effects: ZADD INCR and ZINCRBY propagate as a ZADD of the resulting score;
// ZMPOP as ZPOPMIN/ZPOPMAX with the count actually popped (as Redis does);
// every other write is deterministic and propagates as given.
//
// Extension: ZRANK/ZREVRANK accept Redis 7.2's WITHSCORE option (7.0 rejects
// a third argument as wrong arity).

import type { CommandContext } from "../context.ts";
import { range, keynum, type CommandDef } from "./spec.ts";
import { DoubleReply, ErrorReply, Errors, NullArray, type Reply } from "../reply.ts";
import { ValueType } from "../core.ts";
import { isWord } from "../bytes.ts";
import { parseI64, parseLong, formatDouble } from "../numbers.ts";
import { parseScore, strtod } from "../strtod.ts";
import { globMatch } from "../glob.ts";
import { NotifyClass } from "../notify.ts";

/** The core's sorted-set exports (core-wasm/zset.ts). */
interface ZsetExports {
  zs_new(firstMemberLen: number): number;
  zs_store_compact(zs: number): void;
  zs_is_compact(zs: number): number;
  zs_free(zs: number): void;
  zs_len(zs: number): number;
  zs_add(zs: number, mptr: number, mlen: number, score: number, flags: number): number;
  zs_score(zs: number, mptr: number, mlen: number): number;
  zs_rem(zs: number, mptr: number, mlen: number): number;
  zs_rank(zs: number, mptr: number, mlen: number, reverse: number): number;
  zs_range_rank(zs: number, start: number, end: number, reverse: number): number;
  zs_range_score(zs: number, min: number, minex: number, max: number, maxex: number, reverse: number, offset: number, limit: number): number;
  zs_range_lex(zs: number, minPtr: number, minLen: number, minKind: number, maxPtr: number, maxLen: number, maxKind: number, reverse: number, offset: number, limit: number): number;
  zs_count_score(zs: number, min: number, minex: number, max: number, maxex: number): number;
  zs_count_lex(zs: number, minPtr: number, minLen: number, minKind: number, maxPtr: number, maxLen: number, maxKind: number): number;
  zs_remrange_rank(zs: number, start: number, end: number): number;
  zs_remrange_score(zs: number, min: number, minex: number, max: number, maxex: number): number;
  zs_remrange_lex(zs: number, minPtr: number, minLen: number, minKind: number, maxPtr: number, maxLen: number, maxKind: number): number;
  zs_pop(zs: number, count: number, max: number): number;
  zs_at_ranks(zs: number, ptr: number, n: number): number;
  zs_scan(zs: number, cursor: number, count: number): number;
  zs_from_records(ptr: number, n: number): number;
  zs_aggregate(op: number, srcs: number, n: number, agg: number, cardinalityOnly: number, limit: number): number;
  zs_check(zs: number): number;
}

/** The only encoding: a skiplist (runtime/encodings.ts names tag 0 "skiplist"). */
const ENC_SKIPLIST = 0;

// zs_add flags and results (core-wasm/zset.ts).
const ZADD_INCR = 1, ZADD_NX = 2, ZADD_XX = 4, ZADD_GT = 8, ZADD_LT = 16;
const ZADD_ADDED = 1, ZADD_UPDATED = 2, ZADD_NOP = 4, ZADD_NAN = 8;
// Lex bound kinds.
const LEX_INCLUSIVE = 0, LEX_EXCLUSIVE = 1, LEX_MIN = 2, LEX_MAX = 3;
// Aggregation.
const OP_UNION = 0, OP_INTER = 1, OP_DIFF = 2;
const AGG_SUM = 0, AGG_MIN = 1, AGG_MAX = 2;
const SCAN_COUNT_MAX = 100_000_000;

const ZsetErrors = {
  nan: new ErrorReply("ERR resulting score is not a number (NaN)"),
  xxAndNx: new ErrorReply("ERR XX and NX options at the same time are not compatible"),
  gtLtNx: new ErrorReply("ERR GT, LT, and/or NX options at the same time are not compatible"),
  incrPair: new ErrorReply("ERR INCR option supports a single increment-element pair"),
  limitNeedsBy: new ErrorReply("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"),
  withscoresBylex: new ErrorReply("ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
  weightNotFloat: new ErrorReply("ERR weight value is not a float"),
  limitNegative: new ErrorReply("ERR LIMIT can't be negative"),
  numkeys: new ErrorReply("ERR numkeys should be greater than 0"),
  count: new ErrorReply("ERR count should be greater than 0"),
  invalidCursor: new ErrorReply("ERR invalid cursor"),
  outOfRange: new ErrorReply("ERR value is out of range"),
  randCount: new ErrorReply("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
  atLeastOneKey: (command: string) => new ErrorReply(`ERR at least 1 input key is needed for '${command}' command`),
} as const;

function z(ctx: CommandContext): ZsetExports {
  return ctx.core.exportsAs<ZsetExports>();
}

/** The sorted set object of a key, 0 if absent, or WRONGTYPE. */
function lookup(ctx: CommandContext, key: Uint8Array): { entry: number; zs: number } | null | ErrorReply {
  const e = ctx.findTyped(key, ValueType.zset);
  if (e instanceof ErrorReply) return e;
  if (e === 0) return null;
  return { entry: e, zs: ctx.core.x.ks_entry_object(e) };
}

/** Deletes the key if its set became empty (a "del" event). */
function deleteIfEmpty(ctx: CommandContext, key: Uint8Array, zs: number): void {
  if (z(ctx).zs_len(zs) !== 0) return;
  ctx.core.x.ks_delete(ctx.db, ctx.core.stage1(key), key.length);
  ctx.notify(NotifyClass.generic, "del", key);
}

/**
 * Replaces whatever `key` holds with a new sorted set object (no TTL), as
 * setKey does; `event` is reported on it. Replacing is not adding: no
 * "new" event when the key was there.
 */
function storeObject(ctx: CommandContext, key: Uint8Array, zs: number, event: string): void {
  const x = ctx.core.x;
  const existed = x.ks_delete(ctx.db, ctx.core.stage1(key), key.length) === 1;
  ctx.withoutNewKeyEvents(existed, () => {
    x.ks_add_object(ctx.db, ctx.core.stage1(key), key.length, ValueType.zset, ENC_SKIPLIST, zs);
  });
  ctx.notify(NotifyClass.zset, event, key);
}

/** A STORE command's empty result: the destination is deleted, if it was there ("del"). */
function deleteDestination(ctx: CommandContext, dst: Uint8Array): void {
  if (ctx.core.x.ks_delete(ctx.db, ctx.core.stage1(dst), dst.length) !== 1) return;
  ctx.dirty++;
  ctx.notify(NotifyClass.generic, "del", dst);
}

interface Element {
  member: Uint8Array;
  score: number;
}

/** Reads `count` records the last core call wrote. */
function readElements(ctx: CommandContext, count: number): Element[] {
  const out = ctx.core.output();
  const items: Element[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const member = out.bytes();
    items[i] = { member, score: out.f64() };
  }
  return items;
}

/**
 * Elements as Redis replies with them: members only, or with scores as a flat
 * array in RESP2 and as [member, score] pairs in RESP3.
 */
function elementsReply(ctx: CommandContext, items: readonly Element[], withScores: boolean): Reply {
  if (!withScores) return items.map((e) => e.member);
  if (ctx.session.protocol === 3) return items.map((e) => [e.member, new DoubleReply(e.score)]);
  const flat: Reply[] = new Array(items.length * 2);
  for (let i = 0; i < items.length; i++) {
    flat[2 * i] = items[i]!.member;
    flat[2 * i + 1] = new DoubleReply(items[i]!.score);
  }
  return flat;
}

// ---- range parsing -------------------------------------------------------

interface ScoreRange {
  min: number;
  minex: boolean;
  max: number;
  maxex: boolean;
}

/** Redis's zslParseRange item: "(" for exclusive, then strtod up to the end (or a NUL byte), not NaN. */
function parseScoreBound(b: Uint8Array): { value: number; exclusive: boolean } | null {
  const exclusive = b[0] === 40; // '('
  const r = strtod(b, exclusive ? 1 : 0);
  if (r.end < b.length && b[r.end] !== 0) return null;
  if (Number.isNaN(r.value)) return null;
  return { value: r.value, exclusive };
}

function parseScoreRange(minArg: Uint8Array, maxArg: Uint8Array): ScoreRange | null {
  const min = parseScoreBound(minArg);
  const max = parseScoreBound(maxArg);
  if (min === null || max === null) return null;
  return { min: min.value, minex: min.exclusive, max: max.value, maxex: max.exclusive };
}

interface LexBound {
  bytes: Uint8Array;
  kind: number;
}

/** Redis's zslParseLexRangeItem: "-", "+", "(bytes" or "[bytes". */
function parseLexBound(b: Uint8Array): LexBound | null {
  if (b.length === 0) return null;
  const c = b[0];
  if (c === 43 || c === 45) { // '+' '-'
    if (b.length > 1 && b[1] !== 0) return null;
    return { bytes: b.subarray(0, 0), kind: c === 45 ? LEX_MIN : LEX_MAX };
  }
  if (c === 40) return { bytes: b.subarray(1), kind: LEX_EXCLUSIVE };
  if (c === 91) return { bytes: b.subarray(1), kind: LEX_INCLUSIVE };
  return null;
}

interface LexRange {
  min: LexBound;
  max: LexBound;
}

function parseLexRange(minArg: Uint8Array, maxArg: Uint8Array): LexRange | null {
  const min = parseLexBound(minArg);
  const max = parseLexBound(maxArg);
  return min === null || max === null ? null : { min, max };
}

/** Stages a lex range and returns the six core arguments. */
function stageLex(ctx: CommandContext, r: LexRange): [number, number, number, number, number, number] {
  ctx.core.stage(r.min.bytes, r.max.bytes);
  const at = ctx.core.at;
  return [at[0]!, r.min.bytes.length, r.min.kind, at[1]!, r.max.bytes.length, r.max.kind];
}

/** Clamps rank indexes like Redis; null when the range is empty. */
function clampRanks(start: number, end: number, length: number): [number, number] | null {
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (start > end || start >= length) return null;
  if (end >= length) end = length - 1;
  return [start, end];
}

// ---- ZADD, ZINCRBY, ZREM ---------------------------------------------------

// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
function zadd(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zaddGeneric(ctx, args, 0);
}

// ZINCRBY key increment member
function zincrby(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zaddGeneric(ctx, args, ZADD_INCR);
}

function zaddGeneric(ctx: CommandContext, args: Uint8Array[], initialFlags: number): Reply {
  let flags = initialFlags;
  let ch = false;
  let scoreIndex = 2;
  for (; scoreIndex < args.length; scoreIndex++) {
    const opt = args[scoreIndex]!;
    if (isWord(opt, "nx")) flags |= ZADD_NX;
    else if (isWord(opt, "xx")) flags |= ZADD_XX;
    else if (isWord(opt, "ch")) ch = true;
    else if (isWord(opt, "incr")) flags |= ZADD_INCR;
    else if (isWord(opt, "gt")) flags |= ZADD_GT;
    else if (isWord(opt, "lt")) flags |= ZADD_LT;
    else break;
  }
  const incr = (flags & ZADD_INCR) !== 0;
  const nx = (flags & ZADD_NX) !== 0;
  const xx = (flags & ZADD_XX) !== 0;
  const gt = (flags & ZADD_GT) !== 0;
  const lt = (flags & ZADD_LT) !== 0;
  const elementArgs = args.length - scoreIndex;
  if (elementArgs % 2 !== 0 || elementArgs === 0) return Errors.syntax;
  const elements = elementArgs / 2;
  if (nx && xx) return ZsetErrors.xxAndNx;
  if ((gt && nx) || (lt && nx) || (gt && lt)) return ZsetErrors.gtLtNx;
  if (incr && elements > 1) return ZsetErrors.incrPair;
  const scores: number[] = new Array(elements);
  for (let j = 0; j < elements; j++) {
    const s = parseScore(args[scoreIndex + 2 * j]!);
    if (s === null) return Errors.notFloat;
    scores[j] = s;
  }

  const key = args[1]!;
  const found = lookup(ctx, key);
  if (found instanceof ErrorReply) return found;
  let added = 0, updated = 0, processed = 0;
  let score = 0;
  if (found !== null || !xx) {
    let zs: number;
    if (found === null) {
      zs = z(ctx).zs_new(args[scoreIndex + 1]!.length);
      ctx.core.x.ks_add_object(ctx.db, ctx.core.stage1(key), key.length, ValueType.zset, ENC_SKIPLIST, zs);
    } else {
      zs = found.zs;
    }
    const zx = z(ctx);
    for (let j = 0; j < elements; j++) {
      const member = args[scoreIndex + 2 * j + 1]!;
      const result = zx.zs_add(zs, ctx.core.stage1(member), member.length, scores[j]!, flags);
      if ((result & ZADD_NAN) !== 0) {
        ctx.dirty += added + updated;
        return ZsetErrors.nan;
      }
      if ((result & ZADD_ADDED) !== 0) added++;
      if ((result & ZADD_UPDATED) !== 0) updated++;
      if ((result & ZADD_NOP) === 0) {
        processed++;
        score = ctx.core.ctlF64(0);
      }
    }
  }
  ctx.dirty += added + updated;
  if (added + updated > 0) ctx.notify(NotifyClass.zset, incr ? "zincr" : "zadd", key);
  if (incr) {
    if (added + updated > 0) {
      ctx.rewrite("ZADD", key, formatDouble(score), args[scoreIndex + 1]!);
    }
    return processed > 0 ? new DoubleReply(score) : null;
  }
  return ch ? added + updated : added;
}

// ZREM key member [member ...]
function zrem(ctx: CommandContext, args: Uint8Array[]): Reply {
  const key = args[1]!;
  const found = lookup(ctx, key);
  if (found === null) return 0;
  if (found instanceof ErrorReply) return found;
  const zx = z(ctx);
  let deleted = 0;
  for (let j = 2; j < args.length; j++) {
    const member = args[j]!;
    deleted += zx.zs_rem(found.zs, ctx.core.stage1(member), member.length);
    if (zx.zs_len(found.zs) === 0) break;
  }
  if (deleted > 0) {
    ctx.notify(NotifyClass.zset, "zrem", key);
    deleteIfEmpty(ctx, key, found.zs);
  }
  ctx.dirty += deleted;
  return deleted;
}

// ---- single-member reads ---------------------------------------------------

// ZCARD key
function zcard(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookup(ctx, args[1]!);
  if (found === null) return 0;
  if (found instanceof ErrorReply) return found;
  return z(ctx).zs_len(found.zs);
}

// ZSCORE key member
function zscore(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookup(ctx, args[1]!);
  if (found === null) return null;
  if (found instanceof ErrorReply) return found;
  const member = args[2]!;
  const s = z(ctx).zs_score(found.zs, ctx.core.stage1(member), member.length);
  return Number.isNaN(s) ? null : new DoubleReply(s);
}

// ZMSCORE key member [member ...]
function zmscore(ctx: CommandContext, args: Uint8Array[]): Reply {
  const found = lookup(ctx, args[1]!);
  if (found instanceof ErrorReply) return found;
  const reply: Reply[] = [];
  for (let j = 2; j < args.length; j++) {
    if (found === null) {
      reply.push(null);
      continue;
    }
    const member = args[j]!;
    const s = z(ctx).zs_score(found.zs, ctx.core.stage1(member), member.length);
    reply.push(Number.isNaN(s) ? null : new DoubleReply(s));
  }
  return reply;
}

// ZRANK key member [WITHSCORE]   (WITHSCORE: Redis 7.2)
function zrank(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zrankGeneric(ctx, args, false);
}

// ZREVRANK key member [WITHSCORE]
function zrevrank(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zrankGeneric(ctx, args, true);
}

function zrankGeneric(ctx: CommandContext, args: Uint8Array[], reverse: boolean): Reply {
  if (args.length > 4) return Errors.wrongArity(ctx.name);
  let withScore = false;
  if (args.length === 4) {
    if (!isWord(args[3]!, "withscore")) return Errors.syntax;
    withScore = true;
  }
  const missing = withScore ? NullArray.instance : null;
  const found = lookup(ctx, args[1]!);
  if (found === null) return missing;
  if (found instanceof ErrorReply) return found;
  const member = args[2]!;
  const rank = z(ctx).zs_rank(found.zs, ctx.core.stage1(member), member.length, reverse ? 1 : 0);
  if (rank < 0) return missing;
  return withScore ? [rank, new DoubleReply(ctx.core.ctlF64(0))] : rank;
}

// ZCOUNT key min max
function zcount(ctx: CommandContext, args: Uint8Array[]): Reply {
  const r = parseScoreRange(args[2]!, args[3]!);
  if (r === null) return Errors.minMaxNotFloat;
  const found = lookup(ctx, args[1]!);
  if (found === null) return 0;
  if (found instanceof ErrorReply) return found;
  return z(ctx).zs_count_score(found.zs, r.min, r.minex ? 1 : 0, r.max, r.maxex ? 1 : 0);
}

// ZLEXCOUNT key min max
function zlexcount(ctx: CommandContext, args: Uint8Array[]): Reply {
  const r = parseLexRange(args[2]!, args[3]!);
  if (r === null) return Errors.minMaxNotValidString;
  const found = lookup(ctx, args[1]!);
  if (found === null) return 0;
  if (found instanceof ErrorReply) return found;
  const [a, b, c, d, e, f] = stageLex(ctx, r);
  return z(ctx).zs_count_lex(found.zs, a, b, c, d, e, f);
}

// ---- ranges ------------------------------------------------------------------

type RangeType = "auto" | "rank" | "score" | "lex";
type Direction = "auto" | "forward" | "reverse";

/**
 * Redis's zrangeGenericCommand, for ZRANGE, ZRANGESTORE and the older
 * Z[REV]RANGE[BYSCORE|BYLEX]: `srcIndex` is the position of the source key;
 * `store` is the destination key for ZRANGESTORE.
 */
function zrangeGeneric(
  ctx: CommandContext, args: Uint8Array[], srcIndex: number, store: Uint8Array | null,
  rangeType: RangeType, direction: Direction,
): Reply {
  let withScores = false;
  let offset = 0;
  let limit = -1;
  let minIndex = srcIndex + 1;
  let maxIndex = srcIndex + 2;
  for (let j = srcIndex + 3; j < args.length; j++) {
    const a = args[j]!;
    const left = args.length - j - 1;
    if (store === null && isWord(a, "withscores")) {
      withScores = true;
    } else if (isWord(a, "limit") && left >= 2) {
      const o = parseLong(args[j + 1]!);
      if (o === null) return Errors.notInteger;
      const l = parseLong(args[j + 2]!);
      if (l === null) return Errors.notInteger;
      offset = o;
      limit = l;
      j += 2;
    } else if (direction === "auto" && isWord(a, "rev")) {
      direction = "reverse";
    } else if (rangeType === "auto" && isWord(a, "bylex")) {
      rangeType = "lex";
    } else if (rangeType === "auto" && isWord(a, "byscore")) {
      rangeType = "score";
    } else {
      return Errors.syntax;
    }
  }
  if (direction === "auto") direction = "forward";
  if (rangeType === "auto") rangeType = "rank";
  if (limit !== -1 && rangeType === "rank") return ZsetErrors.limitNeedsBy;
  if (withScores && rangeType === "lex") return ZsetErrors.withscoresBylex;
  const reverse = direction === "reverse";
  if (reverse && rangeType !== "rank") [minIndex, maxIndex] = [maxIndex, minIndex];

  let start = 0, end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (rangeType === "rank") {
    const s = parseLong(args[minIndex]!);
    if (s === null) return Errors.notInteger;
    const e = parseLong(args[maxIndex]!);
    if (e === null) return Errors.notInteger;
    start = s;
    end = e;
  } else if (rangeType === "score") {
    scoreRange = parseScoreRange(args[minIndex]!, args[maxIndex]!);
    if (scoreRange === null) return Errors.minMaxNotFloat;
  } else {
    lexRange = parseLexRange(args[minIndex]!, args[maxIndex]!);
    if (lexRange === null) return Errors.minMaxNotValidString;
  }

  const found = lookup(ctx, args[srcIndex]!);
  if (found === null && store !== null) ctx.keyMiss(args[srcIndex]!);
  if (found === null) return store === null ? [] : storeRange(ctx, store, 0);
  if (found instanceof ErrorReply) return found;
  const zx = z(ctx);
  let count: number;
  if (rangeType === "rank") {
    const clamped = clampRanks(start, end, zx.zs_len(found.zs));
    count = clamped === null ? 0 : zx.zs_range_rank(found.zs, clamped[0], clamped[1], reverse ? 1 : 0);
  } else if (scoreRange !== null) {
    const r = scoreRange;
    count = zx.zs_range_score(found.zs, r.min, r.minex ? 1 : 0, r.max, r.maxex ? 1 : 0, reverse ? 1 : 0, offset, limit);
  } else {
    const [a, b, c, d, e, f] = stageLex(ctx, lexRange!);
    count = zx.zs_range_lex(found.zs, a, b, c, d, e, f, reverse ? 1 : 0, offset, limit);
  }
  if (store !== null) return storeRange(ctx, store, count);
  return elementsReply(ctx, readElements(ctx, count), withScores);
}

/** ZRANGESTORE's result: the `count` records just written become `dst` (or dst is deleted). */
function storeRange(ctx: CommandContext, dst: Uint8Array, count: number): Reply {
  const x = ctx.core.x;
  if (count > 0) {
    const zs = z(ctx).zs_from_records(x.io_out_ptr(), count);
    storeObject(ctx, dst, zs, "zrangestore");
    ctx.dirty++;
    return count;
  }
  deleteDestination(ctx, dst);
  return 0;
}

// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
function zrange(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zrangeGeneric(ctx, args, 1, null, "auto", "auto");
}
// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
function zrangestore(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zrangeGeneric(ctx, args, 2, args[1]!, "auto", "auto");
}
// ZREVRANGE key start stop [WITHSCORES]
function zrevrange(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zrangeGeneric(ctx, args, 1, null, "rank", "reverse");
}
// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
function zrangebyscore(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zrangeGeneric(ctx, args, 1, null, "score", "forward");
}
// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
function zrevrangebyscore(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zrangeGeneric(ctx, args, 1, null, "score", "reverse");
}
// ZRANGEBYLEX key min max [LIMIT offset count]
function zrangebylex(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zrangeGeneric(ctx, args, 1, null, "lex", "forward");
}
// ZREVRANGEBYLEX key max min [LIMIT offset count]
function zrevrangebylex(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zrangeGeneric(ctx, args, 1, null, "lex", "reverse");
}

// ---- range removal ---------------------------------------------------------------

function zremrangeGeneric(ctx: CommandContext, args: Uint8Array[], rangeType: "rank" | "score" | "lex"): Reply {
  let start = 0, end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (rangeType === "rank") {
    const s = parseLong(args[2]!);
    if (s === null) return Errors.notInteger;
    const e = parseLong(args[3]!);
    if (e === null) return Errors.notInteger;
    start = s;
    end = e;
  } else if (rangeType === "score") {
    scoreRange = parseScoreRange(args[2]!, args[3]!);
    if (scoreRange === null) return Errors.minMaxNotFloat;
  } else {
    lexRange = parseLexRange(args[2]!, args[3]!);
    if (lexRange === null) return Errors.minMaxNotValidString;
  }
  const key = args[1]!;
  const found = lookup(ctx, key);
  if (found === null) return 0;
  if (found instanceof ErrorReply) return found;
  const zx = z(ctx);
  let deleted: number;
  if (rangeType === "rank") {
    const clamped = clampRanks(start, end, zx.zs_len(found.zs));
    if (clamped === null) return 0;
    deleted = zx.zs_remrange_rank(found.zs, clamped[0], clamped[1]);
  } else if (scoreRange !== null) {
    const r = scoreRange;
    deleted = zx.zs_remrange_score(found.zs, r.min, r.minex ? 1 : 0, r.max, r.maxex ? 1 : 0);
  } else {
    const [a, b, c, d, e, f] = stageLex(ctx, lexRange!);
    deleted = zx.zs_remrange_lex(found.zs, a, b, c, d, e, f);
  }
  if (deleted > 0) {
    ctx.notify(NotifyClass.zset, `zremrangeby${rangeType}`, key);
    deleteIfEmpty(ctx, key, found.zs);
  }
  ctx.dirty += deleted;
  return deleted;
}

// ZREMRANGEBYRANK key start stop
function zremrangebyrank(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zremrangeGeneric(ctx, args, "rank");
}
// ZREMRANGEBYSCORE key min max
function zremrangebyscore(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zremrangeGeneric(ctx, args, "score");
}
// ZREMRANGEBYLEX key min max
function zremrangebylex(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zremrangeGeneric(ctx, args, "lex");
}

// ---- pops ---------------------------------------------------------------------

/** Pops up to `count` from the first existing key; null when no key exists. */
function popFrom(ctx: CommandContext, keys: readonly Uint8Array[], count: number, max: boolean):
  { key: Uint8Array; items: Element[] } | null | ErrorReply {
  for (const key of keys) {
    const found = lookup(ctx, key);
    if (found === null) continue;
    if (found instanceof ErrorReply) return found;
    if (count === 0) return { key, items: [] };
    const zx = z(ctx);
    const n = zx.zs_pop(found.zs, Math.min(count, zx.zs_len(found.zs)), max ? 1 : 0);
    const items = readElements(ctx, n);
    ctx.notify(NotifyClass.zset, max ? "zpopmax" : "zpopmin", key);
    deleteIfEmpty(ctx, key, found.zs);
    ctx.dirty += n;
    return { key, items };
  }
  return null;
}

/** Redis's getPositiveLongFromObjectOrReply: the message covers non-integers too. */
function parseNonNegative(arg: Uint8Array, error: ErrorReply): number | ErrorReply {
  const v = parseLong(arg);
  if (v === null || v < 0) return error;
  return v;
}

function zpopMinMax(ctx: CommandContext, args: Uint8Array[], max: boolean): Reply {
  if (args.length > 3) return Errors.syntax;
  let count = -1;
  if (args.length === 3) {
    const c = parseNonNegative(args[2]!, Errors.mustBePositive);
    if (c instanceof ErrorReply) return c;
    count = c;
  }
  const popped = popFrom(ctx, [args[1]!], count === -1 ? 1 : count, max);
  if (popped === null) return [];
  if (popped instanceof ErrorReply) return popped;
  if (ctx.session.protocol === 3 && count !== -1) return elementsReply(ctx, popped.items, true);
  const flat: Reply[] = [];
  for (const e of popped.items) flat.push(e.member, new DoubleReply(e.score));
  return flat;
}

// ZPOPMIN key [count]
function zpopmin(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zpopMinMax(ctx, args, false);
}
// ZPOPMAX key [count]
function zpopmax(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zpopMinMax(ctx, args, true);
}

// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
function zmpop(ctx: CommandContext, args: Uint8Array[]): Reply {
  const numkeys = parseLong(args[1]!);
  if (numkeys === null || numkeys < 1) return ZsetErrors.numkeys;
  const whereIndex = 1 + numkeys + 1;
  if (whereIndex >= args.length) return Errors.syntax;
  let max: boolean;
  if (isWord(args[whereIndex]!, "min")) max = false;
  else if (isWord(args[whereIndex]!, "max")) max = true;
  else return Errors.syntax;
  let count = -1;
  for (let j = whereIndex + 1; j < args.length; j++) {
    const moreArgs = args.length - 1 - j;
    if (count === -1 && isWord(args[j]!, "count") && moreArgs > 0) {
      j++;
      const c = parseLong(args[j]!);
      if (c === null || c < 1) return ZsetErrors.count;
      count = c;
    } else {
      return Errors.syntax;
    }
  }
  if (count === -1) count = 1;
  const popped = popFrom(ctx, args.slice(2, 2 + numkeys), count, max);
  if (popped === null) return NullArray.instance;
  if (popped instanceof ErrorReply) return popped;
  ctx.rewrite(max ? "ZPOPMAX" : "ZPOPMIN", popped.key, String(popped.items.length));
  const pairs: Reply[] = popped.items.map((e) => [e.member, new DoubleReply(e.score)]);
  return [popped.key, pairs];
}

// ---- random members --------------------------------------------------------------

const LONG_MAX = (1n << 63n) - 1n;
/**
 * The most elements one ZRANDMEMBER reply may hold. Redis has no bound and
 * would build a reply of any size (a negative count repeats members); we
 * refuse rather than exhaust memory.
 */
const RANDMEMBER_REPLY_MAX = 10_000_000;
const randmemberTooMany = new ErrorReply(`ERR ZRANDMEMBER count is limited to ${RANDMEMBER_REPLY_MAX} elements`);

// ZRANDMEMBER key [count [WITHSCORES]]
function zrandmember(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length >= 3) {
    const l = parseI64(args[2]!);
    if (l === null) return Errors.notInteger;
    if (l < -LONG_MAX) return ZsetErrors.randCount;
    if (args.length > 4 || (args.length === 4 && !isWord(args[3]!, "withscores"))) return Errors.syntax;
    const withScores = args.length === 4;
    if (withScores && l < -(LONG_MAX / 2n)) return ZsetErrors.outOfRange;
    return zrandmemberWithCount(ctx, args[1]!, l, withScores);
  }
  const found = lookup(ctx, args[1]!);
  if (found === null) return null;
  if (found instanceof ErrorReply) return found;
  const zx = z(ctx);
  const rank = Math.floor(ctx.engine.random() * zx.zs_len(found.zs));
  return readAtRanks(ctx, found.zs, [rank])[0]!.member;
}

function readAtRanks(ctx: CommandContext, zs: number, ranks: readonly number[]): Element[] {
  const bytes = new Uint8Array(ranks.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < ranks.length; i++) view.setUint32(i * 4, ranks[i]!, true);
  const ptr = ctx.core.stage1(bytes);
  const n = z(ctx).zs_at_ranks(zs, ptr, ranks.length);
  return readElements(ctx, n);
}

function zrandmemberWithCount(ctx: CommandContext, key: Uint8Array, l: bigint, withScores: boolean): Reply {
  const found = lookup(ctx, key);
  if (found === null) return [];
  if (found instanceof ErrorReply) return found;
  const zx = z(ctx);
  const size = zx.zs_len(found.zs);
  const unique = l >= 0n;
  const count = Number(unique ? l : -l);
  if (count === 0) return [];
  if (!unique || count === 1) {
    if (count > RANDMEMBER_REPLY_MAX) return randmemberTooMany;
    // With repetition, in random order.
    const ranks: number[] = new Array(count);
    for (let i = 0; i < count; i++) ranks[i] = Math.floor(ctx.engine.random() * size);
    return elementsReply(ctx, readAtRanks(ctx, found.zs, ranks), withScores);
  }
  if (count >= size) {
    // The whole set, from the highest down, as Redis's reverse iterator gives it.
    const n = zx.zs_range_rank(found.zs, 0, size - 1, 1);
    return elementsReply(ctx, readElements(ctx, n), withScores);
  }
  // Distinct ranks (Floyd's algorithm), in random order.
  const chosen = new Set<number>();
  for (let j = size - count; j < size; j++) {
    const t = Math.floor(ctx.engine.random() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  const ranks = [...chosen];
  for (let i = ranks.length - 1; i > 0; i--) {
    const k = Math.floor(ctx.engine.random() * (i + 1));
    [ranks[i], ranks[k]] = [ranks[k]!, ranks[i]!];
  }
  return elementsReply(ctx, readAtRanks(ctx, found.zs, ranks), withScores);
}

// ---- union, intersection, difference ----------------------------------------------

/**
 * Reads the members of a non-sorted-set source (a plain set, score 1 each).
 * The set family registers its reader here; until one is registered for a
 * type, keys of that type are refused with WRONGTYPE.
 */
export type ZsetSourceReader = (ctx: CommandContext, entry: number) => Uint8Array[];
const sourceReaders = new Map<number, ZsetSourceReader>();

export function registerZsetSource(type: number, reader: ZsetSourceReader): void {
  sourceReaders.set(type, reader);
}

interface Source {
  zs: number;
  weight: number;
  /** A temporary sorted set built from a plain set, freed after the command. */
  temporary: boolean;
}

/**
 * Redis's zunionInterDiffGenericCommand: ZUNION, ZINTER, ZDIFF (dst null),
 * their STORE forms, and ZINTERCARD (cardinalityOnly).
 */
function zsetOperation(
  ctx: CommandContext, args: Uint8Array[], dst: Uint8Array | null, numkeysIndex: number, op: number, cardinalityOnly: boolean,
): Reply {
  const setnum = parseLong(args[numkeysIndex]!);
  if (setnum === null) return Errors.notInteger;
  if (setnum < 1) return ZsetErrors.atLeastOneKey(ctx.name);
  if (setnum > args.length - (numkeysIndex + 1)) return Errors.syntax;

  // Look the keys up first: a wrong type is reported before bad options.
  const sources: Source[] = [];
  const entries: number[] = [];
  let j = numkeysIndex + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const e = ctx.find(args[j]!);
    if (e === 0 && dst !== null) ctx.keyMiss(args[j]!);
    if (e !== 0) {
      const type = ctx.core.x.ks_entry_type(e);
      if (type !== ValueType.zset && (type !== ValueType.set || !sourceReaders.has(type))) return Errors.wrongType;
    }
    entries.push(e);
    sources.push({ zs: 0, weight: 1, temporary: false });
  }

  let agg = AGG_SUM;
  let withScores = false;
  let limit = 0;
  while (j < args.length) {
    const remaining = args.length - j;
    const a = args[j]!;
    if (op !== OP_DIFF && !cardinalityOnly && remaining >= setnum + 1 && isWord(a, "weights")) {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const w = parseScore(args[j]!);
        if (w === null) return ZsetErrors.weightNotFloat;
        sources[i]!.weight = w;
      }
    } else if (op !== OP_DIFF && !cardinalityOnly && remaining >= 2 && isWord(a, "aggregate")) {
      const which = args[j + 1]!;
      if (isWord(which, "sum")) agg = AGG_SUM;
      else if (isWord(which, "min")) agg = AGG_MIN;
      else if (isWord(which, "max")) agg = AGG_MAX;
      else return Errors.syntax;
      j += 2;
    } else if (remaining >= 1 && dst === null && !cardinalityOnly && isWord(a, "withscores")) {
      withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && isWord(a, "limit")) {
      const l = parseNonNegative(args[j + 1]!, ZsetErrors.limitNegative);
      if (l instanceof ErrorReply) return l;
      limit = l;
      j += 2;
    } else {
      return Errors.syntax;
    }
  }

  const zx = z(ctx);
  for (let i = 0; i < setnum; i++) {
    const e = entries[i]!;
    if (e === 0) continue;
    const type = ctx.core.x.ks_entry_type(e);
    if (type === ValueType.zset) {
      sources[i]!.zs = ctx.core.x.ks_entry_object(e);
    } else {
      const members = sourceReaders.get(type)!(ctx, e);
      const zs = zx.zs_new(-1);
      for (const m of members) zx.zs_add(zs, ctx.core.stage1(m), m.length, 1, 0);
      sources[i]!.zs = zs;
      sources[i]!.temporary = true;
    }
  }
  try {
    // Smallest first (a stable sort, like glibc's qsort), except for ZDIFF.
    const ordered = op === OP_DIFF ? sources : [...sources].sort((a, b) => length(zx, a) - length(zx, b));
    const staged = new Uint8Array(ordered.length * 16);
    const view = new DataView(staged.buffer);
    ordered.forEach((s, i) => {
      view.setUint32(i * 16, s.zs, true);
      view.setFloat64(i * 16 + 8, s.weight, true);
    });
    const ptr = ctx.core.stage1(staged);
    if (cardinalityOnly) {
      zx.zs_aggregate(op, ptr, ordered.length, agg, 1, limit);
      return ctx.core.ctlI32(0);
    }
    const result = zx.zs_aggregate(op, ptr, ordered.length, agg, 0, 0);
    const size = zx.zs_len(result);
    if (dst !== null) {
      if (size > 0) {
        zx.zs_store_compact(result);
        storeObject(ctx, dst, result, ctx.name);
        ctx.dirty++;
        return size;
      }
      zx.zs_free(result);
      deleteDestination(ctx, dst);
      return 0;
    }
    const n = size === 0 ? 0 : zx.zs_range_rank(result, 0, size - 1, 0);
    const items = readElements(ctx, n);
    zx.zs_free(result);
    return elementsReply(ctx, items, withScores);
  } finally {
    for (const s of sources) if (s.temporary) zx.zs_free(s.zs);
  }
}

function length(zx: ZsetExports, s: Source): number {
  return s.zs === 0 ? 0 : zx.zs_len(s.zs);
}

// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
function zunion(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zsetOperation(ctx, args, null, 1, OP_UNION, false);
}
// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
function zinter(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zsetOperation(ctx, args, null, 1, OP_INTER, false);
}
// ZDIFF numkeys key [key ...] [WITHSCORES]
function zdiff(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zsetOperation(ctx, args, null, 1, OP_DIFF, false);
}
// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]
function zunionstore(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zsetOperation(ctx, args, args[1]!, 2, OP_UNION, false);
}
// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]
function zinterstore(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zsetOperation(ctx, args, args[1]!, 2, OP_INTER, false);
}
// ZDIFFSTORE destination numkeys key [key ...]
function zdiffstore(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zsetOperation(ctx, args, args[1]!, 2, OP_DIFF, false);
}
// ZINTERCARD numkeys key [key ...] [LIMIT limit]
function zintercard(ctx: CommandContext, args: Uint8Array[]): Reply {
  return zsetOperation(ctx, args, null, 1, OP_INTER, true);
}

// ---- ZSCAN -----------------------------------------------------------------------

const U64_MAX = (1n << 64n) - 1n;

/** Redis's parseScanCursorOrReply: strtoul, no leading space, nothing after but a NUL. */
function parseCursor(b: Uint8Array): bigint | null {
  if (b.length > 0 && (b[0] === 32 || (b[0]! >= 9 && b[0]! <= 13))) return null;
  let i = 0;
  let negative = false;
  if (b[0] === 43 || b[0] === 45) {
    negative = b[0] === 45;
    i = 1;
  }
  const digitsStart = i;
  let v = 0n;
  while (i < b.length && b[i]! >= 48 && b[i]! <= 57) {
    v = v * 10n + BigInt(b[i]! - 48);
    if (v > U64_MAX) return null; // ERANGE
    i++;
  }
  // No digits: strtoul converts nothing and points at the first byte.
  if (i === digitsStart) return b.length === 0 || b[0] === 0 ? 0n : null;
  if (i < b.length && b[i] !== 0) return null;
  return negative ? (U64_MAX + 1n - v) & U64_MAX : v;
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]
function zscan(ctx: CommandContext, args: Uint8Array[]): Reply {
  const cursor = parseCursor(args[2]!);
  if (cursor === null) return ZsetErrors.invalidCursor;
  const found = lookup(ctx, args[1]!);
  if (found === null) return [new Uint8Array([48]), []];
  if (found instanceof ErrorReply) return found;
  let count = 10;
  let pattern: Uint8Array | null = null;
  for (let i = 3; i < args.length;) {
    const left = args.length - i;
    if (isWord(args[i]!, "count") && left >= 2) {
      const c = parseLong(args[i + 1]!);
      if (c === null) return Errors.notInteger;
      if (c < 1) return Errors.syntax;
      count = c;
      i += 2;
    } else if (isWord(args[i]!, "match") && left >= 2) {
      const p = args[i + 1]!;
      pattern = p.length === 1 && p[0] === 42 ? null : p;
      i += 2;
    } else {
      return Errors.syntax;
    }
  }
  const zx = z(ctx);
  const size = zx.zs_len(found.zs);
  let next = 0;
  let items: Element[];
  if (zx.zs_is_compact(found.zs) === 1) {
    // Redis answers a small (listpack) set whole, in order, in one call.
    items = readElements(ctx, zx.zs_range_rank(found.zs, 0, size - 1, 0));
  } else {
    next = zx.zs_scan(found.zs, Number(cursor & 0xffffffffn), Math.min(count, SCAN_COUNT_MAX)) >>> 0;
    const out = ctx.core.output();
    items = [];
    while (!out.done) {
      const member = out.bytes();
      items.push({ member, score: out.f64() });
    }
  }
  const flat: Reply[] = [];
  for (const e of items) {
    if (pattern !== null && !globMatch(pattern, e.member)) continue;
    flat.push(e.member, asciiBytes(formatDouble(e.score)));
  }
  return [asciiBytes(String(next)), flat];
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** For tests: whether the core's invariants hold for the sorted set at `key`. */
export function zsetInvariantsHold(ctx: CommandContext, key: Uint8Array): boolean {
  const found = lookup(ctx, key);
  if (found === null) return true;
  if (found instanceof ErrorReply) return false;
  return z(ctx).zs_check(found.zs) === 1;
}

// ---- the table --------------------------------------------------------------------

const READ_FAST = ["read", "sortedset", "fast"];
const READ_SLOW = ["read", "sortedset", "slow"];
const WRITE_FAST = ["write", "sortedset", "fast"];
const WRITE_SLOW = ["write", "sortedset", "slow"];
const RANGE_COMPLEXITY = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).";
const REMOVE_COMPLEXITY = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.";

export const zsetCommands: CommandDef[] = [
  {
    name: "zadd", arity: -4, flags: ["write", "denyoom", "fast"], keys: [range(1, 1)], acl: WRITE_FAST,
    group: "sorted_set", since: "1.2.0", complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
    summary: "Add one or more members to a sorted set, or update its score if it already exists", handler: zadd,
  },
  {
    name: "zincrby", arity: 4, flags: ["write", "denyoom", "fast"], keys: [range(1, 1)], acl: WRITE_FAST,
    group: "sorted_set", since: "1.2.0", complexity: "O(log(N)) where N is the number of elements in the sorted set.",
    summary: "Increment the score of a member in a sorted set", handler: zincrby,
  },
  {
    name: "zrem", arity: -3, flags: ["write", "fast"], keys: [range(1, 1)], acl: WRITE_FAST,
    group: "sorted_set", since: "1.2.0", complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
    summary: "Remove one or more members from a sorted set", handler: zrem,
  },
  {
    name: "zcard", arity: 2, flags: ["readonly", "fast"], keys: [range(1, 1)], acl: READ_FAST,
    group: "sorted_set", since: "1.2.0", complexity: "O(1)",
    summary: "Get the number of members in a sorted set", handler: zcard,
  },
  {
    name: "zscore", arity: 3, flags: ["readonly", "fast"], keys: [range(1, 1)], acl: READ_FAST,
    group: "sorted_set", since: "1.2.0", complexity: "O(1)",
    summary: "Get the score associated with the given member in a sorted set", handler: zscore,
  },
  {
    name: "zmscore", arity: -3, flags: ["readonly", "fast"], keys: [range(1, 1)], acl: READ_FAST,
    group: "sorted_set", since: "6.2.0", complexity: "O(N) where N is the number of members being requested.",
    summary: "Get the score associated with the given members in a sorted set", handler: zmscore,
  },
  {
    // Arity -3 rather than 7.0's 3: accepts Redis 7.2's WITHSCORE.
    name: "zrank", arity: -3, flags: ["readonly", "fast"], keys: [range(1, 1)], acl: READ_FAST,
    group: "sorted_set", since: "2.0.0", complexity: "O(log(N))",
    summary: "Determine the index of a member in a sorted set", handler: zrank,
  },
  {
    name: "zrevrank", arity: -3, flags: ["readonly", "fast"], keys: [range(1, 1)], acl: READ_FAST,
    group: "sorted_set", since: "2.0.0", complexity: "O(log(N))",
    summary: "Determine the index of a member in a sorted set, with scores ordered from high to low", handler: zrevrank,
  },
  {
    name: "zcount", arity: 4, flags: ["readonly", "fast"], keys: [range(1, 1)], acl: READ_FAST,
    group: "sorted_set", since: "2.0.0", complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    summary: "Count the members in a sorted set with scores within the given values", handler: zcount,
  },
  {
    name: "zlexcount", arity: 4, flags: ["readonly", "fast"], keys: [range(1, 1)], acl: READ_FAST,
    group: "sorted_set", since: "2.8.9", complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    summary: "Count the number of members in a sorted set between a given lexicographical range", handler: zlexcount,
  },
  {
    name: "zrange", arity: -4, flags: ["readonly"], keys: [range(1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "1.2.0", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
    summary: "Return a range of members in a sorted set", handler: zrange,
  },
  {
    name: "zrangestore", arity: -5, flags: ["write", "denyoom"], keys: [range(1, 1), range(2, 2)], acl: WRITE_SLOW,
    group: "sorted_set", since: "6.2.0", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
    summary: "Store a range of members from sorted set into another key", handler: zrangestore,
  },
  {
    name: "zrangebyscore", arity: -4, flags: ["readonly"], keys: [range(1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "1.0.5", complexity: RANGE_COMPLEXITY,
    summary: "Return a range of members in a sorted set, by score", handler: zrangebyscore,
  },
  {
    name: "zrevrangebyscore", arity: -4, flags: ["readonly"], keys: [range(1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "2.2.0", complexity: RANGE_COMPLEXITY,
    summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low", handler: zrevrangebyscore,
  },
  {
    name: "zrangebylex", arity: -4, flags: ["readonly"], keys: [range(1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "2.8.9", complexity: RANGE_COMPLEXITY,
    summary: "Return a range of members in a sorted set, by lexicographical range", handler: zrangebylex,
  },
  {
    name: "zrevrangebylex", arity: -4, flags: ["readonly"], keys: [range(1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "2.8.9", complexity: RANGE_COMPLEXITY,
    summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", handler: zrevrangebylex,
  },
  {
    name: "zrevrange", arity: -4, flags: ["readonly"], keys: [range(1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "1.2.0", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
    summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low", handler: zrevrange,
  },
  {
    name: "zremrangebyrank", arity: 4, flags: ["write"], keys: [range(1, 1)], acl: WRITE_SLOW,
    group: "sorted_set", since: "2.0.0", complexity: REMOVE_COMPLEXITY,
    summary: "Remove all members in a sorted set within the given indexes", handler: zremrangebyrank,
  },
  {
    name: "zremrangebyscore", arity: 4, flags: ["write"], keys: [range(1, 1)], acl: WRITE_SLOW,
    group: "sorted_set", since: "1.2.0", complexity: REMOVE_COMPLEXITY,
    summary: "Remove all members in a sorted set within the given scores", handler: zremrangebyscore,
  },
  {
    name: "zremrangebylex", arity: 4, flags: ["write"], keys: [range(1, 1)], acl: WRITE_SLOW,
    group: "sorted_set", since: "2.8.9", complexity: REMOVE_COMPLEXITY,
    summary: "Remove all members in a sorted set between the given lexicographical range", handler: zremrangebylex,
  },
  {
    name: "zpopmin", arity: -2, flags: ["write", "fast"], keys: [range(1, 1)], acl: WRITE_FAST,
    group: "sorted_set", since: "5.0.0", complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
    summary: "Remove and return members with the lowest scores in a sorted set", handler: zpopmin,
  },
  {
    name: "zpopmax", arity: -2, flags: ["write", "fast"], keys: [range(1, 1)], acl: WRITE_FAST,
    group: "sorted_set", since: "5.0.0", complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
    summary: "Remove and return members with the highest scores in a sorted set", handler: zpopmax,
  },
  {
    name: "zmpop", arity: -4, flags: ["write", "movablekeys"], keys: [keynum(1, 1, 1)], acl: WRITE_SLOW,
    group: "sorted_set", since: "7.0.0", complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
    summary: "Remove and return members with scores in a sorted set", handler: zmpop,
  },
  {
    name: "zrandmember", arity: -2, flags: ["readonly"], keys: [range(1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "6.2.0", complexity: "O(N) where N is the number of elements returned",
    summary: "Get one or multiple random elements from a sorted set", handler: zrandmember,
  },
  {
    name: "zunion", arity: -3, flags: ["readonly", "movablekeys"], keys: [keynum(1, 1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "6.2.0", complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
    summary: "Add multiple sorted sets", handler: zunion,
  },
  {
    name: "zinter", arity: -3, flags: ["readonly", "movablekeys"], keys: [keynum(1, 1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "6.2.0", complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
    summary: "Intersect multiple sorted sets", handler: zinter,
  },
  {
    name: "zdiff", arity: -3, flags: ["readonly", "movablekeys"], keys: [keynum(1, 1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "6.2.0", complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
    summary: "Subtract multiple sorted sets", handler: zdiff,
  },
  {
    name: "zunionstore", arity: -4, flags: ["write", "denyoom", "movablekeys"], keys: [range(1, 1), keynum(2, 1, 1)], acl: WRITE_SLOW,
    group: "sorted_set", since: "2.0.0", complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
    summary: "Add multiple sorted sets and store the resulting sorted set in a new key", handler: zunionstore,
  },
  {
    name: "zinterstore", arity: -4, flags: ["write", "denyoom", "movablekeys"], keys: [range(1, 1), keynum(2, 1, 1)], acl: WRITE_SLOW,
    group: "sorted_set", since: "2.0.0", complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
    summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", handler: zinterstore,
  },
  {
    name: "zdiffstore", arity: -4, flags: ["write", "denyoom", "movablekeys"], keys: [range(1, 1), keynum(2, 1, 1)], acl: WRITE_SLOW,
    group: "sorted_set", since: "6.2.0", complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
    summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", handler: zdiffstore,
  },
  {
    name: "zintercard", arity: -3, flags: ["readonly", "movablekeys"], keys: [keynum(1, 1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "7.0.0", complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
    summary: "Intersect multiple sorted sets and return the cardinality of the result", handler: zintercard,
  },
  {
    name: "zscan", arity: -3, flags: ["readonly"], keys: [range(1, 1)], acl: READ_SLOW,
    group: "sorted_set", since: "2.8.0", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    summary: "Incrementally iterate sorted sets elements and associated scores", handler: zscan,
  },
];
