// String commands. Strings live inline in their keyspace entry in the core
// (core-wasm/keyspace.ts); these handlers parse and validate, then make one
// or two core calls. Relative expiries are propagated as absolute PXAT.

import type { CommandContext } from "../context.ts";
import { range, type CommandDef, type KeyRef } from "./spec.ts";
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

// SET's key flags depend on its arguments (Redis's setGetKeys): with GET it
// reads the old value (RW access update), without it only overwrites (OW update).
function setKeys(args: readonly Uint8Array[]): KeyRef[] {
  for (let i = 3; i < args.length; i++) {
    if (isWord(args[i]!, "get")) return [{ position: 1, flags: ["RW", "access", "update"] }];
  }
  return [{ position: 1, flags: ["OW", "update"] }];
}

export const stringCommands: CommandDef[] = [
  {
    name: "get", arity: 2, flags: ["readonly", "fast"], keys: [range(1, 1, 1, ["RO", "access"])],
    acl: ["read", "string", "fast"], group: "string", since: "1.0.0", complexity: "O(1)",
    summary: "Get the value of a key",
    arguments: [{ name: "key", type: "key", keySpecIndex: 0 }],
    handler: get,
  },
  {
    name: "set", arity: -3, flags: ["write", "denyoom"],
    keys: [range(1, 1, 1, ["RW", "access", "update", "variable_flags"], "RW and ACCESS due to the optional `GET` argument")],
    acl: ["write", "string", "slow"], group: "string", since: "1.0.0", complexity: "O(1)",
    summary: "Set the string value of a key",
    history: [
      ["2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."],
      ["6.0.0", "Added the `KEEPTTL` option."],
      ["6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."],
      ["7.0.0", "Allowed the `NX` and `GET` options to be used together."],
    ],
    arguments: [
      { name: "key", type: "key", keySpecIndex: 0 },
      { name: "value", type: "string" },
      {
        name: "condition", type: "oneof", since: "2.6.12", flags: ["optional"], arguments: [
          { name: "nx", type: "pure-token", token: "NX" },
          { name: "xx", type: "pure-token", token: "XX" },
        ],
      },
      { name: "get", type: "pure-token", token: "GET", since: "6.2.0", flags: ["optional"] },
      {
        name: "expiration", type: "oneof", flags: ["optional"], arguments: [
          { name: "seconds", type: "integer", token: "EX", since: "2.6.12" },
          { name: "milliseconds", type: "integer", token: "PX", since: "2.6.12" },
          { name: "unix-time-seconds", type: "unix-time", token: "EXAT", since: "6.2.0" },
          { name: "unix-time-milliseconds", type: "unix-time", token: "PXAT", since: "6.2.0" },
          { name: "keepttl", type: "pure-token", token: "KEEPTTL", since: "6.0.0" },
        ],
      },
    ],
    getKeys: setKeys,
    handler: set,
  },
];
