// Integer strings: Redis's rules for INCR, INCRBY, DECR and DECRBY, kept in
// one place for both ways in (the JS handler through str_incrby in
// strings.ts, and the batched executor in exec.ts).
//
// A string counts as an integer when it is in string2ll's canonical form:
// an optional '-', then digits with no leading zero ("0" alone), no '+', no
// spaces, within i64. Adding the increment must not overflow i64. The result
// replaces the value in place of the key, keeping its TTL (Redis's
// dbOverwrite), and is tagged "int" like Redis's integer-encoded strings.

import { ks_find, ks_set_string, entryType, entryStringPtr, entryStringLength } from "./keyspace";
import { TYPE_STRING } from "./types";
import { state } from "./state";

// Results of stringIncrBy.
// @ts-ignore: decorator
@inline export const INCR_OK: i32 = 0;
// @ts-ignore: decorator
@inline export const INCR_WRONGTYPE: i32 = 1;
// @ts-ignore: decorator
@inline export const INCR_NOT_INTEGER: i32 = 2;
// @ts-ignore: decorator
@inline export const INCR_OVERFLOW: i32 = 3;

// The value of the last successful parseI64 is state.parsedI64, and the
// result of the last successful stringIncrBy is state.incrResult.

// Room for the digits of any i64 ("-9223372036854775808" is 20 bytes).
const digits: usize = memory.data(24, 8);

/** Parses a canonical i64 (string2ll); on success sets parsedI64. */
export function parseI64(p: usize, len: u32): bool {
  if (len == 0 || len > 20) return false;
  let i: u32 = 0;
  let negative = false;
  if (load<u8>(p) == 45) { // '-'
    if (len == 1) return false;
    negative = true;
    i = 1;
  }
  const first = load<u8>(p + i);
  if (first == 48) { // '0' is canonical only alone
    if (len != 1) return false;
    state.parsedI64 = 0;
    return true;
  }
  let value: u64 = 0;
  for (; i < len; i++) {
    const c = <u32>load<u8>(p + i) - 48;
    if (c > 9) return false;
    if (value > 922337203685477580) return false;
    value = value * 10 + c;
  }
  if (negative) {
    if (value > 9223372036854775808) return false;
    state.parsedI64 = -(<i64>value);
  } else {
    if (value > 9223372036854775807) return false;
    state.parsedI64 = <i64>value;
  }
  return true;
}

/** Writes the decimal form of v at p and returns its length. */
export function formatI64(p: usize, v: i64): u32 {
  let n: u64 = v < 0 ? <u64>0 - <u64>v : <u64>v;
  let len: u32 = 0;
  do {
    len++;
    n /= 10;
  } while (n != 0);
  if (v < 0) len++;
  n = v < 0 ? <u64>0 - <u64>v : <u64>v;
  let at = p + len;
  do {
    at--;
    store<u8>(at, <u8>(48 + n % 10));
    n /= 10;
  } while (n != 0);
  if (v < 0) store<u8>(p, 45);
  return len;
}

/**
 * Adds delta to the integer held at the key (absent counts as 0), keeping its
 * TTL. Returns an INCR_* code; on INCR_OK the new value is incrResult.
 */
export function stringIncrBy(dbIndex: u32, kptr: usize, klen: u32, delta: i64): i32 {
  const e = ks_find(dbIndex, kptr, klen, 0);
  let current: i64 = 0;
  if (e != 0) {
    if (entryType(e) != TYPE_STRING) return INCR_WRONGTYPE;
    if (!parseI64(entryStringPtr(e), entryStringLength(e))) return INCR_NOT_INTEGER;
    current = state.parsedI64;
  }
  if ((delta < 0 && current < 0 && delta < i64.MIN_VALUE - current) ||
      (delta > 0 && current > 0 && delta > i64.MAX_VALUE - current)) return INCR_OVERFLOW;
  const result = current + delta;
  const len = formatI64(digits, result);
  ks_set_string(dbIndex, kptr, klen, digits, len, true);
  state.incrResult = result;
  return INCR_OK;
}
