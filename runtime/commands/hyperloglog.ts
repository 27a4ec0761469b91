// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG.
//
// An HLL is a string value in Redis's own byte format; the core
// (core-wasm/hll.ts) hashes, updates registers, converts sparse to dense,
// counts and merges, working on the value bytes in the keyspace entry. These
// handlers check types and arguments, stage the elements and turn the core's
// result codes into Redis's replies.
//
// Effects: every HLL write is a deterministic function of the value bytes and
// the arguments, so commands propagate as they are (PFADD, PFMERGE, and
// PFCOUNT when it stores the recomputed count in the header, as Redis does);
// replaying them on the same bytes gives the same bytes. PFDEBUG GETREG, which
// converts a sparse value to dense as a side effect, propagates as
// PFDEBUG TODENSE.

import type { CommandContext } from "../context.ts";
import { range, type CommandDef } from "./spec.ts";
import { ErrorReply, Errors, OK, SimpleString, type Reply } from "../reply.ts";
import { ValueType } from "../core.ts";
import { ascii, isWord } from "../bytes.ts";
import { NotifyClass } from "../notify.ts";

/** The core's HyperLogLog exports (core-wasm/hll.ts). */
interface HllExports {
  hll_set_sparse_max_bytes(bytes: number): void;
  hll_valid(e: number): number;
  hll_count(e: number): number;
  hll_create(db: number, kptr: number, klen: number): number;
  hll_add(db: number, e: number, elems: number, count: number, created: number): number;
  hll_merge_reset(): void;
  hll_merge_from(e: number): number;
  hll_merge_count(): number;
  hll_merge_store(db: number, e: number, kptr: number, klen: number): number;
  hll_to_dense(db: number, e: number): number;
  hll_registers(e: number): void;
}

const RESULT_NOT_HLL = -2;
const RESULT_CORRUPT = -1;

const HLL_HEADER_BYTES = 16;
const HLL_REGISTERS = 16384;
const HLL_SPARSE = 1;
const ENC_RAW = 0;

export const HllErrors = {
  notHll: new ErrorReply("WRONGTYPE Key is not a valid HyperLogLog string value."),
  corrupt: new ErrorReply("INVALIDOBJ Corrupted HLL object detected"),
} as const;

function hll(ctx: CommandContext): HllExports {
  return ctx.core.exportsAs<HllExports>();
}

/** The error for a core result code, or null if it is not an error. */
function resultError(code: number): ErrorReply | null {
  if (code === RESULT_NOT_HLL) return HllErrors.notHll;
  if (code === RESULT_CORRUPT) return HllErrors.corrupt;
  return null;
}

/** Elements packed as [len u32 LE][bytes]..., the layout hll_add reads. */
function packElements(args: readonly Uint8Array[], from: number): Uint8Array {
  let total = 0;
  for (let i = from; i < args.length; i++) total += 4 + args[i]!.length;
  const packed = new Uint8Array(total);
  const view = new DataView(packed.buffer);
  let at = 0;
  for (let i = from; i < args.length; i++) {
    const a = args[i]!;
    view.setUint32(at, a.length, true);
    packed.set(a, at + 4);
    at += 4 + a.length;
  }
  return packed;
}

// PFADD key [element [element ...]]
function pfadd(ctx: CommandContext, args: Uint8Array[]): Reply {
  const key = args[1]!;
  const existing = ctx.find(key);
  if (existing !== 0 && ctx.core.x.ks_entry_type(existing) !== ValueType.string) return Errors.wrongType;
  const core = ctx.core;
  core.stage(key, packElements(args, 2));
  let created = 0;
  let e = existing;
  if (e === 0) {
    e = hll(ctx).hll_create(ctx.db, core.at[0]!, key.length);
    created = 1;
  }
  const result = hll(ctx).hll_add(ctx.db, e, core.at[1]!, args.length - 2, created);
  const changed = created === 1 || core.ctlI32(0) === 1;
  const error = resultError(result);
  if (error !== null) {
    // Redis keeps the registers set before it met the corruption; the
    // command propagates so that a replay makes the same partial change.
    if (changed) ctx.dirty++;
    return error;
  }
  const updated = created + result;
  ctx.dirty += updated;
  if (updated > 0) ctx.notify(NotifyClass.string, "pfadd", key);
  return updated > 0 ? 1 : 0;
}

// PFCOUNT key [key ...]
function pfcount(ctx: CommandContext, args: Uint8Array[]): Reply {
  const x = hll(ctx);
  if (args.length > 2) {
    // The cardinality of the union, in a temporary register set; no key changes.
    x.hll_merge_reset();
    for (let i = 1; i < args.length; i++) {
      const e = ctx.find(args[i]!);
      if (e === 0) continue;
      if (ctx.core.x.ks_entry_type(e) !== ValueType.string) return Errors.wrongType;
      const error = resultError(x.hll_merge_from(e));
      if (error !== null) return error;
    }
    return x.hll_merge_count();
  }
  const e = ctx.find(args[1]!);
  if (e === 0) return 0;
  if (ctx.core.x.ks_entry_type(e) !== ValueType.string) return Errors.wrongType;
  const error = resultError(x.hll_count(e));
  if (error !== null) return error;
  const low = ctx.core.ctlI32(0) >>> 0;
  const high = ctx.core.ctlI32(1) >>> 0;
  // The recomputed count was stored in the header: the value changed, and
  // Redis propagates PFCOUNT for that reason.
  if (ctx.core.ctlI32(2) === 1) ctx.dirty++;
  // A cached count (bit 63 clear) may be anything a client SET there.
  if (high < 0x200000) return high * 2 ** 32 + low;
  return (BigInt(high) << 32n) | BigInt(low);
}

// PFMERGE destkey [sourcekey [sourcekey ...]]
function pfmerge(ctx: CommandContext, args: Uint8Array[]): Reply {
  const x = hll(ctx);
  x.hll_merge_reset();
  // The destination is also a source (Redis merges from argument 1 on).
  for (let i = 1; i < args.length; i++) {
    const e = ctx.find(args[i]!);
    if (e === 0) {
      ctx.keyMiss(args[i]!);
      continue;
    }
    if (ctx.core.x.ks_entry_type(e) !== ValueType.string) return Errors.wrongType;
    const error = resultError(x.hll_merge_from(e));
    if (error !== null) return error;
  }
  const key = args[1]!;
  const dest = ctx.find(key);
  const kptr = ctx.core.stage1(key);
  const error = resultError(x.hll_merge_store(ctx.db, dest, kptr, key.length));
  if (error !== null) return error;
  ctx.dirty++;
  // Redis 7.0 reports a merge as "pfadd".
  ctx.notify(NotifyClass.string, "pfadd", key);
  return OK;
}

/** Redis's PFDEBUG DECODE text of a sparse value: "Z:8436 v:1,1 z:3 ...". */
function decodeSparse(value: Uint8Array): string {
  const parts: string[] = [];
  let p = HLL_HEADER_BYTES;
  while (p < value.length) {
    const b = value[p]!;
    if ((b & 0xc0) === 0) {
      parts.push(`z:${(b & 0x3f) + 1}`);
      p++;
    } else if ((b & 0xc0) === 0x40) {
      // A cut-off XZERO reads the string terminator (0) as its second byte.
      parts.push(`Z:${(((b & 0x3f) << 8) | (value[p + 1] ?? 0)) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${((b >> 2) & 0x1f) + 1},${(b & 3) + 1}`);
      p++;
    }
  }
  return parts.join(" ");
}

// PFDEBUG subcommand key
function pfdebug(ctx: CommandContext, args: Uint8Array[]): Reply {
  const sub = args[1]!;
  const key = args[2]!;
  const x = hll(ctx);
  const e = ctx.find(key);
  if (e === 0) return new ErrorReply("ERR The specified key does not exist");
  if (ctx.core.x.ks_entry_type(e) !== ValueType.string) return Errors.wrongType;
  if (x.hll_valid(e) !== 1) return HllErrors.notHll;
  // Like Redis, every subcommand first makes the value a private raw string.
  ctx.core.x.ks_entry_set_encoding(e, ENC_RAW);
  const value = ctx.core.entryString(e);
  const sparse = value[4] === HLL_SPARSE;

  if (isWord(sub, "getreg")) {
    if (sparse) {
      const error = resultError(x.hll_to_dense(ctx.db, e));
      if (error !== null) return error;
      ctx.dirty++;
      ctx.rewrite("PFDEBUG", "TODENSE", key);
    }
    const dense = ctx.find(key);
    x.hll_registers(dense);
    const registers = ctx.core.bytes(ctx.core.x.io_out_ptr(), HLL_REGISTERS);
    return Array.from(registers);
  }
  if (isWord(sub, "decode")) {
    if (!sparse) return new ErrorReply("ERR HLL encoding is not sparse");
    return new TextEncoder().encode(decodeSparse(value));
  }
  if (isWord(sub, "encoding")) {
    return new SimpleString(sparse ? "sparse" : "dense");
  }
  if (isWord(sub, "todense")) {
    if (!sparse) return 0;
    const error = resultError(x.hll_to_dense(ctx.db, e));
    if (error !== null) return error;
    ctx.dirty++;
    return 1;
  }
  return new ErrorReply(`ERR Unknown PFDEBUG subcommand '${ascii(sub)}'`);
}

export const hyperloglogCommands: CommandDef[] = [
  {
    name: "pfadd", arity: -2, flags: ["write", "denyoom", "fast"], keys: [range(1, 1)],
    acl: ["write", "hyperloglog", "fast"], group: "hyperloglog", since: "2.8.9",
    complexity: "O(1) to add every element.",
    summary: "Adds the specified elements to the specified HyperLogLog.", handler: pfadd,
  },
  {
    name: "pfcount", arity: -2, flags: ["readonly"], keys: [range(1, -1)],
    acl: ["read", "hyperloglog", "slow"], group: "hyperloglog", since: "2.8.9",
    complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
    summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", handler: pfcount,
  },
  {
    name: "pfmerge", arity: -2, flags: ["write", "denyoom"], keys: [range(1, 1), range(2, -1)],
    acl: ["write", "hyperloglog", "slow"], group: "hyperloglog", since: "2.8.9",
    complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
    summary: "Merge N different HyperLogLogs into a single one.", handler: pfmerge,
  },
  {
    name: "pfdebug", arity: 3, flags: ["write", "denyoom", "admin"], keys: [range(2, 2)],
    acl: ["write", "hyperloglog", "admin", "slow", "dangerous"], group: "hyperloglog", since: "2.8.9",
    complexity: "N/A",
    summary: "Internal commands for debugging HyperLogLog values", handler: pfdebug,
  },
];
