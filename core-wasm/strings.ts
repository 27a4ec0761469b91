// String and bitmap commands that work on the bytes of a string value.
//
// No mutable state outside linear memory (core-wasm/state.ts): the last parsed
// integer and resolved bit range are state.parsedValue/rangeStart/rangeEnd; the
// decimal buffer is static memory. A snapshot is a copy of memory, so nothing
// may live in a Wasm global.
//
// Strings live inline in their keyspace entry (keyspace.ts); the functions
// here read and change those bytes in place, so a value never crosses into
// JavaScript unless a reply needs it:
//
//   - INCR/DECR/INCRBY/DECRBY parse the stored text and the increment with
//     Redis's string2ll rules (optional '-', digits, no '+', no spaces, no
//     leading zeros, within i64), check for overflow, and write the decimal
//     text of the result back into the entry;
//   - APPEND and SETRANGE grow the entry in place (zero-filling any gap);
//   - SETBIT/GETBIT/BITCOUNT/BITPOS/BITOP read and write bits in place,
//     bit 0 being the most significant bit of byte 0, as in Redis;
//   - LCS runs Redis's dynamic program over both values and writes the
//     common subsequence or its matching ranges to the output buffer.
//
// Results that do not fit the return value go through the control block
// (io.ts): i32 slot 0 and 1, f64 slot 0. Status codes are negative numbers
// or small enumerations documented at each function; the host turns them
// into Redis's error replies.

import { alloc, free } from "./mem";
import { ctlSetI32, ctlSetF64, out_reset, out_bytes, out_u32 } from "./io";
import {
  ks_find, ks_set_string, ks_string_grow, ks_delete, setStringRaw, entryType, entryStringPtr,
  entryStringLength, ks_entry_set_encoding, LOOKUP_NOTOUCH,
} from "./keyspace";
import { TYPE_STRING, ENC_INT, ENC_RAW } from "./types";
import { parseI64, stringIncrBy, INCR_OK, INCR_NOT_INTEGER } from "./counter";
import { state } from "./state";

// Status codes of str_incrby.
// @ts-ignore: decorator
@inline const INCR_DECREMENT_OVERFLOW: i32 = 4;

// Modes of str_incrby.
// @ts-ignore: decorator
@inline const MODE_INCRBY: i32 = 0;
// @ts-ignore: decorator
@inline const MODE_DECRBY: i32 = 1;
// @ts-ignore: decorator
@inline const MODE_INCR: i32 = 2;
// @ts-ignore: decorator
@inline const MODE_DECR: i32 = 3;

// Shared status codes of the other functions.
// @ts-ignore: decorator
@inline const WRONGTYPE: i32 = -1;
// @ts-ignore: decorator
@inline const TOO_LARGE: i32 = -2;

// Integers up to this magnitude are exact in an f64, so the host can reply
// with a JS number; beyond it, the host reads the decimal text.
// @ts-ignore: decorator
@inline const F64_EXACT_MAX: i64 = 9007199254740992;

/**
 * INCR, DECR, INCRBY, DECRBY. `mode` says which; INCRBY and DECRBY pass the
 * increment's text at iptr/ilen, parsed before the key is looked up (as
 * Redis does). Returns a status: 0 ok, 1 WRONGTYPE, 2 not an integer (value
 * or increment), 3 overflow, 4 DECRBY of i64's minimum. On success the key
 * holds the result's text, tagged "int", with its TTL kept;
 * control i32 slot 0 = the entry, i32 slot 1 = 1 when f64 slot 0 holds the
 * result exactly (|result| <= 2^53), 0 when the host must read the text.
 */
export function str_incrby(dbIndex: u32, kptr: usize, klen: u32, iptr: usize, ilen: u32, mode: i32): i32 {
  let incr: i64 = 1;
  if (mode == MODE_DECR) {
    incr = -1;
  } else if (mode == MODE_INCRBY || mode == MODE_DECRBY) {
    if (!parseI64(iptr, ilen)) return INCR_NOT_INTEGER;
    incr = state.parsedI64;
    if (mode == MODE_DECRBY) {
      if (incr == i64.MIN_VALUE) return INCR_DECREMENT_OVERFLOW;
      incr = -incr;
    }
  }
  const status = stringIncrBy(dbIndex, kptr, klen, incr);
  if (status != INCR_OK) return status;
  const value = state.incrResult;
  ctlSetI32(0, <i32>ks_find(dbIndex, kptr, klen, LOOKUP_NOTOUCH));
  const exact = value <= F64_EXACT_MAX && value >= -F64_EXACT_MAX;
  ctlSetI32(1, exact ? 1 : 0);
  ctlSetF64(0, <f64>value);
  return INCR_OK;
}

// ---- growing in place ---------------------------------------------------

/**
 * APPEND. A new key takes the value with SET's encoding rules; an existing
 * string grows in place and becomes "raw". Returns the new length, -1 for
 * WRONGTYPE, -2 when the result would exceed maxBytes.
 */
export function str_append(dbIndex: u32, kptr: usize, klen: u32, vptr: usize, vlen: u32, maxBytes: u32): i32 {
  const e = ks_find(dbIndex, kptr, klen, 0);
  if (e == 0) {
    ks_set_string(dbIndex, kptr, klen, vptr, vlen, false);
    return <i32>vlen;
  }
  if (entryType(e) != TYPE_STRING) return WRONGTYPE;
  const oldLen = <u64>entryStringLength(e);
  const total = oldLen + <u64>vlen;
  if (total > <u64>maxBytes) return TOO_LARGE;
  const grown = ks_string_grow(dbIndex, kptr, klen, <u32>total);
  memory.copy(entryStringPtr(grown) + <usize>oldLen, vptr, vlen);
  return <i32>total;
}

/**
 * SETRANGE with a non-negative offset (an f64 so that any i64 the client
 * sent compares right against the limit). Setting nothing changes nothing
 * and returns the current length; otherwise the string is zero-extended as
 * needed, becomes "raw", and the new length is returned. -1 for WRONGTYPE,
 * -2 when offset + length would exceed maxBytes.
 */
export function str_setrange(dbIndex: u32, kptr: usize, klen: u32, offset: f64, vptr: usize, vlen: u32, maxBytes: u32): i32 {
  const e = ks_find(dbIndex, kptr, klen, 0);
  let oldLen: u32 = 0;
  if (e != 0) {
    if (entryType(e) != TYPE_STRING) return WRONGTYPE;
    oldLen = entryStringLength(e);
  }
  if (vlen == 0) return <i32>oldLen;
  if (offset + <f64>vlen > <f64>maxBytes) return TOO_LARGE;
  const start = <u32>offset;
  const end = start + vlen;
  const grown = ks_string_grow(dbIndex, kptr, klen, end > oldLen ? end : oldLen);
  memory.copy(entryStringPtr(grown) + <usize>start, vptr, vlen);
  return <i32>entryStringLength(grown);
}

// ---- bits ---------------------------------------------------------------

/**
 * SETBIT: sets or clears one bit, growing (zero-filled) or creating the
 * string as needed; the string becomes "raw". Returns the bit's previous
 * value, or -1 for WRONGTYPE. Control i32 slot 0 is 1 when the key changed
 * (created, grown, or the bit flipped).
 */
export function str_setbit(dbIndex: u32, kptr: usize, klen: u32, bitOffset: u32, on: u32): i32 {
  let e = ks_find(dbIndex, kptr, klen, 0);
  let oldLen: i64 = -1;
  if (e != 0) {
    if (entryType(e) != TYPE_STRING) return WRONGTYPE;
    oldLen = <i64>entryStringLength(e);
  }
  const byte = bitOffset >> 3;
  e = ks_string_grow(dbIndex, kptr, klen, byte + 1);
  const at = entryStringPtr(e) + <usize>byte;
  const mask = <u32>1 << (7 - (bitOffset & 7));
  const old = <u32>load<u8>(at);
  const was: i32 = (old & mask) != 0 ? 1 : 0;
  store<u8>(at, <u8>(on != 0 ? old | mask : old & ~mask));
  const changed = oldLen != <i64>entryStringLength(e) || was != <i32>on;
  ctlSetI32(0, changed ? 1 : 0);
  return was;
}

/** GETBIT on a string entry (from a lookup just made): 0 beyond its end. */
export function str_getbit(e: usize, bitOffset: u32): i32 {
  const byte = bitOffset >> 3;
  if (byte >= entryStringLength(e)) return 0;
  return (<u32>load<u8>(entryStringPtr(e) + <usize>byte) >> (7 - (bitOffset & 7))) & 1;
}

/** Set bits in bytes [p, p + n). */
function popcount(p: usize, n: usize): u64 {
  let count: u64 = 0;
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) count += popcnt<u64>(load<u64>(p + i));
  for (; i < n; i++) count += <u64>popcnt<u32>(<u32>load<u8>(p + i));
  return count;
}

// Resolved range of the last resolveRange call, in bits:
// [state.rangeStart, state.rangeEnd].

/**
 * Redis's range rules for BITCOUNT and BITPOS: negative indexes count from
 * the end, both ends are clamped to the string; in BYTE units the range is
 * widened to whole bytes. Returns false when the range is empty.
 */
function resolveRange(strlen: i64, start: i64, end: i64, isBit: bool): bool {
  let total = strlen;
  if (isBit) total <<= 3;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return false;
  if (isBit) {
    state.rangeStart = start;
    state.rangeEnd = end;
  } else {
    state.rangeStart = start << 3;
    state.rangeEnd = (end << 3) + 7;
  }
  return true;
}

/**
 * BITCOUNT of a string entry. Without a range, the whole string; with one,
 * start and end are in bytes or (isBit) bits. The host has already applied
 * Redis's "both negative and start > end" rule and clamped huge indexes.
 */
export function str_bitcount(e: usize, start: f64, end: f64, hasRange: i32, isBit: i32): f64 {
  const strlen = <i64>entryStringLength(e);
  const p = entryStringPtr(e);
  if (hasRange == 0) return <f64>popcount(p, <usize>strlen);
  const s = <i64>start;
  const t = <i64>end;
  if (s < 0 && t < 0 && s > t) return 0;
  if (!resolveRange(strlen, s, t, isBit != 0)) return 0;
  return <f64>countBits(p, state.rangeStart, state.rangeEnd);
}

/** Set bits among bit positions [first, last] of the bytes at p. */
function countBits(p: usize, first: i64, last: i64): u64 {
  const firstByte = <usize>(first >> 3);
  const lastByte = <usize>(last >> 3);
  let count = popcount(p + firstByte, lastByte - firstByte + 1);
  // Remove the bits of the edge bytes that lie outside the range.
  const headBits = <u32>(first & 7); // high bits of the first byte before the range
  const tailBits = <u32>(7 - (last & 7)); // low bits of the last byte after it
  if (headBits != 0) {
    count -= <u64>popcnt<u32>(<u32>load<u8>(p + firstByte) & (0xff << (8 - headBits)) & 0xff);
  }
  if (tailBits != 0) {
    count -= <u64>popcnt<u32>(<u32>load<u8>(p + lastByte) & ((<u32>1 << tailBits) - 1));
  }
  return count;
}

/** The first bit position in [first, last] holding `bit`, or -1. */
function findBit(p: usize, first: i64, last: i64, bit: i32): i64 {
  const skip: u8 = bit != 0 ? 0 : 0xff; // a byte that cannot contain the bit
  let pos = first;
  // Bit by bit up to a byte boundary.
  while (pos <= last && (pos & 7) != 0) {
    if (bitAt(p, pos) == bit) return pos;
    pos++;
  }
  // Whole bytes, eight at a time where possible.
  const skipWord: u64 = bit != 0 ? 0 : 0xffffffffffffffff;
  while (pos + 64 - 1 <= last && load<u64>(p + <usize>(pos >> 3)) == skipWord) pos += 64;
  while (pos + 8 - 1 <= last && load<u8>(p + <usize>(pos >> 3)) == skip) pos += 8;
  for (; pos <= last; pos++) {
    if (bitAt(p, pos) == bit) return pos;
  }
  return -1;
}

function bitAt(p: usize, pos: i64): i32 {
  return <i32>((<u32>load<u8>(p + <usize>(pos >> 3)) >> (7 - <u32>(pos & 7))) & 1);
}

/**
 * BITPOS of a string entry. With no start, the whole string; with a start,
 * end is taken from `end` when endGiven. Looking for a 0 bit without an
 * explicit end treats the string as followed by zeros (the answer may be the
 * first bit past it); with an explicit end, not finding it is -1.
 */
export function str_bitpos(e: usize, bit: i32, start: f64, end: f64, hasStart: i32, endGiven: i32, isBit: i32): f64 {
  const strlen = <i64>entryStringLength(e);
  const p = entryStringPtr(e);
  let s: i64 = 0;
  let t: i64 = strlen - 1;
  let bits = false;
  if (hasStart != 0) {
    bits = isBit != 0;
    s = <i64>start;
    if (endGiven != 0) t = <i64>end;
    else t = bits ? (strlen << 3) + 7 : strlen - 1;
  }
  if (!resolveRange(strlen, s, t, bits)) return -1;
  const found = findBit(p, state.rangeStart, state.rangeEnd, bit);
  if (found >= 0) return <f64>found;
  if (bit != 0 || endGiven != 0) return -1;
  return <f64>(((state.rangeEnd >> 3) + 1) << 3);
}

// BITOP operations, as the host numbers them.
// @ts-ignore: decorator
@inline const BITOP_AND: i32 = 0;
// @ts-ignore: decorator
@inline const BITOP_OR: i32 = 1;
// @ts-ignore: decorator
@inline const BITOP_XOR: i32 = 2;
// @ts-ignore: decorator
@inline const BITOP_NOT: i32 = 3;

/**
 * BITOP op destkey key... The source keys are packed at srcPtr as
 * [len u32][bytes] records; missing keys count as empty strings (zeros).
 * The result, as long as the longest source, replaces the destination
 * ("raw", no TTL); when every source is empty the destination is deleted.
 * Returns the result's length, or -1 for WRONGTYPE (nothing changed).
 * Control i32 slot 0 is 1 when the destination was written or deleted.
 */
export function str_bitop(dbIndex: u32, op: i32, dkptr: usize, dklen: u32, srcPtr: usize, count: u32): i32 {
  ctlSetI32(0, 0);
  const sources = alloc(<usize>count << 3); // (value pointer u32, length u32) per source
  let maxLen: u32 = 0;
  let at = srcPtr;
  for (let j: u32 = 0; j < count; j++) {
    const klen = load<u32>(at);
    const e = ks_find(dbIndex, at + 4, klen, 0);
    at += 4 + <usize>klen;
    let vp: usize = 0;
    let vl: u32 = 0;
    if (e != 0) {
      if (entryType(e) != TYPE_STRING) {
        free(sources);
        return WRONGTYPE;
      }
      vp = entryStringPtr(e);
      vl = entryStringLength(e);
    }
    store<u32>(sources + (<usize>j << 3), <u32>vp);
    store<u32>(sources + (<usize>j << 3) + 4, vl);
    if (vl > maxLen) maxLen = vl;
  }
  if (maxLen == 0) {
    free(sources);
    if (ks_delete(dbIndex, dkptr, dklen) != 0) ctlSetI32(0, 1);
    return 0;
  }
  // The sources may include the destination, so compute into a buffer first.
  const result = alloc(<usize>maxLen);
  const firstPtr = <usize>load<u32>(sources);
  const firstLen = load<u32>(sources + 4);
  for (let i: u32 = 0; i < maxLen; i++) {
    let acc: u32 = i < firstLen ? <u32>load<u8>(firstPtr + <usize>i) : 0;
    if (op == BITOP_NOT) {
      acc = ~acc & 0xff;
    } else {
      for (let j: u32 = 1; j < count; j++) {
        const sl = load<u32>(sources + (<usize>j << 3) + 4);
        const b: u32 = i < sl ? <u32>load<u8>(<usize>load<u32>(sources + (<usize>j << 3)) + <usize>i) : 0;
        if (op == BITOP_AND) acc &= b;
        else if (op == BITOP_OR) acc |= b;
        else acc ^= b;
      }
    }
    store<u8>(result + <usize>i, <u8>acc);
  }
  free(sources);
  const dest = setStringRaw(dbIndex, dkptr, dklen, maxLen, false, true);
  memory.copy(entryStringPtr(dest), result, <usize>maxLen);
  ks_entry_set_encoding(dest, ENC_RAW);
  free(result);
  ctlSetI32(0, 1);
  return <i32>maxLen;
}

// ---- LCS ----------------------------------------------------------------

// LCS flags.
// @ts-ignore: decorator
@inline const LCS_IDX: i32 = 1;
// @ts-ignore: decorator
@inline const LCS_LEN: i32 = 2;

/**
 * LCS key1 key2: Redis's dynamic program over the two values (missing keys
 * are empty; the host has checked both are strings and that the table fits).
 * Returns the length of the longest common subsequence. Unless only LEN was
 * asked for, writes to the output buffer: with IDX, the matching ranges from
 * the end backwards as u32 records [aStart, aEnd, bStart, bEnd, length],
 * filtered by minMatchLen; otherwise the subsequence itself (out_bytes).
 */
export function str_lcs(dbIndex: u32, k1ptr: usize, k1len: u32, k2ptr: usize, k2len: u32, flags: i32, minMatchLen: f64): i32 {
  out_reset();
  const ea = ks_find(dbIndex, k1ptr, k1len, LOOKUP_NOTOUCH);
  const eb = ks_find(dbIndex, k2ptr, k2len, LOOKUP_NOTOUCH);
  const a: usize = ea != 0 ? entryStringPtr(ea) : 0;
  const alen: u32 = ea != 0 ? entryStringLength(ea) : 0;
  const b: usize = eb != 0 ? entryStringPtr(eb) : 0;
  const blen: u32 = eb != 0 ? entryStringLength(eb) : 0;
  const stride = <usize>blen + 1;
  const table = alloc((<usize>alen + 1) * stride * 4);
  // LCS(i, j) = length of the LCS of a[0..i) and b[0..j).
  for (let i: usize = 0; i <= <usize>alen; i++) {
    const row = table + i * stride * 4;
    for (let j: usize = 0; j <= <usize>blen; j++) {
      let v: u32;
      if (i == 0 || j == 0) {
        v = 0;
      } else if (load<u8>(a + i - 1) == load<u8>(b + j - 1)) {
        v = load<u32>(row - stride * 4 + (j - 1) * 4) + 1;
      } else {
        const up = load<u32>(row - stride * 4 + j * 4);
        const left = load<u32>(row + (j - 1) * 4);
        v = up > left ? up : left;
      }
      store<u32>(row + j * 4, v);
    }
  }
  const total = load<u32>(table + (<usize>alen * stride + <usize>blen) * 4);
  const getIdx = (flags & LCS_IDX) != 0;
  const getLen = (flags & LCS_LEN) != 0;
  if (getIdx || !getLen) {
    const result: usize = getIdx ? 0 : alloc(<usize>total);
    let idx = total;
    let aStart = alen; // alen means "no range open"
    let aEnd: u32 = 0;
    let bStart: u32 = 0;
    let bEnd: u32 = 0;
    let i = alen;
    let j = blen;
    while (i > 0 && j > 0) {
      let emit = false;
      if (load<u8>(a + <usize>i - 1) == load<u8>(b + <usize>j - 1)) {
        if (result != 0) store<u8>(result + <usize>idx - 1, load<u8>(a + <usize>i - 1));
        if (aStart == alen) {
          aStart = i - 1;
          aEnd = i - 1;
          bStart = j - 1;
          bEnd = j - 1;
        } else if (aStart == i && bStart == j) {
          aStart--;
          bStart--;
        } else {
          emit = true;
        }
        if (aStart == 0 || bStart == 0) emit = true;
        idx--;
        i--;
        j--;
      } else {
        const up = load<u32>(table + ((<usize>i - 1) * stride + <usize>j) * 4);
        const left = load<u32>(table + (<usize>i * stride + <usize>j - 1) * 4);
        if (up > left) i--;
        else j--;
        if (aStart != alen) emit = true;
      }
      if (emit) {
        const matchLen = aEnd - aStart + 1;
        if (getIdx && (minMatchLen == 0 || <f64>matchLen >= minMatchLen)) {
          out_u32(aStart);
          out_u32(aEnd);
          out_u32(bStart);
          out_u32(bEnd);
          out_u32(matchLen);
        }
        aStart = alen;
      }
    }
    if (result != 0) {
      out_bytes(result, <usize>total);
      free(result);
    }
  }
  free(table);
  return <i32>total;
}
