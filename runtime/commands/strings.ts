// String commands. Strings live inline in their keyspace entry in the core
// (core-wasm/keyspace.ts); these handlers parse and validate, then make one
// or two core calls. Relative expiries are propagated as absolute PXAT.

import type { CommandContext } from "../context.ts";
import { range, type CommandDef } from "./spec.ts";
import { Errors, OK, type Reply, ErrorReply } from "../reply.ts";
import { ValueType } from "../core.ts";
import { isWord } from "../bytes.ts";
import { parseI64 } from "../numbers.ts";

const I64_MAX = (1n << 63n) - 1n;

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

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
function set(ctx: CommandContext, args: Uint8Array[]): Reply {
  let nx = false, xx = false, get = false, keepTtl = false;
  let expireArg: Uint8Array | null = null;
  let unit: ExpiryUnit = "seconds";
  let relative = true;
  for (let i = 3; i < args.length; i++) {
    const a = args[i]!;
    const hasNext = i + 1 < args.length;
    if (isWord(a, "nx") && !xx) nx = true;
    else if (isWord(a, "xx") && !nx) xx = true;
    else if (isWord(a, "get")) get = true;
    else if (isWord(a, "keepttl") && expireArg === null) keepTtl = true;
    else if (hasNext && expireArg === null && !keepTtl && isWord(a, "ex")) { unit = "seconds"; relative = true; expireArg = args[++i]!; }
    else if (hasNext && expireArg === null && !keepTtl && isWord(a, "px")) { unit = "milliseconds"; relative = true; expireArg = args[++i]!; }
    else if (hasNext && expireArg === null && !keepTtl && isWord(a, "exat")) { unit = "seconds"; relative = false; expireArg = args[++i]!; }
    else if (hasNext && expireArg === null && !keepTtl && isWord(a, "pxat")) { unit = "milliseconds"; relative = false; expireArg = args[++i]!; }
    else return Errors.syntax;
  }
  let expireAt = -1;
  if (expireArg !== null) {
    const at = absoluteExpiry(ctx, expireArg, unit, relative, false);
    if (at instanceof ErrorReply) return at;
    expireAt = at;
  }
  const key = args[1]!;
  const value = args[2]!;
  let old: Uint8Array | null = null;
  const existing = ctx.find(key);
  if (get && existing !== 0) {
    if (ctx.core.x.ks_entry_type(existing) !== ValueType.string) return Errors.wrongType;
    old = ctx.core.entryString(existing);
  }
  if ((nx && existing !== 0) || (xx && existing === 0)) return get ? old : null;
  const e = setString(ctx, key, value, keepTtl);
  if (expireAt >= 0) ctx.core.x.ks_set_expire(ctx.db, e, expireAt);
  ctx.dirty++;
  if (expireAt >= 0) ctx.rewrite("SET", key, value, "PXAT", String(expireAt));
  else if (keepTtl) ctx.rewrite("SET", key, value, "KEEPTTL");
  else ctx.rewrite("SET", key, value);
  return get ? old : OK;
}

// GET key
function get(ctx: CommandContext, args: Uint8Array[]): Reply {
  return getString(ctx, args[1]!);
}

/** The core's integer-string operation (core-wasm/counter.ts), shared with the batched executor. */
interface CounterExports {
  str_incrby(db: number, kptr: number, klen: number, deltaLow: number, deltaHigh: number): number;
}
// str_incrby results.
const INCR_OK = 0;
const INCR_WRONGTYPE = 1;
const INCR_NOT_INTEGER = 2;
// Integers whose high 32 bits are within this bound are exact as JS numbers (|n| < 2^53).
const SAFE_HIGH_WORD = 1 << 21;

/**
 * Adds a delta (as two 32-bit halves) to the integer at the key; the rules
 * (what counts as an integer, overflow, keeping the TTL) are the core's.
 */
function incrBy(ctx: CommandContext, key: Uint8Array, deltaLow: number, deltaHigh: number): Reply {
  const core = ctx.core;
  const status = core.exportsAs<CounterExports>().str_incrby(ctx.db, core.stage1(key), key.length, deltaLow, deltaHigh);
  if (status === INCR_WRONGTYPE) return Errors.wrongType;
  if (status === INCR_NOT_INTEGER) return Errors.notInteger;
  if (status !== INCR_OK) return Errors.overflow;
  ctx.dirty++;
  const low = core.ctlI32(0) >>> 0;
  const high = core.ctlI32(1);
  if (high >= -SAFE_HIGH_WORD && high < SAFE_HIGH_WORD) return high * 4294967296 + low;
  return BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low));
}

function incrByBig(ctx: CommandContext, key: Uint8Array, delta: bigint): Reply {
  return incrBy(ctx, key, Number(BigInt.asUintN(32, delta)), Number(BigInt.asIntN(32, delta >> 32n)));
}

// INCR key
function incr(ctx: CommandContext, args: Uint8Array[]): Reply {
  return incrBy(ctx, args[1]!, 1, 0);
}

// DECR key
function decr(ctx: CommandContext, args: Uint8Array[]): Reply {
  return incrBy(ctx, args[1]!, 0xffffffff, -1);
}

// INCRBY key increment
function incrby(ctx: CommandContext, args: Uint8Array[]): Reply {
  const delta = parseI64(args[2]!);
  if (delta === null) return Errors.notInteger;
  return incrByBig(ctx, args[1]!, delta);
}

// DECRBY key decrement
function decrby(ctx: CommandContext, args: Uint8Array[]): Reply {
  const delta = parseI64(args[2]!);
  if (delta === null) return Errors.notInteger;
  // Negating the smallest i64 would overflow.
  if (delta === -(1n << 63n)) return Errors.decrementOverflow;
  return incrByBig(ctx, args[1]!, -delta);
}

// MGET key [key ...]
function mget(ctx: CommandContext, args: Uint8Array[]): Reply {
  const values: Reply[] = new Array(args.length - 1);
  for (let i = 1; i < args.length; i++) {
    const e = ctx.find(args[i]!);
    values[i - 1] = e !== 0 && ctx.core.x.ks_entry_type(e) === ValueType.string ? ctx.core.entryString(e) : null;
  }
  return values;
}

export const stringCommands: CommandDef[] = [
  {
    name: "get", arity: 2, flags: ["readonly", "fast"], keys: [range(1, 1)],
    acl: ["read", "string", "fast"], group: "string", since: "1.0.0", complexity: "O(1)",
    summary: "Returns the string value of a key.", handler: get,
  },
  {
    name: "set", arity: -3, flags: ["write", "denyoom"], keys: [range(1, 1)],
    acl: ["write", "string", "slow"], group: "string", since: "1.0.0", complexity: "O(1)",
    summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", handler: set,
  },
  {
    name: "incr", arity: 2, flags: ["write", "denyoom", "fast"], keys: [range(1, 1)],
    acl: ["write", "string", "fast"], group: "string", since: "1.0.0", complexity: "O(1)",
    summary: "Increment the integer value of a key by one", handler: incr,
  },
  {
    name: "decr", arity: 2, flags: ["write", "denyoom", "fast"], keys: [range(1, 1)],
    acl: ["write", "string", "fast"], group: "string", since: "1.0.0", complexity: "O(1)",
    summary: "Decrement the integer value of a key by one", handler: decr,
  },
  {
    name: "incrby", arity: 3, flags: ["write", "denyoom", "fast"], keys: [range(1, 1)],
    acl: ["write", "string", "fast"], group: "string", since: "1.0.0", complexity: "O(1)",
    summary: "Increment the integer value of a key by the given amount", handler: incrby,
  },
  {
    name: "decrby", arity: 3, flags: ["write", "denyoom", "fast"], keys: [range(1, 1)],
    acl: ["write", "string", "fast"], group: "string", since: "1.0.0", complexity: "O(1)",
    summary: "Decrement the integer value of a key by the given number", handler: decrby,
  },
  {
    name: "mget", arity: -2, flags: ["readonly", "fast"], keys: [range(1, -1)],
    acl: ["read", "string", "fast"], group: "string", since: "1.0.0", complexity: "O(N) where N is the number of keys to retrieve.",
    summary: "Get the values of all the given keys", handler: mget,
  },
];
