// The hash value type: a map of field -> value, both byte strings.
//
// A hash object is a Dict (dict.ts) whose entries are one block each:
//
//   0  next   u32   chain link (dict)
//   4  hash   u32   hash of the field (dict)
//   8  keyLen u32   field length (dict)
//   12 valLen u32   value length
//   16 field bytes, then value bytes
//
// So a field costs one allocation and no pointers besides the chain link.
// Replacing a value of the same length writes in place; another length
// reallocates the block and relinks it where dictFind found it. The Dict
// itself is the object the keyspace entry points to, and it never moves.
//
// Only the "hashtable" encoding exists (encoding tag 0): there is no compact
// small-hash form, so small hashes do not keep insertion order as Redis's
// listpack hashes do.
//
// Batches: HSET/HMGET/HDEL pass their fields (and values) as a list of
// records [len u32][bytes] in the scratch region, one call per command.
// Results of variable size go to the output buffer as [len u32][bytes]
// records (io.ts).

import { alloc, free, realloc } from "./mem";
import {
  Dict, dictNew, dictFind, dictInsert, dictUnlink, dictSize, dictRelinkFound,
  dictScan, entryVecLen, entryVecGet, entryKeyLen, ENTRY_HASH, ENTRY_KEYLEN,
} from "./dict";
import { hashBytes } from "./hashing";
import { out_reset, out_bytes, out_u32 } from "./io";
import { sampleEntries, sampleAll, sampleLen, sampleGet, freeDictAndEntries } from "./sampling";

// @ts-ignore: decorator
@inline const H_VALLEN: usize = 12;
// @ts-ignore: decorator
@inline const H_FIELD: usize = 16;

// What hash_all writes per field.
// @ts-ignore: decorator
@inline const WANT_FIELDS: u32 = 1;
// @ts-ignore: decorator
@inline const WANT_VALUES: u32 = 2;

function fieldPtr(e: usize): usize {
  return e + H_FIELD;
}
function valueLen(e: usize): u32 {
  return load<u32>(e + H_VALLEN);
}
function valuePtr(e: usize): usize {
  return e + H_FIELD + <usize>entryKeyLen(e);
}

function newEntry(hash: u32, fptr: usize, flen: u32, vptr: usize, vlen: u32): usize {
  const e = alloc(H_FIELD + <usize>flen + <usize>vlen);
  store<u32>(e + ENTRY_HASH, hash);
  store<u32>(e + ENTRY_KEYLEN, flen);
  store<u32>(e + H_VALLEN, vlen);
  memory.copy(e + H_FIELD, fptr, flen);
  memory.copy(e + H_FIELD + <usize>flen, vptr, vlen);
  return e;
}

export function hash_new(): usize {
  return changetype<usize>(dictNew(<u32>H_FIELD));
}

export function hash_free(h: usize): void {
  freeDictAndEntries(changetype<Dict>(h));
}

/** A deep copy (COPY). */
export function hash_copy(h: usize): usize {
  const d = changetype<Dict>(h);
  const c = changetype<Dict>(hash_new());
  sampleAll(d);
  const n = sampleLen();
  for (let i: u32 = 0; i < n; i++) {
    const e = sampleGet(i);
    const size = H_FIELD + <usize>entryKeyLen(e) + <usize>valueLen(e);
    const copy = alloc(size);
    memory.copy(copy, e, size);
    dictInsert(c, copy);
  }
  return changetype<usize>(c);
}

export function hash_len(h: usize): u32 {
  return dictSize(changetype<Dict>(h));
}

/**
 * Sets field to value. Returns 1 if the field was created, 0 if it existed
 * (then the value is replaced, unless `nx`).
 */
export function hash_set(h: usize, fptr: usize, flen: u32, vptr: usize, vlen: u32, nx: bool): i32 {
  const d = changetype<Dict>(h);
  const hash = hashBytes(fptr, flen);
  const e = dictFind(d, hash, fptr, flen);
  if (e == 0) {
    dictInsert(d, newEntry(hash, fptr, flen, vptr, vlen));
    return 1;
  }
  if (nx) return 0;
  if (valueLen(e) == vlen) {
    memory.copy(valuePtr(e), vptr, vlen);
    return 0;
  }
  const moved = realloc(e, H_FIELD + <usize>flen + <usize>vlen);
  if (moved != e) dictRelinkFound(moved);
  store<u32>(moved + H_VALLEN, vlen);
  memory.copy(valuePtr(moved), vptr, vlen);
  return 0;
}

/** HSET over n records field, value, field, value...; returns how many fields were created. */
export function hash_set_batch(h: usize, recs: usize, pairs: u32): u32 {
  let p = recs;
  let created: u32 = 0;
  for (let i: u32 = 0; i < pairs; i++) {
    const flen = load<u32>(p);
    const fptr = p + 4;
    p = fptr + <usize>flen;
    const vlen = load<u32>(p);
    const vptr = p + 4;
    p = vptr + <usize>vlen;
    created += <u32>hash_set(h, fptr, flen, vptr, vlen, false);
  }
  return created;
}

/** The entry of a field, or 0; read it with hash_value_ptr/len before the next write. */
export function hash_get(h: usize, fptr: usize, flen: u32): usize {
  return dictFind(changetype<Dict>(h), hashBytes(fptr, flen), fptr, flen);
}

export function hash_value_ptr(e: usize): usize {
  return valuePtr(e);
}
export function hash_value_len(e: usize): u32 {
  return valueLen(e);
}

/**
 * HMGET: for each of n field records writes [found u32] and, if found, the
 * value as a [len][bytes] record.
 */
export function hash_get_batch(h: usize, recs: usize, n: u32): void {
  out_reset();
  let p = recs;
  for (let i: u32 = 0; i < n; i++) {
    const flen = load<u32>(p);
    const fptr = p + 4;
    p = fptr + <usize>flen;
    const e = hash_get(h, fptr, flen);
    if (e == 0) {
      out_u32(0);
    } else {
      out_u32(1);
      out_bytes(valuePtr(e), valueLen(e));
    }
  }
}

/** HDEL over n field records; returns how many existed. */
export function hash_del_batch(h: usize, recs: usize, n: u32): u32 {
  const d = changetype<Dict>(h);
  let p = recs;
  let deleted: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const flen = load<u32>(p);
    const fptr = p + 4;
    p = fptr + <usize>flen;
    const e = dictUnlink(d, hashBytes(fptr, flen), fptr, flen);
    if (e != 0) {
      free(e);
      deleted++;
    }
  }
  return deleted;
}

function outEntry(e: usize, want: u32): void {
  if ((want & WANT_FIELDS) != 0) out_bytes(fieldPtr(e), entryKeyLen(e));
  if ((want & WANT_VALUES) != 0) out_bytes(valuePtr(e), valueLen(e));
}

/** Appends the field count and every field and value to the output (snapshot_dump). */
export function hashDumpInto(h: usize): void {
  sampleAll(changetype<Dict>(h));
  const n = sampleLen();
  out_u32(n);
  for (let i: u32 = 0; i < n; i++) outEntry(sampleGet(i), WANT_FIELDS | WANT_VALUES);
}

/** HGETALL/HKEYS/HVALS: writes every field and/or value; returns the field count. */
export function hash_all(h: usize, want: u32): u32 {
  out_reset();
  sampleAll(changetype<Dict>(h));
  const n = sampleLen();
  for (let i: u32 = 0; i < n; i++) outEntry(sampleGet(i), want);
  return n;
}

/**
 * One HSCAN step: visits buckets from `cursor` until at least `count` fields
 * were seen or the scan ends (at most count * 10 buckets, like Redis), writes
 * field and value records, and returns the next cursor (0 at the end).
 */
export function hash_scan(h: usize, cursor: u32, count: u32): u32 {
  const d = changetype<Dict>(h);
  out_reset();
  const v = dictScan(d, cursor, count);
  const n = entryVecLen();
  for (let i: u32 = 0; i < n; i++) outEntry(entryVecGet(i), WANT_FIELDS | WANT_VALUES);
  return v;
}

/**
 * HRANDFIELD with a count: writes `count` fields (and values) chosen under
 * Redis's rules (sampling.ts); returns how many were written.
 */
export function hash_random(h: usize, count: u32, unique: bool, withValues: bool): u32 {
  out_reset();
  sampleEntries(changetype<Dict>(h), count, unique);
  const n = sampleLen();
  const want = withValues ? WANT_FIELDS | WANT_VALUES : WANT_FIELDS;
  for (let i: u32 = 0; i < n; i++) outEntry(sampleGet(i), want);
  return n;
}
