// String and bitmap commands. Strings live inline in their keyspace entry
// in the core (core-wasm/keyspace.ts); the work that touches their bytes
// (integer increments, growing in place, bits, LCS) is in
// core-wasm/strings.ts. Handlers here parse and validate every argument with
// Redis's exact errors, make one or two core calls, and reply. Relative
// expiries are propagated as absolute PXAT / PEXPIREAT, INCRBYFLOAT as the
// SET of its result, GETDEL as DEL.

import type { CommandContext } from "../context.ts";
import { range, type CommandDef, type KeyRef } from "./spec.ts";
import { Errors, OK, type Reply, ErrorReply, MapReply } from "../reply.ts";
import { ValueType } from "../core.ts";
import { ascii, isWord, utf8 } from "../bytes.ts";
import { addDecimalTexts, parseI64, parseLong } from "../numbers.ts";
import { NotifyClass } from "../notify.ts";

const I64_MAX = (1n << 63n) - 1n;

/** Redis's proto-max-bulk-len default: no string may grow beyond it. */
export const STRING_MAX_BYTES = 512 * 1024 * 1024;

/** The core's string encoding tags (core-wasm/types.ts). */
const ENC_RAW = 0;
const ENC_EMBSTR = 2;
/** Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT. */
const EMBSTR_MAX_BYTES = 44;

/** The core functions of this family (core-wasm/strings.ts). */
interface StringCore {
  str_incrby(db: number, kptr: number, klen: number, iptr: number, ilen: number, mode: number): number;
  str_append(db: number, kptr: number, klen: number, vptr: number, vlen: number, maxBytes: number): number;
  str_setrange(db: number, kptr: number, klen: number, offset: number, vptr: number, vlen: number, maxBytes: number): number;
  str_setbit(db: number, kptr: number, klen: number, bitOffset: number, on: number): number;
  str_getbit(e: number, bitOffset: number): number;
  str_bitcount(e: number, start: number, end: number, hasRange: number, isBit: number): number;
  str_bitpos(e: number, bit: number, start: number, end: number, hasStart: number, endGiven: number, isBit: number): number;
  str_bitop(db: number, op: number, dkptr: number, dklen: number, srcPtr: number, count: number): number;
  str_lcs(db: number, k1ptr: number, k1len: number, k2ptr: number, k2len: number, flags: number, minMatchLen: number): number;
}

function stringCore(ctx: CommandContext): StringCore {
  return ctx.core.exportsAs<StringCore>();
}

const StringErrors = {
  tooLarge: new ErrorReply("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
  offsetOutOfRange: new ErrorReply("ERR offset is out of range"),
  bitOffset: new ErrorReply("ERR bit offset is not an integer or out of range"),
  bitValue: new ErrorReply("ERR bit is not an integer or out of range"),
  bitArgument: new ErrorReply("ERR The bit argument must be 1 or 0."),
  decrementOverflow: new ErrorReply("ERR decrement would overflow"),
  bitopNot: new ErrorReply("ERR BITOP NOT must be called with a single source key."),
  lcsTypes: new ErrorReply("ERR The specified keys must contain string values"),
  lcsIdxAndLen: new ErrorReply("ERR If you want both the length and indexes, please just use IDX."),
  lcsTooLarge: new ErrorReply("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"),
} as const;

/** The value of a string key, null if absent, or WRONGTYPE. */
export function getString(ctx: CommandContext, key: Uint8Array): Uint8Array | null | ErrorReply {
  const e = ctx.findTyped(key, ValueType.string);
  if (e instanceof ErrorReply) return e;
  return e === 0 ? null : ctx.core.entryString(e);
}

/** Stores a string value; drops the TTL unless keepTtl. */
export function setString(ctx: CommandContext, key: Uint8Array, value: Uint8Array, keepTtl = false): number {
  const core = ctx.core;
  core.stage(key, value);
  return core.x.ks_set_string(ctx.db, core.at[0]!, key.length, core.at[1]!, value.length, keepTtl ? 1 : 0);
}

export type ExpiryUnit = "seconds" | "milliseconds";

/**
 * Turns an expire argument into absolute Unix ms, with Redis's checks:
 * integer, positive (unless allowNonPositive), no overflow in ms or when
 * adding the current time. Returns the error reply otherwise.
 */
export function absoluteExpiry(
  ctx: CommandContext, arg: Uint8Array, unit: ExpiryUnit, relative: boolean, allowNonPositive: boolean,
): number | ErrorReply {
  const raw = parseI64(arg);
  if (raw === null) return Errors.notInteger;
  if (!allowNonPositive && raw <= 0n) return Errors.invalidExpire(ctx.name);
  let ms = raw;
  if (unit === "seconds") {
    if (ms > I64_MAX / 1000n || ms < -I64_MAX / 1000n) return Errors.invalidExpire(ctx.name);
    ms *= 1000n;
  }
  if (relative) {
    const now = BigInt(ctx.now);
    if (ms > I64_MAX - now) return Errors.invalidExpire(ctx.name);
    ms += now;
  }
  return Number(ms);
}

// ---- SET and its options ---------------------------------------------------

interface ExpiryOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  expireArg: Uint8Array | null;
  unit: ExpiryUnit;
  relative: boolean;
}

/**
 * Redis's parseExtendedStringArgumentsOrReply: the options of SET (from
 * argument 3) or GETEX (from argument 2). Each expiry form excludes the
 * others, but may itself repeat (the last one wins), as in Redis.
 */
function parseExpiryOptions(args: Uint8Array[], from: number, forSet: boolean): ExpiryOptions | ErrorReply {
  const o: ExpiryOptions = {
    nx: false, xx: false, get: false, keepTtl: false, persist: false, expireArg: null, unit: "seconds", relative: true,
  };
  // Which expiry form was given: "ex", "px", "exat", "pxat", or "".
  let form = "";
  for (let i = from; i < args.length; i++) {
    const a = args[i]!;
    const hasNext = i + 1 < args.length;
    const timed = (word: string) => !o.keepTtl && !o.persist && (form === "" || form === word) && hasNext;
    if (forSet && isWord(a, "nx") && !o.xx) o.nx = true;
    else if (forSet && isWord(a, "xx") && !o.nx) o.xx = true;
    else if (forSet && isWord(a, "get")) o.get = true;
    else if (forSet && isWord(a, "keepttl") && form === "") o.keepTtl = true;
    else if (!forSet && isWord(a, "persist") && form === "") o.persist = true;
    else if (isWord(a, "ex") && timed("ex")) { form = "ex"; o.unit = "seconds"; o.relative = true; o.expireArg = args[++i]!; }
    else if (isWord(a, "px") && timed("px")) { form = "px"; o.unit = "milliseconds"; o.relative = true; o.expireArg = args[++i]!; }
    else if (isWord(a, "exat") && timed("exat")) { form = "exat"; o.unit = "seconds"; o.relative = false; o.expireArg = args[++i]!; }
    else if (isWord(a, "pxat") && timed("pxat")) { form = "pxat"; o.unit = "milliseconds"; o.relative = false; o.expireArg = args[++i]!; }
    else return Errors.syntax;
  }
  return o;
}

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
function set(ctx: CommandContext, args: Uint8Array[]): Reply {
  const o = parseExpiryOptions(args, 3, true);
  if (o instanceof ErrorReply) return o;
  let expireAt = -1;
  if (o.expireArg !== null) {
    const at = absoluteExpiry(ctx, o.expireArg, o.unit, o.relative, false);
    if (at instanceof ErrorReply) return at;
    expireAt = at;
  }
  const key = args[1]!;
  const value = args[2]!;
  let old: Uint8Array | null = null;
  const existing = ctx.find(key);
  if (o.get && existing === 0) ctx.keyMiss(key);
  if (o.get && existing !== 0) {
    if (ctx.core.x.ks_entry_type(existing) !== ValueType.string) return Errors.wrongType;
    old = ctx.core.entryString(existing);
  }
  if ((o.nx && existing !== 0) || (o.xx && existing === 0)) return o.get ? old : null;
  const e = setString(ctx, key, value, o.keepTtl);
  if (expireAt >= 0) ctx.core.x.ks_set_expire(ctx.db, e, expireAt);
  ctx.dirty++;
  ctx.notify(NotifyClass.string, "set", key);
  if (expireAt >= 0) ctx.notify(NotifyClass.generic, "expire", key);
  if (expireAt >= 0) ctx.rewrite("SET", key, value, "PXAT", String(expireAt));
  else if (o.keepTtl) ctx.rewrite("SET", key, value, "KEEPTTL");
  else ctx.rewrite("SET", key, value);
  return o.get ? old : OK;
}

// SETNX key value
function setnx(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (ctx.find(args[1]!) !== 0) return 0;
  setString(ctx, args[1]!, args[2]!);
  ctx.dirty++;
  ctx.notify(NotifyClass.string, "set", args[1]!);
  return 1;
}

/** SETEX and PSETEX: SET with a relative expiry, propagated as SET ... PXAT. */
function setWithExpiry(ctx: CommandContext, args: Uint8Array[], unit: ExpiryUnit): Reply {
  const key = args[1]!;
  const value = args[3]!;
  const at = absoluteExpiry(ctx, args[2]!, unit, true, false);
  if (at instanceof ErrorReply) return at;
  const e = setString(ctx, key, value);
  ctx.core.x.ks_set_expire(ctx.db, e, at);
  ctx.dirty++;
  ctx.notify(NotifyClass.string, "set", key);
  ctx.notify(NotifyClass.generic, "expire", key);
  ctx.rewrite("SET", key, value, "PXAT", String(at));
  return OK;
}

// SETEX key seconds value
function setex(ctx: CommandContext, args: Uint8Array[]): Reply {
  return setWithExpiry(ctx, args, "seconds");
}

// PSETEX key milliseconds value
function psetex(ctx: CommandContext, args: Uint8Array[]): Reply {
  return setWithExpiry(ctx, args, "milliseconds");
}

// GET key
function get(ctx: CommandContext, args: Uint8Array[]): Reply {
  return getString(ctx, args[1]!);
}

// GETSET key value (propagated as SET, like Redis)
function getset(ctx: CommandContext, args: Uint8Array[]): Reply {
  const old = getString(ctx, args[1]!);
  if (old instanceof ErrorReply) return old;
  if (old === null) ctx.keyMiss(args[1]!);
  setString(ctx, args[1]!, args[2]!);
  ctx.dirty++;
  ctx.notify(NotifyClass.string, "set", args[1]!);
  ctx.rewrite("SET", args[1]!, args[2]!);
  return old;
}

// GETDEL key
function getdel(ctx: CommandContext, args: Uint8Array[]): Reply {
  const key = args[1]!;
  const e = ctx.findTyped(key, ValueType.string);
  if (e === 0) ctx.keyMiss(key);
  if (e instanceof ErrorReply || e === 0) return e === 0 ? null : e;
  const value = ctx.core.entryString(e);
  ctx.core.x.ks_delete_entry(ctx.db, e);
  ctx.dirty++;
  ctx.notify(NotifyClass.generic, "del", key);
  ctx.rewrite("DEL", key);
  return value;
}

// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]
function getex(ctx: CommandContext, args: Uint8Array[]): Reply {
  const o = parseExpiryOptions(args, 2, false);
  if (o instanceof ErrorReply) return o;
  const key = args[1]!;
  const e = ctx.findTyped(key, ValueType.string);
  if (e === 0) ctx.keyMiss(key);
  if (e instanceof ErrorReply || e === 0) return e === 0 ? null : e;
  let at = -1;
  if (o.expireArg !== null) {
    const checked = absoluteExpiry(ctx, o.expireArg, o.unit, o.relative, false);
    if (checked instanceof ErrorReply) return checked;
    at = checked;
  }
  const value = ctx.core.entryString(e);
  const x = ctx.core.x;
  if (o.expireArg !== null && !o.relative && at <= ctx.now) {
    // An absolute time already past deletes the key, as Redis does.
    x.ks_delete_entry(ctx.db, e);
    ctx.dirty++;
    ctx.notify(NotifyClass.generic, "del", key);
    ctx.rewrite("DEL", key);
  } else if (o.expireArg !== null) {
    x.ks_set_expire(ctx.db, e, at);
    ctx.dirty++;
    ctx.notify(NotifyClass.generic, "expire", key);
    ctx.rewrite("PEXPIREAT", key, String(at));
  } else if (o.persist && x.ks_persist(ctx.db, e) === 1) {
    ctx.dirty++;
    ctx.notify(NotifyClass.generic, "persist", key);
    ctx.rewrite("PERSIST", key);
  }
  return value;
}

// MGET key [key ...]
function mget(ctx: CommandContext, args: Uint8Array[]): Reply {
  const out: Reply[] = [];
  for (let i = 1; i < args.length; i++) {
    const e = ctx.find(args[i]!);
    out.push(e === 0 || ctx.core.x.ks_entry_type(e) !== ValueType.string ? null : ctx.core.entryString(e));
  }
  return out;
}

// MSET key value [key value ...]
function mset(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length % 2 === 0) return Errors.wrongArity(ctx.name);
  for (let i = 1; i < args.length; i += 2) {
    setString(ctx, args[i]!, args[i + 1]!);
    ctx.notify(NotifyClass.string, "set", args[i]!);
  }
  ctx.dirty += (args.length - 1) / 2;
  return OK;
}

// MSETNX key value [key value ...]
function msetnx(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length % 2 === 0) return Errors.wrongArity(ctx.name);
  for (let i = 1; i < args.length; i += 2) if (ctx.find(args[i]!) !== 0) return 0;
  for (let i = 1; i < args.length; i += 2) {
    setString(ctx, args[i]!, args[i + 1]!);
    ctx.notify(NotifyClass.string, "set", args[i]!);
  }
  ctx.dirty += (args.length - 1) / 2;
  return 1;
}

// ---- lengths and ranges -----------------------------------------------------

// APPEND key value
function append(ctx: CommandContext, args: Uint8Array[]): Reply {
  const key = args[1]!;
  const value = args[2]!;
  const core = ctx.core;
  core.stage(key, value);
  const len = stringCore(ctx).str_append(ctx.db, core.at[0]!, key.length, core.at[1]!, value.length, STRING_MAX_BYTES);
  if (len === -1) return Errors.wrongType;
  if (len === -2) return StringErrors.tooLarge;
  ctx.dirty++;
  ctx.notify(NotifyClass.string, "append", key);
  return len;
}

// STRLEN key
function strlen(ctx: CommandContext, args: Uint8Array[]): Reply {
  const e = ctx.findTyped(args[1]!, ValueType.string);
  if (e instanceof ErrorReply) return e;
  return e === 0 ? 0 : ctx.core.x.ks_entry_strlen(e);
}

// Indexes beyond this magnitude mean the same as this magnitude for any
// string (at most 512 MB, 2^32 bits), so huge i64 arguments are clamped here
// after the one rule that compares the two indexes with each other.
const INDEX_CLAMP = 2 ** 40;

interface IndexPair {
  start: number;
  end: number;
  /** Redis's early exit: both negative and start > end means an empty range. */
  emptyReversed: boolean;
}

/** Parses two i64 indexes (start, end) exactly, clamped for arithmetic. */
function parseIndexPair(startArg: Uint8Array, endArg: Uint8Array): IndexPair | ErrorReply {
  const start = parseLong(startArg);
  if (start === null) return Errors.notInteger;
  const end = parseLong(endArg);
  if (end === null) return Errors.notInteger;
  return indexPair(startArg, start, endArg, end);
}

function indexPair(startArg: Uint8Array, start: number, endArg: Uint8Array, end: number): IndexPair {
  let emptyReversed: boolean;
  if (Number.isSafeInteger(start) && Number.isSafeInteger(end)) {
    emptyReversed = start < 0 && end < 0 && start > end;
  } else {
    const s = parseI64(startArg)!;
    const t = parseI64(endArg)!;
    emptyReversed = s < 0n && t < 0n && s > t;
  }
  const clamp = (v: number) => Math.max(-INDEX_CLAMP, Math.min(INDEX_CLAMP, v));
  return { start: clamp(start), end: clamp(end), emptyReversed };
}

const EMPTY = new Uint8Array(0);

// GETRANGE key start end (and SUBSTR, its old name)
function getrange(ctx: CommandContext, args: Uint8Array[]): Reply {
  const pair = parseIndexPair(args[2]!, args[3]!);
  if (pair instanceof ErrorReply) return pair;
  const e = ctx.findTyped(args[1]!, ValueType.string);
  if (e instanceof ErrorReply) return e;
  if (e === 0 || pair.emptyReversed) return EMPTY;
  const len = ctx.core.x.ks_entry_strlen(e);
  let { start, end } = pair;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return EMPTY;
  return ctx.core.bytes(ctx.core.x.ks_entry_strptr(e) + start, end - start + 1);
}

// SETRANGE key offset value
function setrange(ctx: CommandContext, args: Uint8Array[]): Reply {
  const offset = parseLong(args[2]!);
  if (offset === null) return Errors.notInteger;
  if (offset < 0) return StringErrors.offsetOutOfRange;
  const key = args[1]!;
  const value = args[3]!;
  const core = ctx.core;
  core.stage(key, value);
  const len = stringCore(ctx).str_setrange(ctx.db, core.at[0]!, key.length, offset, core.at[1]!, value.length, STRING_MAX_BYTES);
  if (len === -1) return Errors.wrongType;
  if (len === -2) return StringErrors.tooLarge;
  if (value.length > 0) {
    ctx.dirty++;
    ctx.notify(NotifyClass.string, "setrange", key);
  }
  return len;
}

// ---- counters -----------------------------------------------------------------

// str_incrby modes and statuses (core-wasm/strings.ts).
const INCR_MODE = { incrby: 0, decrby: 1, incr: 2, decr: 3 } as const;
const INCR_STATUS_ERRORS: readonly (ErrorReply | null)[] = [
  null, Errors.wrongType, Errors.notInteger, Errors.overflow, StringErrors.decrementOverflow,
];

/** INCR, DECR, INCRBY, DECRBY: the core parses, checks and writes the result. */
function incrDecr(ctx: CommandContext, key: Uint8Array, increment: Uint8Array, mode: number): Reply {
  const core = ctx.core;
  core.stage(key, increment);
  const status = stringCore(ctx).str_incrby(ctx.db, core.at[0]!, key.length, core.at[1]!, increment.length, mode);
  if (status !== 0) return INCR_STATUS_ERRORS[status]!;
  ctx.dirty++;
  ctx.notify(NotifyClass.string, "incrby", key);
  if (core.ctlI32(1) === 1) return core.ctlF64(0);
  // Beyond 2^53 a double is not exact: reply from the stored text.
  return BigInt(ascii(core.entryString(core.ctlI32(0) >>> 0)));
}

// INCR key
function incr(ctx: CommandContext, args: Uint8Array[]): Reply {
  return incrDecr(ctx, args[1]!, EMPTY, INCR_MODE.incr);
}

// DECR key
function decr(ctx: CommandContext, args: Uint8Array[]): Reply {
  return incrDecr(ctx, args[1]!, EMPTY, INCR_MODE.decr);
}

// INCRBY key increment
function incrby(ctx: CommandContext, args: Uint8Array[]): Reply {
  return incrDecr(ctx, args[1]!, args[2]!, INCR_MODE.incrby);
}

// DECRBY key decrement
function decrby(ctx: CommandContext, args: Uint8Array[]): Reply {
  return incrDecr(ctx, args[1]!, args[2]!, INCR_MODE.decrby);
}

// INCRBYFLOAT key increment (propagated as SET key result KEEPTTL)
function incrbyfloat(ctx: CommandContext, args: Uint8Array[]): Reply {
  const key = args[1]!;
  const e = ctx.findTyped(key, ValueType.string);
  if (e instanceof ErrorReply) return e;
  const current = e === 0 ? "0" : ascii(ctx.core.entryString(e));
  const result = addDecimalTexts(current, ascii(args[2]!));
  if (result === null) return Errors.notFloat;
  if (result === "overflow") return Errors.nanOrInfinity;
  const bytes = utf8(result);
  const entry = setString(ctx, key, bytes, true);
  // Redis stores the printed result as a plain string, never as "int".
  ctx.core.x.ks_entry_set_encoding(entry, bytes.length <= EMBSTR_MAX_BYTES ? ENC_EMBSTR : ENC_RAW);
  ctx.dirty++;
  ctx.notify(NotifyClass.string, "incrbyfloat", key);
  ctx.rewrite("SET", key, bytes, "KEEPTTL");
  return bytes;
}

// ---- LCS ------------------------------------------------------------------------

const LCS_FLAG = { idx: 1, len: 2 } as const;
const MATCHES = utf8("matches");
const LEN = utf8("len");

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
function lcs(ctx: CommandContext, args: Uint8Array[]): Reply {
  const x = ctx.core.x;
  const lengthOf = (key: Uint8Array): number | ErrorReply => {
    const e = ctx.find(key);
    if (e === 0) return 0;
    return x.ks_entry_type(e) === ValueType.string ? x.ks_entry_strlen(e) : StringErrors.lcsTypes;
  };
  const alen = lengthOf(args[1]!);
  const blen = lengthOf(args[2]!);
  if (alen instanceof ErrorReply) return alen;
  if (blen instanceof ErrorReply) return blen;
  let getIdx = false, getLen = false, withMatchLen = false, minMatchLen = 0;
  for (let i = 3; i < args.length; i++) {
    const a = args[i]!;
    if (isWord(a, "idx")) getIdx = true;
    else if (isWord(a, "len")) getLen = true;
    else if (isWord(a, "withmatchlen")) withMatchLen = true;
    else if (isWord(a, "minmatchlen") && i + 1 < args.length) {
      const v = parseLong(args[++i]!);
      if (v === null) return Errors.notInteger;
      minMatchLen = Math.max(0, v);
    } else return Errors.syntax;
  }
  if (getIdx && getLen) return StringErrors.lcsIdxAndLen;
  if ((alen + 1) * (blen + 1) * 4 > STRING_MAX_BYTES) return StringErrors.lcsTooLarge;
  const core = ctx.core;
  core.stage(args[1]!, args[2]!);
  const flags = (getIdx ? LCS_FLAG.idx : 0) | (getLen ? LCS_FLAG.len : 0);
  const total = stringCore(ctx).str_lcs(ctx.db, core.at[0]!, args[1]!.length, core.at[1]!, args[2]!.length, flags, minMatchLen);
  if (getIdx) {
    const matches: Reply[] = [];
    const out = core.output();
    while (!out.done) {
      const aStart = out.u32(), aEnd = out.u32(), bStart = out.u32(), bEnd = out.u32(), matchLen = out.u32();
      const match: Reply[] = [[aStart, aEnd], [bStart, bEnd]];
      if (withMatchLen) match.push(matchLen);
      matches.push(match);
    }
    return new MapReply([[MATCHES, matches], [LEN, total]]);
  }
  if (getLen) return total;
  return core.output().bytes();
}

// ---- bits -----------------------------------------------------------------------

/** Redis's getBitOffsetFromArgument: 0 <= offset < 2^32 (512 MB of bits). */
function parseBitOffset(arg: Uint8Array): number | ErrorReply {
  const v = parseLong(arg);
  if (v === null || v < 0 || Math.floor(v / 8) >= STRING_MAX_BYTES) return StringErrors.bitOffset;
  return v;
}

// SETBIT key offset value
function setbit(ctx: CommandContext, args: Uint8Array[]): Reply {
  const offset = parseBitOffset(args[2]!);
  if (offset instanceof ErrorReply) return offset;
  const on = parseLong(args[3]!);
  if (on === null || (on !== 0 && on !== 1)) return StringErrors.bitValue;
  const key = args[1]!;
  const core = ctx.core;
  const old = stringCore(ctx).str_setbit(ctx.db, core.stage1(key), key.length, offset, on);
  if (old === -1) return Errors.wrongType;
  if (core.ctlI32(0) === 1) {
    ctx.dirty++;
    ctx.notify(NotifyClass.string, "setbit", key);
  }
  return old;
}

// GETBIT key offset
function getbit(ctx: CommandContext, args: Uint8Array[]): Reply {
  const offset = parseBitOffset(args[2]!);
  if (offset instanceof ErrorReply) return offset;
  const e = ctx.findTyped(args[1]!, ValueType.string);
  if (e instanceof ErrorReply) return e;
  return e === 0 ? 0 : stringCore(ctx).str_getbit(e, offset);
}

/** BYTE or BIT: true for BIT, or the syntax error. */
function parseBitUnit(arg: Uint8Array): boolean | ErrorReply {
  if (isWord(arg, "bit")) return true;
  if (isWord(arg, "byte")) return false;
  return Errors.syntax;
}

// BITCOUNT key [start end [BYTE | BIT]]
function bitcount(ctx: CommandContext, args: Uint8Array[]): Reply {
  // Redis 7.0 looks the key up before it reads the range.
  const e = ctx.findTyped(args[1]!, ValueType.string);
  if (e instanceof ErrorReply) return e;
  if (e === 0) return 0;
  if (args.length === 2) return stringCore(ctx).str_bitcount(e, 0, 0, 0, 0);
  if (args.length !== 4 && args.length !== 5) return Errors.syntax;
  const pair = parseIndexPair(args[2]!, args[3]!);
  if (pair instanceof ErrorReply) return pair;
  let isBit = false;
  if (args.length === 5) {
    const unit = parseBitUnit(args[4]!);
    if (unit instanceof ErrorReply) return unit;
    isBit = unit;
  }
  if (pair.emptyReversed) return 0;
  return stringCore(ctx).str_bitcount(e, pair.start, pair.end, 1, isBit ? 1 : 0);
}

// BITPOS key bit [start [end [BYTE | BIT]]]
function bitpos(ctx: CommandContext, args: Uint8Array[]): Reply {
  const bit = parseLong(args[2]!);
  if (bit === null) return Errors.notInteger;
  if (bit !== 0 && bit !== 1) return StringErrors.bitArgument;
  const e = ctx.findTyped(args[1]!, ValueType.string);
  if (e instanceof ErrorReply) return e;
  // A missing key is an endless run of zeros.
  if (e === 0) return bit === 1 ? -1 : 0;
  if (args.length === 3) return stringCore(ctx).str_bitpos(e, bit, 0, 0, 0, 0, 0);
  if (args.length > 6) return Errors.syntax;
  const start = parseLong(args[3]!);
  if (start === null) return Errors.notInteger;
  let isBit = false;
  if (args.length === 6) {
    const unit = parseBitUnit(args[5]!);
    if (unit instanceof ErrorReply) return unit;
    isBit = unit;
  }
  let end = 0;
  const endGiven = args.length >= 5;
  if (endGiven) {
    const v = parseLong(args[4]!);
    if (v === null) return Errors.notInteger;
    end = v;
  }
  const clamp = (v: number) => Math.max(-INDEX_CLAMP, Math.min(INDEX_CLAMP, v));
  return stringCore(ctx).str_bitpos(e, bit, clamp(start), clamp(end), 1, endGiven ? 1 : 0, isBit ? 1 : 0);
}

const BITOP_OPS = ["and", "or", "xor", "not"] as const;

// BITOP AND | OR | XOR | NOT destkey key [key ...]
function bitop(ctx: CommandContext, args: Uint8Array[]): Reply {
  const op = BITOP_OPS.findIndex((name) => isWord(args[1]!, name));
  if (op < 0) return Errors.syntax;
  if (BITOP_OPS[op] === "not" && args.length !== 4) return StringErrors.bitopNot;
  const dest = args[2]!;
  let packedLength = 0;
  for (let i = 3; i < args.length; i++) packedLength += 4 + args[i]!.length;
  const packed = new Uint8Array(packedLength);
  const view = new DataView(packed.buffer);
  let at = 0;
  for (let i = 3; i < args.length; i++) {
    const key = args[i]!;
    view.setUint32(at, key.length, true);
    packed.set(key, at + 4);
    at += 4 + key.length;
  }
  // The core looks the sources up; Redis reports each missing one
  // (lookupKeyRead), in order, until a source of another type ends the command.
  if ((ctx.engine.notifyFlags & NotifyClass.keyMiss) !== 0) {
    for (let i = 3; i < args.length; i++) {
      const e = ctx.findNoTouch(args[i]!);
      if (e === 0) ctx.keyMiss(args[i]!);
      else if (ctx.core.x.ks_entry_type(e) !== ValueType.string) break;
    }
  }
  const core = ctx.core;
  core.stage(dest, packed);
  const len = stringCore(ctx).str_bitop(ctx.db, op, core.at[0]!, dest.length, core.at[1]!, args.length - 3);
  if (len === -1) return Errors.wrongType;
  if (core.ctlI32(0) === 1) {
    ctx.dirty++;
    ctx.notify(len > 0 ? NotifyClass.string : NotifyClass.generic, len > 0 ? "set" : "del", dest);
  }
  return len;
}

// ---- the table ------------------------------------------------------------------

interface Doc {
  summary: string;
  since: string;
  complexity: string;
  group?: string;
}

const O1 = "O(1)";
const RANGE_COMPLEXITY = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.";

function def(
  name: string, arity: number, flags: CommandDef["flags"], keys: CommandDef["keys"], acl: string[],
  doc: Doc, handler: CommandDef["handler"],
): CommandDef {
  return {
    name, arity, flags, keys, acl, group: doc.group ?? "string", since: doc.since, complexity: doc.complexity,
    summary: doc.summary, handler,
  };
}

const key1 = [range(1, 1)];
const W_FAST = ["write", "string", "fast"];
const W_SLOW = ["write", "string", "slow"];
const R_FAST = ["read", "string", "fast"];
const R_SLOW = ["read", "string", "slow"];

/** SET's key is read as well as written only when GET is given: Redis's variable key flags. */
function setKeys(args: readonly Uint8Array[]): KeyRef[] {
  for (let i = 3; i < args.length; i++) {
    if (isWord(args[i]!, "get")) return [{ position: 1, flags: ["RW", "access", "update"] }];
  }
  return [{ position: 1, flags: ["OW", "update"] }];
}

export const stringCommands: CommandDef[] = [
  def("get", 2, ["readonly", "fast"], key1, R_FAST,
    { summary: "Get the value of a key", since: "1.0.0", complexity: O1 }, get),
  {
    ...def("set", -3, ["write", "denyoom"], key1, W_SLOW,
      { summary: "Set the string value of a key", since: "1.0.0", complexity: O1 }, set),
    getKeys: setKeys,
  },
  def("setnx", 3, ["write", "denyoom", "fast"], key1, W_FAST,
    { summary: "Set the value of a key, only if the key does not exist", since: "1.0.0", complexity: O1 }, setnx),
  def("setex", 4, ["write", "denyoom"], key1, W_SLOW,
    { summary: "Set the value and expiration of a key", since: "2.0.0", complexity: O1 }, setex),
  def("psetex", 4, ["write", "denyoom"], key1, W_SLOW,
    { summary: "Set the value and expiration in milliseconds of a key", since: "2.6.0", complexity: O1 }, psetex),
  def("mget", -2, ["readonly", "fast"], [range(1, -1)], R_FAST,
    { summary: "Get the values of all the given keys", since: "1.0.0", complexity: "O(N) where N is the number of keys to retrieve." }, mget),
  def("mset", -3, ["write", "denyoom"], [range(1, -1, 2)], W_SLOW,
    { summary: "Set multiple keys to multiple values", since: "1.0.1", complexity: "O(N) where N is the number of keys to set." }, mset),
  def("msetnx", -3, ["write", "denyoom"], [range(1, -1, 2)], W_SLOW,
    { summary: "Set multiple keys to multiple values, only if none of the keys exist", since: "1.0.1", complexity: "O(N) where N is the number of keys to set." }, msetnx),
  def("getset", 3, ["write", "denyoom", "fast"], key1, W_FAST,
    { summary: "Set the string value of a key and return its old value", since: "1.0.0", complexity: O1 }, getset),
  def("getdel", 2, ["write", "fast"], key1, W_FAST,
    { summary: "Get the value of a key and delete the key", since: "6.2.0", complexity: O1 }, getdel),
  def("getex", -2, ["write", "fast"], key1, W_FAST,
    { summary: "Get the value of a key and optionally set its expiration", since: "6.2.0", complexity: O1 }, getex),
  def("append", 3, ["write", "denyoom", "fast"], key1, W_FAST,
    {
      summary: "Append a value to a key", since: "2.0.0",
      complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
    }, append),
  def("strlen", 2, ["readonly", "fast"], key1, R_FAST,
    { summary: "Get the length of the value stored in a key", since: "2.2.0", complexity: O1 }, strlen),
  def("getrange", 4, ["readonly"], key1, R_SLOW,
    { summary: "Get a substring of the string stored at a key", since: "2.4.0", complexity: RANGE_COMPLEXITY }, getrange),
  def("substr", 4, ["readonly"], key1, R_SLOW,
    { summary: "Get a substring of the string stored at a key", since: "1.0.0", complexity: RANGE_COMPLEXITY }, getrange),
  def("setrange", 4, ["write", "denyoom"], key1, W_SLOW,
    {
      summary: "Overwrite part of a string at key starting at the specified offset", since: "2.2.0",
      complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
    }, setrange),
  def("incr", 2, ["write", "denyoom", "fast"], key1, W_FAST,
    { summary: "Increment the integer value of a key by one", since: "1.0.0", complexity: O1 }, incr),
  def("decr", 2, ["write", "denyoom", "fast"], key1, W_FAST,
    { summary: "Decrement the integer value of a key by one", since: "1.0.0", complexity: O1 }, decr),
  def("incrby", 3, ["write", "denyoom", "fast"], key1, W_FAST,
    { summary: "Increment the integer value of a key by the given amount", since: "1.0.0", complexity: O1 }, incrby),
  def("decrby", 3, ["write", "denyoom", "fast"], key1, W_FAST,
    { summary: "Decrement the integer value of a key by the given number", since: "1.0.0", complexity: O1 }, decrby),
  def("incrbyfloat", 3, ["write", "denyoom", "fast"], key1, W_FAST,
    { summary: "Increment the float value of a key by the given amount", since: "2.6.0", complexity: O1 }, incrbyfloat),
  def("lcs", -3, ["readonly"], [range(1, 2)], R_SLOW,
    { summary: "Find longest common substring", since: "7.0.0", complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively" }, lcs),
  def("setbit", 4, ["write", "denyoom"], key1, ["write", "bitmap", "slow"],
    { summary: "Sets or clears the bit at offset in the string value stored at key", since: "2.2.0", complexity: O1, group: "bitmap" }, setbit),
  def("getbit", 3, ["readonly", "fast"], key1, ["read", "bitmap", "fast"],
    { summary: "Returns the bit value at offset in the string value stored at key", since: "2.2.0", complexity: O1, group: "bitmap" }, getbit),
  def("bitcount", -2, ["readonly"], key1, ["read", "bitmap", "slow"],
    { summary: "Count set bits in a string", since: "2.6.0", complexity: "O(N)", group: "bitmap" }, bitcount),
  def("bitpos", -3, ["readonly"], key1, ["read", "bitmap", "slow"],
    { summary: "Find first bit set or clear in a string", since: "2.8.7", complexity: "O(N)", group: "bitmap" }, bitpos),
  def("bitop", -4, ["write", "denyoom"], [range(2, 2), range(3, -1)], ["write", "bitmap", "slow"],
    { summary: "Perform bitwise operations between strings", since: "2.6.0", complexity: "O(N)", group: "bitmap" }, bitop),
];
