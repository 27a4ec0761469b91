// Helpers shared by the hash and set families: staging lists of byte strings
// for one core call, reading the records the core writes back, and the
// argument rules HSCAN/SSCAN and HRANDFIELD/SRANDMEMBER have in common.

import type { Core } from "../core.ts";
import type { CommandContext } from "../context.ts";
import { ErrorReply, Errors, type Reply } from "../reply.ts";
import { isWord } from "../bytes.ts";
import { parseI64, parseLong } from "../numbers.ts";
import { globMatch, matchesAll } from "../glob.ts";

/** The encoding tag of hash and set objects: the core only has hash tables. */
export const ENC_HASHTABLE = 0;

/**
 * Copies args[from], args[from+1], ... into the scratch region as records
 * [len u32][bytes] and returns the pointer. Valid until the next staging.
 */
export function stageRecords(core: Core, args: readonly Uint8Array[], from: number): number {
  let total = 0;
  for (let i = from; i < args.length; i++) total += 4 + args[i]!.length;
  const base = core.x.io_scratch(total);
  const mem = core.u8();
  const view = core.dataView();
  let at = base;
  for (let i = from; i < args.length; i++) {
    const a = args[i]!;
    view.setUint32(at, a.length, true);
    mem.set(a, at + 4);
    at += 4 + a.length;
  }
  return base;
}

/** Copies object pointers into the scratch region as a u32 array; returns its pointer. */
export function stagePointers(core: Core, pointers: readonly number[]): number {
  const base = core.x.io_scratch(pointers.length * 4);
  const view = core.dataView();
  for (let i = 0; i < pointers.length; i++) view.setUint32(base + i * 4, pointers[i]!, true);
  return base;
}

/** Reads n byte-string records from the output buffer of the last call. */
export function readBulks(core: Core, n: number): Uint8Array[] {
  const out = core.output();
  const items: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) items[i] = out.bytes();
  return items;
}

/** Reads every byte-string record of the output buffer of the last call. */
export function readAllBulks(core: Core): Uint8Array[] {
  const out = core.output();
  const items: Uint8Array[] = [];
  while (!out.done) items.push(out.bytes());
  return items;
}

const U64_LIMIT = 1n << 64n;
const U32_MASK = 0xffffffffn;

/**
 * A SCAN cursor as Redis's strtoul reads it: optional sign, decimal digits,
 * nothing else (an empty string is 0, a negative number wraps around 2^64),
 * at most 2^64-1. Null means "ERR invalid cursor".
 */
export function parseScanCursor(bytes: Uint8Array): bigint | null {
  let i = 0;
  let negative = false;
  if (bytes.length > 0 && (bytes[0] === 43 || bytes[0] === 45)) {
    negative = bytes[0] === 45;
    i = 1;
    if (bytes.length === 1) return null;
  }
  let v = 0n;
  for (; i < bytes.length; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10n + BigInt(d);
    if (v >= U64_LIMIT) return null;
  }
  return negative ? (U64_LIMIT - v) % U64_LIMIT : v;
}

export const invalidCursor = new ErrorReply("ERR invalid cursor");

/**
 * The cursor bits the core uses: tables are smaller than 2^32 buckets, and a
 * reverse-binary cursor step never depends on bits above the table mask.
 */
export function coreCursor(cursor: bigint): number {
  return Number(cursor & U32_MASK);
}

export interface ScanOptions {
  count: number;
  pattern: Uint8Array | null;
}

// COUNT is bounded so that the core's "visit at most count * 10 buckets"
// stays within 32 bits; no table is that large anyway.
const SCAN_COUNT_MAX = 100_000_000;

/** Parses [MATCH pattern] [COUNT count] from args[from] on, as Redis's scanGenericCommand. */
export function parseScanOptions(args: readonly Uint8Array[], from: number): ScanOptions | ErrorReply {
  let count = 10;
  let pattern: Uint8Array | null = null;
  for (let i = from; i < args.length; i += 2) {
    const hasValue = i + 1 < args.length;
    if (hasValue && isWord(args[i]!, "count")) {
      const n = parseLong(args[i + 1]!);
      if (n === null) return Errors.notInteger;
      if (n < 1) return Errors.syntax;
      count = Math.min(n, SCAN_COUNT_MAX);
    } else if (hasValue && isWord(args[i]!, "match")) {
      const p = args[i + 1]!;
      pattern = matchesAll(p) ? null : p;
    } else {
      return Errors.syntax;
    }
  }
  return { count, pattern };
}

export function matches(pattern: Uint8Array | null, subject: Uint8Array): boolean {
  return pattern === null || globMatch(pattern, subject);
}

/** The reply of a scan: [cursor as bulk, items]. */
export function scanReply(cursor: number, items: Reply[]): Reply {
  return [new TextEncoder().encode(String(cursor)), items];
}

const LONG_MAX = (1n << 63n) - 1n;

/**
 * The count of SRANDMEMBER/HRANDFIELD: an integer in [-LONG_MAX, LONG_MAX],
 * with Redis 7.0's error text outside it.
 */
export function parseRandomCount(bytes: Uint8Array): bigint | ErrorReply {
  const v = parseI64(bytes);
  if (v === null) return Errors.notInteger;
  if (v < -LONG_MAX) {
    return new ErrorReply("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
  }
  return v;
}

/**
 * Deletes a key whose collection became empty. `e` is its entry from this
 * command's lookup. Returns whether it did: the caller reports "del" after
 * its own event, as Redis does.
 */
export function deleteIfEmpty(ctx: CommandContext, e: number, size: number): boolean {
  if (size !== 0) return false;
  ctx.core.x.ks_delete_entry(ctx.db, e);
  return true;
}

/**
 * How many elements a random reply with repetition may hold. Redis would try
 * to build any size; the core's output buffer lives in 4 GB of linear memory,
 * so a larger request gets the same error a client sees for an oversized reply.
 */
export const RANDOM_REPLY_MAX = 1 << 26;
export const randomReplyTooLarge = new ErrorReply("ERR reply would be too large");
